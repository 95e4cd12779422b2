/**
 * Social-organization registry (社会组织名录, 备案, 统计): types, labels and the Excel
 * download. Backend: platform/organizations/api/ (/api/v1/organizations/…, /api/v1/filings/…).
 */
import { ApiError, getToken } from './api'

export const ORG_TYPE_TEXT: Record<string, string> = {
  social_group: '社团',
  non_enterprise: '民非',
  foundation: '基金会',
}
export const REGISTRATION_TEXT: Record<string, string> = {
  registered: '登记',
  filed: '备案',
  ledger: '台账',
}
export const AUTHORITY_TEXT: Record<string, string> = {
  city: '市属',
  county: '县区属',
}
export const TIER_TEXT: Record<string, string> = {
  civil_affairs: '民政登记管理',
  street_managed: '街道（乡镇）管理',
  community_guided: '社区引导',
}
export const ORG_STATUS_TEXT: Record<string, string> = {
  active: '正常',
  suspended: '暂停活动',
  deregistered: '已注销',
}
export const DOMAIN_TEXT: Record<string, string> = {
  education: '教育',
  health: '卫生健康',
  culture: '文化',
  science: '科技',
  sports: '体育',
  human_resources: '人力资源',
  civil_affairs: '民政',
  agriculture: '农业农村发展',
  elderly: '养老服务',
  disability: '助残',
  charity: '慈善',
  community: '社区服务',
  legal: '法律服务',
  environment: '生态环境',
  other: '其他',
}
export const PARTY_BUILDING_TEXT: Record<string, string> = {
  standalone: '单独建',
  joint: '联合建',
  instructor: '派驻党建指导员',
  none: '未覆盖',
}
export const INSPECTION_RESULT_TEXT: Record<string, string> = {
  qualified: '合格',
  basically_qualified: '基本合格',
  unqualified: '不合格',
}
export const SOURCE_TEXT: Record<string, string> = {
  manual: '录入',
  filing: '备案申请',
  import: 'Excel 导入',
  seed: '演示数据',
}
export const EVENT_KIND_TEXT: Record<string, string> = {
  created: '新增',
  updated: '修改',
  tier_changed: '调整管理层级',
  status_changed: '状态变更',
  inspection: '年检',
  charter: '章程修订',
  party_building: '党建变更',
  brand: '品牌',
  filed: '备案',
  imported: '导入',
}
export const FILING_STATUS_TEXT: Record<string, string> = {
  submitted: '待社区初审',
  community_approved: '待街道审核',
  filed: '已备案',
  returned: '已退回',
}
export const FILING_ACTION_TEXT: Record<string, string> = {
  submit: '提交申请',
  resubmit: '重新提交',
  community_approve: '社区初审通过',
  community_return: '社区退回',
  street_file: '街道准予备案',
  street_return: '街道退回',
}
/** Field names of the record, for the history of changes. */
export const FIELD_TEXT: Record<string, string> = {
  name: '名称',
  credit_code: '统一社会信用代码',
  org_type: '类型',
  registration_status: '登记状态',
  authority_level: '登记管理机关层级',
  tier: '分类管理',
  is_community: '社区社会组织',
  region: '所在区划',
  service_domains: '服务领域',
  founded_on: '成立日期',
  person_in_charge: '负责人',
  contact_phone: '联系电话',
  individual_members: '个人会员数',
  unit_members: '单位会员数',
  status: '状态',
  description: '简介',
  venue: '活动场地',
  year: '年度',
  result: '结论',
  filing_id: '备案申请',
  version: '章程版本',
  has_party_clause: '含党建条款',
  mode: '党建覆盖方式',
  party_building: '党建覆盖方式',
  is_brand: '品牌组织',
}

/** Tier changes, suspensions and annual inspections: street and bureau staff (SENIOR_STAFF). */
export const SENIOR_STAFF_ROLES = ['bureau_staff', 'street_staff'] as const

export function label(map: Record<string, string>, value: string | null | undefined): string {
  if (value === null || value === undefined || value === '') return '—'
  return map[value] ?? value
}

export interface Inspection {
  id: number
  year: number
  result: string
  note: string
  recorded_at: string
}

/** Public fields (residents) plus, for governing staff and the org's admins, the full record. */
export interface Organization {
  id: number
  name: string
  credit_code: string | null
  org_type: string
  registration_status: string
  authority_level: string
  is_community: boolean
  region: string
  region_name: string
  service_domains: string[]
  founded_on: string | null
  status: string
  description: string
  charter_has_party_clause: boolean
  party_building: string
  is_brand: boolean
  venue: number | null
  venue_name: string | null
  tier?: string
  person_in_charge?: string
  contact_phone?: string
  individual_members?: number
  unit_members?: number
  status_changed_at?: string | null
  charter_version?: number
  party_instructor_name?: string
  party_instructor_contact?: string
  ready_to_register?: boolean
  source?: string
  created_at?: string
  updated_at?: string
  inspections?: Inspection[]
}

export interface OrgEvent {
  id: number
  kind: string
  actor: number | null
  actor_name: string | null
  reason: string
  changes: Record<string, unknown>
  created_at: string
}

export interface Charter {
  id: number
  version: number
  sections: Record<string, string> | unknown
  has_party_clause: boolean
  note: string
  created_by: number | null
  created_at: string
}

export interface PartyBuildingChange {
  id: number
  mode: string
  previous_mode: string
  instructor_name: string
  instructor_contact: string
  reason: string
  changed_by: number | null
  changed_by_name: string | null
  changed_at: string
}

export interface FilingStep {
  id: number
  action: string
  actor: number
  actor_name: string
  from_status: string
  to_status: string
  reason: string
  created_at: string
}

export interface Filing {
  id: number
  name: string
  org_type: string
  region: string
  region_name: string
  applicant: number
  applicant_name: string
  person_in_charge: string
  contact_phone: string
  individual_members: number
  unit_members: number
  venue: number | null
  service_domains: string[]
  status: string
  return_reason: string
  organization: number | null
  created_at: string
  updated_at: string
  members?: { name: string; kind: string; phone?: string }[]
  charter_sections?: Record<string, string>
  steps?: FilingStep[]
}

export interface CoverageRow {
  code: string
  name: string
  is_urban: boolean
  organizations: number
  target: number
  met: boolean
}

export interface CoverageChild {
  code: string
  name: string
  communities: number
  covered: number
  organizations: number
}

export interface OrgStats {
  region: { code: string; name: string; level: number }
  total: number
  community: number
  filed: number
  /** type → registration → authority level → count (deregistered excluded). */
  by_type: Record<string, Record<string, Record<string, number>>>
  registered: number
  registered_by_type: Record<string, number>
  by_authority: Record<string, { total: number; by_type: Record<string, number> }>
  community_by_type: Record<string, Record<string, number>>
  community_registered: { total: number; by_type: Record<string, number> }
  community_filed: number
  ledger: number
  ready_to_register: number
  by_status: Record<string, number>
  deregistered: number
  coverage: {
    target_urban: number
    target_rural: number
    communities: number
    covered: number
    rate: number | null
    urban: { communities: number; covered: number }
    rural: { communities: number; covered: number }
    by_child: CoverageChild[]
    by_community: CoverageRow[]
  }
}

/**
 * GET a binary (the .xlsx export) with the Bearer token and hand it to the browser as a
 * download through a Blob link. Throws ApiError (JSON error body) on failure.
 */
export async function downloadFile(path: string, fallbackName: string): Promise<string> {
  const headers: Record<string, string> = {}
  const token = getToken()
  if (token) headers.Authorization = `Bearer ${token}`
  let res: Response
  try {
    res = await fetch(path, { headers, credentials: 'same-origin' })
  } catch {
    throw new ApiError(0, 'network_error', '网络连接失败，请检查网络', {})
  }
  if (!res.ok) {
    let code = `http_${res.status}`
    let detail = res.status === 403 ? '没有权限' : '导出失败'
    try {
      const body = await res.json()
      if (typeof body?.code === 'string') code = body.code
      if (typeof body?.detail === 'string') detail = body.detail
    } catch {
      // not JSON
    }
    throw new ApiError(res.status, code, detail, {})
  }
  const blob = await res.blob()
  const match = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(res.headers.get('Content-Disposition') ?? '')
  const name = match ? decodeURIComponent(match[1]) : fallbackName
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = name
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
  return name
}

// --- charter editor, venues, brands, import ---------------------------------------------

export interface CharterTemplate {
  titles: Record<string, string>
  required: string[]
  sections: Record<string, string>
}

export const VENUE_KIND_TEXT: Record<string, string> = {
  party_service_center: '党群服务中心',
  community_service_center: '社区服务中心',
  incubator: '社会组织孵化基地',
  other: '其他',
}

export interface Room {
  id: number
  venue: number
  name: string
  capacity: number
  is_bookable: boolean
}

export interface Venue {
  id: number
  name: string
  kind: string
  region: string
  region_name: string
  address: string
  /** A stopped venue (false) takes no new bookings; listed only with `include_inactive=1`. */
  is_active: boolean
  rooms: Room[]
  organizations: { id: number; name: string }[]
}

export interface Booking {
  id: number
  room: number
  organization: number
  organization_name: string
  booked_by: number | null
  starts_at: string
  ends_at: string
  purpose: string
  status: string
  created_at: string
  cancelled_at: string | null
}

export interface BrandProject {
  id: number
  title: string
  status: string
}

export interface Brand {
  id: number
  name: string
  org_type: string
  region: string
  region_name: string
  is_brand: boolean
  brand_story: string
  brand_photos: string[]
  brand_projects: number[]
  brand_project_details: BrandProject[]
  /** `GET /organizations/<id>/brand/` only: whether the user edits it, and what it may link. */
  can_edit?: boolean
  project_choices?: BrandProject[]
}

export const PROJECT_STATUS_TEXT: Record<string, string> = {
  draft: '草稿',
  submitted: '待审核',
  published: '已发布',
  closed: '已结束',
  cancelled: '已取消',
}

export interface ImportResult {
  imported: number
  rejected_rows: number
  errors: { row: number; field: string; reason: string }[]
}

/** `{detail, fields}` of a failed call, for showing under a form. */
export interface FormError {
  detail: string
  fields: Record<string, string[]>
}
