"""The registry's editing pages in the desktop console, driven as their users drive
them, each result checked through the API: the charter editor and the party-building
form (an organization's admin), room booking and the venue management (the admin, then
street staff), the brand editor (street staff award, the admin tells the story and picks
projects) and the Excel import with its row report (community staff)."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect

from organizations.services.excel import COLUMNS
from tests.browser.conftest import ORG_ADMIN, PASSWORD, assert_cjk_renders, login

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("server_log")]

STREET_STAFF = "13800000001"  # 中原路街道 (410902001)
COMMUNITY_STAFF = "13800000002"  # 京东社区 (410902001001)
ADMIN_ORG = "濮阳市春晖社会工作服务中心"  # the demo admin's organization, in 中原路街道
INCUBATOR = "中原路街道社会组织孵化基地"  # seed_demo's venue hosting ADMIN_ORG, room 培训教室 booked tomorrow 14–16
SHANGHAI = ZoneInfo("Asia/Shanghai")


def staff_login(page, phone: str) -> None:
    page.goto("/login")
    page.get_by_test_id("login-phone").fill(phone)
    page.get_by_test_id("login-password").fill(PASSWORD)
    page.get_by_test_id("login-submit").click()
    page.wait_for_url(re.compile(r"/console/registry$"))


def admin_login(page) -> None:
    """The organization's admin logs in (home: the projects to review) and opens the console's registry."""
    login(page, ORG_ADMIN)
    page.goto("/console/registry")
    expect(page.get_by_test_id("registry-list")).to_have_attribute("data-loading", "0")


def admin_org_id(api) -> int:
    return next(o["id"] for o in api.get("/api/v1/me/")["organizations"] if o["name"] == ADMIN_ORG)


def confirm_dialog(page) -> None:
    page.locator(".van-dialog__confirm").click()


def test_the_admin_drafts_a_charter_from_the_model_text_and_sets_party_building(new_context, shot, api_for):
    admin = api_for(ORG_ADMIN)
    org_id = admin_org_id(admin)
    before = len(admin.get(f"/api/v1/organizations/{org_id}/charters/"))

    page = new_context("desktop").new_page()
    admin_login(page)
    page.get_by_test_id("console-nav-own-org").click()
    page.wait_for_url(f"**/console/registry/{org_id}")
    expect(page.get_by_test_id("org-name")).to_have_text(ADMIN_ORG)

    # From the model text; a required section left empty is named and nothing is saved.
    page.get_by_test_id("charter-edit-template").click()
    general = page.get_by_test_id("charter-section-general")
    expect(general).to_have_value(re.compile(ADMIN_ORG))
    expect(page.get_by_test_id("charter-section-party_building")).to_have_value(re.compile("党"))
    general.fill("")
    page.get_by_test_id("charter-save").click()
    expect(page.get_by_test_id("charter-error-general")).to_contain_text("缺少必备章节「总则」")
    expect(page.get_by_test_id("charter-save-error")).to_be_visible()
    page.evaluate("window.scrollTo(0, 0)")  # full-page shots with the sticky header at the top
    shot(page, "charter-missing-section")
    assert len(admin.get(f"/api/v1/organizations/{org_id}/charters/")) == before

    # Saved without the party-building chapter: the record says so.
    general.fill(f"本组织名称为{ADMIN_ORG}，是非营利性社会服务机构。")
    page.get_by_test_id("charter-section-party_building").fill("")
    page.get_by_test_id("charter-note").fill("首次制定")
    page.get_by_test_id("charter-save").click()
    expect(page.get_by_test_id("charter-saved-version")).to_have_text(f"第 {before + 1} 版")
    expect(page.get_by_test_id("charter-saved-party-clause")).to_have_text("未含党建条款")
    expect(page.get_by_test_id("org-charter-party-clause")).to_contain_text("未含党建条款")
    latest = admin.get(f"/api/v1/organizations/{org_id}/charters/")[0]
    assert (latest["version"], latest["has_party_clause"], latest["note"]) == (before + 1, False, "首次制定")
    assert "party_building" not in latest["sections"]

    # The next version takes the model's party-building chapter back.
    page.get_by_test_id("charter-load-template").click()
    page.get_by_test_id("charter-note").fill("补充党建条款")
    page.get_by_test_id("charter-save").click()
    expect(page.get_by_test_id("charter-saved-version")).to_have_text(f"第 {before + 2} 版")
    expect(page.get_by_test_id("org-charter-party-clause")).to_contain_text("含党建条款")
    expect(page.get_by_test_id("org-charter-version")).to_have_text(f"第 {before + 2} 版")
    record = admin.get(f"/api/v1/organizations/{org_id}/")
    assert (record["charter_version"], record["charter_has_party_clause"]) == (before + 2, True)
    expect(page.locator('[data-testid="history-row"][data-kind="charter"]').first).to_contain_text("补充党建条款")
    page.get_by_test_id("charter-editor-close").click()
    page.get_by_test_id("org-charter-toggle").click()
    expect(page.get_by_test_id("org-charter-text")).to_contain_text("党的建设")
    shot(page, "charter-saved")

    # Party building: an instructor needs a name (the server says so), then it is kept with why.
    page.get_by_test_id("party-mode").select_option("instructor")
    page.get_by_test_id("party-instructor-contact").fill("13911112222")
    page.get_by_test_id("party-submit").click()
    expect(page.get_by_test_id("party-error-instructor_name")).to_have_text("派驻党建指导员须填写姓名")
    assert admin.get(f"/api/v1/organizations/{org_id}/")["party_building"] != "instructor"
    page.get_by_test_id("party-instructor-name").fill("李指导")
    page.get_by_test_id("party-reason").fill("街道党工委派驻")
    page.get_by_test_id("party-submit").click()
    expect(page.get_by_test_id("org-party-mode")).to_have_text("派驻党建指导员")
    party = page.get_by_test_id("org-party-building")
    expect(party.locator("tbody tr").first).to_contain_text("街道党工委派驻")
    expect(party).to_contain_text("李指导 13911112222")
    record = admin.get(f"/api/v1/organizations/{org_id}/")
    assert (record["party_building"], record["party_instructor_name"]) == ("instructor", "李指导")
    change = admin.get(f"/api/v1/organizations/{org_id}/party-building/")[0]
    assert (change["mode"], change["reason"], change["changed_by_name"]) == ("instructor", "街道党工委派驻", "冯组织")
    party.scroll_into_view_if_needed()
    shot(page, "party-building-saved", full_page=False)


def _local_input(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M")


def test_the_admin_books_a_room_around_the_seeded_booking_and_staff_manage_the_venue(new_context, shot, api_for):
    admin = api_for(ORG_ADMIN)
    street = api_for(STREET_STAFF)
    venues = street.get("/api/v1/venues/", include_inactive=1)["results"]
    incubator = next(v for v in venues if v["name"] == INCUBATOR)
    room = next(r for r in incubator["rooms"] if r["name"] == "培训教室")
    seeded = admin.get(f"/api/v1/rooms/{room['id']}/bookings/")
    assert len(seeded) == 1
    seeded_start = datetime.fromisoformat(seeded[0]["starts_at"]).astimezone(SHANGHAI)

    page = new_context("desktop").new_page()
    admin_login(page)
    page.get_by_test_id("console-nav-venues").click()
    page.wait_for_url("**/console/venues")
    card = page.locator(f'[data-testid="venue"][data-venue-id="{incubator["id"]}"]')
    expect(card).to_contain_text(ADMIN_ORG)
    expect(card).to_contain_text("玉北社区文体队")  # a shared office
    expect(card.get_by_test_id(f"venue-actions-{incubator['id']}")).to_have_count(0)  # not staff
    assert_cjk_renders(page)
    page.get_by_test_id(f"room-open-{room['id']}").click()
    panel = page.get_by_test_id("booking-panel")
    expect(panel.get_by_test_id("booking-row")).to_have_count(1)

    # An overlapping slot is refused and shown as a conflict; nothing is written.
    page.get_by_test_id("booking-starts").fill(_local_input(seeded_start + timedelta(hours=1)))
    page.get_by_test_id("booking-ends").fill(_local_input(seeded_start + timedelta(hours=3)))
    page.get_by_test_id("booking-submit").click()
    expect(page.get_by_test_id("booking-conflict")).to_contain_text("该时段已被预约")
    shot(page, "booking-conflict")
    assert len(admin.get(f"/api/v1/rooms/{room['id']}/bookings/")) == 1

    # Right after it: booked, listed, then cancelled again by the admin.
    page.get_by_test_id("booking-starts").fill(_local_input(seeded_start + timedelta(hours=2)))
    page.get_by_test_id("booking-ends").fill(_local_input(seeded_start + timedelta(hours=4)))
    page.get_by_test_id("booking-purpose").fill("志愿者培训")
    page.get_by_test_id("booking-submit").click()
    expect(panel.get_by_test_id("booking-row")).to_have_count(2)
    expect(page.get_by_test_id("booking-conflict")).to_have_count(0)
    mine = next(b for b in admin.get(f"/api/v1/rooms/{room['id']}/bookings/") if b["purpose"] == "志愿者培训")
    assert datetime.fromisoformat(mine["starts_at"]) == seeded_start + timedelta(hours=2)
    shot(page, "booking-made")
    page.get_by_test_id(f"booking-cancel-{mine['id']}").click()
    expect(panel.get_by_test_id("booking-row")).to_have_count(1)
    assert [b["id"] for b in admin.get(f"/api/v1/rooms/{room['id']}/bookings/")] == [seeded[0]["id"]]

    # Street staff: a booked room is not deleted (the page says why), it is stopped instead.
    staff = new_context("desktop").new_page()
    staff_login(staff, STREET_STAFF)
    staff.goto("/console/venues")
    staff.get_by_test_id(f"room-delete-{room['id']}").click()
    confirm_dialog(staff)
    expect(staff.get_by_test_id(f"room-action-error-{room['id']}")).to_contain_text("有预约记录，不能删除")
    staff.get_by_test_id(f"room-stop-{room['id']}").click()
    expect(staff.get_by_test_id(f"room-bookable-{room['id']}")).to_have_text("否")
    assert next(r for r in street.get(f"/api/v1/venues/{incubator['id']}/")["rooms"]
                if r["id"] == room["id"])["is_bookable"] is False
    # Renamed and resized.
    staff.get_by_test_id(f"room-edit-{room['id']}").click()
    staff.get_by_test_id(f"room-edit-capacity-{room['id']}").fill("36")
    staff.get_by_test_id(f"room-edit-save-{room['id']}").click()
    expect(staff.locator(f'[data-testid="room-row"][data-room-id="{room["id"]}"]')).to_contain_text("36")
    # A new room nobody booked is deleted outright.
    staff.get_by_test_id(f"room-name-{incubator['id']}").fill("临时会议室")
    staff.get_by_test_id(f"room-create-submit-{incubator['id']}").click()
    expect(staff.get_by_test_id("room-row").filter(has_text="临时会议室")).to_have_count(1)
    new_room = next(r for r in street.get(f"/api/v1/venues/{incubator['id']}/")["rooms"] if r["name"] == "临时会议室")
    staff.get_by_test_id(f"room-delete-{new_room['id']}").click()
    confirm_dialog(staff)
    expect(staff.locator(f'[data-testid="room-row"][data-room-id="{new_room["id"]}"]')).to_have_count(0)
    assert "临时会议室" not in [r["name"] for r in street.get(f"/api/v1/venues/{incubator['id']}/")["rooms"]]
    # The venue hosts organizations: deleting is refused, stopping works and shows.
    staff.get_by_test_id(f"venue-delete-{incubator['id']}").click()
    confirm_dialog(staff)
    expect(staff.get_by_test_id(f"venue-action-error-{incubator['id']}")).to_contain_text("不能删除，可以停用")
    staff.get_by_test_id(f"venue-stop-{incubator['id']}").click()
    expect(staff.get_by_test_id(f"venue-inactive-{incubator['id']}")).to_be_visible()
    assert street.get(f"/api/v1/venues/{incubator['id']}/")["is_active"] is False
    staff.evaluate("window.scrollTo(0, 0)")
    shot(staff, "venues-staff")

    # A stopped venue is gone from the admin's list; started again, its stopped room tells
    # that it takes no bookings; staff open the room again.
    page.reload()
    expect(page.get_by_test_id("venue-list")).to_be_visible()
    expect(card).to_have_count(0)
    staff.get_by_test_id(f"venue-start-{incubator['id']}").click()
    expect(staff.get_by_test_id(f"venue-inactive-{incubator['id']}")).to_have_count(0)
    page.reload()
    page.get_by_test_id(f"room-open-{room['id']}").click()
    expect(page.get_by_test_id("booking-closed")).to_be_visible()
    expect(page.get_by_test_id("booking-form")).to_have_count(0)
    staff.get_by_test_id(f"room-start-{room['id']}").click()
    expect(staff.get_by_test_id(f"room-bookable-{room['id']}")).to_have_text("是")
    assert street.get(f"/api/v1/venues/{incubator['id']}/")["is_active"] is True


def test_street_staff_award_a_brand_and_the_admin_tells_its_story_with_picked_projects(new_context, shot, api_for):
    admin = api_for(ORG_ADMIN)
    org_id = admin_org_id(admin)
    choices = admin.get(f"/api/v1/organizations/{org_id}/brand/")["project_choices"]
    assert len(choices) >= 2
    picked = choices[:2]

    # Street staff award the flag on the record.
    staff = new_context("desktop").new_page()
    staff_login(staff, STREET_STAFF)
    staff.goto(f"/console/registry/{org_id}")
    staff.get_by_test_id("brand-award").click()
    expect(staff.get_by_test_id("brand-flag")).to_have_text("已认定")
    assert admin.get(f"/api/v1/organizations/{org_id}/brand/")["is_brand"] is True

    # The admin cannot award, but edits the story, photos and projects (picked, not typed).
    page = new_context("desktop").new_page()
    admin_login(page)
    page.goto(f"/console/registry/{org_id}")
    expect(page.get_by_test_id("brand-flag")).to_have_text("已认定")
    expect(page.get_by_test_id("brand-award")).to_have_count(0)
    for project in choices:
        expect(page.get_by_test_id(f"brand-project-{project['id']}")).to_contain_text(project["title"])
    page.get_by_test_id("brand-story").fill("十年深耕社区，陪伴独居老人。")
    page.get_by_test_id("brand-photos").fill("不是链接")
    for project in picked:
        page.get_by_test_id(f"brand-project-check-{project['id']}").check()
    page.get_by_test_id("brand-save").click()
    expect(page.get_by_test_id("brand-error-brand_photos")).to_be_visible()
    assert admin.get(f"/api/v1/organizations/{org_id}/brand/")["brand_story"] == ""
    page.get_by_test_id("org-brand").scroll_into_view_if_needed()
    shot(page, "brand-bad-photo", full_page=False)
    page.get_by_test_id("brand-photos").fill("")
    page.get_by_test_id("brand-save").click()
    expect(page.locator(".van-toast").filter(has_text="品牌信息已保存")).to_be_visible()
    expect(page.get_by_test_id("brand-error-brand_photos")).to_have_count(0)
    expect(page.get_by_test_id("brand-error")).to_have_count(0)
    brand = admin.get(f"/api/v1/organizations/{org_id}/brand/")
    assert brand["brand_story"] == "十年深耕社区，陪伴独居老人。"
    assert sorted(brand["brand_projects"]) == sorted(p["id"] for p in picked)
    # Reloaded, the editor shows what was saved.
    page.reload()
    expect(page.get_by_test_id("brand-story")).to_have_value("十年深耕社区，陪伴独居老人。")
    for project in picked:
        expect(page.get_by_test_id(f"brand-project-check-{project['id']}")).to_be_checked()

    # The showcase names the projects.
    page.get_by_test_id("console-nav-brands").click()
    page.wait_for_url("**/console/brands")
    card = page.locator(f'[data-testid="brand-card"][data-org-id="{org_id}"]')
    expect(card).to_contain_text("十年深耕社区")
    for project in picked:
        expect(page.get_by_test_id(f"brand-projects-{org_id}")).to_contain_text(project["title"])
    shot(page, "brands-showcase")


def _ledger(*rows: dict) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append([header for header, _ in COLUMNS])
    for row in rows:
        values = {"name": "", "credit_code": "", "org_type": "社团", "registration_status": "备案",
                  "authority_level": "县区属", "region": "410902001001", "is_community": "是",
                  "service_domains": "文化", "founded_on": "2021-06-01", "person_in_charge": "赵老师",
                  "contact_phone": "13900003333", "individual_members": 15, "unit_members": 0, "status": "正常",
                  **row}
        sheet.append([values[field] for _, field in COLUMNS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_community_staff_import_a_ledger_see_each_bad_row_then_import_only_the_good(new_context, shot, api_for,
                                                                                   tmp_path, server):
    community = api_for(COMMUNITY_STAFF)
    path = tmp_path / "台账.xlsx"
    path.write_bytes(_ledger({"name": "京东社区戏曲队"},
                             {"name": "京东社区坏代码协会", "credit_code": "51410902000000001X"},
                             {"name": "金联华社区合唱团", "region": "410902002002"}))

    page = new_context("desktop").new_page()
    staff_login(page, COMMUNITY_STAFF)
    page.get_by_test_id("registry-import-toggle").click()
    page.get_by_test_id("registry-import-file").set_input_files(str(path))
    page.get_by_test_id("registry-import-submit").click()
    expect(page.get_by_test_id("registry-import-error")).to_contain_text("未导入任何数据")
    rows = page.get_by_test_id("registry-import-error-row")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="统一社会信用代码")).to_have_attribute("data-row", "3")
    expect(rows.filter(has_text="不在您的管辖范围内")).to_have_attribute("data-row", "4")
    expect(page.get_by_test_id("registry-import-imported")).to_have_text("0")
    expect(page.get_by_test_id("registry-import-rejected")).to_have_text("2")
    shot(page, "import-report")
    assert community.get("/api/v1/organizations/", search="京东社区戏曲队")["count"] == 0

    page.get_by_test_id("registry-import-good-only").check()
    page.get_by_test_id("registry-import-submit").click()
    expect(page.get_by_test_id("registry-import-imported")).to_have_text("1")
    expect(page.get_by_test_id("registry-import-rejected")).to_have_text("2")
    expect(page.get_by_test_id("registry-import-error")).to_have_count(0)
    expect(page.get_by_test_id("registry-row").filter(has_text="京东社区戏曲队")).to_have_count(1)
    shot(page, "import-good-rows")
    found = community.get("/api/v1/organizations/", search="京东社区戏曲队")["results"]
    assert [(o["registration_status"], o["source"], o["tier"]) for o in found] == [
        ("filed", "import", "street_managed")]
    assert community.get("/api/v1/organizations/", search="坏代码")["count"] == 0
    # The registry's size is what other browser tests count on: take the imported row out again.
    server.sql("DELETE FROM organizations_organizationevent WHERE organization_id = ?", (found[0]["id"],))
    server.sql("DELETE FROM organizations_organization WHERE id = ?", (found[0]["id"],))


def test_a_resident_applies_for_filing_on_the_phone_and_resubmits_after_a_return(new_context, shot, api_for,
                                                                                 server):
    from tests.browser.conftest import volunteer_phone

    phone = volunteer_phone(7)
    # The applicant lives in 京东社区, which the demo's community staff review.
    server.sql("UPDATE accounts_user SET region_id = '410902001001' WHERE phone = ?", (phone,))
    resident = api_for(phone)
    community = api_for(COMMUNITY_STAFF)
    venue = next(v for v in community.get("/api/v1/venues/")["results"] if v["name"] == "京东社区党群服务中心")
    name = "京东社区银发合唱团"

    page = new_context("phone").new_page()
    login(page, phone)
    page.goto("/m/me")
    page.get_by_test_id("me-filings-link").click()
    page.wait_for_url("**/m/filings")
    expect(page.get_by_test_id("my-filings-empty")).to_be_visible()
    page.get_by_test_id("filing-new").click()
    expect(page.get_by_test_id("filing-region-value")).to_contain_text("京东社区")
    page.get_by_test_id("filing-name").fill(name)
    page.get_by_test_id("filing-name").blur()
    expect(page.get_by_test_id("filing-charter-general")).to_have_value(re.compile(name))
    page.get_by_test_id("filing-domain-culture").check()
    page.get_by_test_id("filing-venue").select_option(str(venue["id"]))
    page.get_by_test_id("filing-phone").fill("13912340000")
    page.get_by_test_id("filing-member-add").click()
    page.get_by_test_id("filing-member-name-1").fill("李秀兰")
    page.get_by_test_id("filing-member-add").click()
    page.get_by_test_id("filing-member-name-2").fill("京东社区卫生服务站")
    page.get_by_test_id("filing-member-kind-2").select_option("unit")

    # A charter without a required chapter is refused with the chapter named; nothing is sent on.
    page.get_by_test_id("filing-charter-general").fill("")
    page.get_by_test_id("filing-submit").click()
    expect(page.get_by_test_id("filing-charter-error-general")).to_contain_text("缺少必备章节「总则」")
    shot(page, "filing-charter-refused")
    assert resident.get("/api/v1/filings/")["count"] == 0

    page.get_by_test_id("filing-charter-template").click()
    expect(page.get_by_test_id("filing-charter-general")).to_have_value(re.compile(name))
    page.get_by_test_id("filing-submit").click()
    row = page.get_by_test_id("my-filing").filter(has_text=name)
    expect(row).to_have_count(1)
    filing = resident.get("/api/v1/filings/")["results"][0]
    fid = filing["id"]
    expect(page.get_by_test_id(f"my-filing-status-{fid}")).to_have_text("待社区初审")
    assert (filing["name"], filing["region"], filing["venue"], filing["individual_members"],
            filing["unit_members"], filing["service_domains"]) == (name, "410902001001", venue["id"], 2, 1, ["culture"])
    assert name in resident.get(f"/api/v1/filings/{fid}/")["charter_sections"]["general"]

    # The community returns it with a reason; the resident sees why, amends and resubmits.
    community.post(f"/api/v1/filings/{fid}/community-review/", {"approve": False, "reason": "成员不足三人"})
    page.reload()
    expect(page.get_by_test_id(f"my-filing-status-{fid}")).to_have_text("已退回")
    expect(page.get_by_test_id(f"my-filing-reason-{fid}")).to_contain_text("成员不足三人")
    shot(page, "filing-returned")
    page.get_by_test_id(f"my-filing-resubmit-{fid}").click()
    expect(page.get_by_test_id("filing-return-reason")).to_contain_text("成员不足三人")
    expect(page.get_by_test_id("filing-member-name-2")).to_have_value("京东社区卫生服务站")
    page.get_by_test_id("filing-member-add").click()
    page.get_by_test_id("filing-member-name-3").fill("王桂英")
    page.get_by_test_id("filing-submit").click()
    expect(page.get_by_test_id(f"my-filing-status-{fid}")).to_have_text("待社区初审")
    detail = resident.get(f"/api/v1/filings/{fid}/")
    assert [s["action"] for s in detail["steps"]] == ["submit", "community_return", "resubmit"]
    assert (detail["individual_members"], detail["unit_members"]) == (3, 1)
    page.get_by_test_id(f"my-filing-open-{fid}").click()
    steps = page.get_by_test_id(f"my-filing-steps-{fid}")
    expect(steps).to_contain_text("社区退回")
    expect(steps).to_contain_text("重新提交")
    shot(page, "filing-resubmitted")


def test_staff_add_an_organization_seeing_each_refusal_and_the_admin_edits_its_activity_data(new_context, shot,
                                                                                            api_for, server):
    from organizations.credit_code import credit_code_make

    bureau = api_for("13800000000")
    community = api_for(COMMUNITY_STAFF)
    taken = bureau.get("/api/v1/organizations/", search="濮阳市志愿者协会")["results"][0]["credit_code"]
    good = credit_code_make(org_type="social_group", region_code="410902", serial=777_001)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    name = "京东社区书画协会"

    page = new_context("desktop").new_page()
    staff_login(page, COMMUNITY_STAFF)
    page.get_by_test_id("registry-create-toggle").click()
    form = page.get_by_test_id("registry-create")
    form.get_by_test_id("org-form-name").fill(name)
    form.get_by_test_id("org-form-registration_status").select_option("registered")
    expect(form.get_by_test_id("org-form-region")).to_have_value("410902001001")  # the staff's own community
    form.get_by_test_id("org-form-domain-culture").check()

    def refused(code: str, region: str, field: str, text: str) -> None:
        form.get_by_test_id("org-form-credit_code").fill(code)
        form.get_by_test_id("org-form-region").fill(region)
        form.get_by_test_id("org-form-save").click()
        expect(form.get_by_test_id(f"org-form-error-{field}")).to_contain_text(text)
        assert community.get("/api/v1/organizations/", search=name)["count"] == 0

    refused(bad, "410902001001", "credit_code", "校验位")
    shot(page, "create-bad-credit-code")
    refused(taken, "410902001001", "credit_code", "信用代码重复")
    refused(good, "410902001002", "region", "不在管辖范围内")  # 玉北社区: another community
    refused(good, "410902999999", "region", "")  # no such region
    shot(page, "create-region-refused")
    form.get_by_test_id("org-form-region").fill("410902001001")
    form.get_by_test_id("org-form-save").click()
    page.wait_for_url(re.compile(r"/console/registry/\d+$"))
    expect(page.get_by_test_id("org-name")).to_have_text(name)
    expect(page.get_by_test_id("org-credit-code")).to_have_text(good)
    org_id = int(page.url.rsplit("/", 1)[1])
    record = community.get(f"/api/v1/organizations/{org_id}/")
    assert (record["credit_code"], record["registration_status"], record["region"], record["service_domains"],
            record["source"]) == (good, "registered", "410902001001", ["culture"], "manual")

    # The demo admin edits its own record: contact and members only, the legal fields are not offered.
    admin = api_for(ORG_ADMIN)
    own = admin_org_id(admin)
    page2 = new_context("desktop").new_page()
    admin_login(page2)
    page2.goto(f"/console/registry/{own}")
    page2.get_by_test_id("org-edit").click()
    edit = page2.get_by_test_id("org-form")
    expect(edit.get_by_test_id("org-form-name")).to_have_count(0)
    expect(edit.get_by_test_id("org-form-credit_code")).to_have_count(0)
    edit.get_by_test_id("org-form-contact_phone").fill("0393-8881234")
    edit.get_by_test_id("org-form-individual_members").fill("26")
    edit.get_by_test_id("org-form-founded_on").fill("2099-01-01")
    edit.get_by_test_id("org-form-save").click()
    expect(edit.get_by_test_id("org-form-error-founded_on")).to_contain_text("成立日期不能晚于今天")
    assert admin.get(f"/api/v1/organizations/{own}/")["contact_phone"] != "0393-8881234"
    edit.get_by_test_id("org-form-founded_on").fill("2015-06-01")
    edit.get_by_test_id("org-form-save").click()
    expect(page2.get_by_test_id("org-fields")).to_contain_text("0393-8881234")
    expect(page2.get_by_test_id("org-fields")).to_contain_text("个人 26")
    record = admin.get(f"/api/v1/organizations/{own}/")
    assert (record["contact_phone"], record["individual_members"], record["founded_on"]) == (
        "0393-8881234", 26, "2015-06-01")
    expect(page2.locator('[data-testid="history-row"][data-kind="updated"]').first).to_contain_text("联系电话")
    page2.evaluate("window.scrollTo(0, 0)")
    shot(page2, "admin-edited-record")

    # Other browser tests count the registry: take the new organization out again.
    server.sql("DELETE FROM organizations_organizationevent WHERE organization_id = ?", (org_id,))
    server.sql("DELETE FROM organizations_organization WHERE id = ?", (org_id,))
