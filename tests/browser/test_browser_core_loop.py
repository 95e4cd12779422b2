"""The core loop in two browsers at once: the social worker's console on a desktop shows
the rotating check-in QR; a volunteer's phone checks in and out with it; the embedded
Celery worker turns the attendance into a pending record; the social worker approves it;
the volunteer's open page hears about it live and 我的 shows the hours."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    SEEDED_IN_PROGRESS_PROJECT,
    SEEDED_VOLUNTEER,
    SOCIAL_WORKER,
    TASK_TIMEOUT,
    LiveInbox,
    badge_count,
    login,
)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("server_log")]


def _in_progress_shift(volunteer_api) -> dict:
    """The seeded shift of 京东社区独居老人探访 that is happening now, which the volunteer is on."""
    now = datetime.now().astimezone()
    for signup in volunteer_api.get("/api/v1/signups/", mine=1)["results"]:
        shift = signup["shift"]
        if (signup["status"] == "confirmed"
                and datetime.fromisoformat(shift["starts_at"]) <= now < datetime.fromisoformat(shift["ends_at"])):
            return shift
    raise AssertionError(f"{SEEDED_VOLUNTEER} has no confirmed sign-up on a shift in progress")


def test_check_in_by_qr_then_approval_reaches_the_volunteer_live(server, new_context, api_for, shot):
    volunteer_api = api_for(SEEDED_VOLUNTEER)
    shift = _in_progress_shift(volunteer_api)
    shift_id = shift["id"]

    # The social worker's console, on a desktop.
    worker = new_context("desktop").new_page()
    worker_inbox = LiveInbox(worker)
    login(worker, SOCIAL_WORKER, shot)
    project = worker.get_by_test_id("console-project").filter(has_text=SEEDED_IN_PROGRESS_PROJECT)
    link = project.get_by_test_id(f"console-shift-link-{shift_id}")
    expect(link).to_be_visible()
    shot(worker, "console-projects")
    link.click()
    worker.wait_for_url(f"**/console/shifts/{shift_id}")
    qr = worker.get_by_test_id("checkin-qr")
    expect(qr).to_be_visible()
    expect(worker.get_by_test_id("checkin-code-text")).to_have_text(re.compile(rf"^{shift_id}-\d+-\w+$"))
    code = worker.get_by_test_id("checkin-code-text").inner_text().strip()
    checkin_url = qr.get_attribute("data-url")
    assert parse_qs(urlparse(checkin_url).query)["code"] == [code], checkin_url
    assert qr.evaluate("img => img.complete && img.naturalWidth > 100"), "the QR image did not render"
    expect(worker.get_by_test_id("roster-row").first).to_be_visible()
    shot(worker, "console-shift-qr")
    worker_inbox.wait_ready()

    # The volunteer, on a phone: the hours before.
    phone = new_context("phone").new_page()
    inbox = LiveInbox(phone)
    login(phone, SEEDED_VOLUNTEER, shot)
    phone.get_by_test_id("tab-me").click()
    phone.wait_for_url("**/m/me")
    approved = phone.get_by_test_id("me-approved-hours")
    expect(approved).to_have_text(re.compile(r"^\d+(\.\d+)?$"))
    hours_before = Decimal(approved.inner_text())
    shot(phone, "me-before")

    # Scanning the QR opens its URL: the code is filled in.
    inbox.frames.clear()
    phone.goto(checkin_url)
    expect(phone.get_by_test_id("checkin-code-input")).to_have_value(code)
    shot(phone, "checkin")
    phone.get_by_test_id("checkin-submit").click()
    expect(phone.get_by_test_id("checkin-result")).to_contain_text("签到成功")
    expect(phone.get_by_test_id("checkin-result")).to_contain_text("签到时间")
    shot(phone, "checked-in")
    inbox.wait_ready()

    # They arrived an hour ago: move the check-in back so that the record has real hours.
    moved = server.sql(
        "UPDATE projects_attendance SET checked_in_at = strftime('%Y-%m-%d %H:%M:%f', checked_in_at, '-60 minutes') "
        "WHERE shift_id = ? AND volunteer_id = ? AND checked_out_at IS NULL RETURNING id",
        (shift_id, volunteer_api.user["id"]))
    assert len(moved) == 1, moved

    phone.get_by_test_id("checkout-submit").click()
    expect(phone.get_by_test_id("checkin-result")).to_contain_text("签退成功")
    expect(phone.get_by_test_id("checkin-result")).to_contain_text("签退时间")
    shot(phone, "checked-out")

    # The embedded worker thread makes the pending record; both open pages hear of it.
    created = inbox.wait_for("record_created", timeout=TASK_TIMEOUT, shift_id=shift_id)
    record_id = created["data"]["record_id"]
    hours = Decimal(created["data"]["hours"])
    assert Decimal("1.00") <= hours <= Decimal("1.02"), hours
    worker_inbox.wait_for("record_created", record_id=record_id)
    expect(worker.get_by_test_id("notification-badge")).to_be_visible()

    # The social worker reviews it.
    # (By address: the Notify banner that just announced the record lies over the console's
    # top nav for its 4 s, so a click on 服务记录审核 would have to wait for it to go.)
    worker.goto("/console/records")
    expect(worker.get_by_test_id("records-table")).to_be_visible()
    row = worker.locator(f'[data-testid="record-row"][data-record-id="{record_id}"]')
    if not row.is_visible():
        worker.get_by_test_id("records-refresh").click()
    expect(row).to_be_visible()
    expect(worker.get_by_test_id(f"record-hours-{record_id}")).to_have_text(f"{hours} 小时")
    expect(worker.get_by_test_id(f"record-status-{record_id}")).to_have_text("待审核")
    shot(worker, "console-records-pending")

    unread_before = badge_count(phone)
    worker.get_by_test_id(f"record-approve-{record_id}").click()
    expect(worker.locator(".van-toast").filter(has_text="已通过")).to_be_visible()
    expect(row).to_be_hidden()
    shot(worker, "console-records-approved")

    # The volunteer's page hears it live: a Notify banner and the badge, no reload.
    approved_frame = inbox.wait_for("record_approved", record_id=record_id)
    expect(phone.locator(".van-notify")).to_contain_text(approved_frame["title"])
    expect(phone.get_by_test_id("notification-badge")).to_have_text(str(unread_before + 1))
    shot(phone, "approved-notified", full_page=False)

    # 我的 counts the hours.
    phone.get_by_test_id("tab-me").click()
    phone.wait_for_url("**/m/me")
    expect(phone.get_by_test_id("me-approved-hours")).to_have_text(re.compile(r"^\d+(\.\d+)?$"))
    assert Decimal(phone.get_by_test_id("me-approved-hours").inner_text()) == hours_before + hours
    expect(phone.get_by_test_id("me-hours-chart")).to_be_visible()
    shot(phone, "me-after")
