import type { Directive } from 'vue'

/**
 * Vant's Field puts fallthrough attributes on its wrapper, but browser tests need to
 * `fill()` the real control: `v-input-testid="'login-phone'"` tags the inner input.
 */
export const inputTestId: Directive<HTMLElement, string> = {
  mounted(el, binding) {
    const target = el.matches('input,textarea,select') ? el : el.querySelector('input,textarea,select')
    ;(target ?? el).setAttribute('data-testid', binding.value)
  },
  updated(el, binding) {
    const target = el.matches('input,textarea,select') ? el : el.querySelector('input,textarea,select')
    ;(target ?? el).setAttribute('data-testid', binding.value)
  },
}

declare module 'vue' {
  interface GlobalDirectives {
    vInputTestid: typeof inputTestId
  }
}
