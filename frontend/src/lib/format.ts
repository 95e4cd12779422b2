// The platform serves one city in China: show every time in Asia/Shanghai (UTC+8)
// whatever the browser's zone, so that the console, the phone and server-made texts agree.
const OFFSET_MS = 8 * 3600 * 1000

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n)
}

function shanghai(iso: string): Date | null {
  const t = Date.parse(iso)
  if (Number.isNaN(t)) return null
  return new Date(t + OFFSET_MS)
}

/** "2025-03-01 09:00" */
export function fmtDateTime(iso: string | null | undefined): string {
  if (!iso) return ''
  const d = shanghai(iso)
  if (!d) return iso
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`
}

/** "09:00" */
export function fmtTime(iso: string | null | undefined): string {
  if (!iso) return ''
  const d = shanghai(iso)
  if (!d) return iso
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`
}

/** "2025-03-01 09:00–11:00" (date shown once when both ends share it). */
export function fmtRange(start: string, end: string): string {
  const a = fmtDateTime(start)
  const b = fmtDateTime(end)
  if (a.slice(0, 10) === b.slice(0, 10)) return `${a}–${b.slice(11)}`
  return `${a} – ${b}`
}

/** `<input type="datetime-local">` value ("2025-03-01T09:00") → ISO with +08:00. */
export function localInputToIso(value: string): string {
  if (!value) return ''
  const v = value.length === 16 ? `${value}:00` : value
  return `${v}+08:00`
}

/** ISO → `<input type="datetime-local">` value in Asia/Shanghai. */
export function isoToLocalInput(iso: string): string {
  const d = shanghai(iso)
  if (!d) return ''
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`
}

export function hours(v: string | number | null | undefined): number {
  if (v === null || v === undefined || v === '') return 0
  const n = typeof v === 'number' ? v : parseFloat(v)
  return Number.isFinite(n) ? n : 0
}

export const SIGNUP_STATUS_TEXT: Record<string, string> = {
  confirmed: '已确认',
  waitlisted: '候补',
  pending: '待审核',
  cancelled: '已取消',
  canceled: '已取消',
}

export function signupStatusText(status: string, position?: number | null): string {
  if (status === 'waitlisted' && position) return `候补第${position}位`
  return SIGNUP_STATUS_TEXT[status] ?? status
}

export function signupTagType(status: string): 'success' | 'warning' | 'default' | 'primary' {
  if (status === 'confirmed') return 'success'
  if (status === 'waitlisted') return 'warning'
  if (status === 'pending') return 'primary'
  return 'default'
}

export function isActiveSignup(status: string | undefined | null): boolean {
  return status === 'confirmed' || status === 'waitlisted' || status === 'pending'
}

export const RECORD_STATUS_TEXT: Record<string, string> = {
  pending: '待审核',
  approved: '已通过',
  rejected: '已驳回',
}
