"""One organization's evaluation: the contract's ``/evaluations/`` routes, the
self-assessment with evidence, expert scores, appeals; and the public grade list."""

from __future__ import annotations

from django.http import FileResponse, Http404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from config.pagination import paginated_response
from evaluation import selectors
from evaluation.serializers import (
    AppealCreateSerializer,
    AppealSerializer,
    EvaluationCreateSerializer,
    EvaluationDetailSerializer,
    EvaluationSerializer,
    EvidenceSerializer,
    EvidenceUploadSerializer,
    ExpertScoresSerializer,
    GradeSerializer,
    SelfAssessmentSerializer,
)
from evaluation.services import grading, rounds, scoring


def _detail(request, evaluation) -> Response:
    _, caps = selectors.evaluation_for_viewer(user=request.user, evaluation_id=evaluation.id)
    evaluation = selectors.evaluation_detail(evaluation=evaluation)
    return Response(EvaluationDetailSerializer(evaluation, context={"capacities": caps}).data)


class EvaluationListApi(APIView):
    @extend_schema(parameters=[OpenApiParameter(n, str) for n in ("round", "organization", "status", "assigned")],
                   responses=EvaluationSerializer(many=True),
                   summary="组织评估列表（工作人员：本辖区；组织管理员：本组织；专家：分配给自己的）")
    def get(self, request):
        qs = selectors.evaluation_list(user=request.user, params=request.query_params)
        return paginated_response(self, request, qs, EvaluationSerializer)

    @extend_schema(request=EvaluationCreateSerializer, responses={201: EvaluationDetailSerializer},
                   summary="将符合条件的组织加入评估轮次（负责该轮的工作人员）")
    def post(self, request):
        data = EvaluationCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rnd = selectors.round_for_manager(user=request.user, round_id=data.validated_data["round"])
        evaluation = rounds.evaluation_create(user=request.user, rnd=rnd,
                                              organization_id=data.validated_data["organization"])
        response = _detail(request, evaluation)
        response.status_code = status.HTTP_201_CREATED
        return response


class EvaluationDetailApi(APIView):
    @extend_schema(responses=EvaluationDetailSerializer, summary="组织评估详情：各指标得分及来源、总分、等级")
    def get(self, request, pk: int):
        evaluation, _ = selectors.evaluation_for_viewer(user=request.user, evaluation_id=pk)
        return _detail(request, evaluation)


class EvaluationComputeApi(APIView):
    @extend_schema(request=None, responses=EvaluationDetailSerializer,
                   summary="按截止日期的平台数据计算自动指标（数据快照），并汇总总分")
    def post(self, request, pk: int):
        evaluation = selectors.evaluation_for(user=request.user, evaluation_id=pk, capacity="manager")
        return _detail(request, scoring.evaluation_compute(evaluation=evaluation))


class SelfAssessmentApi(APIView):
    @extend_schema(request=SelfAssessmentSerializer, responses=EvaluationDetailSerializer,
                   summary="保存或提交自评（组织管理员，截止日期前）")
    def post(self, request, pk: int):
        data = SelfAssessmentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        evaluation = scoring.self_assessment_save(user=request.user, evaluation_id=pk, **data.validated_data)
        return _detail(request, evaluation)


class EvidenceUploadApi(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(request={"multipart/form-data": EvidenceUploadSerializer}, responses={201: EvidenceSerializer},
                   summary="上传佐证材料（PDF、PNG、JPEG；组织管理员，截止日期前）")
    def post(self, request, pk: int):
        data = EvidenceUploadSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = scoring.evidence_add(user=request.user, evaluation_id=pk, **data.validated_data)
        return Response(EvidenceSerializer(item).data, status=status.HTTP_201_CREATED)


class EvidenceDownloadApi(APIView):
    @extend_schema(responses={(200, "application/octet-stream"): bytes}, summary="下载佐证材料")
    def get(self, request, pk: int):
        item = selectors.evidence_for_viewer(user=request.user, evidence_id=pk)
        try:
            stream = item.file.open("rb")
        except FileNotFoundError:  # the row outlived its file (storage restored from an older copy)
            raise Http404 from None
        return FileResponse(stream, as_attachment=True, filename=item.original_name)


class ExpertScoresApi(APIView):
    @extend_schema(request=ExpertScoresSerializer, responses=EvaluationDetailSerializer,
                   summary="专家评分（分配到该组织的专家；每项须填写评语）")
    def post(self, request, pk: int):
        data = ExpertScoresSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        evaluation = scoring.expert_scores_save(user=request.user, evaluation_id=pk, **data.validated_data)
        return _detail(request, evaluation)


class AppealCreateApi(APIView):
    @extend_schema(request=AppealCreateSerializer, responses={201: AppealSerializer},
                   summary="申请复核（组织管理员，公布后规定期限内，每次评估一次）")
    def post(self, request, pk: int):
        data = AppealCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        appeal = grading.appeal_file(user=request.user, evaluation_id=pk, **data.validated_data)
        return Response(AppealSerializer(appeal).data, status=status.HTTP_201_CREATED)


class GradeListApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(parameters=[OpenApiParameter(n, str) for n in
                               ("region", "grade", "org_type", "search", "organization", "history")],
                   responses=GradeSerializer(many=True),
                   summary="评估等级公示（公开）：有效期内的等级；organization + history=1 为该组织的等级历史")
    def get(self, request):
        qs = selectors.public_grades(params=request.query_params, today=timezone.localdate())
        return paginated_response(self, request, qs, GradeSerializer)
