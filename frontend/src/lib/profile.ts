import { api, request } from './api'

/** 我的志愿者档案: GET|PATCH /api/v1/volunteers/me/profile/. */
export interface AvailabilitySlot {
  /** 0 = 星期一 … 6 = 星期日 */
  weekday: number
  start: string
  end: string
}

export interface VolunteerProfile {
  skills: string[]
  interests: string[]
  availability: AvailabilitySlot[]
  home_region: { code: string; name: string } | null
  home_lat: string | null
  home_lng: string | null
  travel_km: string | null
  updated_at: string | null
}

export interface ProfileChanges {
  skills?: string[]
  interests?: string[]
  availability?: AvailabilitySlot[]
  home_region?: string | null
  home_lat?: string | null
  home_lng?: string | null
  travel_km?: string | null
}

export const WEEKDAY_TEXT = ['星期一', '星期二', '星期三', '星期四', '星期五', '星期六', '星期日']

/** Suggestions only: skills and service targets are free tags, the same words projects use. */
export const SKILL_SUGGESTIONS = ['陪伴聊天', '助老服务', '心理疏导', '课业辅导', '急救', '摄影', '文艺演出', '医疗护理', '法律咨询', '环保宣传']
export const INTEREST_SUGGESTIONS = ['老年人', '儿童', '残疾人', '困境家庭', '青少年', '社区居民', '环境保护']

export const getProfile = () => api.get<VolunteerProfile>('/api/v1/volunteers/me/profile/')
export const patchProfile = (changes: ProfileChanges) =>
  api.patch<VolunteerProfile>('/api/v1/volunteers/me/profile/', changes, { silent: true })

/** 实名认证: GET|POST /api/v1/me/real-name/. */
export interface RealName {
  verified: boolean
  name: string | null
  id_type: string | null
  id_number: string | null
  id_number_masked: string | null
  birth_date: string | null
  age: number | null
  verified_at: string | null
}

export const getRealName = () => api.get<RealName>('/api/v1/me/real-name/')
export const postRealName = (name: string, idNumber: string) =>
  api.post<RealName>('/api/v1/me/real-name/', { name, id_number: idNumber }, { silent: true })

/** 监护人同意: GET|POST|DELETE /api/v1/me/guardian-consent/. */
export interface GuardianConsent {
  id: number
  guardian_name: string
  guardian_phone: string
  relationship: string
  consented_at: string
  withdrawn_at: string | null
}

export interface GuardianConsentStatus {
  consent_age: number
  /** null: not verified yet, so the age is unknown. */
  required: boolean | null
  consent: GuardianConsent | null
}

export const getConsent = () => api.get<GuardianConsentStatus>('/api/v1/me/guardian-consent/')
export const postConsent = (body: { guardian_name: string; guardian_phone: string; relationship: string }) =>
  api.post<GuardianConsent>('/api/v1/me/guardian-consent/', body, { silent: true })
export const withdrawConsent = () => request<null>('DELETE', '/api/v1/me/guardian-consent/')

/** 日历订阅 (iCal): the secret feed URL; reset makes a new one and kills the old. */
export interface CalendarFeed {
  token: string
  url: string
}

export const getCalendarFeed = () => api.get<CalendarFeed>('/api/v1/calendar/')
export const resetCalendarFeed = () => api.post<CalendarFeed>('/api/v1/calendar/reset/')

/** Where a refused sign-up can be fixed (code of the API error → phone page). */
export const SIGNUP_FIX: Record<string, { to: string; text: string }> = {
  real_name_required: { to: '/m/real-name', text: '去实名认证' },
  guardian_consent_required: { to: '/m/guardian-consent', text: '登记监护人同意' },
  time_conflict: { to: '/m/signups', text: '查看我的报名' },
}

/** Every message in a nested error value (lists and objects of lists of strings). */
function messages(value: unknown): string[] {
  if (value == null) return []
  if (Array.isArray(value)) return value.flatMap(messages)
  if (typeof value === 'object') return Object.values(value as Record<string, unknown>).flatMap(messages)
  return [String(value)]
}

/**
 * Errors of the availability list: a plain list for the whole (e.g. an overlap), or per
 * slot, either as a list (`[{}, {end: [...]}]`) or keyed by the slot's index
 * (`{"1": {end: [...]}}`): one line per message, per-slot ones with the slot's number.
 */
export function availabilityErrors(raw: unknown): string[] {
  if (raw == null) return []
  if (typeof raw !== 'object') return [String(raw)]
  const entries: [string, unknown][] = Array.isArray(raw) ? raw.map((v, i) => [String(i), v]) : Object.entries(raw)
  const out: string[] = []
  for (const [key, item] of entries) {
    if (typeof item === 'string') out.push(item)
    else if (/^\d+$/.test(key)) for (const m of messages(item)) out.push(`第 ${Number(key) + 1} 个时间段：${m}`)
    else out.push(...messages(item))
  }
  return out
}
