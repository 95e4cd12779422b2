export interface Paginated<T> {
  count: number
  next: string | null
  previous: string | null
  results: T[]
  /** Notifications list: the user's total unread count. */
  unread?: number
}

export interface Region {
  code: string
  name: string
}

export interface Membership {
  id: number
  name: string
  role: string
}

export interface Me {
  id: number
  phone: string
  name: string
  roles: string[]
  region: Region | null
  organizations: Membership[]
}

export interface Ref {
  id: number
  name: string
}

export interface Project {
  id: number
  title: string
  description: string
  organization: Ref
  owner: Ref
  region: string
  region_name: string
  address: string
  lat: number | string | null
  lng: number | string | null
  status: 'draft' | 'published' | string
  skills: string[]
  created_at: string
  upcoming_shift_count: number
  /** The team that carries the project; before `members_first_until` only its members sign up. */
  team?: Ref | null
  members_first_until?: string | null
}

export type SignupStatus = 'confirmed' | 'waitlisted' | 'pending' | 'cancelled' | string

export interface MySignup {
  id: number
  status: SignupStatus
  waitlist_position: number | null
}

export interface Shift {
  id: number
  project: number
  starts_at: string
  ends_at: string
  capacity: number
  confirmed_count: number
  waitlisted_count: number
  seats_left: number
  my_signup: MySignup | null
}

export interface Attendance {
  checked_in_at: string | null
  checked_out_at: string | null
}

export interface Signup {
  id: number
  status: SignupStatus
  waitlist_position: number | null
  created_at: string
  shift: {
    id: number
    starts_at: string
    ends_at: string
    project: { id: number; title: string; address: string }
  }
  attendance: Attendance | null
}

export interface RosterEntry {
  id: number
  status: SignupStatus
  waitlist_position: number | null
  volunteer: { id: number; name: string; phone_masked: string }
  attendance: Attendance | null
}

export interface Roster {
  shift: Partial<Shift> & { id: number; starts_at: string; ends_at: string }
  signups: RosterEntry[]
}

export interface CheckinCode {
  code: string
  expires_at: string
  refresh_after?: number
}

export interface AttendanceResult {
  id: number
  signup: number
  checked_in_at: string | null
  checked_out_at: string | null
}

export interface ServiceRecord {
  id: number
  volunteer: { id: number; name: string; volunteer_number: string }
  project: { id: number; title: string }
  shift: { id: number; starts_at: string; ends_at: string }
  hours: string
  status: 'pending' | 'approved' | 'rejected' | string
  reviewed_by: Ref | null
  reviewed_at: string | null
  reject_reason: string
  created_at: string
}

export interface Summary {
  approved_hours: string
  pending_hours: string
  star_level: number
  next_level_hours: string | null
}

export interface Notification {
  id: number
  kind: string
  title: string
  body: string
  data: Record<string, unknown> | null
  created_at: string
  read_at: string | null
}
