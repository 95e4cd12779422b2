"""Resident needs and feedback in the browser: a resident posts a need with a photo on the
phone and follows it; community staff triage in the console; the social worker drafts a
project from it and marks it served; the resident confirms. Then feedback: a volunteer
rates a finished shift on the phone, the social worker rates quality and enters a
served person's rating in the console's ratings sheet."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import SOCIAL_WORKER, assert_cjk_renders, login, volunteer_phone

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("server_log")]

RESIDENT = volunteer_phone(3)
RATER = volunteer_phone(1)  # in seed_demo's approved history: has finished shifts to rate
COMMUNITY_STAFF = "13800000002"
JINGDONG = "410902001001"


def staff_login(page, phone: str) -> None:
    page.goto("/login")
    page.get_by_test_id("login-phone").fill(phone)
    page.get_by_test_id("login-password").fill("demo12345")
    page.get_by_test_id("login-submit").click()
    page.wait_for_url(re.compile(r"/console/"))


def settled(page, testid: str) -> None:
    """Wait until the popup holding ``testid`` has finished its opening transition (so a
    screenshot shows it, not the fade)."""
    page.wait_for_function(
        """(id) => { const p = document.querySelector(`[data-testid="${id}"]`)?.closest('.van-popup');
                     return !!p && !/-enter/.test(p.className) && getComputedStyle(p).opacity === '1'; }""",
        arg=testid)


def photo(tmp_path) -> str:
    path = tmp_path / "corridor.png"
    buffer = io.BytesIO()
    Image.new("RGB", (320, 240), (90, 140, 200)).save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    return str(path)


def test_a_need_goes_from_the_phone_through_triage_to_a_project_and_is_served(
        new_context, api_for, server, shot, tmp_path):
    # The resident lives in 京东社区 (the default place of a new need).
    server.sql("UPDATE accounts_user SET region_id = ? WHERE phone = ?", (JINGDONG, RESIDENT))
    phone = new_context("phone").new_page()
    login(phone, RESIDENT)
    phone.get_by_test_id("tab-me").click()
    phone.get_by_test_id("me-needs-link").click()
    phone.wait_for_url("**/m/needs")
    phone.get_by_test_id("need-new-link").click()
    phone.wait_for_url("**/m/needs/new")
    expect(phone.get_by_test_id("need-region-value")).to_contain_text("京东社区")
    phone.get_by_test_id("need-category-select").select_option("elderly_care")
    phone.get_by_test_id("need-urgency-high").click()
    # Submitting without a description is stopped on the page.
    phone.get_by_test_id("need-submit").click()
    expect(phone.get_by_text("请描述您的需求")).to_be_visible()
    phone.get_by_test_id("need-description").fill("楼道扶手松动，独居的张奶奶上下楼很危险，希望尽快修好并有人定期看望。")
    phone.get_by_test_id("need-address").fill("京东社区 8 号楼 3 单元")
    phone.locator('[data-testid="need-photos"] input[type="file"]').set_input_files(photo(tmp_path))
    expect(phone.locator(".van-uploader__preview")).to_have_count(1)
    shot(phone, "phone-new-need")
    phone.get_by_test_id("need-submit").click()
    phone.wait_for_url(re.compile(r"/m/needs/\d+$"))
    need_id = int(phone.url.rsplit("/", 1)[1])
    expect(phone.get_by_test_id("need-detail-status")).to_have_text("待受理")
    expect(phone.get_by_test_id("need-timeline-step")).to_have_count(1)
    expect(phone.locator('[data-testid="need-photos"] img')).to_have_count(1)
    phone.wait_for_function("() => [...document.querySelectorAll('[data-testid=need-photos] img')]"
                            ".every((i) => i.complete && i.naturalWidth > 0)")
    assert_cjk_renders(phone)
    shot(phone, "phone-need-submitted")

    # Community staff triage it in the console: the stats and the row, then 受理.
    desk = new_context("desktop").new_page()
    staff_login(desk, COMMUNITY_STAFF)
    desk.get_by_test_id("console-nav-needs").click()
    desk.wait_for_url("**/console/needs")
    expect(desk.get_by_test_id("needs-stats")).to_contain_text("养老照护")
    row = desk.locator(f'[data-testid="need-row"][data-need-id="{need_id}"]')
    expect(row).to_contain_text("楼道扶手松动")
    desk.get_by_test_id(f"need-open-{need_id}").click()
    expect(desk.locator('[data-testid="need-detail-photos"] img')).to_have_count(1)
    settled(desk, "need-detail-dialog")
    shot(desk, "console-need-detail")
    desk.keyboard.press("Escape")
    desk.locator(".van-overlay").first.click(position={"x": 5, "y": 5})
    expect(desk.get_by_test_id("need-detail-dialog")).to_have_count(0)
    # Another demo need is turned down: a reason is required and shown to its resident.
    other = next(n for n in api_for(COMMUNITY_STAFF).get("/api/v1/needs/?status=submitted")["results"]
                 if n["id"] != need_id)
    desk.get_by_test_id(f"need-reject-{other['id']}").click()
    desk.get_by_test_id("need-reject-confirm").click()
    expect(desk.get_by_test_id("need-reject-error")).to_contain_text("请填写")
    desk.get_by_test_id("need-reject-reason").fill("已由物业处理")
    desk.get_by_test_id("need-reject-confirm").click()
    expect(desk.get_by_test_id(f"need-row-status-{other['id']}")).to_have_text("不予受理")
    desk.get_by_test_id(f"need-accept-{need_id}").click()
    expect(desk.get_by_test_id(f"need-row-status-{need_id}")).to_have_text("已受理")
    shot(desk, "console-triage")
    expect(phone.get_by_test_id("need-detail-status")).to_have_text("已受理", timeout=15_000)  # live

    # The social worker drafts a project from it, then marks it served.
    worker_page = new_context("desktop").new_page()
    login(worker_page, SOCIAL_WORKER)
    worker_page.get_by_test_id("console-nav-needs").click()
    worker_page.wait_for_url("**/console/needs")
    expect(worker_page.get_by_test_id("needs-stats")).to_have_count(0)  # staff only
    worker_page.get_by_test_id(f"need-take-{need_id}").click()
    worker_page.get_by_test_id("need-take-mode-create").click()
    worker_page.get_by_test_id("need-take-title").fill("京东社区适老化改造与探访")
    settled(worker_page, "need-take-dialog")
    shot(worker_page, "console-take-need", full_page=False)
    worker_page.get_by_test_id("need-take-confirm").click()
    expect(worker_page.get_by_test_id(f"need-row-status-{need_id}")).to_have_text("服务中")
    worker = api_for(SOCIAL_WORKER)
    detail = worker.get(f"/api/v1/needs/{need_id}/")
    assert detail["project"]["title"] == "京东社区适老化改造与探访" and detail["project"]["status"] == "draft"
    worker_page.get_by_test_id("needs-filter-status").select_option("in_progress")
    worker_page.get_by_test_id(f"need-serve-{need_id}").click()
    expect(worker_page.get_by_test_id(f"need-row-status-{need_id}")).to_have_text("已服务")
    shot(worker_page, "console-served")

    # The resident sees every step and confirms.
    phone.reload()
    expect(phone.get_by_test_id("need-detail-status")).to_have_text("已服务")
    expect(phone.get_by_test_id("need-timeline-step")).to_have_count(4)
    expect(phone.get_by_test_id("need-project")).to_contain_text("京东社区适老化改造与探访")
    shot(phone, "phone-need-served")
    phone.get_by_test_id("need-close").click()
    phone.locator(".van-dialog__confirm").click()
    expect(phone.get_by_test_id("need-detail-status")).to_have_text("已关闭")
    expect(phone.get_by_test_id("need-timeline-step")).to_have_count(5)
    phone.goto("/m/needs")
    expect(phone.get_by_test_id(f"need-status-{need_id}")).to_have_text("已关闭")
    shot(phone, "phone-my-needs")


def test_feedback_volunteer_rates_a_shift_and_the_social_worker_fills_the_ratings_sheet(
        new_context, api_for, shot):
    rater = api_for(RATER)
    attended = rater.get("/api/v1/activity-feedback/")["results"]
    todo = next(a for a in attended if a["feedback"] is None)
    shift_id = todo["shift"]["id"]

    phone = new_context("phone").new_page()
    login(phone, RATER)
    phone.get_by_test_id("tab-signups").click()
    phone.wait_for_url("**/m/signups")
    phone.locator('[data-testid^="signup-rate-"]').first.click()
    phone.wait_for_url("**/m/feedback")
    item = phone.locator(f'[data-testid="feedback-item"][data-shift-id="{shift_id}"]')
    expect(item).to_contain_text(todo["shift"]["project"]["title"])
    phone.get_by_test_id(f"feedback-submit-{shift_id}").click()
    expect(phone.get_by_test_id(f"feedback-error-{shift_id}")).to_have_text("请先选择评分")
    phone.locator(f'[data-testid="feedback-stars-{shift_id}"] .van-rate__item').nth(3).click()
    phone.get_by_test_id(f"feedback-comment-{shift_id}").fill("社工安排细致，老人们很开心")
    phone.get_by_test_id(f"feedback-submit-{shift_id}").click()
    expect(phone.get_by_test_id(f"feedback-done-{shift_id}")).to_contain_text("已评价")
    assert_cjk_renders(phone)
    shot(phone, "phone-rate-shift")
    mine = next(a for a in rater.get("/api/v1/activity-feedback/")["results"] if a["shift"]["id"] == shift_id)
    assert mine["feedback"]["rating"] == 4

    desk = new_context("desktop").new_page()
    login(desk, SOCIAL_WORKER)
    desk.get_by_test_id("console-nav-feedback").click()
    desk.wait_for_url("**/console/feedback")
    expect(desk.get_by_test_id("feedback-shift-row").first).to_be_visible()
    shot(desk, "console-feedback-shifts")
    open_link = desk.get_by_test_id(f"feedback-shift-open-{shift_id}")
    if open_link.count() == 0:  # older than the list's window: open the sheet directly
        desk.goto(f"/console/shifts/{shift_id}/ratings")
    else:
        open_link.click()
    desk.wait_for_url(f"**/console/shifts/{shift_id}/ratings")
    row = desk.locator(f'[data-testid="ratings-row"][data-volunteer-id="{rater.user["id"]}"]')
    expect(row).to_contain_text("社工安排细致")
    sheet = api_for(SOCIAL_WORKER).get(f"/api/v1/shifts/{shift_id}/ratings/")
    record = next(v["record"] for v in sheet["volunteers"] if v["volunteer"]["id"] == rater.user["id"])
    row.locator(f'[data-testid="quality-stars-{record["id"]}"] .van-rate__item').nth(4).click()
    desk.get_by_test_id(f"quality-save-{record['id']}").click()
    expect(desk.locator(".van-toast").filter(has_text="已保存")).to_be_visible()
    # On behalf of a person served: the name is required, then the rating lands.
    desk.get_by_test_id("service-feedback-submit").click()
    expect(desk.get_by_test_id("service-feedback-form")).to_contain_text("请填写服务对象姓名")
    desk.get_by_test_id("service-feedback-person").fill("张奶奶")
    desk.locator('[data-testid="service-feedback-stars"] .van-rate__item').nth(4).click()
    desk.get_by_test_id("service-feedback-comment").fill("志愿者很有耐心")
    desk.get_by_test_id("service-feedback-submit").click()
    expect(desk.get_by_test_id("service-feedback-item")).to_contain_text("张奶奶")
    expect(desk.get_by_test_id("ratings-average-service")).to_have_text("5.0")
    # The same person twice is refused with the server's message.
    desk.get_by_test_id("service-feedback-person").fill("张奶奶")
    desk.locator('[data-testid="service-feedback-stars"] .van-rate__item').nth(2).click()
    desk.get_by_test_id("service-feedback-submit").click()
    expect(desk.get_by_test_id("service-feedback-error")).to_contain_text("已评价过")
    assert_cjk_renders(desk)
    shot(desk, "console-ratings-sheet")
    after = api_for(SOCIAL_WORKER).get(f"/api/v1/shifts/{shift_id}/ratings/")
    rated = next(v["record"] for v in after["volunteers"] if v["volunteer"]["id"] == rater.user["id"])
    assert rated["quality_rating"] == 5 and len(after["service_feedback"]) == 1
