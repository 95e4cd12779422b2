"""A Celery worker is killed (SIGKILL, no warm shutdown) in the middle of a batch of
notice-period finalizations; a new worker takes over the unacknowledged tasks
(``acks_late`` + ``reject_on_worker_lost``, Redis visibility timeout) and every record,
star level and organization metric ends exactly right.

The batch runs on a queue of its own, served by workers this test starts and kills,
next to the stack's PostgreSQL and Redis (see conftest.py); the stack's own worker never
sees it."""

from __future__ import annotations

import os
import secrets
import signal
import time
from datetime import timedelta
from decimal import Decimal

import pytest

from tests.integration.conftest import PYTHON, Process, server_env, wait_for_log
from tests.integration.wire import future_shift, published_project

pytestmark = pytest.mark.integration

SHIFTS = 3
VOLUNTEERS = 20  # seed_demo's 13800001000 onwards
KILL_AFTER = 12  # tasks done before the kill


def _worker(stack, queue: str, name: str, log) -> Process:
    env = server_env(DATABASE_URL=stack.database_url, REDIS_URL=stack.redis_url,
                     SECRET_KEY=secrets.token_urlsafe(50), CHANNELS_PREFIX=f"kill-{queue}",
                     VAR_DIR=str(log.parent / "var"), CELERY_QUEUE=queue, CELERY_VISIBILITY_TIMEOUT="3",
                     CELERY_UNACKED_RESTORE_INTERVAL="1", CELERY_UNACKED_RESTORE_THROTTLE="1")
    worker = Process(name, [PYTHON, "-m", "celery", "-A", "config", "worker", "-l", "info", "-c", "1",
                            "-Q", queue, "-n", f"{name}-{queue}@%h", "--without-gossip", "--without-mingle",
                            "--without-heartbeat"], env, log)
    wait_for_log(worker, " ready.")
    return worker


def _expected(stack, organization_id: int, period) -> tuple[dict, tuple]:
    hours = dict(stack.sql("SELECT volunteer_id, SUM(hours) FROM volunteers_servicerecord "
                           "WHERE status = 'approved' AND finalized_at IS NOT NULL GROUP BY volunteer_id"))
    metric = stack.sql(
        "SELECT COUNT(DISTINCT r.volunteer_id), COALESCE(SUM(r.hours), 0) FROM volunteers_servicerecord r "
        "JOIN projects_shift s ON s.id = r.shift_id WHERE r.organization_id = %s AND r.status = 'approved' "
        "AND r.finalized_at IS NOT NULL AND date_trunc('month', s.starts_at AT TIME ZONE 'Asia/Shanghai') = %s",
        (organization_id, period))[0]
    return hours, (metric[0], Decimal(metric[1]))


def _all_right(stack, organization_id: int, period, record_ids: list[int]) -> bool:
    final = stack.sql("SELECT COUNT(*) FROM volunteers_servicerecord WHERE id = ANY(%s) AND finalized_at IS NOT NULL",
                      (record_ids,))[0][0]
    hours, (volunteers, total) = _expected(stack, organization_id, period)
    standings = dict(stack.sql("SELECT volunteer_id, final_hours FROM volunteers_volunteerstanding"))
    metric = stack.sql("SELECT volunteers, final_hours FROM volunteers_organizationmetric "
                       "WHERE organization_id = %s AND period = %s", (organization_id, period))
    return (final == len(record_ids) and all(standings.get(v) == h for v, h in hours.items())
            and metric == [(volunteers, total)])


def test_a_worker_killed_mid_batch_leaves_every_record_and_metric_exactly_right(stack, social_worker,
                                                                                 tmp_path):
    import redis
    from celery import Celery

    project = published_project(social_worker, f"集成测试·强杀进程 {secrets.token_hex(3)}")
    organization_id = project["organization"]["id"]
    worker_id = social_worker.user["id"]
    shift_ids = []
    for index in range(SHIFTS):
        shift = future_shift(social_worker, project["id"], starts_in=timedelta(days=5 + index), capacity=5)
        shift_ids.append(shift["id"])
    # Held two days ago, the same afternoon, so that they fall in one month.
    stack.sql("UPDATE projects_shift SET starts_at = date_trunc('hour', now()) - interval '2 days', "
              "ends_at = date_trunc('hour', now()) - interval '2 days' + interval '2 hours' WHERE id = ANY(%s)",
              (shift_ids,))
    period = stack.sql("SELECT date_trunc('month', starts_at AT TIME ZONE 'Asia/Shanghai')::date FROM projects_shift "
                       "WHERE id = %s", (shift_ids[0],))[0][0]
    volunteers = [row[0] for row in stack.sql(
        "SELECT id FROM accounts_user WHERE phone >= '13800001000' AND phone < '13800002000' ORDER BY phone LIMIT %s",
        (VOLUNTEERS,))]
    assert len(volunteers) == VOLUNTEERS
    # Approved entries whose public notice has just ended: the batch finalizes them.
    record_ids = [row[0] for row in stack.sql(
        "INSERT INTO volunteers_servicerecord (volunteer_id, shift_id, project_id, organization_id, source, "
        "started_at, ended_at, hours, status, reviewed_by_id, reviewed_at, reject_reason, amend_reason, "
        "created_at, place, people_served, content, back_entry_reason, evidence, notice_ends_at) "
        "SELECT v, s.id, s.project_id, %s, 'checkin', s.starts_at, s.ends_at, "
        "0.25 * (1 + (v + s.id) %% 7), 'approved', %s, now(), '', '', now(), '', 0, '', '', '', "
        "now() - interval '1 minute' FROM unnest(%s::bigint[]) AS v, projects_shift s WHERE s.id = ANY(%s) "
        "RETURNING id", (organization_id, worker_id, volunteers, shift_ids))]
    assert len(record_ids) == SHIFTS * VOLUNTEERS

    queue = f"kill-{secrets.token_hex(4)}"
    first = _worker(stack, queue, "doomed", tmp_path / "doomed.log")
    app = Celery(broker=stack.redis_url)
    try:
        app.send_task("volunteers.service_records_finalize_due", queue=queue)
        deadline = time.monotonic() + 60
        while first.log_text().count(" succeeded in ") < KILL_AFTER:
            assert time.monotonic() < deadline, first.log_text()[-3000:]
            time.sleep(0.02)
        os.killpg(first.proc.pid, signal.SIGKILL)
        first.proc.wait(timeout=10)
    finally:
        first.stop()
        app.close()
    broker = redis.Redis.from_url(stack.redis_url)
    left = broker.llen(queue) + broker.hlen("unacked")
    finalized_at_kill = stack.sql("SELECT COUNT(*) FROM volunteers_servicerecord WHERE id = ANY(%s) "
                                  "AND finalized_at IS NOT NULL", (record_ids,))[0][0]
    assert left > 0, "the worker finished the batch before it was killed"
    assert not _all_right(stack, organization_id, period, record_ids)

    second = _worker(stack, queue, "heir", tmp_path / "heir.log")
    try:
        deadline = time.monotonic() + 90
        while not (_all_right(stack, organization_id, period, record_ids) and broker.llen(queue) == 0):
            second.assert_alive()
            assert time.monotonic() < deadline, second.log_text()[-3000:]
            time.sleep(0.2)
    finally:
        second.stop()
        broker.close()
    print(f"killed after {KILL_AFTER} tasks with {finalized_at_kill}/{len(record_ids)} records final and "
          f"{left} tasks queued or unacknowledged; the new worker finished the rest")
    # Exactly right, not merely "done": per volunteer and for the organization's month.
    hours, (volunteer_count, total) = _expected(stack, organization_id, period)
    new_hours = stack.sql("SELECT SUM(hours) FROM volunteers_servicerecord WHERE id = ANY(%s)", (record_ids,))[0][0]
    assert volunteer_count >= VOLUNTEERS and total >= new_hours
    standings = dict(stack.sql("SELECT volunteer_id, final_hours FROM volunteers_volunteerstanding"))
    assert {v: standings[v] for v in volunteers} == {v: hours[v] for v in volunteers}
    levels = stack.sql("SELECT COUNT(*) FROM volunteers_volunteerstanding WHERE star_level <> 0")[0][0]
    assert levels == 0  # none of them reaches 100 h: no star and no star notification
    assert stack.sql("SELECT COUNT(*) FROM notifications_notification WHERE kind = 'star_level_up'")[0][0] == 0
