"""A resident on a phone: registration form checks, then log in, browse, sign up, and hear
about it live over the WebSocket without reloading."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import LiveInbox, assert_cjk_renders, badge_count, login, volunteer_phone

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("server_log")]


def test_a_resident_on_a_phone_signs_up_for_a_shift_and_is_notified_live(new_context, shot):
    page = new_context("phone").new_page()
    inbox = LiveInbox(page)
    login(page, volunteer_phone(1), shot)

    # The project list.
    cards = page.get_by_test_id("project-card")
    expect(cards.first).to_be_visible()
    assert page.viewport_size["width"] < 500
    shot(page, "project-list")
    assert_cjk_renders(page)
    inbox.wait_ready()
    before = badge_count(page)

    # A project with upcoming shifts: its detail page lists them in time order.
    card = cards.filter(has_text="个班次可报名").first
    title = card.locator("h3").inner_text()
    card.click()
    page.wait_for_url(re.compile(r"/m/projects/\d+$"))
    expect(page.get_by_test_id("project-title")).to_have_text(title)
    shifts = page.get_by_test_id("shift-card")
    expect(shifts.first).to_be_visible()
    shot(page, "project-detail")

    # The last shift is the latest upcoming one; it has seats.
    shift_id = shifts.last.get_attribute("data-shift-id")
    button = page.get_by_test_id(f"shift-signup-{shift_id}")
    expect(button).to_have_text("报名")
    button.click()

    # Confirmation on the page: a toast and the shift's status tag.
    expect(page.locator(".van-toast").filter(has_text="报名成功")).to_be_visible()
    expect(page.get_by_test_id(f"shift-status-{shift_id}")).to_have_text("已确认")
    expect(button).to_have_text("已报名")
    expect(button).to_be_disabled()

    # The notification comes over the open socket and shows without a reload.
    frame = inbox.wait_for("signup_confirmed", shift_id=int(shift_id))
    expect(page.locator(".van-notify")).to_contain_text(frame["title"])
    expect(page.get_by_test_id("notification-badge")).to_have_text(str(before + 1))
    shot(page, "signed-up-notified", full_page=False)

    # It is in the inbox as well.
    page.get_by_test_id("tab-notifications").click()
    page.wait_for_url("**/m/notifications")
    item = page.locator(f'[data-testid="notification-item"][data-notification-id="{frame["id"]}"]')
    expect(item).to_be_visible()
    expect(item).to_have_attribute("data-kind", "signup_confirmed")
    shot(page, "notifications")

    # And in 我的报名.
    page.get_by_test_id("tab-signups").click()
    page.wait_for_url("**/m/signups")
    expect(page.get_by_test_id("signup-item").first).to_be_visible()
    shot(page, "signups")


def test_the_registration_page_shows_field_errors(new_context, shot):
    page = new_context("phone").new_page()
    page.goto("/login")
    page.get_by_test_id("login-register-link").click()
    page.wait_for_url("**/register")
    expect(page.get_by_test_id("register-submit")).to_be_visible()
    shot(page, "register")

    # A phone number that is not 11 digits is refused on the page, before any request.
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if "/api/v1/auth/" in r.url else None)
    page.get_by_test_id("register-phone").fill("12345")
    page.get_by_test_id("register-name").fill("测试居民")
    page.get_by_test_id("register-password").fill("secret-pass-1")
    page.get_by_test_id("register-submit").click()
    form = page.get_by_test_id("register-form")
    expect(form.locator(".van-field__error-message").filter(has_text="请输入11位手机号")).to_be_visible()
    expect(form.locator(".van-field__error-message").filter(has_text="请输入验证码")).to_be_visible()
    assert not [u for u in requests if "/register/" in u], requests
    shot(page, "register-errors")

    # The server's own field errors reach the fields too: a well-formed phone with a wrong code.
    page.get_by_test_id("register-phone").fill("13912345678")
    page.get_by_test_id("register-sms-code").fill("000000")
    with page.expect_response(lambda r: r.url.endswith("/api/v1/auth/register/")) as answer:
        page.get_by_test_id("register-submit").click()
    response = answer.value
    assert response.status == 400, response.text()
    body = response.json()
    assert body["code"] and body["detail"], body
    expect(page.locator(".van-toast").filter(has_text=body["detail"])).to_be_visible()
    for messages in body["fields"].values():
        expect(form.locator(".van-field__error-message").filter(has_text=messages[0]).first).to_be_visible()
    shot(page, "register-server-errors")
