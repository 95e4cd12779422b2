from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from config.exceptions import Forbidden
from config.pagination import paginated_response
from organizations import selectors, services, stats
from organizations.api.common import ReadPublicly
from organizations.serializers import (
    EventSerializer,
    InspectionCreateSerializer,
    InspectionSerializer,
    OrganizationDetailSerializer,
    OrganizationSerializer,
    OrganizationStatsSerializer,
    PublicOrganizationSerializer,
    StatusChangeSerializer,
    TierChangeSerializer,
)
from organizations.services import excel

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ImportSerializer(serializers.Serializer):
    file = serializers.FileField()
    good_rows_only = serializers.BooleanField(default=False)


class ImportResultSerializer(serializers.Serializer):
    imported = serializers.IntegerField()
    rejected_rows = serializers.IntegerField()
    errors = serializers.ListField(child=serializers.DictField())


LIST_FILTERS = [OpenApiParameter(name, str) for name in (
    "region", "search", "org_type", "registration_status", "authority_level", "tier", "status",
    "party_building", "is_community", "is_brand", "ready_to_register", "domain")]


class OrganizationListApi(APIView):
    permission_classes = [ReadPublicly]

    @extend_schema(parameters=LIST_FILTERS, responses=OrganizationSerializer(many=True),
                   summary="社会组织列表（工作人员：管辖范围内完整信息；其他人：公开信息）")
    def get(self, request):
        qs, full = selectors.organization_list(user=request.user, params=request.query_params)
        serializer = OrganizationSerializer if full else PublicOrganizationSerializer
        return paginated_response(self, request, qs, serializer)

    @extend_schema(request=OrganizationSerializer, responses={201: OrganizationSerializer},
                   summary="新增社会组织（管辖范围内的工作人员）")
    def post(self, request):
        data = OrganizationSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        org = services.organization_create(user=request.user, **data.validated_data)
        return Response(OrganizationSerializer(org).data, status=status.HTTP_201_CREATED)


class OrganizationDetailApi(APIView):
    permission_classes = [ReadPublicly]

    @extend_schema(responses=OrganizationDetailSerializer, summary="社会组织详情")
    def get(self, request, pk: int):
        org, full = selectors.organization_for_viewer(user=request.user, organization_id=pk)
        serializer = OrganizationDetailSerializer if full else PublicOrganizationSerializer
        return Response(serializer(org).data)

    @extend_schema(request=OrganizationSerializer, responses=OrganizationDetailSerializer,
                   summary="修改社会组织（管辖工作人员全部字段；组织管理员限联系与活动信息）")
    def patch(self, request, pk: int):
        org = selectors.organization_for_editor(user=request.user, organization_id=pk)
        data = OrganizationSerializer(org, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        org = services.organization_update(user=request.user, organization=org,
                                           data=dict(data.validated_data))
        return Response(OrganizationDetailSerializer(org).data)


class OrganizationTierApi(APIView):
    @extend_schema(request=TierChangeSerializer, responses=OrganizationSerializer,
                   summary="调整分类管理层级（街道、民政工作人员）")
    def post(self, request, pk: int):
        data = TierChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        org = services.organization_tier_change(user=request.user, organization_id=pk, **data.validated_data)
        return Response(OrganizationSerializer(org).data)


class OrganizationStatusApi(APIView):
    @extend_schema(request=StatusChangeSerializer, responses=OrganizationSerializer,
                   summary="暂停活动、恢复或注销（街道、民政工作人员）")
    def post(self, request, pk: int):
        data = StatusChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        org = services.organization_status_change(user=request.user, organization_id=pk,
                                                  **data.validated_data)
        return Response(OrganizationSerializer(org).data)


class OrganizationInspectionApi(APIView):
    @extend_schema(request=InspectionCreateSerializer, responses={201: InspectionSerializer},
                   summary="录入年检结果（街道、民政工作人员）")
    def post(self, request, pk: int):
        data = InspectionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        inspection = services.inspection_record(user=request.user, organization_id=pk, **data.validated_data)
        return Response(InspectionSerializer(inspection).data, status=status.HTTP_201_CREATED)


class OrganizationHistoryApi(APIView):
    @extend_schema(responses=EventSerializer(many=True), summary="组织变更记录（管辖工作人员、组织管理员）")
    def get(self, request, pk: int):
        org = selectors.organization_for_editor(user=request.user, organization_id=pk)
        return paginated_response(self, request, selectors.organization_events(organization=org), EventSerializer)


class OrganizationStatsApi(APIView):
    @extend_schema(parameters=[OpenApiParameter("region", str)],
                   responses=OrganizationStatsSerializer, summary="社会组织统计与社区覆盖率")
    def get(self, request):
        region = selectors.jurisdiction_region(user=request.user,
                                               region_code=request.query_params.get("region"))
        return Response(stats.organization_stats(region=region))


class OrganizationExportApi(APIView):
    @extend_schema(parameters=LIST_FILTERS, responses={(200, XLSX): OpenApiTypes.BINARY},
                   summary="导出社会组织台账（.xlsx，管辖范围内）")
    def get(self, request):
        if selectors.staff_region(user=request.user) is None:
            raise Forbidden("permission_denied", "仅民政、街道、社区工作人员可以导出台账")
        qs, _ = selectors.organization_list(user=request.user, params=request.query_params)
        content = excel.organizations_export(queryset=qs)
        response = HttpResponse(content, content_type=XLSX)
        response["Content-Disposition"] = 'attachment; filename="organizations.xlsx"'
        return response


class OrganizationImportApi(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(request={"multipart/form-data": ImportSerializer}, responses=ImportResultSerializer,
                   summary="从 Excel 导入台账：先校验全部行；有错误行时不导入（或选择仅导入正确的行）")
    def post(self, request):
        if selectors.staff_region(user=request.user) is None:
            raise Forbidden("permission_denied", "仅民政、街道、社区工作人员可以导入台账")
        data = ImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(excel.organizations_import(user=request.user, **data.validated_data))
