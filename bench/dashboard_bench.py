"""Dashboard benchmarks on the large data set (``manage.py seed_large``).

    python bench/dashboard_bench.py check                 # rollups == raw records, exactly (SQL)
    python bench/dashboard_bench.py refresh               # one day's new records into the rollups, timed
    python bench/dashboard_bench.py load --url http://127.0.0.1:8150 --clients 50 --duration 30 [--think 0.5]
    python bench/dashboard_bench.py inproc                # per-endpoint latency without HTTP (one process)

Environment: bench/env.sh with BENCH_DB pointing at the large database. Each result is
printed and appended as one JSON line to bench/var/dashboard.jsonl.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import time
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path

BENCH = Path(__file__).resolve().parent
VAR = BENCH / "var"
OUT = VAR / "dashboard.jsonl"


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def machine() -> dict:
    load = os.getloadavg()
    return {"loadavg": [round(x, 2) for x in load], "nproc": os.cpu_count()}


def record(result: dict) -> None:
    VAR.mkdir(exist_ok=True)
    result = {"at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **result}
    with OUT.open("a") as f:
        f.write(json.dumps(result, ensure_ascii=False) + "\n")
    print(json.dumps(result, ensure_ascii=False, indent=1))


def pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    return round(s[min(len(s) - 1, max(0, round(p / 100 * (len(s) - 1))))] * 1000, 1)


# --- exactness ------------------------------------------------------------------------------

def cmd_check(a) -> dict:
    """Recompute every RegionPeriod cell (hours, records, distinct volunteers for every
    region level × month/quarter/year) straight from the raw service records and
    compare with the rollup table: a FULL OUTER JOIN that must find no difference."""
    setup_django()
    from django.conf import settings
    from django.db import connection

    t0 = time.perf_counter()
    units = {"m": "month", "q": "quarter", "y": "year"}
    parts = []
    for kind, unit in units.items():
        for width in (4, 6, 9, 12):
            parts.append(f"""
                SELECT left(p.region_id, {width}) AS code, '{kind}' AS kind,
                       date_trunc('{unit}', (r.started_at AT TIME ZONE %(tz)s)::date)::date AS start,
                       sum(r.hours) AS hours, count(*) AS records, count(DISTINCT r.volunteer_id) AS volunteers
                  FROM volunteers_servicerecord r JOIN projects_serviceproject p ON p.id = r.project_id
                 WHERE r.status = 'approved' AND r.finalized_at IS NOT NULL AND length(p.region_id) >= {width}
                 GROUP BY 1, 3""")
    sql = f"""
        WITH raw AS ({' UNION ALL '.join(parts)})
        SELECT count(*) FILTER (WHERE d.code IS NULL OR raw.code IS NULL OR d.hours <> raw.hours
                                   OR d.records <> raw.records OR d.volunteers <> raw.volunteers),
               count(*), coalesce(sum(raw.hours) FILTER (WHERE raw.kind = 'y' AND length(raw.code) = 4), 0),
               coalesce(sum(d.hours) FILTER (WHERE d.kind = 'y' AND length(d.code) = 4), 0)
          FROM raw FULL OUTER JOIN (SELECT region_code AS code, kind, start, hours, records, volunteers
                                      FROM dashboard_regionperiod WHERE records > 0) d
            ON d.code = raw.code AND d.kind = raw.kind AND d.start = raw.start"""
    with connection.cursor() as cur:
        cur.execute("SET work_mem = '256MB'")
        cur.execute(sql, {"tz": settings.TIME_ZONE})
        mismatches, cells, raw_total, rollup_total = cur.fetchone()
        cur.execute("SELECT count(*) FROM volunteers_servicerecord")
        total_records = cur.fetchone()[0]
    result = {"bench": "dashboard_check", "records_in_db": total_records, "cells_compared": cells,
              "mismatches": mismatches, "city_hours_raw": str(raw_total), "city_hours_rollup": str(rollup_total),
              "seconds": round(time.perf_counter() - t0, 1), **machine()}
    record(result)
    return result


# --- one day's refresh ------------------------------------------------------------------------

def cmd_refresh(a) -> dict:
    """Copy the shifts and final records of ``--from-day`` (default: 8 days ago) to
    today as new rows (new shifts, same volunteers), which the rollups have not seen;
    then time ``facts_apply`` over them: once in one call (what the sweep does), and
    per record for a sample (what the finalization hook's task does)."""
    setup_django()
    from django.db import transaction
    from django.utils import timezone

    from dashboard.rollups import facts_apply
    from projects.models import Shift
    from volunteers.models import ServiceRecord

    source = date.fromisoformat(a.from_day) if a.from_day else timezone.localdate() - timedelta(days=8)
    with transaction.atomic():
        # ``--days`` consecutive source days all land on today (smaller data sets: the
        # volume of one day at full scale).
        shifts = list(Shift.objects.filter(starts_at__date__gte=source,
                                           starts_at__date__lt=source + timedelta(days=a.days)))
        moved = {s.id: timezone.localdate() - timezone.localtime(s.starts_at).date() for s in shifts}
        clones = Shift.objects.bulk_create([
            Shift(project_id=s.project_id, starts_at=s.starts_at + moved[s.id], ends_at=s.ends_at + moved[s.id],
                  capacity=s.capacity, confirmed_count=s.confirmed_count) for s in shifts], batch_size=2000)
        mapping = {s.id: c.id for s, c in zip(shifts, clones, strict=True)}
        now = timezone.now()
        records = list(ServiceRecord.objects.filter(shift_id__in=list(mapping), status="approved",
                                                    finalized_at__isnull=False))
        new = ServiceRecord.objects.bulk_create([
            ServiceRecord(volunteer_id=r.volunteer_id, shift_id=mapping[r.shift_id], project_id=r.project_id,
                          organization_id=r.organization_id, started_at=r.started_at + moved[r.shift_id],
                          ended_at=r.ended_at + moved[r.shift_id], hours=r.hours, status="approved",
                          reviewed_by_id=r.reviewed_by_id, reviewed_at=now, recorded_by_id=r.recorded_by_id,
                          notice_ends_at=now, finalized_at=now, place=r.place, content=r.content)
            for r in records], batch_size=2000)
    ids = [r.id for r in new]
    sample, rest = ids[: a.per_record], ids[a.per_record:]
    t0 = time.perf_counter()
    for record_id in sample:  # one task per record, as the finalization hook enqueues them
        facts_apply(record_ids=[record_id])
    per_record = (time.perf_counter() - t0) / max(1, len(sample))
    t1 = time.perf_counter()
    if a.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        applied = profiler.runcall(facts_apply, record_ids=rest)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    else:
        applied = facts_apply(record_ids=rest)
    batch = time.perf_counter() - t1
    t2 = time.perf_counter()
    replay = facts_apply(record_ids=ids)
    replay_s = time.perf_counter() - t2
    result = {"bench": "dashboard_refresh", "source_day": source.isoformat(), "days": a.days,
              "new_shifts": len(clones),
              "new_records": len(ids), "batch_records": len(rest), "batch_applied": applied,
              "batch_seconds": round(batch, 2), "per_record_ms": round(per_record * 1000, 1),
              "per_record_sample": len(sample),
              "day_by_per_record_tasks_seconds": round(per_record * len(ids), 1),
              "replay_changed": replay, "replay_seconds": round(replay_s, 2), **machine()}
    record(result)
    return result


# --- HTTP load -----------------------------------------------------------------------------------

STAFF = {"bureau": "13800000000", "street": "13800000001", "community": "13800000002"}


def _regions() -> dict:
    import psycopg

    with psycopg.connect(os.environ["DATABASE_URL"]) as conn:
        rows = conn.execute("SELECT code, level FROM accounts_region WHERE code LIKE '4109%'").fetchall()
    by_level = defaultdict(list)
    for code, level in rows:
        by_level[level].append(code)
    return by_level


def _periods(today: date) -> list[tuple[str, str]]:
    out = []
    for year in range(today.year - 2, today.year + 1):
        out.append((f"{year}-01-01", f"{year}-12-31"))
        for q in range(4):
            first = date(year, 3 * q + 1, 1)
            last = date(year + (3 * q + 3) // 12, (3 * q + 3) % 12 + 1, 1) - timedelta(days=1)
            out.append((first.isoformat(), last.isoformat()))
        for m in range(1, 13):
            first = date(year, m, 1)
            last = date(year + m // 12, m % 12 + 1, 1) - timedelta(days=1)
            out.append((first.isoformat(), last.isoformat()))
    return out


def _request_mix(rng: random.Random, regions: dict, periods: list) -> tuple[str, str, str]:
    """(role, endpoint name, path?query) — a dashboard user's clicks: the headline
    figures most, then trends, top lists, the live counter and the registry."""
    role = rng.choices(["bureau", "street", "community"], weights=[6, 3, 1])[0]
    if role == "bureau":
        level = rng.choices([2, 3, 4, 5], weights=[4, 3, 2, 1])[0]
        code = rng.choice(regions[level])
    elif role == "street":
        code = rng.choice(["410902001"] + [c for c in regions[5] if c.startswith("410902001")])
    else:
        code = "410902001001"
    first, last = rng.choice(periods)
    endpoint = rng.choices(["participation", "trends", "top", "live", "registry"], weights=[5, 2, 2, 1, 1])[0]
    query = f"region={code}" if endpoint in ("live", "registry") else f"region={code}&from={first}&to={last}"
    return role, endpoint, f"/api/v1/dashboard/{endpoint}/?{query}"


async def _login(http, phone: str) -> str:
    r = await http.post("/api/v1/auth/login/", json={"phone": phone, "password": "demo12345"})
    if r.status_code != 200:
        raise SystemExit(f"login {phone}: {r.status_code} {r.text}")
    return r.json()["token"]


async def _load(a) -> dict:
    """``--clients`` dashboard users, each with its own keep-alive connection (httpx,
    already in the app's venv), clicking through the request mix; ``--think`` is the
    mean of an exponential pause between one user's requests (0: closed loop)."""
    import httpx

    regions = _regions()
    periods = _periods(date.today())
    async with httpx.AsyncClient(base_url=a.url, timeout=30, trust_env=False) as http:
        tokens = {role: await _login(http, phone) for role, phone in STAFF.items()}
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    clients = [httpx.AsyncClient(base_url=a.url, timeout=30, limits=limits, trust_env=False)
               for _ in range(a.clients)]
    for client in clients:  # open every connection before the clock starts
        await client.get("/healthz/")
    lat: dict[str, list[float]] = defaultdict(list)
    codes: Counter = Counter()
    t0 = time.perf_counter()
    warm_end = t0 + a.warmup
    end = warm_end + a.duration
    load_before = machine()

    async def user(http, index: int):
        local = random.Random(a.seed * 1000 + index)
        if a.think:  # users do not all click in the same millisecond
            await asyncio.sleep(local.uniform(0, a.think))
        while time.perf_counter() < end:
            role, endpoint, path = _request_mix(local, regions, periods)
            start = time.perf_counter()
            try:
                r = await http.get(path, headers={"Authorization": f"Bearer {tokens[role]}"})
                code = r.status_code
            except Exception as exc:
                code = f"exc:{type(exc).__name__}"
            done = time.perf_counter()
            if warm_end <= done <= end:
                lat[endpoint].append(done - start)
                codes[code] += 1
            if a.think:
                await asyncio.sleep(local.expovariate(1 / a.think))

    await asyncio.gather(*(user(c, i) for i, c in enumerate(clients)))
    for client in clients:
        await client.aclose()
    everything = [x for v in lat.values() for x in v]
    return {"bench": "dashboard_load", "clients": a.clients, "think_s": a.think, "duration_s": a.duration,
            "requests": len(everything), "req_per_s": round(len(everything) / a.duration, 1),
            "p50_ms": pct(everything, 50), "p95_ms": pct(everything, 95), "p99_ms": pct(everything, 99),
            "mean_ms": round(statistics.fmean(everything) * 1000, 1) if everything else None,
            "by_endpoint": {k: {"n": len(v), "p50_ms": pct(v, 50), "p95_ms": pct(v, 95)} for k, v in lat.items()},
            "status": {str(k): v for k, v in codes.items()}, "load_before": load_before["loadavg"],
            **machine()}


def cmd_load(a) -> dict:
    result = asyncio.run(_load(a))
    result["label"] = a.label
    record(result)
    return result


def cmd_inproc(a) -> dict:
    """Median time per selector call in one process (no HTTP, no auth)."""
    setup_django()
    from accounts.models import Region
    from dashboard import selectors
    from dashboard.periods import Period

    today = date.today()
    periods = {"year": Period(date(today.year, 1, 1), date(today.year, 12, 31)),
               "quarter": Period(date(today.year, 7, 1), date(today.year, 9, 30)),
               "custom": Period(date(today.year, 2, 3), date(today.year, 6, 7))}
    periods["month"] = Period(date(today.year, today.month, 1),
                              date(today.year + today.month // 12, today.month % 12 + 1, 1) - timedelta(days=1))
    out = {}
    for code in ("4109", "410902", "410902001", "410902001001"):
        region = Region.objects.get(code=code)
        for name, period in periods.items():
            for fn in ("participation", "trends", "top"):
                times = []
                for _ in range(a.repeat):
                    t = time.perf_counter()
                    getattr(selectors, fn)(region=region, period=period)
                    times.append(time.perf_counter() - t)
                out[f"{code} {name} {fn}"] = round(statistics.median(times) * 1000, 1)
    result = {"bench": "dashboard_inproc", "median_ms": out, **machine()}
    record(result)
    return result


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("check")
    r = sub.add_parser("refresh")
    r.add_argument("--from-day")
    r.add_argument("--per-record", type=int, default=200)
    r.add_argument("--days", type=int, default=1)
    r.add_argument("--profile", action="store_true")
    load = sub.add_parser("load")
    load.add_argument("--url", required=True)
    load.add_argument("--clients", type=int, default=50)
    load.add_argument("--duration", type=float, default=30)
    load.add_argument("--warmup", type=float, default=3)
    load.add_argument("--think", type=float, default=0.0, help="mean think time between a client's requests (s)")
    load.add_argument("--seed", type=int, default=7)
    load.add_argument("--label", default="")
    i = sub.add_parser("inproc")
    i.add_argument("--repeat", type=int, default=5)
    a = p.parse_args()
    {"check": cmd_check, "refresh": cmd_refresh, "load": cmd_load, "inproc": cmd_inproc}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
