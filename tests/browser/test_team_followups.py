"""Team follow-ups in the console, on the seeded demo: the social worker picks a project's
team (and members-first window) on the project form and changes it later, removes a
member with a reason from the team page, and opens a short shift's matching page from
the notification list in one click."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SOCIAL_WORKER, login, volunteer_phone

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("server_log")]


# The demo's second team: tests/browser/test_teams.py counts the social worker's teams
# (so no new team here) and the first team's members (so not that one).
DEMO_TEAM = "益民助残志愿服务队"
DEMO_TEAM_CODE = "YMZHUCAN"


def _demo_team(worker) -> dict:
    return next(t for t in worker.get("/api/v1/teams/", mine=1)["results"] if t["name"] == DEMO_TEAM)


def test_the_project_form_sets_the_team_and_its_members_first_window_and_the_card_changes_it(
        new_context, api_for, shot):
    worker = api_for(SOCIAL_WORKER)
    team = _demo_team(worker)
    org = team["organization"]
    page = new_context("desktop").new_page()
    login(page, SOCIAL_WORKER)
    page.goto("/console/projects")
    page.get_by_test_id("project-create-toggle").click()
    page.get_by_test_id("project-org").select_option(str(org["id"]))
    # Only the organization's own teams are offered; the window waits for a team.
    expect(page.get_by_test_id("project-team").locator("option", has_text=DEMO_TEAM)).to_have_count(1)
    expect(page.get_by_test_id("project-members-first")).to_be_disabled()
    page.get_by_test_id("project-title").fill("队员优先的助老项目")
    page.get_by_test_id("project-region").fill("410902001")
    page.get_by_test_id("project-address").fill("京东社区活动室")
    page.get_by_test_id("project-team").select_option(str(team["id"]))
    until = (datetime.now(UTC) + timedelta(hours=8, days=2)).strftime("%Y-%m-%dT%H:%M")  # Beijing wall time
    page.get_by_test_id("project-members-first").fill(until)
    shot(page, "project-form-with-team")
    page.get_by_test_id("project-create-submit").click()

    card = page.get_by_test_id("console-project").filter(has_text="队员优先的助老项目")
    expect(card).to_be_visible()
    project_id = card.get_attribute("data-project-id")
    expect(page.get_by_test_id(f"project-team-{project_id}")).to_contain_text(DEMO_TEAM)
    expect(page.get_by_test_id(f"project-team-{project_id}")).to_contain_text("前仅限队员报名")
    saved = worker.get(f"/api/v1/projects/{project_id}/")
    assert saved["team"] == {"id": team["id"], "name": DEMO_TEAM}
    assert saved["members_first_until"].startswith(until[:10])
    shot(page, "project-card-with-team", full_page=False)

    # Edit: detach the team (the window goes with it), then attach it again without one.
    page.get_by_test_id(f"project-team-edit-{project_id}").click()
    page.get_by_test_id(f"project-team-select-{project_id}").select_option("")
    page.get_by_test_id(f"project-team-save-{project_id}").click()
    expect(page.get_by_test_id(f"project-team-{project_id}")).to_contain_text("未关联")
    assert worker.get(f"/api/v1/projects/{project_id}/")["members_first_until"] is None
    page.get_by_test_id(f"project-team-edit-{project_id}").click()
    page.get_by_test_id(f"project-team-select-{project_id}").select_option(str(team["id"]))
    page.get_by_test_id(f"project-team-save-{project_id}").click()
    expect(page.get_by_test_id(f"project-team-{project_id}")).to_have_text(f"服务队：{DEMO_TEAM}")
    shot(page, "project-team-edited", full_page=False)


def test_the_leader_removes_a_member_with_a_reason_and_the_member_is_told(new_context, api_for, shot):
    worker = api_for(SOCIAL_WORKER)
    team = _demo_team(worker)
    member = api_for(volunteer_phone(19))
    membership = member.post("/api/v1/teams/join/", {"invite_code": DEMO_TEAM_CODE}, status=201)

    page = new_context("desktop").new_page()
    login(page, SOCIAL_WORKER)
    page.goto(f"/console/teams/{team['id']}")
    rows = page.get_by_test_id("team-member-row")
    expect(page.get_by_test_id(f"team-member-remove-{membership['id']}")).to_be_visible()
    members_before = rows.count()
    page.get_by_test_id(f"team-member-remove-{membership['id']}").click()
    page.get_by_test_id("team-remove-confirm").click()
    expect(page.get_by_test_id("team-remove-error")).to_have_text("请填写移出原因")
    page.get_by_test_id("team-remove-reason").fill("连续三次无故缺席")
    shot(page, "remove-form", full_page=False)
    page.get_by_test_id("team-remove-confirm").click()
    expect(rows).to_have_count(members_before - 1)
    expect(page.get_by_test_id(f"team-member-remove-{membership['id']}")).to_have_count(0)
    removed = page.get_by_test_id("team-removed-row").filter(has_text="连续三次无故缺席")
    expect(removed).to_have_count(1)
    assert removed.get_attribute("data-membership-id") == str(membership["id"])
    shot(page, "member-removed")

    notes = member.get("/api/v1/notifications/")["results"]
    assert any(n["kind"] == "team_member_removed" and "连续三次无故缺席" in n["body"] for n in notes)
    assert member.get(f"/api/v1/teams/{team['id']}/")["my_membership"] is None


def test_a_short_shift_notice_opens_the_shift_s_matching_page_in_one_click(new_context, api_for, server, shot):
    worker = api_for(SOCIAL_WORKER)
    published = [p for p in worker.get("/api/v1/projects/", mine=1, page_size=100)["results"]
                 if p["status"] == "published"]
    now = datetime.now(UTC)
    shift = next(s for p in published for s in worker.get(f"/api/v1/projects/{p['id']}/shifts/")["results"]
                 if s["seats_left"] > 0 and datetime.fromisoformat(s["starts_at"]) > now)
    # The notice exactly as projects.services.reminders.shifts_short_notify writes it (its
    # data is checked by tests/api/test_team_followups.py); the beat task runs every 15
    # minutes, too slowly to wait for here.
    data = {"shift_id": shift["id"], "project_id": shift["project"], "missing": shift["seats_left"],
            "url": f"/console/shifts/{shift['id']}/matches"}
    server.sql("INSERT INTO notifications_notification (recipient_id, kind, title, body, data, created_at) "
               "VALUES (?, 'shift_short', '班次人数不足', ?, ?, ?)",
               (worker.user["id"], f"明天的班次还差 {shift['seats_left']} 人。", json.dumps(data),
                datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")))

    page = new_context("desktop").new_page()
    login(page, SOCIAL_WORKER)
    page.get_by_test_id("console-nav-notifications").click()
    item = page.get_by_test_id("notification-item").filter(has_text="班次人数不足").first
    expect(item).to_be_visible()
    expect(item).to_contain_text("查找并邀请匹配的志愿者")
    shot(page, "short-shift-notice", full_page=False)
    item.click()
    page.wait_for_url(re.compile(rf"/console/shifts/{shift['id']}/matches$"))
    expect(page.get_by_test_id("matching-shift")).to_be_visible()
    expect(page.get_by_test_id("match-row").first).to_be_visible()
    shot(page, "matching-from-notice")
