import { api, getBlob, getToken, saveBlob } from './api'

export interface RegionRef { code: string; name: string; level: number }
export interface PeriodRef { from: string; to: string; kind: 'm' | 'q' | 'y' | null }

export interface Figures {
  volunteers: number
  new_volunteers: number
  active_volunteers: number
  approved_hours: number
  records: number
  hours_per_capita: number | null
  hours_per_capita_annualized: number | null
  benchmark_met: boolean
  projects: number
  shifts: number
  seats_offered: number
  seats_filled: number
  fill_rate: number | null
  no_shows: number
  no_show_rate: number | null
  needs_posted: number
  needs_served: number
}

export interface Participation extends Figures {
  region: RegionRef
  period: PeriodRef
  source: string
  benchmark_hours_per_year: number
  needs_available: boolean
  star_levels: { level: number; volunteers: number }[]
  by_child_region: (Figures & { code: string; name: string })[]
}

export interface TrendMonth {
  month: string
  approved_hours: number
  records: number
  active_volunteers: number
  new_volunteers: number
  shifts: number
  seats_offered: number
  seats_filled: number
  projects: number
  fill_rate: number | null
}

export interface Top {
  organizations: { id: number; name: string; approved_hours: number; records: number }[]
  projects: { id: number; title: string; organization: string; approved_hours: number; records: number }[]
}

export interface Registry {
  region: RegionRef
  total: number
  community: number
  by_type: Record<string, Record<string, Record<string, number>>>
  coverage: {
    target_urban: number
    target_rural: number
    communities: number
    covered: number
    rate: number | null
    by_child: { code: string; name: string; communities: number; covered: number; organizations: number }[]
    by_community: { code: string; name: string; is_urban: boolean; organizations: number; target: number; met: boolean }[]
  }
  grades: { by_grade: { grade: string; organizations: number }[]; graded: number; expired: number } | null
}

export interface Live { type: 'live'; region: string; day: string; checkins: number; checkouts: number; hours: number }

export type PeriodKind = 'y' | 'q' | 'm'

export const STAR_TEXT = ['未定级', '一星', '二星', '三星', '四星', '五星']
export const TYPE_TEXT: Record<string, string> = { social_group: '社团', non_enterprise: '民非', foundation: '基金会' }
export const REG_TEXT: Record<string, string> = { registered: '登记', filed: '备案', ledger: '台账' }

function pad(n: number): string {
  return String(n).padStart(2, '0')
}

/** The calendar period (year, quarter or month) as from/to dates. */
export function periodRange(kind: PeriodKind, year: number, index: number): { from: string; to: string } {
  if (kind === 'y') return { from: `${year}-01-01`, to: `${year}-12-31` }
  const firstMonth = kind === 'q' ? (index - 1) * 3 + 1 : index
  const lastMonth = kind === 'q' ? firstMonth + 2 : firstMonth
  const lastDay = new Date(year, lastMonth, 0).getDate()
  return { from: `${year}-${pad(firstMonth)}-01`, to: `${year}-${pad(lastMonth)}-${pad(lastDay)}` }
}

export function pct(v: number | null | undefined): string {
  return v === null || v === undefined ? '—' : `${(v * 100).toFixed(1)}%`
}

export function num(v: number | null | undefined, digits = 0): string {
  if (v === null || v === undefined) return '—'
  return v.toLocaleString('zh-CN', { minimumFractionDigits: digits, maximumFractionDigits: digits })
}

type Query = Record<string, string>

export const dashboardApi = {
  participation: (q: Query) => api.get<Participation>('/api/v1/dashboard/participation/', { query: q, silent: true }),
  trends: (q: Query) => api.get<{ months: TrendMonth[] }>('/api/v1/dashboard/trends/', { query: q, silent: true }),
  top: (q: Query) => api.get<Top>('/api/v1/dashboard/top/', { query: q, silent: true }),
  registry: (region: string) => api.get<Registry>('/api/v1/dashboard/registry/', { query: { region }, silent: true }),
  live: (region: string) => api.get<Live>('/api/v1/dashboard/live/', { query: { region }, silent: true }),
}

/** Download one chart's table (or every table) as .xlsx. */
export async function exportXlsx(q: Query, chart?: string): Promise<void> {
  const blob = await getBlob('/api/v1/dashboard/export/', { query: { ...q, ...(chart ? { chart } : {}) } })
  saveBlob(blob, `参与度-${q.region || '本辖区'}-${q.from}-${q.to}${chart ? '-' + chart : ''}.xlsx`)
}

export async function reportPdf(region: string, month: string): Promise<Blob> {
  return getBlob('/api/v1/dashboard/report/', { query: { region, month } })
}

/**
 * The live counter's socket: the browser's session cookie authenticates; without one
 * (token-only login) a one-time ticket is sent first. Reconnects with backoff; the
 * REST endpoint gives the current figures on every (re)connect.
 */
export function liveSocket(region: string, onFrame: (live: Live) => void): () => void {
  let closed = false
  let ws: WebSocket | null = null
  let retry = 0
  let timer: ReturnType<typeof setTimeout> | null = null

  async function open() {
    if (closed) return
    let ticket: string | null = null
    if (getToken()) {
      try {
        ticket = (await api.post<{ ticket: string }>('/api/v1/ws-ticket/', {}, { silent: true })).ticket
      } catch {
        ticket = null
      }
    }
    if (closed) return
    const url = (location.protocol === 'https:' ? 'wss' : 'ws') + '://' + location.host +
      `/ws/dashboard/live/?region=${encodeURIComponent(region)}`
    const sock = new WebSocket(url)
    ws = sock
    sock.onopen = () => {
      retry = 0
      if (ticket) sock.send(JSON.stringify({ type: 'auth', ticket }))
    }
    sock.onmessage = (ev: MessageEvent) => {
      try {
        const frame = JSON.parse(ev.data as string)
        if (frame && frame.type === 'live') onFrame(frame as Live)
      } catch {
        /* not JSON: ignore */
      }
    }
    sock.onclose = (ev: CloseEvent) => {
      if (ws === sock) ws = null
      if (closed || ev.code === 4403) return
      retry += 1
      timer = setTimeout(open, Math.min(30_000, 1000 * 2 ** Math.min(retry, 5)))
    }
  }

  void open()
  return () => {
    closed = true
    if (timer) clearTimeout(timer)
    ws?.close()
  }
}
