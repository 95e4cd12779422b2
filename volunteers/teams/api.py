"""Team endpoints: ``GET|POST /api/v1/teams/`` (contract), detail, apply, join by code,
invite code, members and applications, the leader's decisions, leaving."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from config.exceptions import DomainError
from config.pagination import PageNumberPagination, paginated_response
from projects.serializers import OptionalReasonSerializer, ReasonSerializer
from volunteers.models import TeamMembership
from volunteers.teams import selectors, services
from volunteers.teams.serializers import (
    InviteCodeSerializer,
    TeamApplySerializer,
    TeamCreateSerializer,
    TeamDetailSerializer,
    TeamJoinSerializer,
    TeamMembershipSerializer,
    TeamSerializer,
)


def _context(user, teams) -> dict:
    ids = [t.id for t in teams]
    return {"my_memberships": selectors.my_memberships_by_team(user=user, team_ids=ids),
            "managed_ids": selectors.managed_team_ids(user=user, teams=teams)}


class TeamListApi(APIView):
    @extend_schema(parameters=[OpenApiParameter("mine", str), OpenApiParameter("organization", int),
                               OpenApiParameter("q", str)],
                   responses=TeamSerializer(many=True), summary="志愿服务队列表")
    def get(self, request):
        q = request.query_params
        organization = q.get("organization")
        if organization and not organization.isdigit():
            raise DomainError("invalid", "organization 须为组织编号", fields={"organization": ["须为整数"]})
        qs = selectors.team_list(user=request.user, mine=q.get("mine") in ("1", "true"),
                                 organization_id=int(organization) if organization else None, q=q.get("q"))
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(TeamSerializer(page, many=True,
                                                               context=_context(request.user, page)).data)

    @extend_schema(request=TeamCreateSerializer, responses={201: TeamSerializer}, summary="组建志愿服务队（社工）")
    def post(self, request):
        data = TeamCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        team = services.team_create(user=request.user, **data.validated_data)
        team = selectors.team_visible(team_id=team.id)
        return Response(TeamSerializer(team, context=_context(request.user, [team])).data,
                        status=status.HTTP_201_CREATED)


class TeamDetailApi(APIView):
    @extend_schema(responses=TeamDetailSerializer, summary="服务队详情（队员与队长可见成员）")
    def get(self, request, pk: int):
        team = selectors.team_visible(team_id=pk)
        context = _context(request.user, [team])
        mine = context["my_memberships"].get(team.id)
        if team.id in context["managed_ids"] or (mine and mine.status == TeamMembership.Status.ACTIVE):
            context["members"] = selectors.team_members(team=team)
        return Response(TeamDetailSerializer(team, context=context).data)


class TeamApplyApi(APIView):
    @extend_schema(request=TeamApplySerializer, responses={201: TeamMembershipSerializer}, summary="申请加入服务队")
    def post(self, request, pk: int):
        team = selectors.team_visible(team_id=pk)
        data = TeamApplySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = services.team_apply(volunteer=request.user, team=team, **data.validated_data)
        return Response(TeamMembershipSerializer(membership).data, status=status.HTTP_201_CREATED)


class TeamJoinApi(APIView):
    @extend_schema(request=TeamJoinSerializer, responses={201: TeamMembershipSerializer}, summary="凭邀请码加入服务队")
    def post(self, request):
        data = TeamJoinSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = services.team_join_by_code(volunteer=request.user, code=data.validated_data["invite_code"])
        return Response(TeamMembershipSerializer(membership).data, status=status.HTTP_201_CREATED)


class TeamLeaveApi(APIView):
    @extend_schema(request=None, responses=TeamMembershipSerializer, summary="退出服务队（或撤回申请）")
    def post(self, request, pk: int):
        team = selectors.team_visible(team_id=pk)
        return Response(TeamMembershipSerializer(services.team_leave(volunteer=request.user, team=team)).data)


class TeamInviteCodeApi(APIView):
    @extend_schema(responses=InviteCodeSerializer, summary="服务队邀请码（队长）")
    def get(self, request, pk: int):
        return Response(InviteCodeSerializer(selectors.team_for_leader(user=request.user, team_id=pk)).data)

    @extend_schema(request=None, responses=InviteCodeSerializer, summary="重置邀请码（旧码立即失效）")
    def post(self, request, pk: int):
        team = selectors.team_for_leader(user=request.user, team_id=pk)
        return Response(InviteCodeSerializer(services.team_invite_code_reset(team=team)).data)


class TeamMembersApi(APIView):
    LISTED = (TeamMembership.Status.ACTIVE, TeamMembership.Status.PENDING, TeamMembership.Status.REMOVED)

    @extend_schema(parameters=[OpenApiParameter("status", str, enum=["active", "pending", "removed"])],
                   responses=TeamMembershipSerializer(many=True), summary="队员、入队申请或已移出的队员（队长）")
    def get(self, request, pk: int):
        team = selectors.team_for_leader(user=request.user, team_id=pk)
        wanted = request.query_params.get("status", TeamMembership.Status.ACTIVE)
        if wanted not in self.LISTED:
            raise DomainError("invalid", "status 只能是 active、pending 或 removed", fields={"status": ["取值无效"]})
        return paginated_response(self, request, selectors.team_members(team=team, status=wanted),
                                  TeamMembershipSerializer, full=True)


class TeamMembershipAcceptApi(APIView):
    @extend_schema(request=None, responses=TeamMembershipSerializer, summary="通过入队申请（队长）")
    def post(self, request, pk: int):
        membership = selectors.membership_for_leader(user=request.user, membership_id=pk)
        membership = services.team_membership_accept(user=request.user, membership=membership)
        return Response(TeamMembershipSerializer(membership, context={"full": True}).data)


class TeamMembershipDeclineApi(APIView):
    @extend_schema(request=OptionalReasonSerializer, responses=TeamMembershipSerializer,
                   summary="拒绝入队申请（队长）")
    def post(self, request, pk: int):
        membership = selectors.membership_for_leader(user=request.user, membership_id=pk)
        data = OptionalReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = services.team_membership_decline(user=request.user, membership=membership,
                                                      **data.validated_data)
        return Response(TeamMembershipSerializer(membership, context={"full": True}).data)


class TeamMembershipRemoveApi(APIView):
    @extend_schema(request=ReasonSerializer, responses=TeamMembershipSerializer,
                   summary="移出队员（队长或组织管理员，须填写原因）")
    def post(self, request, pk: int):
        membership = selectors.membership_for_leader(user=request.user, membership_id=pk)
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = services.team_membership_remove(user=request.user, membership=membership,
                                                     reason=data.validated_data["reason"])
        return Response(TeamMembershipSerializer(membership, context={"full": True}).data)
