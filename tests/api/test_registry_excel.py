"""Excel ledgers: export, and an import that is all-or-nothing unless asked otherwise."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from organizations.models import Organization
from organizations.services.excel import COLUMNS
from tests.conftest import as_user, assert_error
from tests.factories import COMMUNITY, OrganizationFactory, region
from tests.registry_factories import cast, valid_code

pytestmark = pytest.mark.django_db
URL = "/api/v1/organizations/import/"


def _row(name="京东社区书香协会", code=None, **extra):
    values = {"name": name, "credit_code": code or valid_code("social_group", serial=hash(name) % 10_000),
              "org_type": "社团", "registration_status": "登记", "authority_level": "县区属", "region": COMMUNITY,
              "is_community": "是", "service_domains": "文化、教育", "founded_on": "2019-03-01",
              "person_in_charge": "刘老师", "contact_phone": "13900002222", "individual_members": 30,
              "unit_members": 0, "status": "正常", **extra}
    return [values[field] for _, field in COLUMNS]


def _xlsx(*rows, header=None) -> SimpleUploadedFile:
    book = Workbook()
    sheet = book.active
    sheet.append(header or [h for h, _ in COLUMNS])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile("ledger.xlsx", out.getvalue())


def _post(user, upload, **extra):
    return as_user(user).post(URL, {"file": upload, **extra}, format="multipart")


def test_a_clean_ledger_imports_every_row():
    c = cast()
    response = _post(c.community, _xlsx(_row(), _row("京东社区康乐协会")))
    assert response.json() == {"imported": 2, "rejected_rows": 0, "errors": []}
    org = Organization.objects.get(name="京东社区书香协会")
    assert (org.org_type, org.registration_status, org.source, org.service_domains) == (
        "social_group", "registered", "import", ["culture", "education"])
    assert org.events.get().kind == "imported"


def test_any_bad_row_imports_nothing_and_reports_each_row_and_why():
    c = cast()
    before = Organization.objects.count()
    upload = _xlsx(_row(), _row("坏代码协会", code="51410902000000001X"), _row("外区协会", region="410902002001"),
                   _row("类型不明", org_type="公司"), _row(), _row("日期错", founded_on="去年"))
    body = assert_error(_post(c.community, upload), 400, "import_invalid")
    reasons = {(r["row"], r["field"]) for r in body["fields"]["rows"]}
    assert reasons == {("3", "credit_code"), ("4", "region"), ("5", "org_type"), ("6", "credit_code"),
                       ("6", "name"), ("7", "founded_on")}
    assert Organization.objects.count() == before


def test_good_rows_only_imports_them_and_still_reports_the_bad_ones():
    c = cast()
    upload = _xlsx(_row(), _row("坏代码协会", code="51410902000000001X"))
    body = _post(c.community, upload, good_rows_only="true").json()
    assert body["imported"] == 1 and body["rejected_rows"] == 1 and body["errors"][0]["field"] == "credit_code"
    assert Organization.objects.filter(name="京东社区书香协会").exists()
    assert not Organization.objects.filter(name="坏代码协会").exists()


def test_a_duplicate_of_the_registry_is_a_bad_row():
    c = cast()
    code = valid_code("social_group", serial=4242)
    OrganizationFactory(region=region(COMMUNITY), name="已有协会", org_type="social_group", credit_code=code)
    body = assert_error(_post(c.community, _xlsx(_row("新协会", code=code), _row("已有协会"))), 400)
    assert {r["field"] for r in body["fields"]["rows"]} == {"credit_code", "name"}


@pytest.mark.parametrize("upload, status, code", [
    (SimpleUploadedFile("x.xlsx", b"not a spreadsheet"), 400, "invalid_file"),
    (SimpleUploadedFile("x.xlsx", b"PK\x03\x04broken zip"), 400, "invalid_file"),
    (None, 400, "invalid"),
])
def test_malformed_files_are_4xx(upload, status, code):
    c = cast()
    response = as_user(c.community).post(URL, {"file": upload} if upload else {}, format="multipart")
    assert_error(response, status, code)


def test_missing_columns_and_empty_sheets_are_400():
    c = cast()
    assert "缺少列" in assert_error(_post(c.community, _xlsx(header=["名称"])), 400, "invalid_file")["detail"]
    assert_error(_post(c.community, _xlsx()), 400, "invalid_file")


def test_oversized_files_and_too_many_rows_are_413(settings):
    c = cast()
    settings.ORGANIZATIONS = {"IMPORT_MAX_BYTES": 1000}
    assert_error(_post(c.community, _xlsx(_row())), 413, "file_too_large")
    settings.ORGANIZATIONS = {"IMPORT_MAX_ROWS": 1}
    assert_error(_post(c.community, _xlsx(_row(), _row("第二行协会"))), 413, "too_many_rows")
    assert not Organization.objects.filter(source="import").exists()


@pytest.mark.parametrize("role, status", [("anonymous", 401), ("resident", 403), ("admin", 403)])
def test_only_staff_import_and_export(role, status):
    c = cast()
    from tests.api.test_registry_record import client

    assert_error(client(c, role).post(URL, {"file": _xlsx(_row())}, format="multipart"), status)
    assert_error(client(c, role).get("/api/v1/organizations/export/"), status)
    assert not Organization.objects.filter(source="import").exists()


def test_the_export_holds_the_jurisdiction_and_reimports_cleanly_elsewhere():
    c = cast(credit_code=valid_code(serial=77), service_domains=["elderly"])
    response = as_user(c.community).get("/api/v1/organizations/export/")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == tuple(h for h, _ in COLUMNS)
    assert [r[0] for r in rows[1:]] == [c.org.name]  # the other street's organization is not in it
    assert rows[1][7] == "养老服务"
    # Exported then imported again: every row is a duplicate, reported, nothing written.
    body = assert_error(_post(c.community, SimpleUploadedFile("a.xlsx", response.content)), 400, "import_invalid")
    assert {r["field"] for r in body["fields"]["rows"]} == {"credit_code", "name"}


def test_a_duplicate_registered_between_the_check_and_the_write_is_a_409_and_nothing_is_imported(monkeypatch):
    from organizations.services import excel

    c = cast()
    code = valid_code("social_group", serial=8080)
    real = excel.record_errors

    def meanwhile(**kwargs):
        # Another clerk registers the same code while this import is being validated.
        if not Organization.objects.filter(credit_code=code).exists():
            OrganizationFactory(region=region(COMMUNITY), name="同时录入的协会", org_type="social_group",
                                credit_code=code)
        return real(**kwargs)

    monkeypatch.setattr(excel, "record_errors", meanwhile)
    body = assert_error(_post(c.community, _xlsx(_row("京东社区康乐协会"), _row("京东社区书香协会", code=code))),
                        409, "import_conflict")
    assert "file" in body["fields"]
    assert not Organization.objects.filter(source="import").exists()
    assert Organization.objects.filter(credit_code=code).count() == 1
