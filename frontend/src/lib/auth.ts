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

export function hasAnyRole(roles: readonly string[]): boolean {
  return roles.some((r) => hasRole(r))
}

/** Government staff (民政局、街道、社区): the registry console. */
export const STAFF_ROLES = ['bureau_staff', 'street_staff', 'community_staff'] as const
/** Everyone who may open /console (each page narrows it further). */
export const CONSOLE_ROLES = ['social_worker', 'org_admin', ...STAFF_ROLES] as const

export function isStaff(): boolean {
  return hasAnyRole(STAFF_ROLES)
}

/** The console page a user starts on (staff: the registry; social workers: projects). */
export function consoleHome(): string {
  if (isStaff()) return '/console/registry'
  if (hasRole('social_worker')) return '/console/projects'
  // An evaluation expert has nothing else to do in the console than score.
  if (hasRole('expert')) return '/console/evaluation/mine'
  const own = auth.user?.organizations?.find((o) => o.role === 'org_admin')
  return own ? `/console/registry/${own.id}` : '/console/registry'
}

export function homePath(): string {
  if (isStaff() || hasAnyRole(['social_worker', 'expert'])) return consoleHome()
  return '/m/projects'
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
