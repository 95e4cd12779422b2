"""志愿服务记录证明: issue, PDF with embedded Chinese, public verification, revocation."""

import io
import re
import shutil
import subprocess
import threading

import pytest
from django.db import connection
from django.utils import timezone
from pypdf import PdfReader

from notifications.models import Notification
from tests.api.test_service_records import make_record
from tests.conftest import assert_error
from tests.factories import ProjectFactory, ShiftFactory, UserFactory, social_worker
from volunteers.models import Certificate, CertificateCounter

pytestmark = pytest.mark.django_db


def final_record(client_for, hours=2.0, **kwargs):
    record = make_record(hours, **kwargs)
    response = client_for(record.project.owner).post(f"/api/v1/service-records/{record.id}/approve/")
    assert response.status_code == 200
    record.refresh_from_db()
    return record


def pdf_text(content: bytes) -> str:
    """The PDF turned back into text: poppler's pdftotext where installed, else pypdf
    (which leaves NULs from the font's two-byte codes; they are dropped with whitespace)."""
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=content, capture_output=True,
                              check=True).stdout.decode()
    else:
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    return re.sub(r"[\s\x00]+", "", text)


def test_a_volunteer_gets_a_certificate_whose_pdf_shows_chinese(client_for):
    record = final_record(client_for, 2.5)
    final_record(client_for, 1.5, shift=ShiftFactory(project=record.project), volunteer=record.volunteer)
    volunteer = client_for(record.volunteer)
    response = volunteer.post("/api/v1/certificates/", {"organization": record.organization_id}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert {"id", "serial", "verify_code", "pdf_url"} <= set(body)
    assert body["hours"] == "4.00" and body["record_count"] == 2 and body["id_type"].startswith("未实名")
    assert re.fullmatch(r"ZYFW\d{4}\d{7}", body["serial"])
    assert Notification.objects.filter(recipient=record.volunteer, kind="certificate_issued").count() == 1
    pdf = volunteer.get(body["pdf_url"])
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    text = pdf_text(pdf.content)
    for expected in ("志愿服务记录证明", record.volunteer.name, record.volunteer.volunteer_number, "未实名",
                     "4.00小时", record.project.title, record.organization.name, body["serial"], "经办人",
                     "平台自助出具"):
        assert expected in text, expected
    assert body["verify_code"] in text  # the verification address is printed beside the QR code
    fonts = PdfReader(io.BytesIO(pdf.content)).pages[0]["/Resources"]["/Font"]
    embedded = [f.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"] for f in fonts.values()]
    assert all(any(k in d for k in ("/FontFile", "/FontFile2", "/FontFile3")) for d in embedded)


def test_the_organization_issues_for_a_date_range_with_its_handler(client_for):
    record = final_record(client_for, 2)
    worker = record.project.owner
    day = timezone.localtime(record.started_at).date().isoformat()
    response = client_for(worker).post("/api/v1/certificates/", {
        "organization": record.organization_id, "volunteer_number": record.volunteer.volunteer_number,
        "date_from": day, "date_to": day, "person_in_charge": "王主任", "contact": "0393-1234567"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["handler_name"] == worker.name and body["person_in_charge"] == "王主任"
    text = pdf_text(client_for(worker).get(body["pdf_url"]).content)
    assert "王主任" in text and "0393-1234567" in text


def test_the_person_in_charge_and_contact_default_to_the_registry_record(client_for):
    record = final_record(client_for, 2)
    type(record.organization).objects.filter(id=record.organization_id).update(
        person_in_charge="李会长", contact_phone="0393-7654321")
    body = client_for(record.volunteer).post("/api/v1/certificates/", {"organization": record.organization_id},
                                             format="json").json()
    assert body["person_in_charge"] == "李会长" and body["contact"] == "0393-7654321"


def test_a_certificate_for_hours_the_organization_did_not_record_is_refused(api, client_for):
    record = final_record(client_for, 2)
    other_org_project = ProjectFactory()
    volunteer = client_for(record.volunteer)
    assert_error(volunteer.post("/api/v1/certificates/", {"organization": other_org_project.organization_id},
                                format="json"), 400, "no_recorded_hours")
    pending = make_record(2)  # recorded but not final
    assert_error(client_for(pending.volunteer).post("/api/v1/certificates/", {"organization": pending.organization_id},
                                                    format="json"), 400, "no_recorded_hours")
    assert_error(volunteer.post("/api/v1/certificates/", {"organization": record.organization_id,
                                                          "date_from": "2001-01-01", "date_to": "2001-12-31"},
                                format="json"), 400, "no_recorded_hours")
    assert_error(volunteer.post("/api/v1/certificates/", {"organization": record.organization_id,
                                                          "date_from": "2026-12-01", "date_to": "2026-01-01"},
                                format="json"), 400, "invalid_range")
    assert_error(volunteer.post("/api/v1/certificates/", {}, format="json"), 400, "invalid")
    assert_error(volunteer.post("/api/v1/certificates/", {"organization": 999999}, format="json"), 404)
    # Another organization's social worker cannot certify this volunteer.
    assert_error(client_for(social_worker()).post("/api/v1/certificates/", {
        "organization": record.organization_id, "volunteer_number": record.volunteer.volunteer_number},
        format="json"), 404)
    assert_error(api.post("/api/v1/certificates/", {"organization": record.organization_id}, format="json"), 401)
    assert not Certificate.objects.exists() and not CertificateCounter.objects.filter(last__gt=0).exists()


def test_anyone_verifies_a_certificate_and_sees_a_revocation(api, client_for):
    record = final_record(client_for, 2)
    body = client_for(record.volunteer).post("/api/v1/certificates/", {"organization": record.organization_id},
                                             format="json").json()
    verify = f"/api/v1/certificates/verify/{body['verify_code']}/"
    facts = api.get(verify).json()
    assert facts["status"] == "valid" and facts["serial"] == body["serial"] and facts["hours"] == "2.00"
    assert facts["volunteer_name"].startswith(record.volunteer.name[0]) and "*" in facts["volunteer_name"]
    page = api.get(f"/certificates/verify/{body['verify_code']}/")
    assert page.status_code == 200 and "真实有效" in page.content.decode()
    assert_error(api.get("/api/v1/certificates/verify/nope/"), 404, "certificate_not_found")
    assert api.get("/certificates/verify/nope/").status_code == 404
    revoke = f"/api/v1/certificates/{body['id']}/revoke/"
    assert_error(client_for(record.volunteer).post(revoke, {"reason": "自己撤销"}, format="json"), 403)
    assert_error(client_for(UserFactory()).post(revoke, {"reason": "外人撤销"}, format="json"), 404)
    assert_error(api.post(revoke, {"reason": "匿名"}, format="json"), 401)
    owner = client_for(record.project.owner)
    assert_error(owner.post(revoke, {}, format="json"), 400, "invalid")
    assert not Certificate.objects.get(id=body["id"]).is_revoked
    response = owner.post(revoke, {"reason": "服务时长经申诉更正"}, format="json")
    assert response.status_code == 200 and response.json()["is_revoked"]
    assert_error(owner.post(revoke, {"reason": "再次撤销"}, format="json"), 409, "already_revoked")
    facts = api.get(verify).json()
    assert facts["status"] == "revoked" and facts["revoke_reason"] == "服务时长经申诉更正"
    assert "已于" in api.get(f"/certificates/verify/{body['verify_code']}/").content.decode()
    assert "已撤销" in pdf_text(owner.get(body["pdf_url"]).content)
    # A new certificate never reuses a serial, revoked or not.
    again = client_for(record.volunteer).post("/api/v1/certificates/", {"organization": record.organization_id},
                                              format="json").json()
    assert again["serial"] > body["serial"]


def test_only_the_holder_and_the_organization_read_the_pdf(api, client_for):
    record = final_record(client_for, 2)
    body = client_for(record.volunteer).post("/api/v1/certificates/", {"organization": record.organization_id},
                                             format="json").json()
    assert_error(api.get(body["pdf_url"]), 401)
    assert_error(client_for(UserFactory()).get(body["pdf_url"]), 404)
    assert client_for(UserFactory()).get("/api/v1/certificates/").json()["count"] == 0
    assert client_for(record.project.owner).get("/api/v1/certificates/").json()["count"] == 1


@pytest.mark.django_db(transaction=True)
def test_serials_stay_unique_when_issued_concurrently(client_for):
    if connection.vendor != "postgresql":
        pytest.skip("real row locks need PostgreSQL")
    records = [final_record(client_for, 1) for _ in range(6)]
    serials, errors = [], []

    def issue(record):
        try:
            response = client_for(record.volunteer).post("/api/v1/certificates/",
                                                         {"organization": record.organization_id}, format="json")
            serials.append(response.json()["serial"])
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=issue, args=(r,)) for r in records]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(set(serials)) == 6
