"""Benchmark fixtures in a dedicated PostgreSQL database (full mode).

Run with the environment of bench/env.sh (``source bench/env.sh``):

    python bench/setup.py init  --volunteers 400        # drop+create DB, migrate, seed, log in
    python bench/setup.py pool  --shifts 100 --capacity 400 --out bench/var/pool.json
    python bench/setup.py race  --rounds 10 --capacity 50 --out bench/var/race.json
    python bench/setup.py listing --shifts 60 --out bench/var/listing.json
    python bench/setup.py verify --shifts-file bench/var/pool.json

``init`` logs every volunteer in through the real login endpoint (Django's test client,
so no server is needed) and writes their tokens to bench/var/tokens.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
VAR = BENCH / "var"


def _db_name() -> str:
    return os.environ["DATABASE_URL"].rsplit("/", 1)[1]


def _psql(sql: str, db: str = "postgres") -> None:
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "-v", "ON_ERROR_STOP=1",
                    "-qc", sql], check=True)


def _django():
    import django

    django.setup()


def cmd_init(args) -> None:
    db = _db_name()
    assert db not in ("postgres", "platform", "template1"), db
    _psql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
    _psql(f'CREATE DATABASE "{db}"')
    manage = [sys.executable, str(REPO / "manage.py")]
    subprocess.run([*manage, "migrate", "-v", "0"], check=True)
    subprocess.run([*manage, "seed_demo", "--volunteers", str(args.volunteers)], check=True,
                   stdout=subprocess.DEVNULL)
    _django()
    from django.test import Client

    client = Client()
    tokens = []
    for i in range(args.volunteers):
        phone = f"138{1000 + i:08d}"
        r = client.post("/api/v1/auth/login/", {"phone": phone, "password": "demo12345"},
                        content_type="application/json")
        assert r.status_code == 200, (phone, r.status_code, r.content[:200])
        tokens.append(r.json()["token"])
    r = client.post("/api/v1/auth/login/", {"phone": "13800000004", "password": "demo12345"},
                    content_type="application/json")
    assert r.status_code == 200, r.content[:200]
    VAR.mkdir(exist_ok=True)
    (VAR / "tokens.json").write_text(json.dumps({"volunteers": tokens, "social_worker": r.json()["token"]}))
    print(f"init: db={db} volunteers={len(tokens)} tokens -> {VAR / 'tokens.json'}")


def _bench_project(title: str):
    from accounts.models import Region, User
    from organizations.models import Membership
    from projects.services.projects import project_create, project_publish

    worker = User.objects.get(phone="13800000004")
    org = (Membership.objects.filter(user=worker, role=Membership.Role.SOCIAL_WORKER)
           .select_related("organization").order_by("id").first().organization)
    project = project_create(user=worker, organization=org, title=title,
                             region=org.region if len(org.region_id) >= 9
                             else Region.objects.get(code="410902001"))
    # The organization's admin reviews and publishes (the default reviewer).
    admin = User.objects.get(phone="13800000003")
    project_publish(user=admin, project=project)
    return project


def _shifts(project, n: int, capacity: int, day_offset: int = 3) -> list[int]:
    from django.db.models import Max
    from django.utils import timezone

    from projects.models import Shift
    from projects.services.shifts import shift_create

    # Each pool gets its own stretch of time: a volunteer may not hold two overlapping
    # confirmed shifts, so reusing the times of an earlier pool would turn into 409s.
    base = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=day_offset)
    latest = Shift.objects.aggregate(latest=Max("ends_at"))["latest"]
    if latest is not None and latest + timedelta(days=1) > base:
        base = (latest + timedelta(days=1)).replace(minute=0, second=0, microsecond=0)
    ids = []
    for i in range(n):
        start = base + timedelta(hours=4 * i)
        ids.append(shift_create(project=project, starts_at=start,
                                ends_at=start + timedelta(hours=3), capacity=capacity).id)
    return ids


def cmd_pool(args) -> None:
    _django()
    project = _bench_project(f"压测班次池 {os.getpid()}")
    ids = _shifts(project, args.shifts, args.capacity)
    Path(args.out).write_text(json.dumps({"project": project.id, "shifts": ids, "capacity": args.capacity}))
    print(f"pool: project={project.id} shifts={len(ids)} capacity={args.capacity} -> {args.out}")


def cmd_race(args) -> None:
    _django()
    project = _bench_project(f"压测抢名额 {os.getpid()}")
    ids = _shifts(project, args.rounds, args.capacity)
    Path(args.out).write_text(json.dumps({"project": project.id, "shifts": ids, "capacity": args.capacity}))
    print(f"race: project={project.id} shifts={len(ids)} capacity={args.capacity} -> {args.out}")


def cmd_listing(args) -> None:
    """A project with ``--shifts`` upcoming shifts, each partly booked with a short waitlist,
    so the list's per-shift aggregate has rows to count."""
    _django()
    import random

    from django.utils import timezone

    from accounts.models import User
    from projects.models import Shift, Signup

    project = _bench_project(f"压测班次列表 {os.getpid()}")
    ids = _shifts(project, args.shifts, 10)
    vols = list(User.objects.filter(phone__startswith="138000010").order_by("phone")[:40])
    rng = random.Random(7)
    now = timezone.now()
    rows = []
    for sid in ids:
        team = rng.sample(vols, k=min(len(vols), 12))
        for n, v in enumerate(team):
            if n < 10:
                rows.append(Signup(shift_id=sid, volunteer=v, status="confirmed", confirmed_at=now))
            else:
                rows.append(Signup(shift_id=sid, volunteer=v, status="waitlisted", queue_number=n - 9))
        Shift.objects.filter(id=sid).update(confirmed_count=10, waitlist_seq=2)
    Signup.objects.bulk_create(rows)
    Path(args.out).write_text(json.dumps({"project": project.id, "shifts": ids}))
    print(f"listing: project={project.id} shifts={len(ids)} signups={len(rows)} -> {args.out}")


def cmd_verify(args) -> None:
    _django()
    from django.db.models import Count, Q

    from projects.models import Shift

    ids = json.loads(Path(args.shifts_file).read_text())["shifts"]
    rows = (Shift.objects.filter(id__in=ids)
            .annotate(real_confirmed=Count("signups", filter=Q(signups__status="confirmed")))
            .values_list("id", "capacity", "confirmed_count", "real_confirmed"))
    bad = [r for r in rows if r[3] > r[1] or r[2] != r[3]]
    print(json.dumps({"shifts": len(ids), "overbooked_or_inconsistent": bad}))
    sys.exit(1 if bad else 0)


def main() -> None:
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("init")
    s.add_argument("--volunteers", type=int, default=400)
    s = sub.add_parser("pool")
    s.add_argument("--shifts", type=int, default=100)
    s.add_argument("--capacity", type=int, default=400)
    s.add_argument("--out", default=str(VAR / "pool.json"))
    s = sub.add_parser("race")
    s.add_argument("--rounds", type=int, default=10)
    s.add_argument("--capacity", type=int, default=50)
    s.add_argument("--out", default=str(VAR / "race.json"))
    s = sub.add_parser("listing")
    s.add_argument("--shifts", type=int, default=60)
    s.add_argument("--out", default=str(VAR / "listing.json"))
    s = sub.add_parser("verify")
    s.add_argument("--shifts-file", required=True)
    args = p.parse_args()
    globals()[f"cmd_{args.cmd}"](args)


if __name__ == "__main__":
    main()
