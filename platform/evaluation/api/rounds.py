"""Templates, rounds (eligibility, experts, committee, publish, appeals), sanctions."""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from config.exceptions import Forbidden
from config.pagination import paginated_response
from evaluation import selectors
from evaluation.models import Candidate, Evaluation, ExpertAssignment, Sanction
from evaluation.serializers import (
    AppealReviewSerializer,
    AppealSerializer,
    AssignmentSerializer,
    AssignSerializer,
    CandidateSerializer,
    CommitteeCreateSerializer,
    CommitteeSerializer,
    ExpertCreateSerializer,
    ExpertSerializer,
    RoundCreateSerializer,
    RoundSerializer,
    SanctionCreateSerializer,
    SanctionSerializer,
    TemplateCreateSerializer,
    TemplateSerializer,
)
from evaluation.services import grading, rounds, scoring, templates
from organizations.selectors import staff_region


class ComputeResultSerializer(serializers.Serializer):
    computed = serializers.IntegerField()


class TemplateListApi(APIView):
    @extend_schema(parameters=[OpenApiParameter("kind", str), OpenApiParameter("region", str),
                               OpenApiParameter("current", str)],
                   responses=TemplateSerializer(many=True), summary="评估指标模板（各版本）")
    def get(self, request):
        return paginated_response(self, request, selectors.template_list(params=request.query_params),
                                  TemplateSerializer)

    @extend_schema(request=TemplateCreateSerializer, responses={201: TemplateSerializer},
                   summary="保存本辖区指标模板的新版本（民政局工作人员；分值须逐级合计一致）")
    def post(self, request):
        data = TemplateCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        template = templates.template_create_version(user=request.user, **data.validated_data)
        return Response(TemplateSerializer(template).data, status=status.HTTP_201_CREATED)


class TemplateDetailApi(APIView):
    @extend_schema(responses=TemplateSerializer, summary="评估指标模板详情")
    def get(self, request, pk: int):
        return Response(TemplateSerializer(selectors.template_for_viewer(template_id=pk)).data)


class RoundListApi(APIView):
    @extend_schema(parameters=[OpenApiParameter("year", int), OpenApiParameter("status", str)],
                   responses=RoundSerializer(many=True), summary="评估轮次（工作人员，本辖区相关）")
    def get(self, request):
        return paginated_response(self, request, selectors.round_list(user=request.user, params=request.query_params),
                                  RoundSerializer)

    @extend_schema(request=RoundCreateSerializer, responses={201: RoundSerializer},
                   summary="开启评估轮次（民政局：社会组织评估；街道：社区社会组织评估），同时计算参评资格")
    def post(self, request):
        data = RoundCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rnd = rounds.round_open(user=request.user, **data.validated_data)
        return Response(RoundSerializer(rnd, context={"request": request}).data, status=status.HTTP_201_CREATED)


class RoundDetailApi(APIView):
    @extend_schema(responses=RoundSerializer, summary="评估轮次详情")
    def get(self, request, pk: int):
        rnd = selectors.round_for_viewer(user=request.user, round_id=pk)
        return Response(RoundSerializer(rnd, context={"request": request}).data)


class RoundEligibilityApi(APIView):
    @extend_schema(parameters=[OpenApiParameter("eligible", str)], responses=CandidateSerializer(many=True),
                   summary="参评资格及理由")
    def get(self, request, pk: int):
        rnd = selectors.round_for_viewer(user=request.user, round_id=pk)
        qs = selectors.round_rows_for(user=request.user, rnd=rnd, qs=Candidate.objects.filter(round=rnd)
                                      .select_related("organization__region"))
        if request.query_params.get("eligible") in ("1", "true"):
            qs = qs.filter(eligible=True)
        elif request.query_params.get("eligible") in ("0", "false"):
            qs = qs.filter(eligible=False)
        ids = dict(Evaluation.objects.filter(round=rnd).values_list("organization_id", "id"))
        return paginated_response(self, request, qs, CandidateSerializer, evaluation_ids=ids)


class RoundComputeApi(APIView):
    @extend_schema(request=None, responses=ComputeResultSerializer, summary="计算本轮全部组织的自动指标")
    def post(self, request, pk: int):
        rnd = selectors.round_for_manager(user=request.user, round_id=pk)
        return Response({"computed": scoring.round_compute_all(rnd=rnd)})


class RoundAssignmentsApi(APIView):
    @extend_schema(responses=AssignmentSerializer(many=True), summary="专家分配")
    def get(self, request, pk: int):
        rnd = selectors.round_for_viewer(user=request.user, round_id=pk)
        qs = selectors.round_rows_for(
            user=request.user, rnd=rnd, organization="evaluation__organization",
            qs=ExpertAssignment.objects.filter(evaluation__round=rnd).select_related(
                "expert__user", "evaluation__organization"))
        return paginated_response(self, request, qs, AssignmentSerializer)

    @extend_schema(request=AssignSerializer, responses={201: AssignmentSerializer(many=True)},
                   summary="分配评估专家（同一专家与组织只分配一次；专家是组织成员时须回避）")
    def post(self, request, pk: int):
        rnd = selectors.round_for_manager(user=request.user, round_id=pk)
        data = AssignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rows = rounds.experts_assign(user=request.user, rnd=rnd, expert_id=data.validated_data["expert"],
                                     evaluation_ids=data.validated_data["evaluations"])
        return Response(AssignmentSerializer(rows, many=True).data, status=status.HTTP_201_CREATED)


class RoundCommitteeApi(APIView):
    @extend_schema(responses=CommitteeSerializer(many=True), summary="评估委员会审定记录")
    def get(self, request, pk: int):
        rnd = selectors.round_for_viewer(user=request.user, round_id=pk)
        return paginated_response(self, request, rnd.decisions.all(), CommitteeSerializer)

    @extend_schema(request=CommitteeCreateSerializer, responses={201: CommitteeSerializer},
                   summary="记录评估委员会审定（出席委员、表决；过半数赞成即通过）")
    def post(self, request, pk: int):
        rnd = selectors.round_for_manager(user=request.user, round_id=pk)
        data = CommitteeCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        decision = grading.committee_record(user=request.user, rnd=rnd, **data.validated_data)
        return Response(CommitteeSerializer(decision).data, status=status.HTTP_201_CREATED)


class RoundPublishApi(APIView):
    @extend_schema(request=None, responses=RoundSerializer, summary="公布评估等级（全部评分完成且委员会审定通过）")
    def post(self, request, pk: int):
        rnd = selectors.round_for_manager(user=request.user, round_id=pk)
        rnd = grading.round_publish(user=request.user, rnd=rnd)
        return Response(RoundSerializer(rnd, context={"request": request}).data)


class RoundAppealsApi(APIView):
    @extend_schema(responses=AppealSerializer(many=True), summary="本轮复核申请")
    def get(self, request, pk: int):
        rnd = selectors.round_for_viewer(user=request.user, round_id=pk)
        qs = selectors.round_rows_for(user=request.user, rnd=rnd, qs=selectors.appeal_list(rnd=rnd),
                                      organization="evaluation__organization")
        return paginated_response(self, request, qs, AppealSerializer)


class AppealReviewApi(APIView):
    @extend_schema(request=AppealReviewSerializer, responses=AppealSerializer,
                   summary="复核结论（维持，或改定指标得分与等级）")
    def post(self, request, pk: int):
        selectors.appeal_for_manager(user=request.user, appeal_id=pk)
        data = AppealReviewSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # The appeal row is locked for the pending → reviewed check in the service.
        with transaction.atomic():
            appeal = selectors.appeal_for_manager(user=request.user, appeal_id=pk, lock=True)
            appeal = grading.appeal_review(user=request.user, appeal=appeal, **data.validated_data)
        return Response(AppealSerializer(appeal).data)


class ExpertListApi(APIView):
    @extend_schema(responses=ExpertSerializer(many=True), summary="评估专家（工作人员）")
    def get(self, request):
        return paginated_response(self, request, selectors.expert_list(user=request.user), ExpertSerializer)

    @extend_schema(request=ExpertCreateSerializer, responses={201: ExpertSerializer},
                   summary="登记评估专家（按已注册手机号；民政局、街道工作人员）")
    def post(self, request):
        data = ExpertCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        expert = rounds.expert_register(user=request.user, **data.validated_data)
        return Response(ExpertSerializer(expert).data, status=status.HTTP_201_CREATED)


class SanctionListApi(APIView):
    @extend_schema(responses=SanctionSerializer(many=True), summary="处罚与立案调查记录（工作人员，本辖区）")
    def get(self, request):
        own = staff_region(user=request.user)
        if own is None:
            raise Forbidden("permission_denied", "仅工作人员可以查看")
        qs = Sanction.objects.filter(organization__region__code__startswith=own.code).select_related("organization")
        return paginated_response(self, request, qs, SanctionSerializer)

    @extend_schema(request=SanctionCreateSerializer, responses={201: SanctionSerializer},
                   summary="登记处罚或立案调查（街道、民政局工作人员）")
    def post(self, request):
        data = SanctionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        sanction = rounds.sanction_record(user=request.user, organization_id=values.pop("organization"), **values)
        return Response(SanctionSerializer(sanction).data, status=status.HTTP_201_CREATED)
