from django.urls import path

from volunteers.teams import api

urlpatterns = [
    path("teams/", api.TeamListApi.as_view(), name="teams"),
    path("teams/join/", api.TeamJoinApi.as_view(), name="team-join"),
    path("teams/<int:pk>/", api.TeamDetailApi.as_view(), name="team"),
    path("teams/<int:pk>/apply/", api.TeamApplyApi.as_view(), name="team-apply"),
    path("teams/<int:pk>/leave/", api.TeamLeaveApi.as_view(), name="team-leave"),
    path("teams/<int:pk>/invite-code/", api.TeamInviteCodeApi.as_view(), name="team-invite-code"),
    path("teams/<int:pk>/members/", api.TeamMembersApi.as_view(), name="team-members"),
    path("team-memberships/<int:pk>/accept/", api.TeamMembershipAcceptApi.as_view(), name="team-membership-accept"),
    path("team-memberships/<int:pk>/decline/", api.TeamMembershipDeclineApi.as_view(),
         name="team-membership-decline"),
    path("team-memberships/<int:pk>/remove/", api.TeamMembershipRemoveApi.as_view(), name="team-membership-remove"),
]
