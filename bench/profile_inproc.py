"""In-process profile of the two benchmarked endpoints (no server, no network): counts the
SQL queries per request and the Python time spent per request, which the machine's other
load does not distort as much as a network benchmark.

    python bench/profile_inproc.py [--n 200] [--cprofile list|signup]
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import statistics
import time
from pathlib import Path

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

VAR = Path(__file__).resolve().parent / "var"


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=200)
    p.add_argument("--cprofile", choices=["list", "signup"])
    a = p.parse_args()
    tokens = json.loads((VAR / "tokens.json").read_text())["volunteers"]
    listing = json.loads((VAR / "listing.json").read_text())
    pool = json.loads((VAR / os.environ.get("BENCH_POOL", "pool.json")).read_text())
    c = Client(HTTP_AUTHORIZATION=f"Bearer {tokens[399]}")
    path = f"/api/v1/projects/{listing['project']}/shifts/"
    c.get(path)
    with CaptureQueriesContext(connection) as q:
        r = c.get(path)
    assert r.status_code == 200
    print(f"shift list: {len(q.captured_queries)} queries, {len(r.content)} bytes")
    for x in q.captured_queries:
        print("   ", x["sql"][:160])
    sid = pool["shifts"][-1]
    with CaptureQueriesContext(connection) as q:
        r = c.post(f"/api/v1/shifts/{sid}/signups/")
    print(f"signup: status {r.status_code}, {len(q.captured_queries)} queries")
    for x in q.captured_queries:
        print("   ", x["sql"][:160])

    def timeit(fn, n):
        ts, cpu = [], []
        for i in range(n):
            s, sc = time.perf_counter(), time.process_time()
            fn(i)
            ts.append(time.perf_counter() - s)
            cpu.append(time.process_time() - sc)
        return (f"wall {statistics.median(ts) * 1000:.2f} ms, "
                f"python CPU {statistics.median(cpu) * 1000:.2f} ms")

    print("shift list median (in-process):", timeit(lambda i: c.get(path), a.n))
    # One client (one handler: middleware is loaded once, as in a server process), a
    # different volunteer's token on each request.
    vc = Client()
    auth = [f"Bearer {t}" for t in tokens[300:400]]

    class _V:
        def __init__(self, h):
            self.h = h

        def post(self, url):
            return vc.post(url, HTTP_AUTHORIZATION=self.h)

    vols = [_V(h) for h in auth]
    shifts = pool["shifts"][:-1]
    n = min(a.n, len(vols) * len(shifts))
    print("signup median (in-process):",
          timeit(lambda i: vols[i % len(vols)].post(
              f"/api/v1/shifts/{shifts[(i // len(vols)) % len(shifts)]}/signups/"), n))
    if a.cprofile:
        prof = cProfile.Profile(time.process_time)
        if a.cprofile == "list":
            prof.runcall(lambda: [c.get(path) for _ in range(100)])
        else:
            prof.runcall(lambda: [vols[i].post(f"/api/v1/shifts/{shifts[-1]}/signups/") for i in range(100)])
        st = pstats.Stats(prof)
        st.sort_stats("cumulative").print_stats(int(os.environ.get("BENCH_PROF_LINES", "30")))


if __name__ == "__main__":
    main()
