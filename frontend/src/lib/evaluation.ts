/**
 * Organization evaluation (评估): types, labels. Backend: platform/evaluation/
 * (/api/v1/evaluations/…, /api/v1/evaluation-rounds/…, /api/v1/evaluation-templates/…,
 * /api/v1/grades/).
 */
import { auth, hasAnyRole, hasRole } from './auth'

export const KIND_TEXT: Record<string, string> = {
  social_group: '社团',
  foundation: '基金会',
  non_enterprise: '民非（社会服务机构）',
  community: '社区社会组织',
}
export const ROUND_STATUS_TEXT: Record<string, string> = { open: '进行中', decided: '已审定', published: '已公布' }
export const EVAL_STATUS_TEXT: Record<string, string> = { in_progress: '评估中', scored: '已评分', published: '已公布' }
export const APPEAL_STATUS_TEXT: Record<string, string> = { pending: '待复核', upheld: '维持原结论', regraded: '已改定' }

export interface Band { grade: string; min: number }
export interface TemplateIndicator {
  code: string
  name: string
  points: number
  method: 'auto' | 'manual'
  guide?: string
  rule?: Record<string, unknown>
}
export interface TemplateCategory { code: string; name: string; points: number; indicators: TemplateIndicator[] }
export interface Template {
  id: number
  kind: string
  kind_label: string
  region: string | null
  region_name: string | null
  version: number
  name: string
  total_points: number
  grade_bands: Band[]
  tree: { categories: TemplateCategory[] }
  rule_texts: Record<string, string>
  is_current: boolean
  note: string
  created_at: string
}

export interface Round {
  id: number
  name: string
  year: number
  region: string
  region_name: string
  scope: 'general' | 'community'
  scope_label: string
  status: string
  status_label: string
  cutoff_date: string
  self_assessment_deadline: string
  appeal_window_days: number
  appeal_closes_on: string | null
  eligibility_rules: Record<string, unknown>
  templates: { kind: string; id: number; name: string; version: number }[]
  counts: { candidates: number; eligible: number; evaluations: number; scored: number; self_submitted: number }
  can_manage: boolean
  created_at: string
  published_at: string | null
}

export interface Reason { code: string; text: string; passed: boolean }
export interface Candidate {
  id: number
  organization: number
  organization_name: string
  org_type: string
  region_name: string
  eligible: boolean
  reasons: Reason[]
  evaluation: number | null
}

export interface EvaluationRow {
  id: number
  round: number
  round_name: string
  round_status: string
  organization: number
  organization_name: string
  org_type: string
  template_name: string
  status: string
  status_label: string
  total: string | null
  grade: string
  computed_at: string | null
  self_submitted_at: string | null
}

export interface IndicatorScore {
  code: string
  category: string
  category_name: string
  name: string
  method: 'auto' | 'manual'
  method_label: string
  points: string
  score: string | null
  rule_text: string
  source_value: string
  source_detail: Record<string, unknown>
  self_score: string | null
  self_note: string
  expert_score: string | null
  expert_name: string | null
  expert_comment: string
  source: string
}
export interface Evidence { id: number; indicator: string; original_name: string; size: number; created_at: string; download_url: string }
export interface Appeal {
  id: number
  evaluation: number
  organization_name: string
  reason: string
  filed_at: string
  status: string
  status_label: string
  old_total: string
  old_grade: string
  new_total: string | null
  new_grade: string
  changes: { indicator: string; name: string; old: string; new: string; comment: string }[]
  review_note: string
  reviewed_at: string | null
}
export interface EvaluationDetail extends EvaluationRow {
  total_points: number
  grade_bands: Band[]
  self_assessment_deadline: string
  cutoff_date: string
  categories: { code: string; name: string; points: string; score: string; complete: boolean }[]
  indicators: IndicatorScore[]
  evidence: Evidence[]
  experts: { id: number; name: string }[]
  capacities: string[]
  appeal: Appeal | null
}

export interface Expert { id: number; name: string; phone: string; title: string; region_name: string }
export interface Assignment { id: number; evaluation: number; organization_name: string; expert: number; expert_name: string }
export interface Decision {
  id: number
  members_present: string[]
  members_count: number
  votes_for: number
  votes_against: number
  votes_abstain: number
  approved: boolean
  note: string
  decided_at: string
}
export interface Grade {
  id: number
  organization: number
  organization_name: string
  org_type: string
  region_name: string
  grade: string
  total: string
  valid_from: string
  valid_until: string
  round_name: string
  status: string
  status_label: string
  source_label: string
}

/** Who sees the evaluation pages: staff, an organization's admin, experts. */
export function evaluationRoles(): boolean {
  return hasAnyRole(['bureau_staff', 'street_staff', 'community_staff', 'org_admin', 'expert'])
}

/** The scope this staff user opens rounds for (bureau: general; street: community). */
export function openableScope(): 'general' | 'community' | null {
  if (hasRole('bureau_staff')) return 'general'
  if (hasRole('street_staff')) return 'community'
  return null
}

export function userRegion(): string | null {
  return auth.user?.region?.code ?? null
}

/** Last day of the previous month (the default cut-off: whole months only). */
export function lastMonthEnd(): string {
  const d = new Date()
  d.setDate(0)
  return isoDate(d)
}

export function isoDate(d: Date): string {
  const m = String(d.getMonth() + 1).padStart(2, '0')
  const day = String(d.getDate()).padStart(2, '0')
  return `${d.getFullYear()}-${m}-${day}`
}

export function gradeText(grade: string | null | undefined): string {
  return grade ? grade : '未达等级'
}
