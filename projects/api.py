from __future__ import annotations

from django.http import HttpResponse
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from config.exceptions import DomainError
from config.pagination import PageNumberPagination, paginated_response
from projects import calendar, matching, recurrence, selectors
from projects.checkin import checkin_code_for
from projects.serializers import (
    AttendanceRequestSerializer,
    AttendanceSerializer,
    BulkSignupResponseSerializer,
    BulkSignupResultSerializer,
    BulkSignupSerializer,
    CalendarFeedSerializer,
    CheckinCodeSerializer,
    InvitationCreateSerializer,
    InvitationSentSerializer,
    InvitationSerializer,
    MatchSerializer,
    OptionalReasonSerializer,
    ProjectCreateSerializer,
    ProjectSerializer,
    ProjectTeamSerializer,
    ReasonSerializer,
    RecommendationSerializer,
    RosterEntrySerializer,
    ShiftCreateSerializer,
    ShiftRuleSerializer,
    ShiftSerializer,
    ShiftUpdateSerializer,
    SignupCreatedSerializer,
    SignupSerializer,
)
from projects.services.attendance import attendance_check_in, attendance_check_out
from projects.services.invitations import invitation_accept, invitation_decline, shift_invitations_create
from projects.services.projects import (
    project_cancel,
    project_close,
    project_create,
    project_publish,
    project_reject,
    project_submit,
    project_team_set,
)
from projects.services.shifts import shift_create, shift_update
from projects.services.signups import signup_accept, signup_bulk_create, signup_cancel, signup_create, signup_decline


def _near(raw: str | None) -> tuple[float, float] | None:
    if not raw:
        return None
    try:
        lat, lng = (float(part) for part in raw.split(","))
    except ValueError:
        raise DomainError("invalid", "near 的格式应为 纬度,经度",
                          fields={"near": ["格式应为 纬度,经度"]}) from None
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise DomainError("invalid", "坐标超出范围", fields={"near": ["坐标超出范围"]})
    return lat, lng


def _datetime(raw: str | None, field: str):
    if not raw:
        return None
    value = parse_datetime(raw)
    if value is None:
        raise DomainError("invalid", f"{field} 不是有效的时间", fields={field: ["不是有效的 ISO 8601 时间"]})
    return value


class ProjectListApi(APIView):
    def get_permissions(self):
        return [AllowAny()] if self.request.method == "GET" else super().get_permissions()

    @extend_schema(
        parameters=[OpenApiParameter(name, str) for name in
                    ("region", "near", "skill", "target", "status", "starts_after", "mine", "review")],
        responses=ProjectSerializer(many=True),
        summary="服务项目列表（review=1：等待我审核的项目，其他筛选不适用）")
    def get(self, request):
        q = request.query_params
        if q.get("review") in ("1", "true"):
            # Not a reviewer (or anonymous) is an empty queue, not an error: the console
            # page asks for it whoever is signed in.
            return paginated_response(self, request, selectors.project_review_queue(user=request.user),
                                      ProjectSerializer)
        mine = q.get("mine") in ("1", "true") and request.user.is_authenticated
        qs = selectors.project_list(
            user=request.user, region=q.get("region"), near=_near(q.get("near")),
            skill=q.get("skill"), target=q.get("target"), status=q.get("status"),
            starts_after=_datetime(q.get("starts_after"), "starts_after"), mine=mine,
        )
        return paginated_response(self, request, qs, ProjectSerializer)

    @extend_schema(request=ProjectCreateSerializer, responses={201: ProjectSerializer},
                   summary="创建服务项目（社工）")
    def post(self, request):
        data = ProjectCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        project = project_create(user=request.user, **data.validated_data)
        return Response(ProjectSerializer(project).data, status=status.HTTP_201_CREATED)


class ProjectRecommendedApi(APIView):
    @extend_schema(responses=RecommendationSerializer(many=True), summary="为我推荐的班次（含匹配原因）")
    def get(self, request):
        items = matching.shift_recommendations(user=request.user)
        return paginated_response(self, request, items, RecommendationSerializer)


class ProjectDetailApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=ProjectSerializer, summary="服务项目详情")
    def get(self, request, pk: int):
        return Response(ProjectSerializer(selectors.project_visible(user=request.user, project_id=pk)).data)


class ProjectPublishApi(APIView):
    @extend_schema(request=None, responses=ProjectSerializer,
                   summary="发布服务项目（审核人直接发布；其他管理者提交审核）")
    def post(self, request, pk: int):
        project = selectors.project_for_publisher(user=request.user, project_id=pk)
        return Response(ProjectSerializer(project_publish(user=request.user, project=project)).data)


class ProjectSubmitApi(APIView):
    @extend_schema(request=None, responses=ProjectSerializer, summary="提交项目审核")
    def post(self, request, pk: int):
        project = selectors.project_for_manager(user=request.user, project_id=pk)
        return Response(ProjectSerializer(project_submit(user=request.user, project=project)).data)


class ProjectRejectApi(APIView):
    @extend_schema(request=ReasonSerializer, responses=ProjectSerializer, summary="退回项目（审核人）")
    def post(self, request, pk: int):
        project = selectors.project_for_reviewer(user=request.user, project_id=pk)
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        project = project_reject(user=request.user, project=project, **data.validated_data)
        return Response(ProjectSerializer(project).data)


class ProjectCloseApi(APIView):
    @extend_schema(request=None, responses=ProjectSerializer, summary="结束项目")
    def post(self, request, pk: int):
        project = selectors.project_for_manager(user=request.user, project_id=pk)
        return Response(ProjectSerializer(project_close(project=project)).data)


class ProjectCancelApi(APIView):
    @extend_schema(request=ReasonSerializer, responses=ProjectSerializer,
                   summary="取消项目（通知并取消所有报名）")
    def post(self, request, pk: int):
        project = selectors.project_for_manager(user=request.user, project_id=pk)
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(ProjectSerializer(project_cancel(project=project, **data.validated_data)).data)


class ProjectShiftRulesApi(APIView):
    @extend_schema(responses=ShiftRuleSerializer(many=True), summary="项目的每周重复规则")
    def get(self, request, pk: int):
        project = selectors.project_for_manager(user=request.user, project_id=pk)
        return Response(ShiftRuleSerializer(project.shift_rules.order_by("id"), many=True).data)

    @extend_schema(request=ShiftRuleSerializer, responses={201: ShiftRuleSerializer},
                   summary="新增每周重复规则（并生成近期班次）")
    def post(self, request, pk: int):
        project = selectors.project_for_manager(user=request.user, project_id=pk)
        data = ShiftRuleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rule = recurrence.shift_rule_create(user=request.user, project=project, **data.validated_data)
        return Response(ShiftRuleSerializer(rule).data, status=status.HTTP_201_CREATED)


class ProjectShiftsApi(APIView):
    def get_permissions(self):
        return [AllowAny()] if self.request.method == "GET" else super().get_permissions()

    @extend_schema(parameters=[OpenApiParameter("when", str, enum=["upcoming", "past", "all"])],
                   responses=ShiftSerializer(many=True), summary="项目的班次")
    def get(self, request, pk: int):
        project = selectors.project_visible(user=request.user, project_id=pk)
        when = request.query_params.get("when", "upcoming")
        if when not in ("upcoming", "past", "all"):
            raise DomainError("invalid", "when 只能是 upcoming、past 或 all", fields={"when": ["取值无效"]})
        paginator = PageNumberPagination()
        qs = selectors.shift_list(user=request.user, project=project, when=when)
        page = paginator.paginate_queryset(qs, request, view=self)
        mine = selectors.my_signups_by_shift(user=request.user, shift_ids=[s.id for s in page])
        data = ShiftSerializer(page, many=True, context={"my_signups": mine}).data
        return paginator.get_paginated_response(data)

    @extend_schema(request=ShiftCreateSerializer, responses={201: ShiftSerializer}, summary="新增班次")
    def post(self, request, pk: int):
        project = selectors.project_for_manager(user=request.user, project_id=pk)
        data = ShiftCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        shift = shift_create(project=project, **data.validated_data)
        return Response(ShiftSerializer(shift).data, status=status.HTTP_201_CREATED)


class ShiftDetailApi(APIView):
    @extend_schema(responses=ShiftSerializer, summary="班次详情（社工）")
    def get(self, request, pk: int):
        return Response(ShiftSerializer(selectors.shift_for_manager(user=request.user, shift_id=pk)).data)

    @extend_schema(request=ShiftUpdateSerializer, responses=ShiftSerializer,
                   summary="修改班次（时间、地点、名额；变动通知已报名者）")
    def patch(self, request, pk: int):
        shift = selectors.shift_for_manager(user=request.user, shift_id=pk)
        data = ShiftUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        move = changes.pop("move_to_waitlist", None)
        shift = shift_update(shift=shift, changes=changes, move_to_waitlist=move)
        return Response(ShiftSerializer(shift).data)


class ShiftSignupApi(APIView):
    @extend_schema(request=None, responses={201: SignupCreatedSerializer}, summary="报名班次")
    def post(self, request, pk: int):
        signup = signup_create(volunteer=request.user, shift_id=pk)
        return Response(SignupCreatedSerializer(signup).data, status=status.HTTP_201_CREATED)


class SignupListApi(APIView):
    @extend_schema(parameters=[OpenApiParameter("mine", str)], responses=SignupSerializer(many=True),
                   summary="我的报名")
    def get(self, request):
        return paginated_response(self, request, selectors.signup_list_mine(user=request.user), SignupSerializer)


class SignupCancelApi(APIView):
    @extend_schema(request=None, responses=SignupSerializer, summary="取消报名")
    def post(self, request, pk: int):
        signup = signup_cancel(user=request.user, signup_id=pk)
        return Response(SignupSerializer(signup).data)


class SignupAcceptApi(APIView):
    @extend_schema(request=None, responses=SignupSerializer, summary="通过报名（需审核的项目）")
    def post(self, request, pk: int):
        signup = selectors.signup_for_manager(user=request.user, signup_id=pk)
        return Response(SignupSerializer(signup_accept(user=request.user, signup=signup)).data)


class SignupDeclineApi(APIView):
    @extend_schema(request=OptionalReasonSerializer, responses=SignupSerializer,
                   summary="不通过报名（需审核的项目）")
    def post(self, request, pk: int):
        signup = selectors.signup_for_manager(user=request.user, signup_id=pk)
        data = OptionalReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        signup = signup_decline(user=request.user, signup=signup, **data.validated_data)
        return Response(SignupSerializer(signup).data)


class ShiftRosterApi(APIView):
    @extend_schema(responses=RosterEntrySerializer(many=True), summary="班次花名册（社工）")
    def get(self, request, pk: int):
        shift = selectors.shift_for_manager(user=request.user, shift_id=pk)
        entries = RosterEntrySerializer(selectors.roster(shift=shift), many=True).data
        return Response({"shift": ShiftSerializer(shift).data, "signups": entries})


class ShiftCheckinCodeApi(APIView):
    @extend_schema(responses=CheckinCodeSerializer, summary="现场签到二维码（轮换）")
    def get(self, request, pk: int):
        shift = selectors.shift_for_manager(user=request.user, shift_id=pk)
        code = checkin_code_for(shift_id=shift.id)
        return Response(CheckinCodeSerializer(code).data)


class CheckInApi(APIView):
    @extend_schema(request=AttendanceRequestSerializer, responses={201: AttendanceSerializer},
                   summary="扫码签到")
    def post(self, request):
        data = AttendanceRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        attendance = attendance_check_in(volunteer=request.user, **data.validated_data)
        return Response(AttendanceSerializer(attendance).data, status=status.HTTP_201_CREATED)


class CheckOutApi(APIView):
    @extend_schema(request=AttendanceRequestSerializer, responses=AttendanceSerializer,
                   summary="扫码签退")
    def post(self, request):
        data = AttendanceRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        attendance = attendance_check_out(volunteer=request.user,
                                                   code=data.validated_data["code"])
        return Response(AttendanceSerializer(attendance).data)


def _feed(request, feed) -> dict:
    return {"token": feed.token, "url": request.build_absolute_uri(f"/api/v1/calendar/{feed.token}.ics")}


class CalendarFeedApi(APIView):
    @extend_schema(responses=CalendarFeedSerializer, summary="我的日历订阅地址（私密）")
    def get(self, request):
        return Response(CalendarFeedSerializer(_feed(request, calendar.calendar_feed_get_or_create(
            user=request.user))).data)


class CalendarFeedResetApi(APIView):
    @extend_schema(request=None, responses=CalendarFeedSerializer, summary="重置日历订阅地址")
    def post(self, request):
        return Response(CalendarFeedSerializer(_feed(request, calendar.calendar_feed_reset(
            user=request.user))).data)


class CalendarIcsApi(APIView):
    """The feed itself: the secret in the URL is the only credential (calendar apps
    cannot log in)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(responses={(200, "text/calendar"): str}, summary="日历订阅（iCal）")
    def get(self, request, token: str):
        body = calendar.calendar_render(token=token, host=request.get_host().split(":")[0])
        response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
        response["Cache-Control"] = "private, max-age=300"
        return response


class ProjectTeamApi(APIView):
    @extend_schema(request=ProjectTeamSerializer, responses=ProjectSerializer,
                   summary="设置项目的服务队与队员优先报名截止时间")
    def put(self, request, pk: int):
        project = selectors.project_for_manager(user=request.user, project_id=pk)
        data = ProjectTeamSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        project = project_team_set(project=project, team_id=data.validated_data["team"],
                                            members_first_until=data.validated_data["members_first_until"])
        return Response(ProjectSerializer(project).data)


class ShiftTeamSignupsApi(APIView):
    @extend_schema(request=BulkSignupSerializer, responses=BulkSignupResponseSerializer,
                   summary="队长为多名队员报名（逐人返回结果）")
    def post(self, request, pk: int):
        from volunteers.teams.selectors import team_for_leader

        data = BulkSignupSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        team = team_for_leader(user=request.user, team_id=data.validated_data["team"])
        results = signup_bulk_create(leader=request.user, team=team, shift_id=pk,
                                              volunteer_ids=data.validated_data["volunteer_ids"])
        return Response({"results": BulkSignupResultSerializer(results, many=True).data})


class ShiftMatchesApi(APIView):
    @extend_schema(responses=MatchSerializer(many=True), summary="为班次匹配的志愿者（含匹配原因）")
    def get(self, request, pk: int):
        shift = selectors.shift_for_manager(user=request.user, shift_id=pk)
        return paginated_response(self, request, matching.shift_matches(shift=shift), MatchSerializer)


class ShiftInvitationsApi(APIView):
    @extend_schema(responses=InvitationSentSerializer(many=True), summary="班次已发出的邀请")
    def get(self, request, pk: int):
        shift = selectors.shift_for_manager(user=request.user, shift_id=pk)
        return paginated_response(self, request, selectors.shift_invitations(shift=shift), InvitationSentSerializer)

    @extend_schema(request=InvitationCreateSerializer, responses={201: InvitationSentSerializer(many=True)},
                   summary="邀请匹配的志愿者（以通知送达，一键接受）")
    def post(self, request, pk: int):
        shift = selectors.shift_for_manager(user=request.user, shift_id=pk)
        data = InvitationCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ids = data.validated_data["volunteer_ids"]
        # The reasons the inviter saw travel with the invitation.
        reasons = {m["volunteer"].id: m["reasons"] for m in matching.shift_matches(shift=shift, limit=10_000)
                   if m["volunteer"].id in set(ids)}
        invitations = shift_invitations_create(user=request.user, shift=shift, volunteer_ids=ids,
                                                        reasons=reasons)
        return Response(InvitationSentSerializer(invitations, many=True).data, status=status.HTTP_201_CREATED)


class InvitationListApi(APIView):
    @extend_schema(parameters=[OpenApiParameter("state", str, enum=["open"])],
                   responses=InvitationSerializer(many=True), summary="我收到的班次邀请")
    def get(self, request):
        state = request.query_params.get("state")
        if state not in (None, "", "open"):
            raise DomainError("invalid", "state 只能是 open", fields={"state": ["取值无效"]})
        return paginated_response(self, request, selectors.invitation_list_mine(user=request.user, state=state),
                                  InvitationSerializer)


class InvitationAcceptApi(APIView):
    @extend_schema(request=None, responses=InvitationSerializer, summary="接受邀请（按报名规则报名）")
    def post(self, request, pk: int):
        return Response(InvitationSerializer(invitation_accept(user=request.user, invitation_id=pk)).data)


class InvitationDeclineApi(APIView):
    @extend_schema(request=None, responses=InvitationSerializer, summary="婉拒邀请")
    def post(self, request, pk: int):
        return Response(InvitationSerializer(invitation_decline(user=request.user, invitation_id=pk)).data)
