"""Load generator for the platform's benchmarks (asyncio; httpx or aiohttp as the client).

Every mode is bounded by time (--duration) and count (--max-requests) and stops by itself.

    python bench/load.py signups   --url http://127.0.0.1:8100 --pool bench/var/pool.json --clients 200 --duration 20
    python bench/load.py race      --url ... --race bench/var/race.json --clients 200
    python bench/load.py single    --url ... --pool bench/var/pool.json --max-requests 300
    python bench/load.py shiftlist --url ... --listing bench/var/listing.json --clients 50 --duration 15

Tokens come from bench/var/tokens.json (bench/setup.py init). After ``signups`` and
``race`` the database (DATABASE_URL) is checked: no shift may hold more confirmed
sign-ups than seats, and ``confirmed_count`` must equal the confirmed rows.
Results are printed and appended as one JSON line to --results (default bench/var/results.jsonl).
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
from collections import Counter
from pathlib import Path

BENCH = Path(__file__).resolve().parent
VAR = BENCH / "var"


# --- HTTP clients ------------------------------------------------------------------------
class Client:
    """One logical client: its own keep-alive connection, its own volunteer token."""

    async def request(self, method: str, path: str) -> tuple[int, bytes]:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError


class HttpxClient(Client):
    def __init__(self, base: str, token: str | None):
        import httpx

        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.c = httpx.AsyncClient(base_url=base, headers=headers, timeout=30,
                                   limits=httpx.Limits(max_connections=1, max_keepalive_connections=1))

    async def request(self, method, path):
        r = await self.c.request(method, path)
        return r.status_code, r.content

    async def close(self):
        await self.c.aclose()


class AiohttpClient(Client):
    def __init__(self, base: str, token: str | None):
        import aiohttp

        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.base = base
        self.c = aiohttp.ClientSession(
            headers=headers, timeout=aiohttp.ClientTimeout(total=30),
            connector=aiohttp.TCPConnector(limit=1, force_close=False))

    async def request(self, method, path):
        async with self.c.request(method, self.base + path) as r:
            return r.status, await r.read()

    async def close(self):
        await self.c.close()


def make_client(kind: str, base: str, token: str | None) -> Client:
    return {"httpx": HttpxClient, "aiohttp": AiohttpClient}[kind](base, token)


# --- statistics ----------------------------------------------------------------------------
def pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    k = min(len(s) - 1, max(0, round(p / 100 * (len(s) - 1))))
    return round(s[k] * 1000, 2)  # ms


def summary(latencies: list[float]) -> dict:
    return {"p50_ms": pct(latencies, 50), "p95_ms": pct(latencies, 95), "p99_ms": pct(latencies, 99),
            "max_ms": pct(latencies, 100),
            "mean_ms": round(statistics.fmean(latencies) * 1000, 2) if latencies else None}


# --- database checks ----------------------------------------------------------------------
def db_check(shift_ids: list[int]) -> dict:
    import psycopg

    with psycopg.connect(os.environ["DATABASE_URL"]) as conn:
        rows = conn.execute(
            """SELECT s.id, s.capacity, s.confirmed_count,
                      count(g.id) FILTER (WHERE g.status = 'confirmed'),
                      count(g.id) FILTER (WHERE g.status = 'waitlisted')
                 FROM projects_shift s LEFT JOIN projects_signup g ON g.shift_id = s.id
                WHERE s.id = ANY(%s) GROUP BY s.id ORDER BY s.id""", (shift_ids,)).fetchall()
    overbooked = [r[0] for r in rows if r[3] > r[1]]
    inconsistent = [r[0] for r in rows if r[2] != r[3]]
    return {"shifts": len(rows), "overbooked": overbooked, "inconsistent": inconsistent,
            "per_shift": {r[0]: {"capacity": r[1], "confirmed": r[3], "waitlisted": r[4]} for r in rows}}


# --- modes ------------------------------------------------------------------------------------
async def mode_signups(a, tokens) -> dict:
    pool = json.loads(Path(a.pool).read_text())
    shifts = pool["shifts"]
    rng = random.Random(a.seed)
    clients = [make_client(a.client, a.url, tokens[a.token_offset + i]) for i in range(a.clients)]
    for c in clients:  # open every connection before the clock starts
        await c.request("GET", "/healthz/")
    lat: list[float] = []
    codes: Counter = Counter()
    bodies: Counter = Counter()
    sent = 0
    t0 = time.perf_counter()
    warm_end = t0 + a.warmup
    end = warm_end + a.duration
    measured_ok = 0

    async def run(c: Client):
        nonlocal sent, measured_ok
        todo = shifts[:]
        rng.shuffle(todo)
        while todo and time.perf_counter() < end and sent < a.max_requests:
            sent += 1
            sid = todo.pop()
            s = time.perf_counter()
            try:
                code, body = await c.request("POST", f"/api/v1/shifts/{sid}/signups/")
            except Exception as exc:
                code, body = f"exc:{type(exc).__name__}", b""
            e = time.perf_counter()
            if warm_end <= e <= end:  # completions inside the measured window
                lat.append(e - s)
                codes[code] += 1
                if code == 201:
                    measured_ok += 1
                    bodies[json.loads(body)["status"]] += 1

    await asyncio.gather(*(run(c) for c in clients))
    t_end = time.perf_counter()
    for c in clients:
        await c.close()
    window = min(end, t_end) - warm_end
    check = db_check(shifts)
    return {"clients": a.clients, "window_s": round(window, 2), "requests": sum(codes.values()), "sent": sent,
            "signups_per_s": round(measured_ok / window, 1), "status": dict(codes),
            "signup_status": dict(bodies), **summary(lat),
            "db_overbooked": check["overbooked"], "db_inconsistent": check["inconsistent"]}


async def mode_race(a, tokens) -> dict:
    race = json.loads(Path(a.race).read_text())
    rounds = []
    for rnd, sid in enumerate(race["shifts"][: a.rounds]):
        clients = [make_client(a.client, a.url, tokens[(a.token_offset + i) % len(tokens)])
                   for i in range(a.clients)]
        await asyncio.gather(*(c.request("GET", "/healthz/") for c in clients))
        go = asyncio.Event()
        results: list = []

        async def one(c: Client, go=go, sid=sid, results=results):
            await go.wait()
            s = time.perf_counter()
            try:
                code, body = await c.request("POST", f"/api/v1/shifts/{sid}/signups/")
                status = json.loads(body).get("status") if code == 201 else None
            except Exception as exc:
                code, status = f"exc:{type(exc).__name__}", None
            results.append((code, status, time.perf_counter() - s))

        tasks = [asyncio.create_task(one(c)) for c in clients]
        await asyncio.sleep(0.2)
        t0 = time.perf_counter()
        go.set()
        await asyncio.wait_for(asyncio.gather(*tasks), timeout=a.duration)
        wall = time.perf_counter() - t0
        for c in clients:
            await c.close()
        db = db_check([sid])["per_shift"][sid]
        st = Counter(r[1] for r in results if r[0] == 201)
        rounds.append({"shift": sid, "capacity": race["capacity"], "confirmed_resp": st["confirmed"],
                       "waitlisted_resp": st["waitlisted"], "confirmed_db": db["confirmed"],
                       "waitlisted_db": db["waitlisted"],
                       "errors": dict(Counter(r[0] for r in results if r[0] != 201)),
                       "wall_s": round(wall, 3), **summary([r[2] for r in results])})
        print(f"  round {rnd + 1}: confirmed={st['confirmed']} (db {db['confirmed']}) "
              f"waitlisted={st['waitlisted']} wall={wall:.3f}s", file=sys.stderr)
    exact = all(r["confirmed_db"] == r["capacity"] == r["confirmed_resp"] for r in rounds)
    return {"clients": a.clients, "rounds": len(rounds), "sent": a.clients * len(rounds), "all_exact": exact,
            "confirmed_per_round": [r["confirmed_db"] for r in rounds], "detail": rounds}


async def mode_single(a, tokens) -> dict:
    pool = json.loads(Path(a.pool).read_text())
    shifts = pool["shifts"]
    lat: list[float] = []
    codes: Counter = Counter()
    deadline = time.perf_counter() + a.duration
    n = 0
    vol = a.token_offset
    while n < a.max_requests and time.perf_counter() < deadline and vol < len(tokens):
        c = make_client(a.client, a.url, tokens[vol])
        await c.request("GET", "/healthz/")
        for sid in shifts:
            if n >= a.max_requests or time.perf_counter() >= deadline:
                break
            s = time.perf_counter()
            code, _ = await c.request("POST", f"/api/v1/shifts/{sid}/signups/")
            e = time.perf_counter()
            n += 1
            codes[code] += 1
            if n > a.skip:  # the first requests warm caches and the pool
                lat.append(e - s)
        await c.close()
        vol += 1
    return {"requests": n, "sent": n, "measured": len(lat), "status": dict(codes), **summary(lat)}


async def mode_shiftlist(a, tokens) -> dict:
    listing = json.loads(Path(a.listing).read_text())
    path = f"/api/v1/projects/{listing['project']}/shifts/"
    clients = [make_client(a.client, a.url, None if a.anonymous else tokens[(a.token_offset + i) % len(tokens)])
               for i in range(a.clients)]
    for c in clients:
        code, body = await c.request("GET", path)
        assert code == 200 and len(json.loads(body)["results"]) == 20, (code, body[:200])
    lat: list[float] = []
    codes: Counter = Counter()
    sent = 0
    t0 = time.perf_counter()
    warm_end = t0 + a.warmup
    end = warm_end + a.duration

    async def run(c: Client):
        nonlocal sent
        while time.perf_counter() < end and sent < a.max_requests:
            sent += 1
            s = time.perf_counter()
            try:
                code, _ = await c.request("GET", path)
            except Exception as exc:
                code = f"exc:{type(exc).__name__}"
            e = time.perf_counter()
            if warm_end <= e <= end:  # completions inside the measured window
                lat.append(e - s)
                codes[code] += 1

    await asyncio.gather(*(run(c) for c in clients))
    t_end = time.perf_counter()
    for c in clients:
        await c.close()
    window = min(end, t_end) - warm_end
    return {"clients": a.clients, "window_s": round(window, 2), "requests": sum(codes.values()), "sent": sent,
            "req_per_s": round(codes[200] / window, 1), "status": dict(codes), **summary(lat)}


def _proc_cpu(server_pid: int | None, db: str) -> dict:
    """CPU seconds used so far by the server's process tree and by the PostgreSQL backends
    of the bench database: a per-request cost that other load on the machine distorts far
    less than throughput does."""
    tick = os.sysconf("SC_CLK_TCK")
    procs = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
            cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        f = stat.rsplit(")", 1)[1].split()
        procs[int(d.name)] = (int(f[1]), (int(f[11]) + int(f[12])) / tick, cmd)
    tree = set()
    if server_pid:
        tree.add(server_pid)
        changed = True
        while changed:
            changed = False
            for pid, (ppid, _, _) in procs.items():
                if ppid in tree and pid not in tree:
                    tree.add(pid)
                    changed = True
    return {"server": sum(procs[p][1] for p in tree if p in procs),
            "postgres": sum(v[1] for v in procs.values() if v[2].startswith("postgres:") and f" {db} " in v[2])}


def _cpu_times() -> list[int]:
    return [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["signups", "race", "single", "shiftlist"])
    p.add_argument("--url", default="http://127.0.0.1:8100")
    p.add_argument("--client", choices=["httpx", "aiohttp"], default="aiohttp")
    p.add_argument("--clients", type=int)
    p.add_argument("--duration", type=float, default=20, help="measured seconds (hard bound)")
    p.add_argument("--warmup", type=float, default=2)
    p.add_argument("--max-requests", type=int, default=200_000)
    p.add_argument("--rounds", type=int, default=10)
    p.add_argument("--skip", type=int, default=20)
    p.add_argument("--token-offset", type=int, default=0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--anonymous", action="store_true")
    p.add_argument("--pool", default=str(VAR / "pool.json"))
    p.add_argument("--race", default=str(VAR / "race.json"))
    p.add_argument("--listing", default=str(VAR / "listing.json"))
    p.add_argument("--tokens", default=str(VAR / "tokens.json"))
    p.add_argument("--label", default="")
    p.add_argument("--server-pid", type=int, help="launcher pid (bench/serve.py) for CPU accounting")
    p.add_argument("--results", default=str(VAR / "results.jsonl"))
    a = p.parse_args()
    if a.clients is None:
        a.clients = {"signups": 200, "race": 200, "single": 1, "shiftlist": 50}[a.mode]
    tokens = json.loads(Path(a.tokens).read_text())["volunteers"]
    if a.mode == "single":
        a.max_requests = min(a.max_requests, 300)
        a.duration = min(a.duration, 60)
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    db = os.environ.get("DATABASE_URL", "/platform_bench").rsplit("/", 1)[1]
    cpu_before = _cpu_times()
    proc_before = _proc_cpu(a.server_pid, db)
    result = asyncio.run(globals()[f"mode_{a.mode}"](a, tokens))
    proc_after = _proc_cpu(a.server_pid, db)
    cpu_after = _cpu_times()
    ok = result.get("sent") or 0
    if ok:
        result["server_cpu_ms_per_req"] = round(1000 * (proc_after["server"] - proc_before["server"]) / ok, 2)
        result["postgres_cpu_ms_per_req"] = round(1000 * (proc_after["postgres"] - proc_before["postgres"]) / ok, 2)
    busy = sum(cpu_after[i] - cpu_before[i] for i in (0, 1, 2, 5, 6, 7))
    total = sum(cpu_after) - sum(cpu_before)
    result = {"mode": a.mode, "label": a.label, "client": a.client, "url": a.url,
              "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **result,
              "loadavg_before": load_before, "loadavg_after": Path("/proc/loadavg").read_text().split()[:3],
              "machine_cpu_busy_pct": round(100 * busy / total, 1) if total else None,
              "loadgen_cpu_s": round(time.process_time(), 2)}
    with open(a.results, "a") as f:
        f.write(json.dumps(result, ensure_ascii=False) + "\n")
    brief = {k: v for k, v in result.items() if k != "detail"}
    print(json.dumps(brief, ensure_ascii=False))


if __name__ == "__main__":
    main()
