from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from config.pagination import paginated_response
from organizations import selectors
from organizations.api.common import ReadPublicly
from organizations.charter_template import REQUIRED_SECTIONS, SECTION_TITLES, charter_template
from organizations.models import PartyBuildingChange
from organizations.serializers import (
    CharterCreateSerializer,
    CharterSerializer,
    CharterTemplateSerializer,
    FilingCreateSerializer,
    FilingDecisionSerializer,
    FilingDetailSerializer,
    FilingResubmitSerializer,
    FilingSerializer,
    OrganizationSerializer,
    PartyBuildingChangeSerializer,
    PartyBuildingSerializer,
)
from organizations.services import charter as charter_services
from organizations.services import filing as filing_services


class FilingListApi(APIView):
    @extend_schema(parameters=[OpenApiParameter("status", str)], responses=FilingSerializer(many=True),
                   summary="备案申请列表（工作人员：管辖范围内；申请人：本人的）")
    def get(self, request):
        qs = selectors.filing_list(user=request.user, status=request.query_params.get("status"))
        return paginated_response(self, request, qs, FilingSerializer)

    @extend_schema(request=FilingCreateSerializer, responses={201: FilingDetailSerializer},
                   summary="提交社区社会组织备案申请（负责人）")
    def post(self, request):
        data = FilingCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        application = filing_services.filing_submit(user=request.user, **data.validated_data)
        return Response(FilingDetailSerializer(application).data, status=status.HTTP_201_CREATED)


class FilingDetailApi(APIView):
    @extend_schema(responses=FilingDetailSerializer, summary="备案申请详情与流程记录")
    def get(self, request, pk: int):
        return Response(FilingDetailSerializer(selectors.filing_for_viewer(user=request.user, filing_id=pk)).data)


class FilingCommunityReviewApi(APIView):
    @extend_schema(request=FilingDecisionSerializer, responses=FilingDetailSerializer,
                   summary="社区初审：通过或退回（社区工作人员）")
    def post(self, request, pk: int):
        data = FilingDecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        filing_services.filing_community_review(user=request.user, filing_id=pk, **data.validated_data)
        return Response(FilingDetailSerializer(selectors.filing_for_viewer(user=request.user, filing_id=pk)).data)


class FilingStreetDecisionApi(APIView):
    @extend_schema(request=FilingDecisionSerializer, responses=FilingDetailSerializer,
                   summary="街道审核：准予备案或退回（街道工作人员）")
    def post(self, request, pk: int):
        data = FilingDecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        filing_services.filing_street_decide(user=request.user, filing_id=pk, **data.validated_data)
        return Response(FilingDetailSerializer(selectors.filing_for_viewer(user=request.user, filing_id=pk)).data)


class FilingResubmitApi(APIView):
    @extend_schema(request=FilingResubmitSerializer, responses=FilingDetailSerializer,
                   summary="修改后重新提交被退回的申请（申请人）")
    def post(self, request, pk: int):
        data = FilingResubmitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        filing_services.filing_resubmit(user=request.user, filing_id=pk, **data.validated_data)
        return Response(FilingDetailSerializer(selectors.filing_for_viewer(user=request.user, filing_id=pk)).data)


class CharterTemplateApi(APIView):
    permission_classes = [ReadPublicly]

    @extend_schema(parameters=[OpenApiParameter("name", str), OpenApiParameter("org_type", str),
                               OpenApiParameter("region_name", str)],
                   responses=CharterTemplateSerializer, summary="章程示范文本（含党建条款）")
    def get(self, request):
        params = request.query_params
        sections = charter_template(name=params.get("name", "") or "（组织名称）",
                                    region_name=params.get("region_name", ""),
                                    org_type=params.get("org_type", "social_group"))
        return Response({"titles": SECTION_TITLES, "required": list(REQUIRED_SECTIONS), "sections": sections})


class CharterListApi(APIView):
    @extend_schema(responses=CharterSerializer(many=True), summary="章程各版本（管辖工作人员、组织管理员）")
    def get(self, request, pk: int):
        org = selectors.organization_for_editor(user=request.user, organization_id=pk)
        return Response(CharterSerializer(org.charters.all(), many=True).data)

    @extend_schema(request=CharterCreateSerializer, responses={201: CharterSerializer},
                   summary="修订章程：生成新版本（管辖工作人员、组织管理员）")
    def post(self, request, pk: int):
        data = CharterCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        charter = charter_services.charter_create(user=request.user, organization_id=pk, **data.validated_data)
        return Response(CharterSerializer(charter).data, status=status.HTTP_201_CREATED)


class PartyBuildingApi(APIView):
    @extend_schema(responses=PartyBuildingChangeSerializer(many=True), summary="党建变更记录")
    def get(self, request, pk: int):
        org = selectors.organization_for_editor(user=request.user, organization_id=pk)
        changes = PartyBuildingChange.objects.filter(organization=org).select_related("changed_by")
        return Response(PartyBuildingChangeSerializer(changes, many=True).data)

    @extend_schema(request=PartyBuildingSerializer, responses=OrganizationSerializer,
                   summary="设置党建覆盖方式：单独建、联合建、派驻党建指导员或未覆盖")
    def put(self, request, pk: int):
        data = PartyBuildingSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        org = charter_services.party_building_set(user=request.user, organization_id=pk, **data.validated_data)
        return Response(OrganizationSerializer(org).data)


