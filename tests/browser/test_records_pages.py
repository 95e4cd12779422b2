"""The service-record pages: a volunteer on a phone opens 我的 → 我的服务记录, sees the
star level and the records, appeals one entry, requests a certificate for an organization
it served and downloads the PDF; the social worker opens 补录与申诉 in the console, sees
the review queue, the back-entry form and the appeal, and answers it."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SOCIAL_WORKER, assert_cjk_renders, login, volunteer_phone

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("server_log")]

VOLUNTEER = volunteer_phone(1)  # 13800001001: in seed_demo's approved history


def _all(api, path: str, **params) -> list[dict]:
    rows, page = [], 1
    while True:
        body = api.get(path, page=page, **params)
        rows += body["results"]
        if not body["next"]:
            return rows
        page += 1


def test_a_volunteer_sees_records_appeals_and_gets_a_certificate(new_context, api_for, shot):
    volunteer = api_for(VOLUNTEER)
    mine = [r for r in _all(volunteer, "/api/v1/service-records/")
            if r["volunteer"]["id"] == volunteer.user["id"] and r["status"] != "superseded"]
    final = [r for r in mine if r["is_final"]]
    assert final, f"{VOLUNTEER} has no final service hours after seeding"
    summary = volunteer.get("/api/v1/volunteers/me/summary/")
    assert Decimal(summary["approved_hours"]) == sum(Decimal(r["hours"]) for r in final)

    # 我的 → 我的服务记录.
    page = new_context("phone").new_page()
    login(page, VOLUNTEER)
    page.get_by_test_id("tab-me").click()
    page.wait_for_url("**/m/me")
    link = page.get_by_test_id("me-records-link")
    expect(link).to_contain_text("我的服务记录")
    link.click()
    page.wait_for_url("**/m/records")
    expect(page.get_by_test_id("records-summary")).to_be_visible()
    expect(page.get_by_test_id("records-loading")).to_have_count(0)
    expect(page.get_by_test_id("my-records-empty")).to_have_count(0)
    level = summary["star_level"]
    expect(page.get_by_test_id("records-star-level")).to_have_text(f"{level} 星志愿者" if level else "暂未评星")
    expect(page.get_by_test_id("records-final-hours")).to_have_text(summary["approved_hours"])
    expect(page.get_by_test_id("records-next-level-hours")).to_have_text(summary["next_level_hours"] or "—")
    expect(page.get_by_test_id("my-record")).to_have_count(len(mine))
    first = final[0]
    row = page.locator(f'[data-testid="my-record"][data-record-id="{first["id"]}"]')
    expect(row).to_contain_text(first["project"]["title"])
    expect(page.get_by_test_id(f"my-record-status-{first['id']}")).to_have_text("已确定")
    assert page.locator(".van-nav-bar__title").inner_text() == "我的服务记录"
    assert_cjk_renders(page)
    shot(page, "volunteer-records")

    # Appeal (申诉) one entry: the detail shows the correction trail, then the appeal.
    page.get_by_test_id(f"record-appeal-{first['id']}").click()
    detail = page.get_by_test_id("record-detail")
    expect(detail).to_have_attribute("data-record-id", str(first["id"]))
    expect(page.get_by_test_id("record-trail-item")).to_have_count(1)
    page.get_by_test_id("appeal-reason").fill("实际服务到 12 点，时长少记了半小时")
    page.get_by_test_id("appeal-submit").click()
    expect(page.locator(".van-toast").filter(has_text="申诉已提交")).to_be_visible()
    expect(page.get_by_test_id("record-dispute")).to_contain_text("实际服务到 12 点")
    expect(page.get_by_test_id("appeal-open")).to_be_visible()
    shot(page, "volunteer-appeal", full_page=False)
    page.locator(".van-popup__close-icon").click()
    expect(detail).to_have_count(0)

    # A certificate for one organization it served: first a bad date range (the
    # server's field error shows inline), then all its hours.
    org_id = first["organization"]["id"]
    org_hours = sum(Decimal(r["hours"]) for r in final if r["organization"]["id"] == org_id)
    page.get_by_test_id(f"cert-org-{org_id}").click()
    page.get_by_test_id("cert-range-dates").click()
    page.get_by_test_id("cert-date-from").fill("2030-02-01")
    page.get_by_test_id("cert-date-to").fill("2030-01-01")
    page.get_by_test_id("cert-request").click()
    expect(page.get_by_test_id("cert-error-date_to")).to_be_visible()
    expect(page.get_by_test_id("my-certificate")).to_have_count(0)
    page.get_by_test_id("cert-range-all").click()
    page.get_by_test_id("cert-request").click()
    expect(page.locator(".van-toast").filter(has_text="证明已出具")).to_be_visible()
    cert = page.get_by_test_id("my-certificate").first
    expect(cert).to_be_visible()
    cert_id = cert.get_attribute("data-certificate-id")
    issued = volunteer.get("/api/v1/certificates/")["results"][0]
    assert str(issued["id"]) == cert_id
    assert Decimal(issued["hours"]) == org_hours
    expect(page.get_by_test_id(f"cert-serial-{cert_id}")).to_have_text(issued["serial"])
    assert re.fullmatch(r"\S+", issued["serial"])
    cert.scroll_into_view_if_needed()
    shot(page, "volunteer-certificate", full_page=False)

    # The PDF link works: application/pdf from the API with the token, and the page's
    # 下载 button fetches the same file with the Bearer token.
    pdf_url = cert.get_attribute("data-pdf-url")
    assert pdf_url == issued["pdf_url"]
    response = volunteer.http.get(pdf_url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/pdf")
    assert response.content.startswith(b"%PDF")
    with page.expect_download() as download_info:
        page.get_by_test_id(f"cert-download-{cert_id}").click()
    download = download_info.value
    assert download.suggested_filename == f"{issued['serial']}.pdf"
    with open(download.path(), "rb") as fh:
        assert fh.read(4) == b"%PDF"

    # The social worker: 补录与申诉 in the console shows the queue, the back-entry form and
    # the appeal, which it answers.
    dispute = volunteer.get("/api/v1/disputes/")["results"][0]
    desk = new_context("desktop").new_page()
    login(desk, SOCIAL_WORKER)
    desk.get_by_test_id("console-nav-records-work").click()
    desk.wait_for_url("**/console/records/work")
    expect(desk.get_by_test_id("review-queue-section")).to_be_visible()
    expect(desk.get_by_test_id("queue-loading")).to_have_count(0)
    queue = _all(api_for(SOCIAL_WORKER), "/api/v1/service-records/", awaiting_me=1)
    if queue:
        expect(desk.get_by_test_id("queue-row")).to_have_count(len(queue))
    else:
        expect(desk.get_by_test_id("queue-empty")).to_be_visible()
    expect(desk.get_by_test_id("back-entry-form")).to_be_visible()
    expect(desk.get_by_test_id("disputes-section")).to_be_visible()
    expect(desk.get_by_test_id("disputes-loading")).to_have_count(0)
    item = desk.locator(f'[data-testid="dispute"][data-dispute-id="{dispute["id"]}"]')
    expect(item).to_contain_text("实际服务到 12 点")
    expect(item).to_contain_text("申诉")
    desk.get_by_test_id(f"dispute-record-{dispute['id']}").click()
    expect(item.locator(".trail")).to_contain_text(f"#{first['id']} {first['hours']} 小时")
    assert_cjk_renders(desk)
    desk.evaluate("window.scrollTo(0, 0)")  # the sticky menu stays on top in the full-page shot
    shot(desk, "console-records-work")

    desk.get_by_test_id(f"dispute-answer-submit-{dispute['id']}").click()  # empty: inline error
    expect(item.locator(".field-error")).to_be_visible()
    desk.get_by_test_id(f"dispute-answer-{dispute['id']}").fill("已核对签到记录，时长无误")
    desk.get_by_test_id(f"dispute-answer-submit-{dispute['id']}").click()
    expect(desk.locator(".van-toast").filter(has_text="已答复")).to_be_visible()
    expect(item).to_have_count(0)
    desk.evaluate("window.scrollTo(0, 0)")
    answered = volunteer.get("/api/v1/disputes/")["results"][0]
    assert answered["status"] == "answered" and answered["answer"] == "已核对签到记录，时长无误"
    shot(desk, "console-dispute-answered")
