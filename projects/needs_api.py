"""REST endpoints for resident needs (居民需求): ``/api/v1/needs/`` and its actions."""

from __future__ import annotations

from django.http import FileResponse, Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Region
from config.exceptions import DomainError
from config.pagination import paginated_response
from organizations.models import Organization
from projects import feedback, needs
from projects.models import Need, NeedEvent, NeedPhoto

# --- serializers -------------------------------------------------------------------------


class NeedPhotoSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = NeedPhoto
        fields = ["id", "url", "size", "content_type", "created_at"]

    def get_url(self, photo: NeedPhoto) -> str:
        return f"/api/v1/needs/{photo.need_id}/photos/{photo.id}/"


class NeedEventSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()
    to_status_label = serializers.SerializerMethodField()

    class Meta:
        model = NeedEvent
        fields = ["id", "from_status", "to_status", "to_status_label", "actor", "note", "project", "created_at"]

    def get_actor(self, event: NeedEvent) -> dict | None:
        # The resident sees who handled their need by name only (no phone).
        return {"id": event.actor.id, "name": event.actor.name} if event.actor else None

    def get_to_status_label(self, event: NeedEvent) -> str:
        return Need.Status(event.to_status).label


class NeedSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region_id", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    category_label = serializers.CharField(source="get_category_display", read_only=True)
    urgency_label = serializers.CharField(source="get_urgency_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    reporter = serializers.SerializerMethodField()
    project = serializers.SerializerMethodField()
    photo_count = serializers.IntegerField(read_only=True, default=None)

    class Meta:
        model = Need
        fields = ["id", "region", "region_name", "category", "category_label", "description", "address", "lat",
                  "lng", "urgency", "urgency_label", "status", "status_label", "reject_reason", "project",
                  "reporter", "created_at", "triaged_at", "served_at", "closed_at", "photo_count"]

    def get_reporter(self, need: Need) -> dict:
        r = need.reporter
        return {"id": r.id, "name": r.name, "phone_masked": r.phone_masked}

    def get_project(self, need: Need) -> dict | None:
        p = need.project
        return {"id": p.id, "title": p.title, "status": p.status} if p else None


class RateableShiftSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    my_rating = serializers.IntegerField(allow_null=True)


class NeedDetailSerializer(NeedSerializer):
    photos = NeedPhotoSerializer(many=True, read_only=True)
    events = NeedEventSerializer(many=True, read_only=True)
    rateable_shifts = serializers.SerializerMethodField()

    class Meta(NeedSerializer.Meta):
        fields = [*NeedSerializer.Meta.fields, "photos", "events", "rateable_shifts"]

    def get_rateable_shifts(self, need: Need) -> list[dict]:
        """For the reporter of a need taken up by a project: the project's ended shifts,
        each with the rating they gave (the service rating, 服务对象评价)."""
        user = self.context.get("user")
        if not user or user.id != need.reporter_id or not need.project_id:
            return []
        shifts = feedback.rateable_shifts_for_reporter(user=user, project_id=need.project_id)
        return RateableShiftSerializer(shifts, many=True).data


class RegionCodeField(serializers.SlugRelatedField):
    """A region by its code. A code with a NUL byte is refused before the lookup:
    PostgreSQL rejects such text with an error (a 500) instead of finding nothing."""

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("does_not_exist", slug_name=self.slug_field, value=data)
        return super().to_internal_value(data)


class NeedCreateSerializer(serializers.Serializer):
    region = RegionCodeField(slug_field="code", queryset=Region.objects.all())
    category = serializers.ChoiceField(choices=Need.Category.choices)
    description = serializers.CharField(max_length=2000)
    address = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    lat = serializers.DecimalField(max_digits=9, decimal_places=6, min_value=-90, max_value=90, required=False,
                                   allow_null=True, default=None)
    lng = serializers.DecimalField(max_digits=9, decimal_places=6, min_value=-180, max_value=180, required=False,
                                   allow_null=True, default=None)
    urgency = serializers.ChoiceField(choices=Need.Urgency.choices, required=False, default=Need.Urgency.LOW)
    # Checked by the service (decoded, sized, counted); here only "a file".
    photos = serializers.ListField(child=serializers.FileField(allow_empty_file=False), required=False,
                                   default=list, max_length=20)


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class NeedRejectSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class NeedLinkSerializer(serializers.Serializer):
    project = serializers.IntegerField(min_value=1)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class NeedCreateProjectSerializer(serializers.Serializer):
    organization = serializers.PrimaryKeyRelatedField(queryset=Organization.objects.all())
    title = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


class NeedStatsSerializer(serializers.Serializer):
    region = serializers.CharField()
    region_name = serializers.CharField()
    total = serializers.IntegerField()
    statuses = serializers.ListField(child=serializers.DictField())
    by_status = serializers.DictField(child=serializers.IntegerField())
    by_category = serializers.ListField(child=serializers.DictField())
    by_region = serializers.ListField(child=serializers.DictField(), help_text="child regions with needs")


# --- views ----------------------------------------------------------------------------

def _region_param(raw: str | None) -> str | None:
    # PostgreSQL errors on a NUL byte in text instead of matching nothing.
    if raw and "\x00" in raw:
        raise DomainError("invalid", "region 取值无效", fields={"region": ["取值无效"]})
    return raw or None


def _choice(raw: str | None, choices, field: str) -> str | None:
    if raw and raw not in choices:
        raise DomainError("invalid", f"{field} 取值无效", fields={field: ["取值无效"]})
    return raw or None


def _detail(request, need: Need) -> Response:
    need = (Need.objects.select_related("region", "reporter", "project")
            .prefetch_related("photos", "events__actor").get(id=need.id))
    return Response(NeedDetailSerializer(need, context={"user": request.user}).data)


class NeedListApi(APIView):
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(parameters=[OpenApiParameter(n, str) for n in ("mine", "region", "category", "status",
                                                                    "urgency")],
                   responses=NeedSerializer(many=True),
                   summary="居民需求列表（居民：我的；工作人员：辖区；社工：所在区域已受理的）")
    def get(self, request):
        q = request.query_params
        qs = needs.need_list(
            user=request.user, mine=q.get("mine") in ("1", "true"), region=_region_param(q.get("region")),
            category=_choice(q.get("category"), Need.Category.values, "category"),
            status=_choice(q.get("status"), Need.Status.values, "status"),
            urgency=_choice(q.get("urgency"), Need.Urgency.values, "urgency"))
        return paginated_response(self, request, qs, NeedSerializer)

    @extend_schema(request=NeedCreateSerializer, responses={201: NeedDetailSerializer},
                   summary="提交居民需求（可附照片，multipart 字段 photos）")
    def post(self, request):
        data = NeedCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        need = needs.need_create(reporter=request.user, **data.validated_data)
        response = _detail(request, need)
        response.status_code = status.HTTP_201_CREATED
        return response


class NeedStatsApi(APIView):
    @extend_schema(parameters=[OpenApiParameter("region", str)], responses=NeedStatsSerializer,
                   summary="居民需求统计（类别 × 状态）")
    def get(self, request):
        return Response(needs.need_stats(user=request.user, region=_region_param(request.query_params.get("region"))))


class NeedDetailApi(APIView):
    @extend_schema(responses=NeedDetailSerializer, summary="需求详情（含处理进度）")
    def get(self, request, pk: int):
        return _detail(request, needs.need_visible(user=request.user, need_id=pk))


class NeedPhotoApi(APIView):
    @extend_schema(responses={(200, "image/*"): bytes}, summary="需求照片")
    def get(self, request, pk: int, photo_id: int):
        photo = needs.need_photo_for_viewer(user=request.user, need_id=pk, photo_id=photo_id)
        try:
            stream = photo.image.open("rb")
        except FileNotFoundError:  # the row outlived its file (storage restored from an older copy)
            raise Http404 from None
        response = FileResponse(stream, content_type=photo.content_type)
        response["Cache-Control"] = "private, max-age=3600"
        response["X-Content-Type-Options"] = "nosniff"
        return response


class NeedAcceptApi(APIView):
    @extend_schema(request=NoteSerializer, responses=NeedDetailSerializer, summary="受理需求（社区及以上工作人员）")
    def post(self, request, pk: int):
        need = needs.need_for_triage(user=request.user, need_id=pk)
        data = NoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return _detail(request, needs.need_accept(user=request.user, need=need, **data.validated_data))


class NeedRejectApi(APIView):
    @extend_schema(request=NeedRejectSerializer, responses=NeedDetailSerializer, summary="不予受理（须说明原因）")
    def post(self, request, pk: int):
        need = needs.need_for_triage(user=request.user, need_id=pk)
        data = NeedRejectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return _detail(request, needs.need_reject(user=request.user, need=need, **data.validated_data))


class NeedLinkProjectApi(APIView):
    @extend_schema(request=NeedLinkSerializer, responses=NeedDetailSerializer, summary="关联已有项目（社工）")
    def post(self, request, pk: int):
        need = needs.need_for_worker(user=request.user, need_id=pk)
        data = NeedLinkSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        need = needs.need_link_project(user=request.user, need=need, project_id=data.validated_data["project"],
                                       note=data.validated_data["note"])
        return _detail(request, need)


class NeedCreateProjectApi(APIView):
    @extend_schema(request=NeedCreateProjectSerializer, responses={201: NeedDetailSerializer},
                   summary="据需求创建项目草稿并关联（社工）")
    def post(self, request, pk: int):
        need = needs.need_for_worker(user=request.user, need_id=pk)
        data = NeedCreateProjectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        need, _project = needs.need_create_project(user=request.user, need=need, **data.validated_data)
        response = _detail(request, need)
        response.status_code = status.HTTP_201_CREATED
        return response


class NeedServeApi(APIView):
    @extend_schema(request=NoteSerializer, responses=NeedDetailSerializer, summary="标记为已服务（项目社工）")
    def post(self, request, pk: int):
        need = needs.need_visible(user=request.user, need_id=pk)
        data = NoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return _detail(request, needs.need_mark_served(user=request.user, need=need, **data.validated_data))


class NeedCloseApi(APIView):
    @extend_schema(request=NoteSerializer, responses=NeedDetailSerializer,
                   summary="关闭需求（居民确认已服务，或撤回未开始的需求）")
    def post(self, request, pk: int):
        need = needs.need_visible(user=request.user, need_id=pk)
        data = NoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return _detail(request, needs.need_close(user=request.user, need=need, **data.validated_data))

