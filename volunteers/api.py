from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from config.exceptions import DomainError
from config.pagination import paginated_response
from volunteers import certificates, exports, metrics, profiles, selectors, services
from volunteers.models import Certificate, ServiceRecord
from volunteers.serializers import (
    AmendSerializer,
    ApproveSerializer,
    AwardCreateSerializer,
    AwardSerializer,
    BackEntrySerializer,
    CertificateCreateSerializer,
    CertificateSerializer,
    DisputeAnswerSerializer,
    DisputeCreateSerializer,
    DisputeSerializer,
    GuardianConsentCreateSerializer,
    GuardianConsentSerializer,
    GuardianConsentStatusSerializer,
    MetricQuerySerializer,
    OrganizationMetricSerializer,
    RejectSerializer,
    RevokeSerializer,
    ServiceRecordDetailSerializer,
    ServiceRecordSerializer,
    SummarySerializer,
    TrainingCreateSerializer,
    TrainingSerializer,
    VolunteerProfileSerializer,
    VolunteerProfileUpdateSerializer,
)


class ServiceRecordListApi(APIView):
    @extend_schema(parameters=[OpenApiParameter("status", str), OpenApiParameter("source", str),
                               OpenApiParameter("awaiting_me", bool, description="审核队列：待我审核的记录")],
                   responses=ServiceRecordSerializer(many=True), summary="服务记录")
    def get(self, request):
        qs = selectors.service_record_list(user=request.user, status=request.query_params.get("status"),
                                           source=request.query_params.get("source"),
                                           awaiting_me=request.query_params.get("awaiting_me") in ("1", "true"))
        return paginated_response(self, request, qs, ServiceRecordSerializer)


class ServiceRecordDetailApi(APIView):
    @extend_schema(responses=ServiceRecordDetailSerializer, summary="服务记录详情（含更正轨迹与申诉）")
    def get(self, request, pk: int):
        record = services.service_record_for_viewer(user=request.user, record_id=pk)
        trail = selectors.service_record_trail(record)
        return Response(ServiceRecordDetailSerializer(record, context={"trail": trail}).data)

    @extend_schema(request=None, responses={409: None}, summary="服务记录不可直接修改")
    def patch(self, request, pk: int):
        record = services.service_record_for_viewer(user=request.user, record_id=pk)
        services.service_record_refuse_edit(record=record)

    put = patch


class ServiceRecordEvidenceApi(APIView):
    @extend_schema(responses={(200, "application/octet-stream"): bytes}, summary="补录证明材料")
    def get(self, request, pk: int):
        record = services.service_record_for_viewer(user=request.user, record_id=pk)
        if not record.evidence:
            raise Http404
        return FileResponse(record.evidence.open("rb"), as_attachment=True,
                            filename=record.evidence.name.rsplit("/", 1)[-1])


class ServiceRecordApproveApi(APIView):
    @extend_schema(request=ApproveSerializer, responses=ServiceRecordSerializer, summary="审核通过")
    def post(self, request, pk: int):
        record = services.service_record_for_reviewer(user=request.user, record_id=pk)
        data = ApproveSerializer(data=request.data or {})
        data.is_valid(raise_exception=True)
        record = services.service_record_approve(reviewer=request.user, record=record,
                                                 quality_rating=data.validated_data.get("quality_rating"))
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


class BackEntryApi(APIView):
    """补录: multipart because it carries the evidence file."""

    parser_classes = [MultiPartParser]

    @extend_schema(request={"multipart/form-data": BackEntrySerializer}, responses={201: ServiceRecordSerializer},
                   summary="补录服务时长（须上传证明材料，由第二人复核）")
    def post(self, request):
        data = BackEntrySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        shift = services.shift_for_back_entry(user=request.user, shift_id=values.pop("shift"))
        volunteer = services.volunteer_by_number(values.pop("volunteer_number"))
        record = services.service_record_back_enter(entered_by=request.user, shift=shift, volunteer=volunteer,
                                                    **values)
        return Response(ServiceRecordSerializer(record).data, status=201)


class RecordDisputeCreateApi(APIView):
    @extend_schema(request=DisputeCreateSerializer, responses={201: DisputeSerializer},
                   summary="对记录提出申诉（志愿者）或公示异议（组织成员）")
    def post(self, request, pk: int):
        record = services.service_record_for_viewer(user=request.user, record_id=pk)
        data = DisputeCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        dispute = services.dispute_raise(user=request.user, record=record, reason=data.validated_data["reason"])
        return Response(DisputeSerializer(dispute).data, status=201)


class DisputeListApi(APIView):
    @extend_schema(parameters=[OpenApiParameter("status", str)], responses=DisputeSerializer(many=True),
                   summary="申诉与异议")
    def get(self, request):
        qs = selectors.dispute_list(user=request.user, status=request.query_params.get("status"))
        return paginated_response(self, request, qs, DisputeSerializer)


class DisputeAnswerApi(APIView):
    @extend_schema(request=DisputeAnswerSerializer, responses=DisputeSerializer, summary="组织答复申诉")
    def post(self, request, pk: int):
        dispute = services.dispute_for_answerer(user=request.user, dispute_id=pk)
        data = DisputeAnswerSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        dispute = services.dispute_answer(user=request.user, dispute=dispute, answer=data.validated_data["answer"])
        return Response(DisputeSerializer(dispute).data)


class VolunteerSummaryApi(APIView):
    @extend_schema(responses=SummarySerializer, summary="我的服务时长与星级")
    def get(self, request):
        return Response(SummarySerializer(selectors.volunteer_summary(user=request.user)).data)


class VolunteerRecordApi(APIView):
    @extend_schema(responses=dict, summary="我的志愿服务记录（基本信息、服务、培训、表彰、评价五部分）")
    def get(self, request):
        user = request.user
        summary = selectors.volunteer_summary(user=user)
        records = selectors.service_record_list(user=user).filter(volunteer=user)
        rated = [r.quality_rating for r in records if r.is_final and r.quality_rating]
        identity = certificates.volunteer_identity(user)
        return Response({
            # Masked ID number even for its owner: the full one is only at /me/real-name/.
            "basic": {"volunteer_number": user.volunteer_number, "phone": user.phone_masked, **identity,
                      "registered_at": user.date_joined},
            "service": ServiceRecordSerializer(records, many=True).data,
            "training": TrainingSerializer(selectors.training_list(user=user).filter(volunteer=user), many=True).data,
            "awards": AwardSerializer(selectors.award_list(user=user).filter(volunteer=user), many=True).data,
            "evaluation": {**SummarySerializer(summary).data,
                           "average_rating": round(sum(rated) / len(rated), 2) if rated else None,
                           "rated_entries": len(rated)},
        })


class VolunteerProfileApi(APIView):
    @extend_schema(responses=VolunteerProfileSerializer, summary="我的志愿者档案（技能、兴趣、可服务时间、居住地）")
    def get(self, request):
        return Response(VolunteerProfileSerializer(profiles.volunteer_profile_get(volunteer=request.user)).data)

    @extend_schema(request=VolunteerProfileUpdateSerializer, responses=VolunteerProfileSerializer,
                   summary="修改我的志愿者档案")
    def patch(self, request):
        data = VolunteerProfileUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        if "home_region" in changes:
            changes["home_region"] = changes["home_region"] or None
        profile = profiles.volunteer_profile_update(volunteer=request.user, **changes)
        return Response(VolunteerProfileSerializer(profile).data)


class GuardianConsentApi(APIView):
    """A minor's guardian consent (监护人同意), from the minor's own account."""

    @extend_schema(responses=GuardianConsentStatusSerializer, summary="监护人同意：是否需要及当前记录")
    def get(self, request):
        return Response(GuardianConsentStatusSerializer(profiles.guardian_consent_status(volunteer=request.user)).data)

    @extend_schema(request=GuardianConsentCreateSerializer, responses={201: GuardianConsentSerializer},
                   summary="登记监护人同意（未成年志愿者）")
    def post(self, request):
        data = GuardianConsentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        consent = profiles.guardian_consent_record(volunteer=request.user, **data.validated_data)
        return Response(GuardianConsentSerializer(consent).data, status=201)

    @extend_schema(request=None, responses={204: None}, summary="撤回监护人同意")
    def delete(self, request):
        profiles.guardian_consent_withdraw(volunteer=request.user)
        return Response(status=204)


class TrainingListApi(APIView):
    @extend_schema(responses=TrainingSerializer(many=True), summary="培训记录")
    def get(self, request):
        return paginated_response(self, request, selectors.training_list(user=request.user), TrainingSerializer)

    @extend_schema(request=TrainingCreateSerializer, responses={201: TrainingSerializer}, summary="登记培训记录")
    def post(self, request):
        data = TrainingCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        organization = services.organization_for_staff(user=request.user, organization_id=values.pop("organization"))
        volunteer = services.volunteer_by_number(values.pop("volunteer_number"))
        row = services.training_record_create(recorded_by=request.user, organization=organization,
                                              volunteer=volunteer, **values)
        return Response(TrainingSerializer(row).data, status=201)


class AwardListApi(APIView):
    @extend_schema(responses=AwardSerializer(many=True), summary="表彰奖励")
    def get(self, request):
        return paginated_response(self, request, selectors.award_list(user=request.user), AwardSerializer)

    @extend_schema(request=AwardCreateSerializer, responses={201: AwardSerializer}, summary="登记表彰奖励")
    def post(self, request):
        data = AwardCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        organization = services.organization_for_staff(user=request.user, organization_id=values.pop("organization"))
        volunteer = services.volunteer_by_number(values.pop("volunteer_number"))
        row = services.award_record_create(recorded_by=request.user, organization=organization, volunteer=volunteer,
                                           **values)
        return Response(AwardSerializer(row).data, status=201)


# --- certificates -------------------------------------------------------------------------

class CertificateListApi(APIView):
    @extend_schema(responses=CertificateSerializer(many=True), summary="志愿服务记录证明")
    def get(self, request):
        qs = certificates.certificate_list(user=request.user)
        return paginated_response(self, request, qs, CertificateSerializer)

    @extend_schema(request=CertificateCreateSerializer, responses={201: CertificateSerializer},
                   summary="申请/出具志愿服务记录证明（免费）")
    def post(self, request):
        data = CertificateCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        number = values.pop("volunteer_number", None)
        volunteer = services.volunteer_by_number(number) if number else request.user
        certificate = certificates.certificate_issue(requested_by=request.user,
                                                     organization_id=values.pop("organization"),
                                                     volunteer=volunteer, **values)
        return Response(CertificateSerializer(certificate).data, status=201)


class CertificatePdfApi(APIView):
    @extend_schema(responses={(200, "application/pdf"): bytes}, summary="证明 PDF")
    def get(self, request, pk: int):
        certificate = certificates.certificate_for_viewer(user=request.user, certificate_id=pk)
        url = request.build_absolute_uri(f"/certificates/verify/{certificate.verify_code}/")
        response = HttpResponse(certificates.certificate_pdf(certificate, verify_url=url),
                                content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{certificate.serial}.pdf"'
        return response


class CertificateRevokeApi(APIView):
    @extend_schema(request=RevokeSerializer, responses=CertificateSerializer, summary="撤销证明")
    def post(self, request, pk: int):
        certificate = certificates.certificate_for_viewer(user=request.user, certificate_id=pk)
        data = RevokeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        certificate = certificates.certificate_revoke(user=request.user, certificate=certificate,
                                                      reason=data.validated_data["reason"])
        return Response(CertificateSerializer(certificate).data)


class CertificateVerifyApi(APIView):
    """Public: anyone holding the code (printed as a QR code on the PDF)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(responses=dict, summary="核验证明（公开）")
    def get(self, request, code: str):
        return Response(certificates.certificate_public_facts(certificates.certificate_by_code(code)))


def certificate_verify_page(request, code: str):
    """The human page behind the QR code."""
    certificate = Certificate.objects.filter(verify_code=code).first()
    facts = certificates.certificate_public_facts(certificate) if certificate else None
    return render(request, "volunteers/certificate_verify.html", {"facts": facts, "code": code},
                  status=200 if facts else 404)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ServiceRecordExportApi(APIView):
    """A volunteer's own records, or (``?organization=<id>``, its staff only) every
    record the organization made, as an Excel sheet."""

    @extend_schema(parameters=[OpenApiParameter("organization", int)], responses={(200, XLSX): bytes},
                   summary="导出服务记录（Excel）")
    def get(self, request):
        organization_id = request.query_params.get("organization")
        if organization_id:
            if not organization_id.isdigit():
                raise DomainError("invalid", "organization 须为组织编号", fields={"organization": ["须为整数"]})
            organization = services.organization_for_staff(user=request.user, organization_id=int(organization_id))
            records = ServiceRecord.objects.filter(organization=organization)
            name, title = f"service-records-org-{organization.id}.xlsx", "组织服务记录"
        else:
            records = ServiceRecord.objects.filter(volunteer=request.user)
            name, title = "my-service-records.xlsx", "我的服务记录"
        response = HttpResponse(exports.service_records_xlsx(records, title=title), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class OrganizationMetricListApi(APIView):
    """An organization's monthly activity metrics: its staff, and government staff
    whose jurisdiction covers it."""

    @extend_schema(parameters=[OpenApiParameter("organization", int, required=True),
                               OpenApiParameter("period", str, description="YYYY-MM")],
                   responses=OrganizationMetricSerializer(many=True), summary="组织活动指标")
    def get(self, request):
        params = MetricQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        rows = metrics.organization_metric_list(user=request.user, **params.validated_data)
        return paginated_response(self, request, rows, OrganizationMetricSerializer)
