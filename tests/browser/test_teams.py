"""Teams, recommendations and invitations in the browser, on the seeded demo: a
volunteer joins a team by code and reads why shifts are recommended; another accepts a
shift invitation from the message list in one tap; the social worker accepts an
application, signs members up in bulk and invites matched volunteers."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SOCIAL_WORKER, assert_cjk_renders, login, volunteer_phone

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("server_log")]


def test_a_volunteer_joins_a_team_by_code_and_sees_recommendations_with_reasons(new_context, shot):
    page = new_context("phone").new_page()
    login(page, volunteer_phone(17))

    page.goto("/m/teams")
    expect(page.get_by_test_id("team-card").first).to_be_visible()
    shot(page, "teams-before")
    page.get_by_test_id("team-join-code").fill("wrong123")
    page.get_by_test_id("team-join-submit").click()
    expect(page.get_by_test_id("team-join-error")).to_contain_text("邀请码无效")
    page.get_by_test_id("team-join-code").fill("huayang8")
    page.get_by_test_id("team-join-submit").click()
    page.wait_for_url(re.compile(r"/m/teams/\d+$"))
    expect(page.get_by_test_id("team-name")).to_have_text("春晖助老志愿服务队")
    expect(page.get_by_test_id("team-my-status")).to_have_text("队员")
    expect(page.get_by_test_id("team-members")).to_contain_text("加入")
    shot(page, "team-detail")

    page.goto("/m/projects")
    page.get_by_role("tab", name="为我推荐").click()
    cards = page.get_by_test_id("recommended-card")
    expect(cards.first).to_be_visible()
    scores = [int(s) for s in cards.evaluate_all("els => els.map(e => e.dataset.score)")]
    assert scores == sorted(scores, reverse=True) and len(scores) > 3
    expect(cards.first.get_by_test_id("recommended-reasons")).to_contain_text("公里")
    # Now a member: the team's members-first project is among the recommendations.
    expect(page.get_by_test_id("recommended-list")).to_contain_text("春晖助老志愿服务队")
    assert_cjk_renders(page)
    shot(page, "recommended")

    # The members-first project says so on its page.
    cards.filter(has_text="困难家庭政策宣讲").first.click()
    page.wait_for_url(re.compile(r"/m/projects/\d+$"))
    expect(page.get_by_test_id("project-team")).to_contain_text("前仅限队员报名")
    shot(page, "members-first-project", full_page=False)


def test_a_volunteer_accepts_a_shift_invitation_in_one_tap(new_context, shot, api_for):
    page = new_context("phone").new_page()
    login(page, volunteer_phone(2))
    invitation = api_for(volunteer_phone(2)).get("/api/v1/invitations/", state="open")["results"][0]
    page.goto("/m/notifications")
    accept = page.get_by_test_id(f"invitation-accept-{invitation['id']}")
    expect(accept).to_be_visible()
    shot(page, "invitation-open")
    accept.click()
    expect(page.locator(".van-toast").filter(has_text="已接受")).to_be_visible()
    expect(page.get_by_test_id(f"invitation-state-{invitation['id']}")).to_have_text("已接受")
    shot(page, "invitation-accepted", full_page=False)
    signups = api_for(volunteer_phone(2)).get("/api/v1/signups/", mine=1)["results"]
    assert any(s["shift"]["id"] == invitation["shift"]["id"] and s["status"] == "confirmed" for s in signups)


def test_the_social_worker_manages_a_team_signs_members_up_and_invites_matches(new_context, shot):
    page = new_context("desktop").new_page()
    login(page, SOCIAL_WORKER)
    page.get_by_test_id("console-nav-teams").click()
    page.wait_for_url("**/console/teams")
    expect(page.get_by_test_id("team-row")).to_have_count(2)
    shot(page, "console-teams")
    page.get_by_test_id("team-row").filter(has_text="春晖助老").get_by_role("link", name="管理").click()
    page.wait_for_url(re.compile(r"/console/teams/\d+$"))
    expect(page.get_by_test_id("team-invite-code")).to_have_text(re.compile(r"^[0-9A-Z]{8}$"))

    # An application: accept it, the member list grows.
    applications = page.get_by_test_id("team-application")
    expect(applications.first).to_be_visible()
    members_before = page.get_by_test_id("team-member-row").count()
    applications.first.get_by_role("button", name="通过").click()
    expect(page.get_by_test_id("team-member-row")).to_have_count(members_before + 1)

    # Two members onto one shift at once, each with their own result.
    rows = page.get_by_test_id("team-member-row")
    for i in (3, 4):
        page.get_by_test_id(f"team-member-select-{rows.nth(i).get_attribute('data-volunteer-id')}").check()
    shift_select = page.get_by_test_id("team-bulk-shift")
    expect(shift_select.locator("option")).not_to_have_count(1)
    option = shift_select.locator("option", has_text="社区环境清洁日").last
    shift_select.select_option(option.get_attribute("value"))
    page.get_by_test_id("team-bulk-submit").click()
    results = page.get_by_test_id("team-bulk-result")
    expect(results).to_have_count(2)
    assert all(status in ("confirmed", "waitlisted", "error") for status in
               results.evaluate_all("els => els.map(e => e.dataset.status)"))
    shot(page, "console-team")

    # Matches for that shift: ranked with reasons; invite the top two.
    page.goto(f"/console/shifts/{option.get_attribute('value')}/matches")
    match_rows = page.get_by_test_id("match-row")
    expect(match_rows.first).to_be_visible()
    scores = [int(s) for s in match_rows.evaluate_all("els => els.map(e => e.dataset.score)")]
    assert scores == sorted(scores, reverse=True)
    expect(match_rows.first).to_contain_text("公里")
    for i in (0, 1):
        match_rows.nth(i).locator("input[type=checkbox]").check()
    page.get_by_test_id("matching-invite").click()
    expect(page.get_by_test_id("sent-invitation").filter(has_text="待回复")).to_have_count(2)
    shot(page, "console-matches")
