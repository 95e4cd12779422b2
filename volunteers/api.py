from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from config.pagination import PageNumberPagination
from volunteers import selectors, services
from volunteers.serializers import AmendSerializer, RejectSerializer, ServiceRecordSerializer, SummarySerializer


class ServiceRecordListApi(APIView):
    @extend_schema(parameters=[OpenApiParameter("status", str)],
                   responses=ServiceRecordSerializer(many=True), summary="服务记录")
    def get(self, request):
        qs = selectors.service_record_list(user=request.user, status=request.query_params.get("status"))
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(ServiceRecordSerializer(page, many=True).data)


class ServiceRecordApproveApi(APIView):
    @extend_schema(request=None, responses=ServiceRecordSerializer, summary="审核通过")
    def post(self, request, pk: int):
        record = services.service_record_for_reviewer(user=request.user, record_id=pk)
        record = services.service_record_approve(reviewer=request.user, record=record)
        return Response(ServiceRecordSerializer(record).data)


class ServiceRecordRejectApi(APIView):
    @extend_schema(request=RejectSerializer, responses=ServiceRecordSerializer, summary="驳回")
    def post(self, request, pk: int):
        record = services.service_record_for_reviewer(user=request.user, record_id=pk)
        data = RejectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        record = services.service_record_reject(reviewer=request.user, record=record,
                                                reason=data.validated_data["reason"])
        return Response(ServiceRecordSerializer(record).data)


class ServiceRecordAmendApi(APIView):
    @extend_schema(request=AmendSerializer, responses={201: ServiceRecordSerializer},
                   summary="更正时长（生成新记录，原记录保留）")
    def post(self, request, pk: int):
        record = services.service_record_for_reviewer(user=request.user, record_id=pk)
        data = AmendSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        new = services.service_record_amend(reviewer=request.user, record=record, **data.validated_data)
        return Response(ServiceRecordSerializer(new).data, status=201)


class VolunteerSummaryApi(APIView):
    @extend_schema(responses=SummarySerializer, summary="我的服务时长与星级")
    def get(self, request):
        return Response(SummarySerializer(selectors.volunteer_summary(user=request.user)).data)
