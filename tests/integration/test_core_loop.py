"""The core loop of DESIGN.md over the wire, against real processes: uvicorn serving
HTTP + WebSocket, a Celery worker on Redis, PostgreSQL. See conftest.py for the stack."""

from __future__ import annotations

import secrets
import time
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from websockets.exceptions import InvalidStatus

from tests.integration.wire import (
    SEEDED_IN_PROGRESS_PROJECT,
    SEEDED_VOLUNTEER,
    Api,
    Socket,
    future_shift,
    now,
    published_project,
    volunteer_phone,
)

pytestmark = pytest.mark.integration

# A task's notification crosses Redis twice (broker, channel layer); allow for a busy CI box.
TASK_FRAME_TIMEOUT = 10


@pytest.fixture(scope="module")
def project(social_worker) -> dict:
    return published_project(social_worker, f"集成测试·独居老人探访 {secrets.token_hex(3)}")


@pytest.fixture
def volunteers(stack):
    """Log in seeded volunteers by index (13800001000 + index); logged out at the end."""
    opened: list[Api] = []

    def login(index: int) -> Api:
        api = stack.login(volunteer_phone(index))
        opened.append(api)
        return api

    yield login
    for api in opened:
        api.close()


def _seeded_in_progress_signup(volunteer: Api) -> dict:
    current = now()
    for signup in volunteer.all_pages("/api/v1/signups/", mine=1):
        shift = signup["shift"]
        if (signup["status"] == "confirmed" and shift["project"]["title"] == SEEDED_IN_PROGRESS_PROJECT
                and signup["attendance"] is None
                and datetime.fromisoformat(shift["starts_at"]) <= current < datetime.fromisoformat(shift["ends_at"])):
            return signup
    raise AssertionError("seed_demo left no confirmed sign-up on a shift in progress")


def _summary(volunteer: Api) -> dict:
    body = volunteer.ok(volunteer.get("/api/v1/volunteers/me/summary/"))
    return {k: Decimal(str(body[k])) for k in ("approved_hours", "pending_hours")}


def test_core_loop_from_publishing_to_approved_hours_notifies_the_volunteer_at_each_step(
        stack, social_worker, project):
    # 1. The social worker adds a shift to a freshly published project.
    shift = future_shift(social_worker, project["id"], starts_in=timedelta(days=2), capacity=3)
    volunteer = stack.login(SEEDED_VOLUNTEER)
    with volunteer.socket() as inbox, social_worker.socket() as worker_inbox:
        # 2. The volunteer signs up and hears about it at once.
        signup = volunteer.ok(volunteer.post(f"/api/v1/shifts/{shift['id']}/signups/"), 201)
        assert signup["status"] == "confirmed"
        inbox.wait_for("signup_confirmed", signup_id=signup["id"], shift_id=shift["id"])

        # 3. On site (the seeded shift that is in progress) they scan the rotating code.
        current = _seeded_in_progress_signup(volunteer)
        shift_id = current["shift"]["id"]
        code = social_worker.ok(social_worker.get(f"/api/v1/shifts/{shift_id}/checkin-code/"))["code"]
        attendance = volunteer.ok(volunteer.post("/api/v1/attendance/check-in/", {"code": code}), 201)
        # They arrived an hour ago: move the check-in back so that the record has real hours.
        stack.sql("UPDATE projects_attendance SET checked_in_at = checked_in_at - interval '60 minutes' "
                  "WHERE id = %s", (attendance["id"],))
        before = _summary(volunteer)
        out = volunteer.ok(volunteer.post("/api/v1/attendance/check-out/", {"code": code}))
        assert out["checked_out_at"]

        # 4. The worker process makes the pending record; both people hear about it.
        created = inbox.wait_for("record_created", timeout=TASK_FRAME_TIMEOUT, shift_id=shift_id)
        record_id = created["data"]["record_id"]
        worker_inbox.wait_for("record_created", timeout=TASK_FRAME_TIMEOUT, record_id=record_id)
        hours = Decimal(created["data"]["hours"])
        assert Decimal("1.00") <= hours <= Decimal("1.02"), hours
        assert _summary(volunteer) == {"approved_hours": before["approved_hours"],
                                       "pending_hours": before["pending_hours"] + hours}
        pending = social_worker.all_pages("/api/v1/service-records/", status="pending")
        assert record_id in {r["id"] for r in pending}

        # 5. The social worker approves; the volunteer hears it and the hours count.
        approved = social_worker.ok(social_worker.post(f"/api/v1/service-records/{record_id}/approve/"))
        assert approved["status"] == "approved"
        inbox.wait_for("record_approved", record_id=record_id)
        assert _summary(volunteer) == {"approved_hours": before["approved_hours"] + hours,
                                       "pending_hours": before["pending_hours"]}
        again = social_worker.post(f"/api/v1/service-records/{record_id}/approve/")
        assert (again.status_code, again.json()["code"]) == (409, "already_reviewed")
    volunteer.close()


def test_a_browser_socket_authenticated_by_its_session_cookie_receives_notifications(
        stack, social_worker, project, volunteers):
    volunteer = volunteers(2)
    shift = future_shift(social_worker, project["id"], starts_in=timedelta(days=3), capacity=5)
    with Socket.open(stack.ws_url, origin=stack.base_url, cookie=volunteer.session_cookie) as browser:
        assert browser.next_frame(timeout=5) == {"type": "ready", "user": volunteer.user["id"]}
        signup = volunteer.ok(volunteer.post(f"/api/v1/shifts/{shift['id']}/signups/"), 201)
        frame = browser.wait_for("signup_confirmed", signup_id=signup["id"])
        assert set(frame) == {"type", "id", "kind", "title", "body", "created_at", "data"}


def test_a_socket_from_a_foreign_origin_is_refused_even_with_a_valid_session(stack, volunteers):
    volunteer = volunteers(3)
    with pytest.raises(InvalidStatus) as refused:
        Socket.open(stack.ws_url, origin="http://evil.example", cookie=volunteer.session_cookie)
    assert refused.value.response.status_code == 403


def test_a_socket_without_origin_is_not_authenticated_by_a_cookie(stack, volunteers):
    volunteer = volunteers(3)
    with Socket.open(stack.ws_url, cookie=volunteer.session_cookie) as sock:
        # Had the cookie counted, "ready" would come first; instead a bad ticket closes it.
        sock.send({"type": "auth", "ticket": "not-a-ticket"})
        assert sock.close_code() == 4401


@pytest.mark.parametrize("first_frame", [
    {"type": "hello"},
    {"type": "auth"},
    {"type": "auth", "ticket": "forged-" + "x" * 40},
    ["auth"],
], ids=["not-auth", "no-ticket", "forged-ticket", "not-an-object"])
def test_a_socket_without_a_valid_ticket_or_session_is_closed_with_4401(stack, first_frame):
    with Socket.open(stack.ws_url) as sock:
        sock.send(first_frame)
        assert sock.close_code() == 4401


def test_a_ws_ticket_works_once(stack, volunteers):
    volunteer = volunteers(4)
    ticket = volunteer.ws_ticket()
    with Socket.open(stack.ws_url) as first:
        first.send({"type": "auth", "ticket": ticket})
        assert first.next_frame(timeout=5) == {"type": "ready", "user": volunteer.user["id"]}
        with Socket.open(stack.ws_url) as replay:
            replay.send({"type": "auth", "ticket": ticket})
            assert replay.close_code() == 4401


def test_notifications_made_while_the_socket_was_closed_are_caught_up_by_id(
        stack, social_worker, project, volunteers):
    volunteer = volunteers(5)
    first, second = (future_shift(social_worker, project["id"], starts_in=timedelta(days=d), capacity=5)
                     for d in (4, 5))
    with volunteer.socket() as inbox:
        signup = volunteer.ok(volunteer.post(f"/api/v1/shifts/{first['id']}/signups/"), 201)
        last_seen = inbox.wait_for("signup_confirmed", signup_id=signup["id"])["id"]

    # Offline: a sign-up and a cancellation happen.
    missed = volunteer.ok(volunteer.post(f"/api/v1/shifts/{second['id']}/signups/"), 201)
    volunteer.ok(volunteer.post(f"/api/v1/signups/{signup['id']}/cancel/"))

    page = volunteer.ok(volunteer.get("/api/v1/notifications/", after=last_seen))
    caught_up = [(n["kind"], n["data"]["signup_id"]) for n in page["results"]]
    assert caught_up == [("signup_confirmed", missed["id"]), ("signup_cancelled", signup["id"])]
    ids = [n["id"] for n in page["results"]]
    assert ids == sorted(ids) and ids[0] > last_seen

    # Back online, live frames flow again, after the ones caught up.
    with volunteer.socket() as inbox:
        volunteer.ok(volunteer.post(f"/api/v1/signups/{missed['id']}/cancel/"))
        assert inbox.wait_for("signup_cancelled", signup_id=missed["id"])["id"] > ids[-1]


def test_the_waitlisted_volunteer_hears_of_the_promotion_when_a_confirmed_one_cancels(
        stack, social_worker, project, volunteers):
    shift = future_shift(social_worker, project["id"], starts_in=timedelta(days=6), capacity=1)
    seated, waiting = volunteers(6), volunteers(7)
    taken = seated.ok(seated.post(f"/api/v1/shifts/{shift['id']}/signups/"), 201)
    assert taken["status"] == "confirmed"
    with waiting.socket() as inbox:
        queued = waiting.ok(waiting.post(f"/api/v1/shifts/{shift['id']}/signups/"), 201)
        assert (queued["status"], queued["waitlist_position"]) == ("waitlisted", 1)
        inbox.wait_for("signup_waitlisted", signup_id=queued["id"])

        seated.ok(seated.post(f"/api/v1/signups/{taken['id']}/cancel/"))

        inbox.wait_for("signup_promoted", signup_id=queued["id"], shift_id=shift["id"])
    mine = {s["id"]: s for s in waiting.all_pages("/api/v1/signups/", mine=1)}
    assert mine[queued["id"]]["status"] == "confirmed"


def test_the_record_task_run_three_times_by_the_real_worker_leaves_one_record(
        stack, social_worker, project, volunteers):
    from celery import Celery

    volunteer = volunteers(8)
    # Check-in opens an hour before the start, so a shift starting soon can be walked now.
    shift = future_shift(social_worker, project["id"], starts_in=timedelta(minutes=30), capacity=2)
    volunteer.ok(volunteer.post(f"/api/v1/shifts/{shift['id']}/signups/"), 201)
    code = social_worker.ok(social_worker.get(f"/api/v1/shifts/{shift['id']}/checkin-code/"))["code"]
    with volunteer.socket() as inbox:
        attendance = volunteer.ok(volunteer.post("/api/v1/attendance/check-in/", {"code": code}), 201)
        volunteer.ok(volunteer.post("/api/v1/attendance/check-out/", {"code": code}))
        record_id = inbox.wait_for("record_created", timeout=TASK_FRAME_TIMEOUT,
                                   shift_id=shift["id"])["data"]["record_id"]

    # A replayed delivery (acks_late) or the sweep: the same task, twice more.
    broker = Celery("integration-client", broker=stack.redis_url)
    try:
        task_ids = [broker.send_task("volunteers.service_record_from_attendance",
                                     args=[attendance["id"]], queue="default").id for _ in range(2)]
    finally:
        broker.close()
    deadline = time.monotonic() + TASK_FRAME_TIMEOUT
    while not all(f"[{task_id}] succeeded" in stack.worker.log_text() for task_id in task_ids):
        stack.worker.assert_alive()
        assert time.monotonic() < deadline, f"the worker did not run {task_ids}"
        time.sleep(0.1)

    assert stack.sql("SELECT id FROM volunteers_servicerecord WHERE attendance_id = %s",
                     (attendance["id"],)) == [(record_id,)]
    told = stack.sql("SELECT recipient_id FROM notifications_notification "
                     "WHERE kind = 'record_created' AND (data->>'record_id')::int = %s ORDER BY recipient_id",
                     (record_id,))
    assert sorted(told) == sorted([(volunteer.user["id"],), (social_worker.user["id"],)])
