from __future__ import annotations

from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from config.exceptions import DomainError
from config.pagination import PageNumberPagination
from projects import selectors, services
from projects.checkin import checkin_code_for
from projects.serializers import (
    AttendanceRequestSerializer,
    AttendanceSerializer,
    CheckinCodeSerializer,
    ProjectCreateSerializer,
    ProjectSerializer,
    RecommendationSerializer,
    RosterEntrySerializer,
    ShiftCreateSerializer,
    ShiftSerializer,
    SignupCreatedSerializer,
    SignupSerializer,
)


def _paginate(view, request, queryset, serializer_class, **context):
    paginator = PageNumberPagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    data = serializer_class(page, many=True, context={"request": request, **context}).data
    return paginator.get_paginated_response(data)


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
                    ("region", "near", "skill", "target", "status", "starts_after", "mine")],
        responses=ProjectSerializer(many=True), summary="服务项目列表")
    def get(self, request):
        q = request.query_params
        mine = q.get("mine") in ("1", "true") and request.user.is_authenticated
        qs = selectors.project_list(
            user=request.user, region=q.get("region"), near=_near(q.get("near")),
            skill=q.get("skill"), target=q.get("target"), status=q.get("status"),
            starts_after=_datetime(q.get("starts_after"), "starts_after"), mine=mine,
        )
        return _paginate(self, request, qs, ProjectSerializer)

    @extend_schema(request=ProjectCreateSerializer, responses={201: ProjectSerializer},
                   summary="创建服务项目（社工）")
    def post(self, request):
        data = ProjectCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        project = services.project_create(user=request.user, **data.validated_data)
        return Response(ProjectSerializer(project).data, status=status.HTTP_201_CREATED)


class ProjectRecommendedApi(APIView):
    @extend_schema(responses=RecommendationSerializer(many=True), summary="为我推荐的班次（含匹配原因）")
    def get(self, request):
        items = selectors.shift_recommendations(user=request.user)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(items, request, view=self)
        return paginator.get_paginated_response(RecommendationSerializer(page, many=True).data)


class ProjectDetailApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(responses=ProjectSerializer, summary="服务项目详情")
    def get(self, request, pk: int):
        return Response(ProjectSerializer(selectors.project_visible(user=request.user, project_id=pk)).data)


class ProjectPublishApi(APIView):
    @extend_schema(request=None, responses=ProjectSerializer, summary="发布服务项目")
    def post(self, request, pk: int):
        project = selectors.project_for_manager(user=request.user, project_id=pk)
        return Response(ProjectSerializer(services.project_publish(project=project)).data)


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
        shift = services.shift_create(project=project, **data.validated_data)
        return Response(ShiftSerializer(shift).data, status=status.HTTP_201_CREATED)


class ShiftSignupApi(APIView):
    @extend_schema(request=None, responses={201: SignupCreatedSerializer}, summary="报名班次")
    def post(self, request, pk: int):
        signup = services.signup_create(volunteer=request.user, shift_id=pk)
        return Response(SignupCreatedSerializer(signup).data, status=status.HTTP_201_CREATED)


class SignupListApi(APIView):
    @extend_schema(parameters=[OpenApiParameter("mine", str)], responses=SignupSerializer(many=True),
                   summary="我的报名")
    def get(self, request):
        return _paginate(self, request, selectors.signup_list_mine(user=request.user), SignupSerializer)


class SignupCancelApi(APIView):
    @extend_schema(request=None, responses=SignupSerializer, summary="取消报名")
    def post(self, request, pk: int):
        signup = services.signup_cancel(user=request.user, signup_id=pk)
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
        attendance = services.attendance_check_in(volunteer=request.user, **data.validated_data)
        return Response(AttendanceSerializer(attendance).data, status=status.HTTP_201_CREATED)


class CheckOutApi(APIView):
    @extend_schema(request=AttendanceRequestSerializer, responses=AttendanceSerializer,
                   summary="扫码签退")
    def post(self, request):
        data = AttendanceRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        attendance = services.attendance_check_out(volunteer=request.user,
                                                   code=data.validated_data["code"])
        return Response(AttendanceSerializer(attendance).data)
