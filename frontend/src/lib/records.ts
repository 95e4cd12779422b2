// Service records (志愿服务记录), disputes (申诉/异议) and certificates (记录证明): the
// shapes of volunteers/serializers.py and the words the pages show for them.
import { fmtDateTime } from './format'

export interface Person {
  id: number
  name: string
}

export interface RecordEntry {
  id: number
  volunteer: { id: number; name: string; volunteer_number: string }
  project: { id: number; title: string }
  shift: { id: number; starts_at: string; ends_at: string }
  organization: { id: number; name: string }
  date: string
  place: string
  people_served: number
  content: string
  source: 'checkin' | 'back_entry' | string
  started_at: string | null
  ended_at: string | null
  hours: string
  quality_rating: number | null
  project_lead: Person | null
  recorder: Person | null
  status: 'pending' | 'approved' | 'rejected' | 'superseded' | string
  is_final: boolean
  notice_ends_at: string | null
  finalized_at: string | null
  reviewed_by: Person | null
  reviewed_at: string | null
  reject_reason: string
  corrects: number | null
  amend_reason: string
  entered_by: Person | null
  back_entry_reason: string
  evidence_url: string | null
  created_at: string
}

export interface Dispute {
  id: number
  record: number
  project: { id: number; title: string }
  kind: 'appeal' | 'objection' | string
  raised_by: Person | null
  reason: string
  status: 'open' | 'answered' | string
  answer: string
  answered_by: Person | null
  answered_at: string | null
  created_at: string
}

export interface RecordDetail extends RecordEntry {
  trail: RecordEntry[]
  disputes: Dispute[]
}

export interface RecordSummary {
  approved_hours: string
  pending_hours: string
  in_notice_hours: string
  star_level: number
  next_level_hours: string | null
  star_thresholds: number[]
}

export interface Certificate {
  id: number
  serial: string
  verify_code: string
  pdf_url: string
  verify_url: string
  volunteer_name: string
  volunteer_number: string
  organization: number
  organization_name: string
  date_from: string | null
  date_to: string | null
  hours: string
  record_count: number
  service_content: string
  handler_name: string
  issued_at: string
  is_revoked: boolean
  revoked_at: string | null
  revoke_reason: string
}

/** 待审核 / 已驳回 / 已更正 / 公示中 / 已确定. */
export function recordStatusText(r: Pick<RecordEntry, 'status' | 'is_final'>): string {
  if (r.status === 'approved') return r.is_final ? '已确定' : '公示中'
  return { pending: '待审核', rejected: '已驳回', superseded: '已更正' }[r.status] ?? r.status
}

export function recordTagType(r: Pick<RecordEntry, 'status' | 'is_final'>): 'success' | 'warning' | 'danger' | 'primary' | 'default' {
  if (r.status === 'approved') return r.is_final ? 'success' : 'warning'
  if (r.status === 'pending') return 'primary'
  if (r.status === 'rejected') return 'danger'
  return 'default'
}

export function sourceText(source: string): string {
  return source === 'back_entry' ? '补录' : '签到签退'
}

export function disputeKindText(kind: string): string {
  return kind === 'objection' ? '公示异议' : '申诉'
}

export function disputeStatusText(d: Pick<Dispute, 'status'>): string {
  return d.status === 'answered' ? '已答复' : '待答复'
}

export function noticeText(r: RecordEntry): string {
  return r.status === 'approved' && !r.is_final && r.notice_ends_at ? `公示至 ${fmtDateTime(r.notice_ends_at)}` : ''
}
