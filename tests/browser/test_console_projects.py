"""The console's project pages: the create form with its funding/risk fields and field
errors, review (submit → 待审核 queue → return with a note → resubmit → publish), a weekly
rule with its refusals, a shift edit that lowers the capacity below the confirmed count
(pick who moves back to the waitlist, then retry), cancel with a reason, and the roster's
pending sign-ups (accept/decline) and no-show counts."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ORG_ADMIN, SOCIAL_WORKER, login, volunteer_phone

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("server_log")]

BEIJING = ZoneInfo("Asia/Shanghai")


def _login_admin(page) -> None:
    """The org admin does not start on /console/projects; the test goes there itself."""
    page.goto("/login")
    page.get_by_test_id("login-phone").fill(ORG_ADMIN)
    page.get_by_test_id("login-password").fill("demo12345")
    page.get_by_test_id("login-submit").click()
    page.wait_for_url(re.compile(r"/(m|console)/"))


def _reviewed_org(worker, admin) -> dict:
    reviewed = {o["id"] for o in admin.get("/api/v1/me/")["organizations"] if o["role"] == "org_admin"}
    me = worker.get("/api/v1/me/")
    return next(o for o in me["organizations"] if o["role"] == "social_worker" and o["id"] in reviewed)


def _card(page, title: str):
    return page.get_by_test_id("console-project").filter(has_text=title)


def test_create_review_rules_shift_edit_and_cancel(new_context, api_for, shot):
    worker_api, admin_api = api_for(SOCIAL_WORKER), api_for(ORG_ADMIN)
    org = _reviewed_org(worker_api, admin_api)
    title = "控制台测试：周末助老理发"

    worker = new_context("desktop").new_page()
    login(worker, SOCIAL_WORKER, shot)
    worker.get_by_test_id("project-create-toggle").click()
    worker.get_by_test_id("project-org").select_option(str(org["id"]))
    worker.get_by_test_id("project-title").fill(title)
    worker.get_by_test_id("project-description").fill("为社区长者提供免费理发。")
    worker.get_by_test_id("project-region").fill("410902001")
    worker.get_by_test_id("project-address").fill("京东社区活动室")
    worker.get_by_test_id("project-skills").fill("理发")
    worker.get_by_test_id("project-targets").fill("独居老人,高龄老人")
    worker.get_by_test_id("project-domain").select_option("elderly")
    worker.get_by_test_id("project-funding").select_option("government_purchase")
    worker.get_by_test_id("project-risk").fill("使用剪刀推子，注意防护。")
    worker.get_by_test_id("project-insurance").check()
    # Government purchase without its contract and amount: the API's field errors show
    # under those fields and nothing is created.
    worker.get_by_test_id("project-create-submit").click()
    expect(worker.get_by_test_id("project-contract-ref-error")).to_have_text("政府购买服务须填写合同编号")
    expect(worker.get_by_test_id("project-amount-error")).to_have_text("政府购买服务须填写金额")
    shot(worker, "create-form-errors")
    assert not [p for p in worker_api.get("/api/v1/projects/", mine=1)["results"] if p["title"] == title]

    worker.get_by_test_id("project-contract-ref").fill("PY-GM-2026-017")
    worker.get_by_test_id("project-amount").fill("12000")
    worker.get_by_test_id("project-create-submit").click()
    card = _card(worker, title)
    expect(card).to_be_visible()
    project_id = int(card.get_attribute("data-project-id"))
    saved = worker_api.get(f"/api/v1/projects/{project_id}/")
    assert (saved["funding_source"], saved["funding_contract_ref"], saved["funding_amount"]) == (
        "government_purchase", "PY-GM-2026-017", "12000.00")
    assert saved["targets"] == ["独居老人", "高龄老人"] and saved["domain"] == "elderly"
    assert saved["accident_insurance"] is True and saved["risk_disclosure"]

    # The owner submits (提交审核); the org admin sees it in the 待审核 queue.
    worker.get_by_test_id(f"project-publish-{project_id}").click()
    expect(worker.get_by_test_id(f"project-status-{project_id}")).to_have_text("待审核")

    admin = new_context("desktop").new_page()
    _login_admin(admin)
    admin.goto("/console/projects")
    row = admin.get_by_test_id("review-row").filter(has_text=title)
    expect(row).to_be_visible()
    shot(admin, "review-queue")
    # Returning needs a note; the empty one is refused in the dialog.
    admin.get_by_test_id(f"review-reject-{project_id}").click()
    dialog = admin.locator(".van-dialog").filter(has_text="退回项目")
    expect(dialog).to_be_visible()
    dialog.locator(".van-dialog__confirm").click()
    expect(admin.get_by_test_id("reason-error")).to_have_text("请填写退回意见")
    admin.get_by_test_id("reason-input").fill("请补充风险告知中的急救措施")
    admin.wait_for_timeout(400)  # the dialog fades in; let the screenshot show it
    shot(admin, "reject-dialog", full_page=False)
    dialog.locator(".van-dialog__confirm").click()
    expect(row).to_have_count(0)
    expect(admin.get_by_test_id(f"project-status-{project_id}")).to_have_text("草稿")

    worker.reload()
    expect(worker.get_by_test_id(f"project-review-note-{project_id}")).to_contain_text("请补充风险告知中的急救措施")
    worker.get_by_test_id(f"project-publish-{project_id}").click()
    expect(worker.get_by_test_id(f"project-status-{project_id}")).to_have_text("待审核")

    admin.reload()
    admin.get_by_test_id(f"review-publish-{project_id}").click()
    admin.locator(".van-dialog").filter(has_text="发布项目").locator(".van-dialog__confirm").click()
    expect(admin.get_by_test_id(f"project-status-{project_id}")).to_have_text("已发布")
    expect(admin.get_by_test_id("review-row").filter(has_text=title)).to_have_count(0)

    # A weekly rule: first one with no date in range, then one with too many, then a good one.
    worker.reload()
    expect(worker.get_by_test_id(f"project-status-{project_id}")).to_have_text("已发布")
    worker.get_by_test_id(f"rule-toggle-{project_id}").click()
    tomorrow = (datetime.now(BEIJING) + timedelta(days=1)).date()
    other_day = (tomorrow.weekday() + 1) % 7
    worker.get_by_test_id(f"rule-weekday-{project_id}-{other_day}").check()
    worker.get_by_test_id(f"rule-start-{project_id}").fill("09:00")
    worker.get_by_test_id(f"rule-end-{project_id}").fill("11:00")
    worker.get_by_test_id(f"rule-capacity-{project_id}").fill("2")
    worker.get_by_test_id(f"rule-starts-on-{project_id}").fill(tomorrow.isoformat())
    worker.get_by_test_id(f"rule-until-{project_id}").fill(tomorrow.isoformat())
    worker.get_by_test_id(f"rule-save-{project_id}").click()
    expect(worker.get_by_test_id(f"rule-error-{project_id}")).to_have_text("该规则在日期范围内不会生成任何班次")
    shot(worker, "rule-no-dates")

    for day in range(7):
        worker.get_by_test_id(f"rule-weekday-{project_id}-{day}").check()
    worker.get_by_test_id(f"rule-until-{project_id}").fill((tomorrow + timedelta(days=400)).isoformat())
    worker.get_by_test_id(f"rule-save-{project_id}").click()
    expect(worker.get_by_test_id(f"rule-error-{project_id}")).to_contain_text("超过 200 个班次")
    expect(worker.get_by_test_id(f"rule-until-error-{project_id}")).to_have_text("最多生成 200 个班次")
    assert worker_api.get(f"/api/v1/projects/{project_id}/shift-rules/") == []

    worker.get_by_test_id(f"rule-until-{project_id}").fill((tomorrow + timedelta(days=2)).isoformat())
    worker.get_by_test_id(f"rule-save-{project_id}").click()
    expect(worker.locator(".van-toast").filter(has_text="已生成 3 个班次")).to_be_visible()
    shifts = worker_api.get(f"/api/v1/projects/{project_id}/shifts/")["results"]
    assert len(shifts) == 3 and all(s["capacity"] == 2 and s["rule"] for s in shifts)
    for s in shifts:
        expect(worker.get_by_test_id(f"console-shift-{s['id']}")).to_be_visible()
    shot(worker, "rule-generated")

    # Two volunteers fill the first occurrence; lowering its capacity to 1 is refused until
    # the social worker picks who goes back to the waitlist.
    first = shifts[0]
    a = api_for(volunteer_phone(4)).post(f"/api/v1/shifts/{first['id']}/signups/", status=201)
    b = api_for(volunteer_phone(5)).post(f"/api/v1/shifts/{first['id']}/signups/", status=201)
    assert a["status"] == b["status"] == "confirmed"
    worker.reload()
    worker.get_by_test_id(f"console-shift-edit-{first['id']}").click()
    worker.get_by_test_id(f"shift-edit-capacity-{first['id']}").fill("1")
    worker.get_by_test_id(f"shift-edit-address-{first['id']}").fill("京东社区二楼")
    worker.get_by_test_id(f"shift-edit-save-{first['id']}").click()
    expect(worker.get_by_test_id(f"shift-edit-error-{first['id']}")).to_contain_text("请选择 1 人移入候补")
    expect(worker.get_by_test_id(f"shift-edit-pick-{first['id']}")).to_be_visible()
    save = worker.get_by_test_id(f"shift-edit-save-{first['id']}")
    expect(save).to_be_disabled()
    worker.get_by_test_id(f"shift-edit-move-{b['id']}").check()
    shot(worker, "shift-edit-pick")
    save.click()
    expect(worker.locator(".van-toast").filter(has_text="1 人移入候补")).to_be_visible()
    row = worker.get_by_test_id(f"console-shift-{first['id']}")
    expect(row).to_contain_text("京东社区二楼")
    after = worker_api.get(f"/api/v1/shifts/{first['id']}/roster/")
    statuses = {s["id"]: s["status"] for s in after["signups"]}
    assert statuses == {a["id"]: "confirmed", b["id"]: "waitlisted"}

    # Cancel with a reason: everyone signed up is notified by the API.
    expect(worker.locator(".van-toast")).to_be_hidden()
    worker.get_by_test_id(f"project-cancel-{project_id}").click()
    dialog = worker.locator(".van-dialog").filter(has_text="取消项目")
    expect(dialog).to_be_visible()
    worker.get_by_test_id("reason-input").fill("场地维修，活动取消")
    worker.wait_for_timeout(400)  # the dialog fades in; let the screenshot show it
    shot(worker, "cancel-dialog", full_page=False)
    dialog.locator(".van-dialog__confirm").click()
    expect(worker.get_by_test_id(f"project-status-{project_id}")).to_have_text("已取消")
    expect(worker.get_by_test_id(f"project-cancel-reason-{project_id}")).to_have_text("取消原因：场地维修，活动取消")
    notes = api_for(volunteer_phone(5)).get("/api/v1/notifications/")["results"]
    assert any("场地维修" in (n.get("body") or "") + (n.get("title") or "") for n in notes), notes[:3]


def test_roster_accepts_and_declines_pending_signups_and_shows_no_shows(server, new_context, api_for, shot):
    worker_api, admin_api = api_for(SOCIAL_WORKER), api_for(ORG_ADMIN)
    org = _reviewed_org(worker_api, admin_api)
    project = worker_api.post("/api/v1/projects/", {
        "organization": org["id"], "title": "控制台测试：须审核的探访", "region": "410902001",
        "address": "京东社区", "requires_approval": True,
    }, status=201)
    # The whole session shares one server: an approval-required project left published would
    # turn other tests' "first open shift" sign-ups into pending ones, so it is cancelled after.
    try:
        worker_api.post(f"/api/v1/projects/{project['id']}/publish/")
        admin_api.post(f"/api/v1/projects/{project['id']}/publish/")
        start = (datetime.now(BEIJING) + timedelta(days=2)).replace(hour=14, minute=0, second=0, microsecond=0)
        shift = worker_api.post(f"/api/v1/projects/{project['id']}/shifts/", {
            "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=2)).isoformat(), "capacity": 5,
        }, status=201)
        one = api_for(volunteer_phone(6)).post(f"/api/v1/shifts/{shift['id']}/signups/", status=201)
        two = api_for(volunteer_phone(7)).post(f"/api/v1/shifts/{shift['id']}/signups/", status=201)
        assert one["status"] == two["status"] == "pending"
        # Volunteer one missed two other shifts of this project (the nightly task marks
        # no-shows after a shift; set directly here, the shifts being in the future).
        missed = []
        for days in (3, 4):
            other = worker_api.post(f"/api/v1/projects/{project['id']}/shifts/", {
                "starts_at": (start + timedelta(days=days)).isoformat(),
                "ends_at": (start + timedelta(days=days, hours=2)).isoformat(), "capacity": 5,
            }, status=201)
            missed.append(api_for(volunteer_phone(6)).post(f"/api/v1/shifts/{other['id']}/signups/", status=201)["id"])
        server.sql("UPDATE projects_signup SET no_show_at = '2026-01-01 00:00:00' WHERE id IN (?, ?)", tuple(missed))

        worker = new_context("desktop").new_page()
        login(worker, SOCIAL_WORKER, shot)
        worker.goto(f"/console/shifts/{shift['id']}")
        expect(worker.get_by_test_id("roster-counts")).to_contain_text("待审核 2")
        no_shows = worker.get_by_test_id(f"roster-no-shows-{one['id']}")
        expect(no_shows).to_have_text("2 次")
        expect(worker.get_by_test_id(f"roster-no-shows-{two['id']}")).to_have_text("—")
        shot(worker, "roster-pending")

        worker.get_by_test_id(f"roster-accept-{two['id']}").click()
        expect(worker.get_by_test_id(f"roster-status-{two['id']}")).to_have_text("已确认")
        worker.get_by_test_id(f"roster-decline-{one['id']}").click()
        expect(worker.get_by_test_id(f"roster-status-{one['id']}")).to_have_text("未通过")
        expect(worker.get_by_test_id(f"roster-accept-{one['id']}")).to_have_count(0)
        roster = {s["id"]: s["status"] for s in worker_api.get(f"/api/v1/shifts/{shift['id']}/roster/")["signups"]}
        assert roster == {one["id"]: "declined", two["id"]: "confirmed"}
        expect(worker.get_by_test_id("roster-counts")).not_to_contain_text("待审核")
        shot(worker, "roster-decided")
    finally:
        worker_api.post(f"/api/v1/projects/{project['id']}/cancel/", {"reason": "测试结束"})
