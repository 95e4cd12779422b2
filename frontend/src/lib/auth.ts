import { reactive } from 'vue'
import { api, getToken, setToken } from './api'
import type { Me } from './types'

export const auth = reactive<{ user: Me | null; loaded: boolean }>({
  user: null,
  loaded: false,
})

export function isLoggedIn(): boolean {
  return !!getToken()
}

export function hasRole(role: string): boolean {
  return !!auth.user?.roles?.includes(role)
}

export function homePath(): string {
  return hasRole('social_worker') ? '/console/projects' : '/m/projects'
}

export async function loadMe(): Promise<Me | null> {
  if (!getToken()) {
    auth.user = null
    auth.loaded = true
    return null
  }
  try {
    auth.user = await api.get<Me>('/api/v1/me/', { silent: true })
  } catch {
    auth.user = null
  }
  auth.loaded = true
  return auth.user
}

export async function login(phone: string, password: string): Promise<Me> {
  const res = await api.post<{ token: string; user: Me }>('/api/v1/auth/login/', { phone, password }, { silent: true })
  setToken(res.token)
  // /me/ carries organizations and region; the login payload may be shorter.
  auth.user = res.user
  auth.loaded = true
  const me = await loadMe()
  return me ?? res.user
}

/** Forget the local session; the server side is ended by logout(). */
export function clearSession(): void {
  setToken(null)
  auth.user = null
  auth.loaded = true
}

export async function logout(): Promise<void> {
  try {
    await api.post('/api/v1/auth/logout/', {}, { silent: true })
  } catch {
    // Already logged out on the server: nothing left to do.
  }
  clearSession()
}
