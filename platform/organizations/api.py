from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from config.pagination import PageNumberPagination
from organizations import selectors, services
from organizations.models import Organization
from organizations.serializers import OrganizationSerializer, OrganizationStatsSerializer


class ReadPublicly(IsAuthenticated):
    """Anyone may read the public registry; writing needs a login."""

    def has_permission(self, request, view):
        return request.method in ("GET", "HEAD", "OPTIONS") or super().has_permission(request, view)


class OrganizationListApi(APIView):
    permission_classes = [ReadPublicly]

    @extend_schema(parameters=[OpenApiParameter("region", str), OpenApiParameter("search", str)],
                   responses=OrganizationSerializer(many=True), summary="社会组织列表")
    def get(self, request):
        qs = selectors.organization_list(region=request.query_params.get("region"),
                                         search=request.query_params.get("search"))
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(OrganizationSerializer(page, many=True).data)

    @extend_schema(request=OrganizationSerializer, responses={201: OrganizationSerializer},
                   summary="新增社会组织（管辖范围内的工作人员）")
    def post(self, request):
        data = OrganizationSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        org = services.organization_create(user=request.user, **data.validated_data)
        return Response(OrganizationSerializer(org).data, status=status.HTTP_201_CREATED)


class OrganizationDetailApi(APIView):
    permission_classes = [ReadPublicly]

    @extend_schema(responses=OrganizationSerializer, summary="社会组织详情")
    def get(self, request, pk: int):
        org = get_object_or_404(Organization.objects.select_related("region"), pk=pk)
        return Response(OrganizationSerializer(org).data)

    @extend_schema(request=OrganizationSerializer, responses=OrganizationSerializer,
                   summary="修改社会组织")
    def patch(self, request, pk: int):
        org = get_object_or_404(Organization, pk=pk)
        data = OrganizationSerializer(org, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        org = services.organization_update(user=request.user, organization=org,
                                           data=dict(data.validated_data))
        return Response(OrganizationSerializer(org).data)


class OrganizationStatsApi(APIView):
    @extend_schema(parameters=[OpenApiParameter("region", str)],
                   responses=OrganizationStatsSerializer, summary="社会组织统计")
    def get(self, request):
        region = selectors.jurisdiction_region(user=request.user,
                                               region_code=request.query_params.get("region"))
        return Response(selectors.organization_stats(region=region))
