from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from config.pagination import paginated_response
from organizations import selectors
from organizations.api.common import ReadPublicly
from organizations.models import Room, Venue
from organizations.serializers import BookingSerializer, BrandSerializer, RoomSerializer, VenueSerializer
from organizations.services import venues as services


class VenueListApi(APIView):
    permission_classes = [ReadPublicly]

    @extend_schema(responses=VenueSerializer(many=True), summary="场地列表（含活动室与入驻组织）")
    def get(self, request):
        qs = Venue.objects.prefetch_related("rooms", "organizations")
        if region := request.query_params.get("region"):
            qs = qs.filter(region__code__startswith=region)
        return paginated_response(self, request, qs, VenueSerializer)

    @extend_schema(request=VenueSerializer, responses={201: VenueSerializer}, summary="新增场地（管辖工作人员）")
    def post(self, request):
        data = VenueSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        venue = services.venue_create(user=request.user, **data.validated_data)
        return Response(VenueSerializer(venue).data, status=status.HTTP_201_CREATED)


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
    @extend_schema(request=BrandSerializer, responses=BrandSerializer,
                   summary="品牌组织：认定（街道、民政）与品牌故事、照片、项目（组织管理员）")
    def patch(self, request, pk: int):
        data = BrandSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        org = services.brand_update(user=request.user, organization_id=pk, data=dict(data.validated_data))
        return Response(BrandSerializer(org).data)
