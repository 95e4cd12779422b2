"""The participation dashboard in the desktop console: bureau staff see the demo city,
drill down to a district and a street, export a chart's table (opened back with
openpyxl), and watch the live counter move when a volunteer checks in; street staff
are kept to their street."""

from __future__ import annotations

import io
import re
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, SOCIAL_WORKER, volunteer_phone

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("server_log")]

BUREAU_STAFF = "13800000000"
STREET_STAFF = "13800000001"  # 中原路街道 (410902001)
SHANGHAI = ZoneInfo("Asia/Shanghai")
EXTRA_SHOTS = Path("/tmp/shots-dash")


def staff_login(page, phone: str) -> None:
    page.goto("/login")
    page.get_by_test_id("login-phone").fill(phone)
    page.get_by_test_id("login-password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    page.wait_for_url(re.compile(r"/console/"))


def keep(path: Path) -> None:
    EXTRA_SHOTS.mkdir(exist_ok=True)
    shutil.copy(path, EXTRA_SHOTS / path.name)


def live_shift(api_for) -> tuple[int, object]:
    """A shift of a demo project starting in ten minutes (check-in opens an hour before),
    with a volunteer confirmed on it."""
    worker = api_for(SOCIAL_WORKER)
    # One whose sign-ups are confirmed at once (other tests may add approval-required ones).
    project = next(p for p in worker.get("/api/v1/projects/", mine=1)["results"]
                   if p["status"] == "published" and not p["requires_approval"] and not p["min_age"]
                   and not p["members_first_until"])
    start = datetime.now(SHANGHAI) + timedelta(minutes=10)
    shift = worker.post(f"/api/v1/projects/{project['id']}/shifts/",
                        {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=2)).isoformat(),
                         "capacity": 5}, status=201)
    volunteer = api_for(volunteer_phone(17))
    signup = volunteer.post(f"/api/v1/shifts/{shift['id']}/signups/", {}, status=201)
    assert signup["status"] == "confirmed", signup
    return shift["id"], volunteer


def test_bureau_staff_see_the_city_drill_down_export_and_watch_check_ins(new_context, shot, api_for):
    page = new_context("desktop").new_page()
    staff_login(page, BUREAU_STAFF)
    expect(page.get_by_test_id("console-nav-dashboard")).to_be_visible()
    page.get_by_test_id("console-nav-dashboard").click()
    expect(page.get_by_test_id("dashboard-region-name")).to_have_text("濮阳市")
    expect(page.get_by_test_id("kpi-hours")).not_to_have_text("0.00")
    expect(page.get_by_test_id("table-children").get_by_test_id("child-row")).to_have_count(8)
    for chart in ("chart-children", "chart-trends", "chart-stars", "chart-top-organizations", "chart-top-projects",
                  "chart-registry", "chart-coverage", "chart-grades"):
        expect(page.get_by_test_id(chart).locator("canvas").first).to_be_visible()
    page.wait_for_timeout(600)  # let ECharts finish its entry animation before the picture
    keep(shot(page, "city"))

    # The figures on the page are the API's.
    bureau = api_for(BUREAU_STAFF)
    year = datetime.now(SHANGHAI).year
    figures = bureau.get("/api/v1/dashboard/participation/", region="4109", **{"from": f"{year}-01-01",
                                                                                "to": f"{year}-12-31"})
    expect(page.get_by_test_id("kpi-active")).to_have_text(f"{figures['active_volunteers']:,}")

    # Drill down: the district, then the street; the breadcrumb leads back.
    page.get_by_test_id("drill-410902").click()
    expect(page.get_by_test_id("dashboard-region-name")).to_have_text("华龙区")
    page.get_by_test_id("drill-410902001").click()
    expect(page.get_by_test_id("dashboard-region-name")).to_have_text(re.compile("中原路"))
    expect(page.get_by_test_id("chart-children")).to_be_visible()
    page.wait_for_timeout(600)
    keep(shot(page, "street"))
    street = bureau.get("/api/v1/dashboard/participation/", region="410902001",
                        **{"from": f"{year}-01-01", "to": f"{year}-12-31"})
    expect(page.get_by_test_id("kpi-hours")).to_have_text(f"{street['approved_hours']:,.2f}")

    # A chart's table as Excel, opened back.
    with page.expect_download() as download:
        page.get_by_test_id("export-children").click()
    book = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    assert book.sheetnames == ["下级区划对比"]
    rows = list(book.active.iter_rows(min_row=2, values_only=True))
    assert {r[0] for r in rows} == {c["code"] for c in street["by_child_region"]}

    # Monthly view of the street, then back to the city through the breadcrumb.
    page.get_by_test_id("dashboard-period-kind").select_option("m")
    expect(page.get_by_test_id("dashboard-period-index")).to_be_visible()
    page.get_by_test_id("dashboard-crumb-4109").click()
    expect(page.get_by_test_id("dashboard-region-name")).to_have_text("濮阳市")

    # The live counter moves when a volunteer checks in.
    before = int(page.get_by_test_id("dashboard-live-checkins").inner_text())
    shift_id, volunteer = live_shift(api_for)
    code = api_for(SOCIAL_WORKER).get(f"/api/v1/shifts/{shift_id}/checkin-code/")["code"]
    volunteer.post("/api/v1/attendance/check-in/", {"code": code}, status=201)
    expect(page.get_by_test_id("dashboard-live-checkins")).to_have_text(str(before + 1))
    keep(shot(page, "live-after-check-in", full_page=False))


def test_street_staff_see_their_street_and_nothing_above_it(new_context, shot):
    page = new_context("desktop").new_page()
    staff_login(page, STREET_STAFF)
    page.goto("/console/dashboard")
    expect(page.get_by_test_id("dashboard-region-name")).to_have_text(re.compile("中原路"))
    expect(page.get_by_test_id("table-children").get_by_test_id("child-row").first).to_be_visible()
    page.wait_for_timeout(600)
    keep(shot(page, "street-staff"))
    page.goto("/console/dashboard?region=4109")
    expect(page.get_by_test_id("dashboard-error")).to_contain_text("管辖范围")
    keep(shot(page, "outside", full_page=False))
