from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from config.pagination import paginated_response
from organizations import selectors
from organizations.api.common import ReadPublicly
from organizations.models import Room, Venue
from organizations.serializers import (
    BookingSerializer,
    BrandEditorSerializer,
    BrandSerializer,
    RoomSerializer,
    RoomUpdateSerializer,
    VenueSerializer,
    VenueUpdateSerializer,
)
from organizations.services import venues as services


class VenueListApi(APIView):
    permission_classes = [ReadPublicly]

    @extend_schema(parameters=[OpenApiParameter("region", str),
                               OpenApiParameter("include_inactive", bool, description="含已停用的场地")],
                   responses=VenueSerializer(many=True), summary="场地列表（含活动室与入驻组织）")
    def get(self, request):
        qs = Venue.objects.select_related("region").prefetch_related("rooms", "organizations")
        if region := request.query_params.get("region"):
            qs = qs.filter(region__code__startswith=region)
        if request.query_params.get("include_inactive") not in ("1", "true"):
            qs = qs.filter(is_active=True)
        return paginated_response(self, request, qs, VenueSerializer)

    @extend_schema(request=VenueSerializer, responses={201: VenueSerializer}, summary="新增场地（管辖工作人员）")
    def post(self, request):
        data = VenueSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        venue = services.venue_create(user=request.user, **data.validated_data)
        return Response(VenueSerializer(venue).data, status=status.HTTP_201_CREATED)


class VenueDetailApi(APIView):
    permission_classes = [ReadPublicly]

    @extend_schema(responses=VenueSerializer, summary="场地详情")
    def get(self, request, pk: int):
        venue = (Venue.objects.select_related("region").prefetch_related("rooms", "organizations")
                 .filter(id=pk).first())
        if venue is None:
            raise Http404
        return Response(VenueSerializer(venue).data)

    @extend_schema(request=VenueUpdateSerializer, responses=VenueSerializer,
                   summary="修改场地；is_active=false 停用（管辖工作人员）")
    def patch(self, request, pk: int):
        data = VenueUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        venue = services.venue_update(user=request.user, venue_id=pk, data=dict(data.validated_data))
        return Response(VenueSerializer(venue).data)

    @extend_schema(responses={204: None},
                   summary="删除场地（管辖工作人员）；有入驻组织、备案申请或预约记录时 409 venue_in_use，可停用")
    def delete(self, request, pk: int):
        services.venue_delete(user=request.user, venue_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RoomDetailApi(APIView):
    @extend_schema(request=RoomUpdateSerializer, responses=RoomSerializer,
                   summary="修改活动室；is_bookable=false 停止预约（管辖工作人员）")
    def patch(self, request, pk: int):
        data = RoomUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        room = services.room_update(user=request.user, room_id=pk, data=dict(data.validated_data))
        return Response(RoomSerializer(room).data)

    @extend_schema(responses={204: None},
                   summary="删除活动室（管辖工作人员）；有预约记录时 409 room_in_use，可设为不可预约")
    def delete(self, request, pk: int):
        services.room_delete(user=request.user, room_id=pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RoomCreateApi(APIView):
    @extend_schema(request=RoomSerializer, responses={201: RoomSerializer}, summary="新增活动室（管辖工作人员）")
    def post(self, request, pk: int):
        data = RoomSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        room = services.room_create(user=request.user, venue_id=pk, **data.validated_data)
        return Response(RoomSerializer(room).data, status=status.HTTP_201_CREATED)


class RoomBookingApi(APIView):
    @extend_schema(responses=BookingSerializer(many=True), summary="活动室的预约（已预约的时段）")
    def get(self, request, pk: int):
        room = Room.objects.filter(id=pk).first()
        if room is None:
            raise Http404
        qs = room.bookings.filter(status="confirmed").select_related("organization")
        return Response(BookingSerializer(qs, many=True).data)

    @extend_schema(request=BookingSerializer, responses={201: BookingSerializer},
                   summary="预约活动室（入驻组织成员、管辖工作人员）；时段冲突 409 room_booked")
    def post(self, request, pk: int):
        data = BookingSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        booking = services.booking_create(user=request.user, room_id=pk, **data.validated_data)
        return Response(BookingSerializer(booking).data, status=status.HTTP_201_CREATED)


class BookingCancelApi(APIView):
    @extend_schema(request=None, responses=BookingSerializer, summary="取消预约（预约人、管辖工作人员）")
    def post(self, request, pk: int):
        return Response(BookingSerializer(services.booking_cancel(user=request.user, booking_id=pk)).data)


class BrandListApi(APIView):
    permission_classes = [ReadPublicly]

    @extend_schema(responses=BrandSerializer(many=True), summary="品牌组织展示")
    def get(self, request):
        return paginated_response(self, request, selectors.brand_list(), BrandSerializer)


class BrandApi(APIView):
    permission_classes = [ReadPublicly]

    @extend_schema(responses=BrandEditorSerializer,
                   summary="一个组织的品牌信息：编辑者（管辖工作人员、组织管理员）另含可关联的项目；"
                           "其他人仅见已认定的品牌组织")
    def get(self, request, pk: int):
        org, can_edit = selectors.brand_for_viewer(user=request.user, organization_id=pk)
        choices = selectors.brand_project_choices(organization=org) if can_edit else None
        return Response(BrandEditorSerializer(org, context={"can_edit": can_edit,
                                                            "project_choices": choices}).data)

    @extend_schema(request=BrandSerializer, responses=BrandEditorSerializer,
                   summary="品牌组织：认定（街道、民政）与品牌故事、照片、项目（组织管理员）")
    def patch(self, request, pk: int):
        data = BrandSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        org = services.brand_update(user=request.user, organization_id=pk, data=dict(data.validated_data))
        choices = selectors.brand_project_choices(organization=org)
        return Response(BrandEditorSerializer(org, context={"can_edit": True, "project_choices": choices}).data)
