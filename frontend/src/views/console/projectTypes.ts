// Fields of a project and a shift that the console's project pages use beyond the
// shared `Project`/`Shift` types (the API sends them all; the phone pages need fewer).
import type { Project, RosterEntry, Shift } from '../../lib/types'

export interface ProjectFull extends Project {
  targets?: string[]
  domain?: string
  funding_source?: string
  funding_contract_ref?: string
  funding_amount?: string | null
  risk_disclosure?: string
  accident_insurance?: boolean
  min_age?: number | null
  guardian_required_for_minors?: boolean
  requires_approval?: boolean
  submitted_at?: string | null
  published_at?: string | null
  review_note?: string
  closed_at?: string | null
  cancelled_at?: string | null
  cancel_reason?: string
}

export interface ShiftFull extends Shift {
  signup_deadline?: string | null
  cancel_deadline?: string | null
  address?: string
  rule?: number | null
}

/** A roster row as the API sends it, with the volunteer's repeated no-shows. */
export interface RosterEntryFull extends RosterEntry {
  no_show_at?: string | null
  volunteer: RosterEntry['volunteer'] & { volunteer_number?: string; no_show_count?: number }
}

export interface ShiftRule {
  id: number
  project: number
  weekdays: number[]
  start_time: string
  duration_minutes: number
  capacity: number
  starts_on: string
  until: string
  created_at: string
  generated: number | null
}

export const FUNDING_OPTIONS: [string, string][] = [
  ['self_funded', '自筹'],
  ['government_purchase', '政府购买服务'],
  ['subsidy', '资助/补贴'],
  ['charity', '慈善捐赠'],
]

export const DOMAIN_OPTIONS: [string, string][] = [
  ['community', '社区服务'], ['elderly', '养老服务'], ['disability', '助残'], ['education', '教育'],
  ['health', '卫生健康'], ['culture', '文化'], ['science', '科技'], ['sports', '体育'],
  ['human_resources', '人力资源'], ['civil_affairs', '民政'], ['agriculture', '农业农村发展'],
  ['charity', '慈善'], ['legal', '法律服务'], ['environment', '生态环境'], ['other', '其他'],
]

export const WEEKDAY_LABELS = ['周一', '周二', '周三', '周四', '周五', '周六', '周日']
