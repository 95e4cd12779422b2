/** Resident needs (居民需求) and feedback (服务评价): labels and types. */

export const NEED_CATEGORIES: { value: string; text: string }[] = [
  { value: 'elderly_care', text: '养老照护' },
  { value: 'disability', text: '助残服务' },
  { value: 'children', text: '儿童关爱' },
  { value: 'difficulty', text: '困难帮扶' },
  { value: 'health', text: '医疗健康' },
  { value: 'environment', text: '环境卫生' },
  { value: 'legal', text: '法律咨询' },
  { value: 'culture', text: '文体活动' },
  { value: 'other', text: '其他' },
]

export const NEED_URGENCIES: { value: string; text: string }[] = [
  { value: 'low', text: '一般' },
  { value: 'medium', text: '较急' },
  { value: 'high', text: '紧急' },
]

export const NEED_STATUSES: { value: string; text: string }[] = [
  { value: 'submitted', text: '待受理' },
  { value: 'triaged', text: '已受理' },
  { value: 'rejected', text: '不予受理' },
  { value: 'in_progress', text: '服务中' },
  { value: 'served', text: '已服务' },
  { value: 'closed', text: '已关闭' },
]

export function needStatusTag(status: string): 'primary' | 'success' | 'warning' | 'danger' | 'default' {
  switch (status) {
    case 'submitted': return 'warning'
    case 'triaged': return 'primary'
    case 'in_progress': return 'primary'
    case 'served': return 'success'
    case 'rejected': return 'danger'
    default: return 'default'
  }
}

export function urgencyTag(urgency: string): 'danger' | 'warning' | 'default' {
  return urgency === 'high' ? 'danger' : urgency === 'medium' ? 'warning' : 'default'
}

export interface NeedEvent {
  id: number
  from_status: string
  to_status: string
  to_status_label: string
  actor: { id: number; name: string } | null
  note: string
  project: number | null
  created_at: string
}

export interface NeedPhoto {
  id: number
  url: string
  size: number
  content_type: string
}

export interface Need {
  id: number
  region: string
  region_name: string
  category: string
  category_label: string
  description: string
  address: string
  urgency: string
  urgency_label: string
  status: string
  status_label: string
  reject_reason: string
  project: { id: number; title: string; status: string } | null
  reporter: { id: number; name: string; phone_masked: string }
  created_at: string
  triaged_at: string | null
  served_at: string | null
  closed_at: string | null
  photo_count: number | null
}

export interface NeedDetail extends Need {
  photos: NeedPhoto[]
  events: NeedEvent[]
  rateable_shifts: { id: number; starts_at: string; ends_at: string; my_rating: number | null }[]
}

export interface NeedStats {
  region: string
  region_name: string
  total: number
  statuses: { status: string; label: string }[]
  by_status: Record<string, number>
  by_category: { category: string; label: string; total: number; statuses: Record<string, number> }[]
  by_region: { region: string; name: string; total: number; open: number; served: number }[]
}

export interface AttendedShift {
  id: number
  shift: { id: number; starts_at: string; ends_at: string; project: { id: number; title: string; organization: string } }
  checked_in_at: string
  checked_out_at: string | null
  feedback: { id: number; rating: number; comment: string } | null
}

export interface FeedbackShift {
  id: number
  starts_at: string
  ends_at: string
  capacity: number
  confirmed_count: number
  project: { id: number; title: string; organization: string }
  service_rating: number | null
}

export interface RatingsSheet {
  shift: { id: number; starts_at: string; ends_at: string; project: { id: number; title: string; organization: string } }
  volunteers: {
    signup_id: number
    volunteer: { id: number; name: string; volunteer_number: string | null }
    attended: boolean
    record: { id: number; hours: string; status: string; quality_rating: number | null; is_final: boolean } | null
    activity_feedback: { rating: number; comment: string } | null
  }[]
  service_feedback: {
    id: number
    rating: number
    comment: string
    on_behalf: boolean
    served_person_name: string
    rated_by: { id: number; name: string }
    created_at: string
  }[]
  averages: { quality: number | null; activity: number | null; service: number | null }
}
