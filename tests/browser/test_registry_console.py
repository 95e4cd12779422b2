"""Government staff in the desktop console: the social-organization registry (list with
filters and the Excel export, an organization's record with a staff action), the
statistics page (table and chart) and the filing review (community → street)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, assert_cjk_renders, volunteer_phone

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("server_log")]

BUREAU_STAFF = "13800000000"
STREET_STAFF = "13800000001"
COMMUNITY_STAFF = "13800000002"
JINGDONG_COMMUNITY = "410902001001"  # governed by the street staff (410902001) and community staff

# seed_demo's organizations, all inside the bureau's city (4109).
DEMO_ORGANIZATIONS = [
    "濮阳市春晖社会工作服务中心", "濮阳市益民社会工作服务社", "濮阳市志愿者协会", "华龙区老年人协会",
    "濮阳市慈善基金会", "京东社区邻里互助会", "玉北社区文体队", "胜利路街道助残服务队",
]


def staff_login(page, phone: str, shot=None) -> None:
    """Log in on the login page; staff start on the registry."""
    page.goto("/login")
    expect(page.get_by_test_id("login-submit")).to_be_visible()
    page.get_by_test_id("login-phone").fill(phone)
    page.get_by_test_id("login-password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    page.wait_for_url(re.compile(r"/console/registry$"))
    expect(page.get_by_test_id("registry-list")).to_have_attribute("data-loading", "0")


def test_bureau_staff_browse_the_registry_open_a_record_and_see_the_stats(new_context, shot, api_for):
    page = new_context("desktop").new_page()
    staff_login(page, BUREAU_STAFF)

    # Staff navigation only: the social worker's pages are not offered.
    for testid in ("console-nav-registry", "console-nav-filings", "console-nav-stats"):
        expect(page.get_by_test_id(testid)).to_be_visible()
    expect(page.get_by_test_id("console-nav-projects")).to_have_count(0)
    expect(page.get_by_test_id("console-nav-records")).to_have_count(0)

    # The list: every demo organization of the city.
    rows = page.get_by_test_id("registry-row")
    for name in DEMO_ORGANIZATIONS:
        expect(rows.filter(has_text=name)).to_have_count(1)
    expect(page.get_by_test_id("registry-count")).to_have_text(f"共 {len(DEMO_ORGANIZATIONS)} 家")
    assert_cjk_renders(page)
    shot(page, "registry-list")

    # Filters: type, then a search; reset brings everything back.
    page.get_by_test_id("registry-filter-type").select_option("foundation")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("濮阳市慈善基金会")
    page.get_by_test_id("registry-filter-reset").click()
    expect(rows).to_have_count(len(DEMO_ORGANIZATIONS))
    page.get_by_test_id("registry-filter-registration").select_option("filed")
    expect(rows).to_have_count(3)
    page.get_by_test_id("registry-search").fill("社区")
    page.get_by_test_id("registry-search-submit").click()
    expect(rows).to_have_count(2)
    shot(page, "registry-filtered")
    page.get_by_test_id("registry-filter-reset").click()
    expect(rows).to_have_count(len(DEMO_ORGANIZATIONS))

    # The Excel export: a real .xlsx (a zip) downloaded with the Bearer token.
    with page.expect_download() as info:
        page.get_by_test_id("registry-export").click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    with open(download.path(), "rb") as fh:
        assert fh.read(2) == b"PK"

    # An organization's record.
    row = rows.filter(has_text="濮阳市慈善基金会")
    org_id = row.get_attribute("data-org-id")
    page.get_by_test_id(f"registry-link-{org_id}").click()
    page.wait_for_url(f"**/console/registry/{org_id}")
    detail = page.get_by_test_id("registry-detail")
    expect(page.get_by_test_id("org-name")).to_have_text("濮阳市慈善基金会")
    expect(page.get_by_test_id("org-type")).to_have_text("基金会")
    expect(page.get_by_test_id("org-tier")).to_have_text("民政登记管理")
    for part in ("org-fields", "org-inspections", "org-charter", "org-party-building", "org-history", "org-actions"):
        expect(detail.get_by_test_id(part)).to_be_visible()
    expect(page.get_by_test_id("org-charter-party-clause")).to_contain_text("党建条款")
    shot(page, "registry-detail")

    # A staff action with its errors shown on the page: a reason is required, an
    # inspection of a future year is refused by the server, then a tier change succeeds.
    page.get_by_test_id("tier-select").select_option("street_managed")
    page.get_by_test_id("tier-submit").click()
    expect(page.get_by_test_id("tier-error")).to_contain_text("请填写调整原因")
    page.get_by_test_id("inspection-year").fill("2099")
    page.get_by_test_id("inspection-submit").click()
    expect(page.get_by_test_id("inspection-error")).to_contain_text("年检年度不能晚于今年")
    page.evaluate("window.scrollTo(0, 0)")  # full-page shots with the sticky header at the top
    shot(page, "registry-action-errors")
    page.get_by_test_id("tier-reason").fill("业务主管调整，由街道管理")
    page.get_by_test_id("tier-submit").click()
    expect(page.get_by_test_id("org-tier")).to_have_text("街道（乡镇）管理")
    expect(page.get_by_test_id("tier-error")).to_have_count(0)
    history = page.get_by_test_id("history-row").filter(has_text="业务主管调整，由街道管理")
    expect(history).to_have_count(1)
    expect(history).to_contain_text("民政登记管理 → 街道（乡镇）管理")
    bureau = api_for(BUREAU_STAFF)
    assert bureau.get(f"/api/v1/organizations/{org_id}/")["tier"] == "street_managed"

    # The statistics of the city: the type × registration × authority table and the chart.
    page.get_by_test_id("console-nav-stats").click()
    page.wait_for_url("**/console/registry/stats")
    table = page.get_by_test_id("stats-table")
    expect(table).to_be_visible()
    expect(page.get_by_test_id("stats-region-name")).to_contain_text("4109")
    expect(page.get_by_test_id("stats-grand-total")).to_have_text(str(len(DEMO_ORGANIZATIONS)))
    expect(page.get_by_test_id("stats-cell-foundation-registered-city")).to_have_text("1")
    expect(page.get_by_test_id("stats-type-total-social_group")).to_have_text("5")
    expect(page.get_by_test_id("stats-chart").locator("canvas")).to_have_count(1)
    expect(page.get_by_test_id("stats-coverage-row").first).to_be_visible()
    page.wait_for_timeout(600)  # the chart's entry animation
    shot(page, "registry-stats")


def test_a_filing_is_reviewed_by_the_community_then_filed_by_the_street(new_context, shot, api_for, server):
    # A resident applies to file a community organization (the charter from the template).
    resident = api_for(volunteer_phone(3))
    name = "京东社区银龄读书会"
    template = resident.get("/api/v1/organizations/charter-template/", name=name, region_name="京东社区")
    filing = resident.post("/api/v1/filings/", {
        "name": name, "region": JINGDONG_COMMUNITY, "person_in_charge": "王秀英",
        "contact_phone": "13912345678", "charter_sections": template["sections"],
        "members": [{"name": f"成员{i}", "kind": "individual"} for i in range(6)],
        "service_domains": ["culture", "elderly"],
    }, status=201)
    fid = filing["id"]

    # The community staff: the application waits for their first review.
    page = new_context("desktop").new_page()
    staff_login(page, COMMUNITY_STAFF)
    page.get_by_test_id("console-nav-filings").click()
    page.wait_for_url("**/console/filings")
    row = page.locator(f'[data-testid="filing-row"][data-filing-id="{fid}"]')
    expect(row).to_contain_text(name)
    expect(page.get_by_test_id(f"filing-status-{fid}")).to_have_text("待社区初审")
    # Returning needs a reason (checked on the page before anything is sent).
    page.get_by_test_id(f"filing-return-{fid}").click()
    page.get_by_test_id("filing-return-confirm").click()
    expect(page.get_by_test_id("filing-return-error")).to_have_text("请填写退回原因")
    page.get_by_test_id("filing-return-cancel").click()
    page.get_by_test_id(f"filing-detail-{fid}").click()
    expect(page.get_by_test_id("filing-detail-dialog")).to_contain_text("提交申请")
    page.wait_for_timeout(400)  # the popup's fade-in
    shot(page, "filing-detail")
    page.locator(".van-popup__close-icon").click()
    shot(page, "filings-community")
    page.get_by_test_id(f"filing-approve-{fid}").click()
    expect(page.locator(".van-toast").filter(has_text="已通过初审")).to_be_visible()
    expect(row).to_have_count(0)  # no longer in 待社区初审
    assert resident.get(f"/api/v1/filings/{fid}/")["status"] == "community_approved"

    # The street staff file it: the organization enters the registry.
    page2 = new_context("desktop").new_page()
    staff_login(page2, STREET_STAFF)
    page2.get_by_test_id("console-nav-filings").click()
    row2 = page2.locator(f'[data-testid="filing-row"][data-filing-id="{fid}"]')
    expect(page2.get_by_test_id(f"filing-status-{fid}")).to_have_text("待街道审核")
    page2.get_by_test_id(f"filing-approve-{fid}").click()
    expect(page2.locator(".van-toast").filter(has_text="已准予备案")).to_be_visible()
    expect(row2).to_have_count(0)
    filed = resident.get(f"/api/v1/filings/{fid}/")
    assert filed["status"] == "filed" and filed["organization"]

    # Under 已备案 with a link to the new record.
    page2.get_by_role("tab", name="已备案").click()
    expect(page2.get_by_test_id(f"filing-status-{fid}")).to_have_text("已备案")
    shot(page2, "filings-street-filed")
    page2.get_by_test_id(f"filing-org-{fid}").click()
    page2.wait_for_url(f"**/console/registry/{filed['organization']}")
    expect(page2.get_by_test_id("org-name")).to_have_text(name)
    expect(page2.get_by_test_id("registry-detail").get_by_text("备案", exact=True).first).to_be_visible()
    expect(page2.locator('[data-testid="history-row"][data-kind="filed"]')).to_have_count(1)
    shot(page2, "filed-organization")

    # Bureau staff see the application but have no step to act on.
    page3 = new_context("desktop").new_page()
    staff_login(page3, BUREAU_STAFF)
    page3.goto("/console/filings")
    expect(page3.get_by_test_id(f"filing-status-{fid}")).to_have_text("已备案")
    expect(page3.get_by_test_id(f"filing-approve-{fid}")).to_have_count(0)


def test_staff_only_pages_are_closed_to_a_social_worker(new_context):
    from tests.browser.conftest import SOCIAL_WORKER, login

    page = new_context("desktop").new_page()
    login(page, SOCIAL_WORKER)
    page.wait_for_url("**/console/projects")
    expect(page.get_by_test_id("console-nav-projects")).to_be_visible()
    expect(page.get_by_test_id("console-nav-registry")).to_have_count(0)
    page.goto("/console/registry/stats")
    page.wait_for_url("**/console/projects")
