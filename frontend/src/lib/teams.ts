// Teams (志愿服务队), matching and invitations: types and labels shared by the phone and console pages.
import type { Ref as NamedRef } from './types'

export interface Team {
  id: number
  name: string
  description: string
  organization: NamedRef
  leader: NamedRef
  member_count: number
  pending_count: number | null
  created_at: string
  my_membership: { id: number; status: 'pending' | 'active' } | null
  can_manage: boolean
  members?: TeamMembership[] | null
}

export interface TeamMembership {
  id: number
  team: NamedRef
  volunteer: { id: number; name: string; phone_masked?: string; volunteer_number?: string | null }
  status: 'pending' | 'active' | 'declined' | 'left' | 'removed'
  via: 'application' | 'invite_code'
  message: string
  created_at: string
  joined_at: string | null
  /** When an active or pending membership ended (left, or removed by the leader). */
  left_at?: string | null
  removal_reason?: string
}

export interface Recommendation {
  score: number
  reasons: string[]
  distance_km: number | null
  shift: { id: number; starts_at: string; ends_at: string; seats_left: number; capacity: number }
  project: { id: number; title: string; address: string; organization: NamedRef; team: NamedRef | null; members_first_until: string | null }
}

export interface Match {
  score: number
  reasons: string[]
  distance_km: number | null
  volunteer: { id: number; name: string; phone_masked: string; volunteer_number: string | null }
  invitation: { id: number; state: InvitationState } | null
}

export type InvitationState = 'open' | 'accepted' | 'declined' | 'expired'

export interface Invitation {
  id: number
  state: InvitationState
  reasons: string[]
  expires_at: string
  shift: { id: number; starts_at: string; ends_at: string; project: { id: number; title: string; address: string } }
  invited_by: NamedRef
  signup: { id: number; status: string; waitlist_position: number | null } | null
}

export interface SentInvitation {
  id: number
  state: InvitationState
  volunteer: NamedRef
  created_at: string
  signup_status: string | null
}

export interface BulkResult {
  volunteer_id: number
  status: 'confirmed' | 'waitlisted' | 'pending' | 'error'
  code: string | null
  detail: string
  signup_id: number | null
  waitlist_position: number | null
}

export const MEMBERSHIP_TEXT: Record<string, string> = {
  pending: '申请审核中',
  active: '队员',
  declined: '未通过',
  left: '已退出',
}

export const INVITATION_TEXT: Record<InvitationState, string> = {
  open: '待回复',
  accepted: '已接受',
  declined: '已婉拒',
  expired: '已过期',
}
