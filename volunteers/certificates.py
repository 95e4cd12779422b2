"""志愿服务记录证明: issued free of charge by the organization that organized and
recorded the service, for all its final hours or a date range; verifiable by a public
code; revocable with a reason; serials unique and never reused."""

from __future__ import annotations

import io
import secrets
from datetime import date
from decimal import Decimal
from functools import lru_cache

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.http import Http404
from django.utils import timezone

from accounts.models import RealName, User
from config.exceptions import Conflict, DomainError, Forbidden
from notifications.services import notification_send
from organizations.models import Organization
from volunteers.models import Certificate, CertificateCounter, ServiceRecord
from volunteers.selectors import staff_organization_ids
from volunteers.services import is_org_staff

ID_TYPE_UNVERIFIED = "未实名（暂无证件信息）"


def volunteer_identity(volunteer: User) -> dict:
    """The identity printed on records and certificates: the real name and the MASKED ID
    number when the volunteer is verified (never the full number), else a placeholder."""
    real_name = RealName.objects.filter(user_id=volunteer.id).first()
    if real_name is None:
        return {"name": volunteer.name, "id_type": ID_TYPE_UNVERIFIED, "id_number_masked": ""}
    return {"name": real_name.name, "id_type": real_name.get_id_type_display(),
            "id_number_masked": real_name.id_number_masked}


def _final_records(*, volunteer_id: int, organization_id: int, date_from: date | None, date_to: date | None):
    qs = ServiceRecord.objects.filter(volunteer_id=volunteer_id, organization_id=organization_id,
                                      status=ServiceRecord.Status.APPROVED, finalized_at__isnull=False)
    if date_from:
        qs = qs.filter(started_at__date__gte=date_from)
    if date_to:
        qs = qs.filter(started_at__date__lte=date_to)
    return qs


def _next_serial(year: int) -> str:
    """Take the next number of ``year`` under the counter row's lock (caller's
    transaction). A rolled-back issue gives its number back to nobody else: the unique
    constraint on ``serial`` is the last word either way."""
    CertificateCounter.objects.get_or_create(year=year)
    counter = CertificateCounter.objects.select_for_update().get(year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"ZYFW{year}{counter.last:07d}"


def certificate_issue(*, requested_by: User, organization_id: int, volunteer: User, date_from: date | None = None,
                      date_to: date | None = None, person_in_charge: str = "", contact: str = "",
                      notes: str = "") -> Certificate:
    """Issue a certificate. The volunteer may request their own (handled by the platform
    on the organization's behalf); the organization's staff may issue one for any
    volunteer. Only hours this organization recorded and that are final are certified."""
    organization = Organization.objects.filter(id=organization_id).first()
    staff = organization is not None and is_org_staff(user=requested_by, organization_id=organization_id)
    if organization is None or (requested_by.id != volunteer.id and not staff):
        raise Http404
    if date_from and date_to and date_to < date_from:
        raise DomainError("invalid_range", "结束日期不能早于开始日期", fields={"date_to": ["早于开始日期"]})
    records = _final_records(volunteer_id=volunteer.id, organization_id=organization_id, date_from=date_from,
                             date_to=date_to)
    totals = records.aggregate(hours=Sum("hours"), count=Count("id"))
    if not totals["hours"]:
        raise DomainError("no_recorded_hours", "该组织在所选期间没有为该志愿者记录已确定的服务时长",
                          fields={"organization": ["无可证明的服务时长"]})
    projects = (records.values("project__title").annotate(hours=Sum("hours"), n=Count("id"))
                .order_by("-hours", "project__title"))
    # SQLite sums decimals as floats: round to the record's precision before printing.
    cent = Decimal("0.01")
    content = "；".join(f"{p['project__title']}（{p['n']} 次，{Decimal(p['hours']).quantize(cent)} 小时）"
                       for p in projects[:12])
    identity = volunteer_identity(volunteer)
    now = timezone.now()
    with transaction.atomic():
        certificate = Certificate.objects.create(
            serial=_next_serial(timezone.localtime(now).year), verify_code=secrets.token_urlsafe(12),
            volunteer=volunteer, organization=organization, volunteer_name=identity["name"],
            volunteer_number=volunteer.volunteer_number or "", id_type=identity["id_type"],
            id_number_masked=identity["id_number_masked"],
            date_from=date_from, date_to=date_to, hours=Decimal(totals["hours"]).quantize(cent),
            record_count=totals["count"],
            service_content=content, organization_name=organization.name,
            # The registry's record is the default; the issuer may give others on the request.
            person_in_charge=person_in_charge or organization.person_in_charge,
            handler=requested_by if staff else None,
            handler_name=requested_by.name if staff else "平台自助出具",
            contact=contact or organization.contact_phone, notes=notes, issued_at=now)
        notification_send(recipient_id=volunteer.id, kind="certificate_issued", title="志愿服务记录证明已出具",
                          body=f"{organization.name} 为您出具了志愿服务记录证明（编号 {certificate.serial}，"
                               f"{certificate.hours} 小时）。",
                          data={"certificate_id": certificate.id, "serial": certificate.serial})
    return certificate


def certificate_for_viewer(*, user: User, certificate_id: int) -> Certificate:
    certificate = (Certificate.objects.filter(id=certificate_id)
                   .filter(Q(volunteer=user) | Q(organization_id__in=staff_organization_ids(user))).first())
    if certificate is None:
        raise Http404
    return certificate


def certificate_list(*, user: User):
    return (Certificate.objects.filter(Q(volunteer=user) | Q(organization_id__in=staff_organization_ids(user)))
            .order_by("-id"))


def certificate_revoke(*, user: User, certificate: Certificate, reason: str) -> Certificate:
    """Only the issuing organization revokes (compare-and-set: once)."""
    if not is_org_staff(user=user, organization_id=certificate.organization_id):
        raise Forbidden("permission_denied", "只有出具证明的组织可以撤销")
    with transaction.atomic():
        changed = Certificate.objects.filter(id=certificate.id, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_by=user, revoke_reason=reason)
        if changed != 1:
            raise Conflict("already_revoked", "该证明已撤销")
        certificate.refresh_from_db()
        notification_send(recipient_id=certificate.volunteer_id, kind="certificate_revoked",
                          title="志愿服务记录证明已撤销",
                          body=f"证明 {certificate.serial} 已被 {certificate.organization_name} 撤销：{reason}",
                          data={"certificate_id": certificate.id})
    return certificate


def certificate_by_code(code: str) -> Certificate:
    certificate = Certificate.objects.filter(verify_code=code).first()
    if certificate is None:
        raise DomainError("certificate_not_found", "未找到该证明，请核对验证码", status_code=404)
    return certificate


def mask_name(name: str) -> str:
    return name[:1] + "*" * max(len(name) - 1, 1)


def certificate_public_facts(certificate: Certificate) -> dict:
    """What anyone holding the code may see: enough to match the paper, no more."""
    return {
        "serial": certificate.serial,
        "status": "revoked" if certificate.is_revoked else "valid",
        "volunteer_name": mask_name(certificate.volunteer_name),
        "volunteer_number": certificate.volunteer_number,
        "organization_name": certificate.organization_name,
        "hours": str(certificate.hours),
        "date_from": certificate.date_from.isoformat() if certificate.date_from else None,
        "date_to": certificate.date_to.isoformat() if certificate.date_to else None,
        "issued_on": timezone.localtime(certificate.issued_at).date().isoformat(),
        "revoked_on": timezone.localtime(certificate.revoked_at).date().isoformat() if certificate.is_revoked
        else None,
        "revoke_reason": certificate.revoke_reason or None,
    }


# --- PDF ------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def cjk_font_path() -> str:
    """Noto Sans CJK from the ``cvttf-notosanscjk-regular`` package: embedded (subset)
    in every PDF, so the Chinese shows on any machine."""
    import cvttf_NotoSansCJK_Regular

    return cvttf_NotoSansCJK_Regular.get_TTF_path()


def certificate_pdf(certificate: Certificate, *, verify_url: str) -> bytes:
    import segno
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_title(f"志愿服务记录证明 {certificate.serial}")
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()
    pdf.add_font("noto", fname=cjk_font_path())
    pdf.set_font("noto", size=22)
    pdf.cell(0, 16, "志愿服务记录证明", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("noto", size=10)
    pdf.cell(0, 8, f"编号：{certificate.serial}", align="R", new_x="LMARGIN", new_y="NEXT")
    if certificate.is_revoked:
        pdf.set_text_color(200, 0, 0)
        pdf.cell(0, 8, f"【已撤销】{certificate.revoke_reason}", new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
    if certificate.date_from or certificate.date_to:
        period = f"{certificate.date_from or '最早记录'} 至 {certificate.date_to or '今'}"
    else:
        period = "全部记录"
    rows = [
        ("志愿者姓名", certificate.volunteer_name),
        ("证件类型", certificate.id_type),
        ("证件号码", certificate.id_number_masked or "—"),
        ("志愿者编号", certificate.volunteer_number or "—"),
        ("证明期间", period),
        ("服务时长", f"{certificate.hours} 小时（共 {certificate.record_count} 条服务记录）"),
        ("服务内容", certificate.service_content),
        ("出具组织", certificate.organization_name),
        ("组织负责人", certificate.person_in_charge or "—"),
        ("经办人", certificate.handler_name),
        ("联系方式", certificate.contact or "—"),
        ("出具日期", f"{timezone.localtime(certificate.issued_at):%Y年%m月%d日}"),
        ("备注", certificate.notes or "本证明免费出具，依据本组织记录的已确定服务时长。"),
    ]
    pdf.set_font("noto", size=12)
    for label, value in rows:
        pdf.set_x(20)
        pdf.cell(32, 9, f"{label}：")
        pdf.multi_cell(0, 9, str(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    qr = io.BytesIO()
    segno.make(verify_url, error="m").save(qr, kind="png", scale=4, border=2)
    qr.seek(0)
    y = pdf.get_y()
    pdf.image(qr, x=20, y=y, w=36, h=36)
    pdf.set_xy(60, y + 8)
    pdf.set_font("noto", size=10)
    pdf.multi_cell(0, 6, f"扫码或访问以下地址核验本证明：\n{verify_url}", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


