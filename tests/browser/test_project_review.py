"""The console's 项目审核 page (/console/project-reviews): the org admin sees a project the
social worker submitted with its details and shifts, returns it with a note (a note is
required), then publishes it once resubmitted; street staff, who review nothing while no
region gives review to the street office (the demo server's config), get the empty state."""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ORG_ADMIN, SOCIAL_WORKER

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("server_log")]

BEIJING = ZoneInfo("Asia/Shanghai")
STREET_STAFF = "13800000001"
SHOTS = Path("/tmp/shots-review")


def _login(page, phone: str) -> None:
    page.goto("/login")
    page.get_by_test_id("login-phone").fill(phone)
    page.get_by_test_id("login-password").fill("demo12345")
    page.get_by_test_id("login-submit").click()
    page.wait_for_url(re.compile(r"/(m|console)/"))


def _shot(page, shot, name: str, *, full_page: bool = True) -> None:
    shot(page, name, full_page=full_page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


def test_org_admin_returns_then_publishes_a_submitted_project(new_context, api_for, shot):
    worker_api, admin_api = api_for(SOCIAL_WORKER), api_for(ORG_ADMIN)
    reviewed = {o["id"] for o in admin_api.get("/api/v1/me/")["organizations"] if o["role"] == "org_admin"}
    org = next(o for o in worker_api.get("/api/v1/me/")["organizations"]
               if o["role"] == "social_worker" and o["id"] in reviewed)
    title = f"审核页测试：社区助餐{int(time.time()) % 100000}"
    project = worker_api.post("/api/v1/projects/", {
        "organization": org["id"], "title": title, "region": "410902001", "address": "京东社区食堂",
        "description": "为高龄老人送餐上门。", "funding_source": "government_purchase",
        "funding_contract_ref": "HLQ-2026-031", "funding_amount": "30000.00",
        "risk_disclosure": "送餐途中注意交通安全。", "accident_insurance": True, "min_age": 16,
        "guardian_required_for_minors": True,
    }, status=201)
    pid = project["id"]
    start = (datetime.now(BEIJING) + timedelta(days=3)).replace(hour=10, minute=0, second=0, microsecond=0)
    worker_api.post(f"/api/v1/projects/{pid}/shifts/", {
        "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=2)).isoformat(), "capacity": 6,
    }, status=201)
    assert worker_api.post(f"/api/v1/projects/{pid}/submit/")["status"] == "submitted"

    try:
        page = new_context("desktop").new_page()
        _login(page, ORG_ADMIN)
        page.goto("/console")  # an org admin starts on the phone pages; the console's menu has 项目审核
        page.get_by_test_id("console-nav-org-projects").click()
        page.wait_for_url("**/console/project-reviews")
        card = page.get_by_test_id("review-project").filter(has_text=title)
        expect(card).to_be_visible()
        expect(card.get_by_test_id("review-org")).to_have_text(org["name"])
        expect(card.get_by_test_id("review-funding")).to_contain_text("政府购买服务")
        expect(card.get_by_test_id("review-funding")).to_contain_text("HLQ-2026-031")
        expect(card).to_contain_text("已投保")
        expect(card).to_contain_text("16 岁及以上")
        expect(card.get_by_test_id("review-risk")).to_have_text("送餐途中注意交通安全。")
        expect(card.get_by_test_id(f"review-shifts-{pid}").locator("tbody tr")).to_have_count(1)
        _shot(page, shot, "01-admin-queue")

        # Returning needs a note: the empty one is refused inside the dialog.
        page.get_by_test_id(f"review-reject-{pid}").click()
        dialog = page.locator(".van-dialog").filter(has_text="退回项目")
        expect(dialog).to_be_visible()
        dialog.locator(".van-dialog__confirm").click()
        expect(page.get_by_test_id("reason-error")).to_have_text("请填写退回意见")
        page.get_by_test_id("reason-input").fill("请写明送餐路线和应急联系人")
        page.wait_for_timeout(400)  # the dialog fades in; let the screenshot show it
        _shot(page, shot, "02-reject-dialog", full_page=False)
        dialog.locator(".van-dialog__confirm").click()
        expect(card).to_have_count(0)
        back = worker_api.get(f"/api/v1/projects/{pid}/")
        assert (back["status"], back["review_note"]) == ("draft", "请写明送餐路线和应急联系人")

        # Resubmitted: back in the queue without a reload (the project_submitted
        # notification refreshes it); cancelling the confirmation leaves it submitted,
        # confirming publishes it.
        assert worker_api.post(f"/api/v1/projects/{pid}/submit/")["status"] == "submitted"
        expect(card).to_be_visible()
        expect(card.get_by_test_id(f"review-shifts-{pid}").locator("tbody tr")).to_have_count(1)
        page.get_by_test_id(f"review-publish-{pid}").click()
        confirm = page.locator(".van-dialog").filter(has_text="发布项目")
        expect(confirm).to_be_visible()
        page.wait_for_timeout(400)
        _shot(page, shot, "03-publish-confirm", full_page=False)
        confirm.locator(".van-dialog__cancel").click()
        expect(card).to_be_visible()
        assert worker_api.get(f"/api/v1/projects/{pid}/")["status"] == "submitted"
        page.get_by_test_id(f"review-publish-{pid}").click()
        confirm.locator(".van-dialog__confirm").click()
        expect(card).to_have_count(0)
        assert worker_api.get(f"/api/v1/projects/{pid}/")["status"] == "published"
        page.wait_for_timeout(300)
        _shot(page, shot, "04-after-publish")
    finally:
        # Other browser tests sign volunteers up on published projects: take this one away.
        state = worker_api.get(f"/api/v1/projects/{pid}/")["status"]
        if state == "published":
            worker_api.post(f"/api/v1/projects/{pid}/cancel/", {"reason": "测试结束"})


def test_street_staff_see_the_empty_state(new_context, shot):
    page = new_context("desktop").new_page()
    _login(page, STREET_STAFF)
    page.get_by_test_id("console-nav-project-reviews").click()
    page.wait_for_url("**/console/project-reviews")
    expect(page.get_by_test_id("review-empty")).to_contain_text("暂无待审核项目")
    expect(page.get_by_test_id("review-project")).to_have_count(0)
    expect(page.get_by_text("登录成功")).to_be_hidden()  # the login toast, out of the screenshot
    _shot(page, shot, "05-street-empty")
