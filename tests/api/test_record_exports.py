import io

import pytest
from openpyxl import load_workbook

from tests.api.test_real_name import verified
from tests.api.test_service_records import make_record
from tests.conftest import assert_error
from tests.factories import ShiftFactory, UserFactory, social_worker
from volunteers.exports import COLUMNS

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def rows(response) -> list[tuple]:
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == XLSX
    return list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))


def test_a_volunteer_exports_their_records_with_the_national_fields(client_for):
    record = make_record(2)
    client_for(record.project.owner).post(f"/api/v1/service-records/{record.id}/approve/", {"quality_rating": 4},
                                          format="json")
    make_record(1)  # someone else's
    sheet = rows(client_for(record.volunteer).get("/api/v1/service-records/export/"))
    assert list(sheet[0]) == COLUMNS and len(sheet) == 2
    row = dict(zip(COLUMNS, sheet[1], strict=True))
    assert row["志愿者编号"] == record.volunteer.volunteer_number and row["项目名称"] == record.project.title
    assert row["服务时长（小时）"] == 2 and row["服务质量评价"] == 4 and row["记录来源"] == "签到签退"
    assert row["项目负责人"] == record.project.owner.name and row["记录组织"] == record.organization.name
    assert row["是否已确定"] == "是" and row["证件类型"] == "未实名"
    verified(record.volunteer)
    row = dict(zip(COLUMNS, rows(client_for(record.volunteer).get("/api/v1/service-records/export/"))[1], strict=True))
    assert row["证件类型"] == "居民身份证"


def test_an_organization_exports_all_it_recorded_and_only_it(api, client_for):
    record = make_record(2)
    make_record(1, shift=ShiftFactory(project=record.project))
    make_record(1)  # another organization's
    owner = client_for(record.project.owner)
    sheet = rows(owner.get(f"/api/v1/service-records/export/?organization={record.organization_id}"))
    assert len(sheet) == 3 and {r[13] for r in sheet[1:]} == {record.organization.name}
    url = f"/api/v1/service-records/export/?organization={record.organization_id}"
    assert_error(client_for(record.volunteer).get(url), 404)
    assert_error(client_for(social_worker()).get(url), 404)
    assert_error(api.get(url), 401)
    assert_error(owner.get("/api/v1/service-records/export/?organization=abc"), 400, "invalid")
    assert rows(client_for(UserFactory()).get("/api/v1/service-records/export/"))[1:] == []
