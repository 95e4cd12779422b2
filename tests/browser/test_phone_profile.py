"""A volunteer's own data on a phone: 志愿者档案 (skills, service targets, weekly slots,
home region and position, travel radius), 实名认证, 监护人同意, 日历订阅, and a project's
conditions on its detail page, where a refused sign-up says why and leads to the fix."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ORG_ADMIN, SOCIAL_WORKER, assert_cjk_renders, login, volunteer_phone

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("server_log")]

_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def resident_id(birth: str, seq: str) -> str:
    """A valid 18-digit resident ID (GB 11643 check character) for 华龙区 and a birth date."""
    body = f"410902{birth}{seq}"
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, _WEIGHTS, strict=True)) % 11]


def _conditions_project(worker, admin) -> tuple[dict, dict, dict]:
    """A fresh published project with an age limit, guardian consent, approval and risk
    text, and one shift next week with both deadlines."""
    reviewed = {o["id"] for o in admin.get("/api/v1/me/")["organizations"] if o["role"] == "org_admin"}
    me = worker.get("/api/v1/me/")
    org = next(o for o in me["organizations"] if o["role"] == "social_worker" and o["id"] in reviewed)
    project = worker.post("/api/v1/projects/", {
        "organization": org["id"], "title": "档案测试：少年护河队", "description": "河道巡查与垃圾清理。",
        "region": "410902001", "address": "金堤河公园", "skills": ["环保宣传"], "targets": ["社区居民"],
        "funding_source": "subsidy", "risk_disclosure": "河边作业有落水风险，须穿救生衣，听从带队社工指挥。",
        "accident_insurance": True, "min_age": 12, "guardian_required_for_minors": True,
        "requires_approval": True,
    }, status=201)
    worker.post(f"/api/v1/projects/{project['id']}/publish/")
    admin.post(f"/api/v1/projects/{project['id']}/publish/")
    start = (datetime.now().astimezone() + timedelta(days=7)).replace(hour=9, minute=0, second=0, microsecond=0)
    shift = worker.post(f"/api/v1/projects/{project['id']}/shifts/", {
        "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=2)).isoformat(), "capacity": 5,
        "signup_deadline": (start - timedelta(days=1)).isoformat(),
        "cancel_deadline": (start - timedelta(hours=12)).isoformat(),
    }, status=201)
    # A second shift whose sign-up closed an hour ago (the API takes no past deadline).
    late = worker.post(f"/api/v1/projects/{project['id']}/shifts/", {
        "starts_at": (start + timedelta(days=1)).isoformat(),
        "ends_at": (start + timedelta(days=1, hours=2)).isoformat(), "capacity": 5,
    }, status=201)
    return project, shift, late


def test_a_volunteer_fills_in_the_profile_and_sees_field_errors(new_context, api_for, shot):
    context = new_context("phone")
    context.grant_permissions(["geolocation"])
    context.set_geolocation({"latitude": 35.7618291234, "longitude": 115.0292159876})
    page = context.new_page()
    phone = volunteer_phone(12)
    # The demo seed may have filled the profile in: start from an empty one.
    api = api_for(phone)
    api.call("PATCH", "/api/v1/volunteers/me/profile/", {
        "skills": [], "interests": [], "availability": [], "home_region": None, "home_lat": None,
        "home_lng": None, "travel_km": None})
    cleared = api.get("/api/v1/volunteers/me/profile/")
    login(page, phone)
    page.goto("/m/me")
    page.get_by_test_id("me-profile-link").click()
    page.wait_for_url("**/m/profile")
    expect(page.get_by_test_id("profile-save")).to_be_visible()
    assert page.viewport_size["width"] < 500

    # Tags: typed and picked from the suggestions.
    page.get_by_test_id("profile-skill-input").fill("理发")
    page.get_by_test_id("profile-skill-add").click()
    page.get_by_test_id("profile-skills").locator("xpath=..").get_by_text("+ 陪伴聊天").click()
    page.get_by_test_id("profile-interest-input").fill("老年人")
    page.get_by_test_id("profile-interest-add").click()
    expect(page.get_by_test_id("profile-skill")).to_have_count(2)
    expect(page.get_by_test_id("profile-interest")).to_have_text(["老年人"])

    # Two Saturday slots that overlap, and a radius above the API's 500 km.
    page.get_by_test_id("profile-slot-add").click()
    page.get_by_test_id("profile-slot-add").click()
    page.get_by_test_id("profile-slot-start-1").fill("10:00")
    page.get_by_test_id("profile-slot-end-1").fill("13:00")
    page.get_by_test_id("profile-travel-km").fill("1000")

    # Home: a region from the picker, the position from the browser.
    page.get_by_test_id("profile-region-change").click()
    level0 = page.get_by_test_id("region-level-0")
    level0.select_option(index=1)
    level1 = page.get_by_test_id("region-level-1")
    expect(level1).to_be_visible()
    level1.select_option(index=1)
    level2 = page.get_by_test_id("region-level-2")
    expect(level2).to_be_visible()
    level2.select_option(index=1)
    page.get_by_test_id("profile-locate").click()
    expect(page.get_by_test_id("profile-lat")).to_have_value("35.761829")
    expect(page.get_by_test_id("profile-lng")).to_have_value("115.029216")

    # The radius is refused by the serializer: its message sits under the field.
    page.get_by_test_id("profile-save").click()
    travel_error = page.locator(".van-field").filter(has=page.get_by_test_id("profile-travel-km")) \
        .locator(".van-field__error-message")
    expect(travel_error).to_contain_text("500")
    assert api.get("/api/v1/volunteers/me/profile/") == cleared  # nothing written
    shot(page, "profile-field-error")

    # Then the overlap is refused by the service, shown under the slots.
    page.get_by_test_id("profile-travel-km").fill("5")
    page.get_by_test_id("profile-save").click()
    expect(page.get_by_test_id("profile-availability-error")).to_contain_text("重叠")
    expect(travel_error).to_have_count(0)
    shot(page, "profile-overlap")

    # A slot that ends before it starts: the nested per-slot error, numbered.
    page.get_by_test_id("profile-slot-end-1").fill("08:00")
    page.get_by_test_id("profile-save").click()
    expect(page.get_by_test_id("profile-availability-error")).to_have_text("第 2 个时间段：结束时间须晚于开始时间")
    expect(page.locator(".van-toast").filter(has_text="第 2 个时间段")).to_be_visible()

    # Without the overlapping slot it saves.
    page.get_by_test_id("profile-slot-remove-1").click()
    page.get_by_test_id("profile-save").click()
    expect(page.locator(".van-toast").filter(has_text="档案已保存")).to_be_visible()
    saved = api.get("/api/v1/volunteers/me/profile/")
    assert saved["skills"] == ["理发", "陪伴聊天"]
    assert saved["interests"] == ["老年人"]
    assert saved["availability"] == [{"weekday": 5, "start": "09:00", "end": "12:00"}]
    assert saved["travel_km"] == "5.0"
    assert (saved["home_lat"], saved["home_lng"]) == ("35.761829", "115.029216")
    assert saved["home_region"] and len(saved["home_region"]["code"]) > 4
    expect(page.get_by_test_id("profile-region-value")).to_contain_text(saved["home_region"]["name"])

    # A reload shows what was saved.
    page.reload()
    expect(page.get_by_test_id("profile-skill")).to_have_text(["理发", "陪伴聊天"])
    expect(page.get_by_test_id("profile-slot")).to_have_count(1)
    expect(page.get_by_test_id("profile-travel-km")).to_have_value("5.0")
    assert_cjk_renders(page)
    shot(page, "profile-saved")


@pytest.fixture
def conditions_project(api_for) -> Iterator[tuple[dict, dict, dict]]:
    """The project lives only during its test: the server is shared by the session, and
    other tests sign up on the newest project with open shifts."""
    worker = api_for(SOCIAL_WORKER)
    project, shift, late = _conditions_project(worker, api_for(ORG_ADMIN))
    yield project, shift, late
    worker.post(f"/api/v1/projects/{project['id']}/cancel/", {"reason": "测试结束"})


def test_a_minor_is_led_from_a_refused_sign_up_to_real_name_and_consent(new_context, api_for, server, shot,
                                                                        conditions_project):
    project, shift, late = conditions_project
    closed = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")
    server.sql("UPDATE projects_shift SET signup_deadline = ? WHERE id = ?", (closed, late["id"]))
    shift_id = shift["id"]
    # Another account already holds this number; a child of 10 is under the project's 12.
    other = api_for(volunteer_phone(14))
    taken = resident_id("20160501", "222")
    other.post("/api/v1/me/real-name/", {"name": "赵小童", "id_number": taken}, status=201)

    page = new_context("phone").new_page()
    login(page, volunteer_phone(13))
    page.goto(f"/m/projects/{project['id']}")
    expect(page.get_by_test_id("project-title")).to_have_text(project["title"])

    # The project's conditions and the shift's deadlines.
    expect(page.get_by_test_id("project-funding")).to_contain_text("资助/补贴")
    expect(page.get_by_test_id("project-insurance")).to_contain_text("提供")
    expect(page.get_by_test_id("project-min-age")).to_contain_text("年满 12 周岁")
    expect(page.get_by_test_id("project-guardian")).to_contain_text("须监护人同意")
    expect(page.get_by_test_id("project-approval")).to_contain_text("报名需社工审核")
    expect(page.get_by_test_id("project-risk")).to_contain_text("救生衣")
    deadlines = page.get_by_test_id(f"shift-deadlines-{shift_id}")
    expect(deadlines).to_contain_text(re.compile(r"报名截止 \d"))
    expect(deadlines).to_contain_text(re.compile(r"取消截止 \d"))
    shot(page, "project-conditions")

    # No real name: refused, with the way to 实名认证.
    page.get_by_test_id(f"shift-signup-{shift_id}").click()
    dialog = page.locator(".van-dialog.signup-refused")
    expect(dialog).to_contain_text("请先完成实名认证")
    page.wait_for_timeout(400)  # the dialog's fade-in, for the screenshot
    shot(page, "refused-real-name", full_page=False)
    dialog.locator(".van-dialog__confirm").click()
    page.wait_for_url(re.compile(r"/m/real-name\?next="))

    # A wrong check digit, then a number another account holds: both under the field.
    minor = resident_id("20130315", "123")
    wrong = minor[:-1] + ("1" if minor[-1] != "1" else "2")
    page.get_by_test_id("real-name-input").fill("钱小明")
    page.get_by_test_id("real-name-id-input").fill(wrong)
    page.get_by_test_id("real-name-submit").click()
    id_error = page.locator(".van-field").filter(has=page.get_by_test_id("real-name-id-input")) \
        .locator(".van-field__error-message")
    expect(id_error).to_contain_text("校验")
    shot(page, "real-name-check-digit")
    page.get_by_test_id("real-name-id-input").fill(taken)
    page.get_by_test_id("real-name-submit").click()
    expect(id_error).to_have_text("该身份证号码已被其他账号使用")
    shot(page, "real-name-taken")

    # The right number: the masked number and the age, never the full number on screen.
    page.get_by_test_id("real-name-id-input").fill(minor)
    page.get_by_test_id("real-name-submit").click()
    masked = page.get_by_test_id("real-name-masked")
    expect(masked).to_contain_text("*")
    assert minor not in page.content()
    expect(page.get_by_test_id("real-name-age")).to_contain_text("13 周岁")
    shot(page, "real-name-verified")
    page.get_by_test_id("real-name-back").click()
    page.wait_for_url(f"**/m/projects/{project['id']}")

    # 13 and no consent: refused, with the way to 监护人同意.
    page.get_by_test_id(f"shift-signup-{shift_id}").click()
    expect(dialog).to_contain_text("监护人同意")
    dialog.locator(".van-dialog__confirm").click()
    page.wait_for_url(re.compile(r"/m/guardian-consent\?next="))
    expect(page.get_by_test_id("consent-status")).to_contain_text("须登记监护人同意")
    page.get_by_test_id("consent-name-input").fill("钱大明")
    page.get_by_test_id("consent-phone-input").fill("123")
    page.get_by_test_id("consent-submit").click()
    expect(page.locator(".van-field__error-message").first).to_contain_text("11 位")
    page.get_by_test_id("consent-phone-input").fill("13912345678")
    page.get_by_test_id("consent-relationship-input").fill("父亲")
    page.get_by_test_id("consent-submit").click()
    expect(page.get_by_test_id("consent-status")).to_contain_text("监护人已同意")
    expect(page.get_by_test_id("consent-guardian-phone")).to_contain_text("13912345678")
    shot(page, "consent-recorded")
    page.get_by_test_id("consent-back").click()
    page.wait_for_url(f"**/m/projects/{project['id']}")

    # Now it goes through and waits for the social worker.
    page.get_by_test_id(f"shift-signup-{shift_id}").click()
    expect(page.locator(".van-toast").filter(has_text="等待审核")).to_be_visible()
    expect(page.get_by_test_id(f"shift-status-{shift_id}")).to_have_text("待审核")
    shot(page, "pending")

    # The other shift's sign-up has closed: the API's reason, no way to fix it.
    page.get_by_test_id(f"shift-signup-{late['id']}").click()
    expect(page.locator(".van-toast").filter(has_text="该班次已截止报名")).to_be_visible()
    expect(page.get_by_test_id(f"shift-status-{late['id']}")).to_have_count(0)

    # Withdrawing the consent brings the form back.
    page.goto("/m/me")
    page.get_by_test_id("me-consent-link").click()
    page.get_by_test_id("consent-withdraw").click()
    page.locator(".van-dialog__confirm").click()
    expect(page.get_by_test_id("consent-submit")).to_be_visible()
    expect(page.get_by_test_id("consent-status")).to_contain_text("须登记监护人同意")
    assert api_for(volunteer_phone(13)).get("/api/v1/me/guardian-consent/")["consent"] is None
    shot(page, "consent-withdrawn")

    # Under the project's age: the API's reason as a toast (nothing to fix there).
    child = new_context("phone").new_page()
    login(child, volunteer_phone(14))
    child.goto(f"/m/projects/{project['id']}")
    child.get_by_test_id(f"shift-signup-{shift_id}").click()
    expect(child.locator(".van-toast")).to_contain_text("该项目要求年满 12 周岁")
    shot(child, "under-age", full_page=False)


def test_the_calendar_feed_url_is_copied_and_reset(new_context, server, shot):
    context = new_context("phone")
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    login(page, volunteer_phone(12))
    page.goto("/m/me")
    page.get_by_test_id("me-calendar-link").click()
    url_box = page.get_by_test_id("calendar-url")
    expect(url_box).to_have_value(re.compile(r"/api/v1/calendar/[^/]+\.ics$"))
    old = url_box.input_value()
    page.get_by_test_id("calendar-copy").click()
    expect(page.locator(".van-toast").filter(has_text="已复制")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == old
    shot(page, "calendar")

    with httpx.Client(trust_env=False, timeout=15) as http:
        assert http.get(old).status_code == 200
        page.get_by_test_id("calendar-reset").click()
        page.locator(".van-dialog__confirm").click()
        expect(url_box).not_to_have_value(old)
        new = url_box.input_value()
        # The old secret is dead, the new one answers with a calendar.
        assert http.get(old).status_code == 404
        fresh = http.get(new)
        assert fresh.status_code == 200 and "BEGIN:VCALENDAR" in fresh.text
    shot(page, "calendar-reset")
