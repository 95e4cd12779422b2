"""A one-seat shift: the second volunteer signs up in the browser and is waitlisted; when
the first cancels, the second one's open page is told of the promotion live."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ORG_ADMIN, SOCIAL_WORKER, LiveInbox, badge_count, login, volunteer_phone

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("server_log")]


def _one_seat_shift(worker, admin) -> tuple[dict, dict]:
    """A fresh published project of the social worker's with one shift tomorrow, one seat
    (submitted by the social worker, published by the organization's admin)."""
    reviewed = {o["id"] for o in admin.get("/api/v1/me/")["organizations"] if o["role"] == "org_admin"}
    me = worker.get("/api/v1/me/")
    org = next(o for o in me["organizations"] if o["role"] == "social_worker" and o["id"] in reviewed)
    project = worker.post("/api/v1/projects/", {
        "organization": org["id"], "title": "候补递补测试：助老理发", "description": "一个名额，测试候补递补。",
        "region": "410902001", "address": "京东社区活动室", "skills": ["理发"],
    }, status=201)
    worker.post(f"/api/v1/projects/{project['id']}/publish/")  # submits it for review
    admin.post(f"/api/v1/projects/{project['id']}/publish/")  # the reviewer publishes
    start = (datetime.now().astimezone() + timedelta(days=1)).replace(hour=9, minute=0, second=0, microsecond=0)
    shift = worker.post(f"/api/v1/projects/{project['id']}/shifts/", {
        "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=2)).isoformat(), "capacity": 1,
    }, status=201)
    return project, shift


def test_a_waitlisted_volunteer_is_promoted_live_when_the_seat_frees_up(new_context, api_for, shot):
    worker = api_for(SOCIAL_WORKER)
    project, shift = _one_seat_shift(worker, api_for(ORG_ADMIN))
    shift_id = shift["id"]

    # Volunteer A takes the only seat (through the API).
    first = api_for(volunteer_phone(2))
    taken = first.post(f"/api/v1/shifts/{shift_id}/signups/", status=201)
    assert taken["status"] == "confirmed", taken

    # Volunteer B, in the browser, finds it full and joins the waitlist.
    page = new_context("phone").new_page()
    inbox = LiveInbox(page)
    login(page, volunteer_phone(3), shot)
    page.goto(f"/m/projects/{project['id']}")
    expect(page.get_by_test_id("project-title")).to_have_text(project["title"])
    expect(page.get_by_test_id(f"shift-seats-{shift_id}")).to_contain_text("余位 0 / 1")
    button = page.get_by_test_id(f"shift-signup-{shift_id}")
    expect(button).to_have_text("候补报名")
    shot(page, "full-shift")
    inbox.wait_ready()

    button.click()
    expect(page.locator(".van-toast").filter(has_text="已进入候补")).to_be_visible()
    expect(page.get_by_test_id(f"shift-status-{shift_id}")).to_contain_text("候补")
    waitlisted = inbox.wait_for("signup_waitlisted", shift_id=shift_id)
    expect(page.get_by_test_id("notification-badge")).to_be_visible()
    shot(page, "waitlisted", full_page=False)
    unread = badge_count(page)

    # A cancels; B's open page hears of the promotion without a reload.
    first.post(f"/api/v1/signups/{taken['id']}/cancel/")
    promoted = inbox.wait_for("signup_promoted", shift_id=shift_id)
    assert promoted["id"] > waitlisted["id"]
    expect(page.locator(".van-notify")).to_contain_text(promoted["title"])
    expect(page.get_by_test_id("notification-badge")).to_have_text(str(unread + 1))
    shot(page, "promoted-notified", full_page=False)

    # The shift now shows B as confirmed (the page reloads its shifts on the next visit).
    page.get_by_test_id("tab-signups").click()
    page.wait_for_url("**/m/signups")
    item = page.locator(f'[data-testid="signup-item"][data-signup-id="{promoted["data"]["signup_id"]}"]')
    expect(item).to_be_visible()
    expect(page.get_by_test_id(f"signup-status-{promoted['data']['signup_id']}")).to_have_text("已确认")
    shot(page, "signups-confirmed")
