"""REST endpoints for feedback after a shift (服务评价) and the quality rating of a
service record."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from config.pagination import PageNumberPagination, paginated_response
from projects import feedback
from projects.models import ActivityFeedback, Attendance, ServiceFeedback, Shift
from volunteers.models import ServiceRecord

# --- serializers -------------------------------------------------------------------------

class ActivityFeedbackCreateSerializer(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ServiceFeedbackCreateSerializer(ActivityFeedbackCreateSerializer):
    served_person_name = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")


class QualityRatingSerializer(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class ActivityFeedbackSerializer(serializers.ModelSerializer):
    class Meta:
        model = ActivityFeedback
        fields = ["id", "shift", "rating", "comment", "created_at"]


class ServiceFeedbackSerializer(serializers.ModelSerializer):
    rated_by = serializers.SerializerMethodField()

    class Meta:
        model = ServiceFeedback
        fields = ["id", "shift", "rating", "comment", "on_behalf", "served_person_name", "rated_by", "created_at"]

    def get_rated_by(self, item: ServiceFeedback) -> dict:
        return {"id": item.rated_by_id, "name": item.rated_by.name}


class MyAttendedShiftSerializer(serializers.ModelSerializer):
    """One shift the volunteer attended and that has ended, with their rating (if any)."""

    shift = serializers.SerializerMethodField()
    feedback = serializers.SerializerMethodField()

    class Meta:
        model = Attendance
        fields = ["id", "shift", "checked_in_at", "checked_out_at", "feedback"]

    def get_shift(self, attendance: Attendance) -> dict:
        s = attendance.shift
        return {"id": s.id, "starts_at": serializers.DateTimeField().to_representation(s.starts_at),
                "ends_at": serializers.DateTimeField().to_representation(s.ends_at),
                "project": {"id": s.project_id, "title": s.project.title,
                            "organization": s.project.organization.name}}

    def get_feedback(self, attendance: Attendance) -> dict | None:
        mine = self.context["mine"].get(attendance.shift_id)
        return ActivityFeedbackSerializer(mine).data if mine else None


class QualityRatedRecordSerializer(serializers.ModelSerializer):
    class Meta:
        model = ServiceRecord
        fields = ["id", "volunteer", "shift", "hours", "status", "quality_rating"]


class FeedbackShiftSerializer(serializers.ModelSerializer):
    project = serializers.SerializerMethodField()
    service_rating = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = Shift
        fields = ["id", "starts_at", "ends_at", "capacity", "confirmed_count", "project", "service_rating"]

    def get_project(self, shift: Shift) -> dict:
        p = shift.project
        return {"id": p.id, "title": p.title, "organization": p.organization.name}


class ShiftRatingsSerializer(serializers.Serializer):
    """The shift's ratings sheet (评价表) for the console."""

    def to_representation(self, sheet: dict) -> dict:
        dt = serializers.DateTimeField()
        shift = sheet["shift"]
        rows = []
        for row in sheet["volunteers"]:
            v, record, activity, attendance = row["volunteer"], row["record"], row["activity"], row["attendance"]
            rows.append({
                "signup_id": row["signup"].id,
                "volunteer": {"id": v.id, "name": v.name, "volunteer_number": v.volunteer_number},
                "attended": attendance is not None,
                "record": None if record is None else {
                    "id": record.id, "hours": str(record.hours), "status": record.status,
                    "quality_rating": record.quality_rating, "is_final": record.is_final},
                "activity_feedback": None if activity is None else {
                    "rating": activity.rating, "comment": activity.comment},
            })
        return {
            "shift": {"id": shift.id, "starts_at": dt.to_representation(shift.starts_at),
                      "ends_at": dt.to_representation(shift.ends_at),
                      "project": {"id": shift.project_id, "title": shift.project.title,
                                  "organization": shift.project.organization.name}},
            "volunteers": rows,
            "service_feedback": ServiceFeedbackSerializer(sheet["service_feedback"], many=True).data,
            "averages": sheet["averages"],
        }


# --- views ----------------------------------------------------------------------------

class ActivityFeedbackMineApi(APIView):
    @extend_schema(responses=MyAttendedShiftSerializer(many=True), summary="我参加过的已结束班次及我的评价")
    def get(self, request):
        qs = feedback.activity_feedback_mine(user=request.user)
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        mine = feedback.activity_feedback_by_shift(user=request.user, shift_ids=[a.shift_id for a in page])
        return paginator.get_paginated_response(
            MyAttendedShiftSerializer(page, many=True, context={"mine": mine}).data)


class ShiftActivityFeedbackApi(APIView):
    @extend_schema(request=ActivityFeedbackCreateSerializer, responses={201: ActivityFeedbackSerializer},
                   summary="评价活动（参加过该班次的志愿者，班次结束后一次）")
    def post(self, request, pk: int):
        data = ActivityFeedbackCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = feedback.activity_feedback_create(volunteer=request.user, shift_id=pk, **data.validated_data)
        return Response(ActivityFeedbackSerializer(item).data, status=status.HTTP_201_CREATED)


class ShiftServiceFeedbackApi(APIView):
    @extend_schema(request=ServiceFeedbackCreateSerializer, responses={201: ServiceFeedbackSerializer},
                   summary="评价服务（服务对象本人，或工作人员代录并填写服务对象姓名）")
    def post(self, request, pk: int):
        data = ServiceFeedbackCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = feedback.service_feedback_create(user=request.user, shift_id=pk, **data.validated_data)
        return Response(ServiceFeedbackSerializer(item).data, status=status.HTTP_201_CREATED)


class ShiftRatingsApi(APIView):
    @extend_schema(responses=ShiftRatingsSerializer, summary="班次评价表：质量评价、活动评价、服务对象评价")
    def get(self, request, pk: int):
        shift = feedback.shift_for_feedback_staff(user=request.user, shift_id=pk)
        return Response(ShiftRatingsSerializer(feedback.shift_ratings(shift=shift)).data)


class FeedbackShiftListApi(APIView):
    @extend_schema(responses=FeedbackShiftSerializer(many=True), summary="近期已结束、可查看和录入评价的班次")
    def get(self, request):
        return paginated_response(self, request, feedback.feedback_shifts(user=request.user), FeedbackShiftSerializer)


class ServiceRecordQualityRatingApi(APIView):
    @extend_schema(request=QualityRatingSerializer, responses=QualityRatedRecordSerializer,
                   summary="服务质量评价（项目社工，每次评价均留痕）")
    def post(self, request, pk: int):
        record = feedback.record_for_quality_rater(user=request.user, record_id=pk)
        data = QualityRatingSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        record = feedback.service_record_rate_quality(user=request.user, record=record, **data.validated_data)
        return Response(QualityRatedRecordSerializer(record).data)
