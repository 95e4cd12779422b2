"""50 closed-loop dashboard clients driven by ``wrk`` (Debian package ``wrk``; bench
only), a load generator that costs little CPU next to the server on two cores.

    python bench/dashboard_wrk.py --url http://127.0.0.1:8157 [--mix fast|all] [--clients 50]
        [--duration 30] [--warmup 10] [--requests 2000]

The requests are drawn by ``dashboard_bench._request_mix`` (bureau/street/community
staff 6:3:1 over every level of region and every calendar year/quarter/month of three
years); ``--mix fast`` leaves out the live counter (not cached, always Django), ``all``
keeps it (1 in 11). The staff log in over HTTP (so their token identities are
published); every distinct request is made once before the clock starts (the cache is
warm: this measures cache hits, and what misses remain), then wrk cycles through the
list on ``--clients`` connections for ``--warmup`` seconds (not counted) and
``--duration`` seconds (counted). Appends one JSON line to bench/var/dashboard.jsonl.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dashboard_bench import STAFF, VAR, _periods, _regions, _request_mix, machine, record

LUA = """
local list = {%(entries)s}
local reqs = {}
local i = 0
init = function(args)
  for k, e in ipairs(list) do
    reqs[k] = wrk.format("GET", e[1], {["Authorization"] = "Bearer " .. e[2], ["Accept"] = "application/json"})
  end
end
request = function()
  i = i %% #reqs + 1
  return reqs[i]
end
done = function(summary, latency, requests)
  io.write(string.format('WRKJSON {"requests":%%d,"duration_us":%%d,"p50_us":%%d,"p90_us":%%d,"p95_us":%%d,' ..
    '"p99_us":%%d,"max_us":%%d,"mean_us":%%.1f,"status_errors":%%d,"connect_errors":%%d,"read_errors":%%d,' ..
    '"timeouts":%%d}\\n', summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(95), latency:percentile(99), latency.max, latency.mean, summary.errors.status,
    summary.errors.connect, summary.errors.read, summary.errors.timeout))
end
"""


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--url", required=True)
    p.add_argument("--mix", choices=["fast", "all"], default="fast")
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--duration", type=int, default=30)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--requests", type=int, default=2000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--label", default="")
    a = p.parse_args()
    import httpx

    with httpx.Client(base_url=a.url, timeout=60, trust_env=False) as http:
        tokens = {}
        for role, phone in STAFF.items():
            r = http.post("/api/v1/auth/login/", json={"phone": phone, "password": "demo12345"})
            r.raise_for_status()
            tokens[role] = r.json()["token"]
        rng = random.Random(a.seed)
        regions, periods = _regions(), _periods(date.today())
        entries = []
        while len(entries) < a.requests:
            role, endpoint, path = _request_mix(rng, regions, periods)
            if a.mix == "fast" and endpoint == "live":
                continue
            entries.append((path, tokens[role]))
        t0 = time.perf_counter()
        statuses: dict[int, int] = {}
        for path, token in dict.fromkeys(entries):
            code = http.get(path, headers={"Authorization": f"Bearer {token}"}).status_code
            statuses[code] = statuses.get(code, 0) + 1
        warm_s = round(time.perf_counter() - t0, 1)
    VAR.mkdir(exist_ok=True)
    script = VAR / f"dashboard_wrk_{os.getpid()}.lua"
    script.write_text(LUA % {"entries": ",".join(f'{{"{path}","{token}"}}' for path, token in entries)})
    wrk = ["wrk", "-t1", f"-c{a.clients}", "--timeout", "10s", "-s", str(script), a.url]
    try:
        subprocess.run([*wrk, f"-d{a.warmup}s"], check=True, capture_output=True)
        before = machine()
        out = subprocess.run([*wrk, f"-d{a.duration}s"], check=True, capture_output=True, text=True).stdout
    finally:
        script.unlink(missing_ok=True)
    stats = json.loads(next(line for line in out.splitlines() if line.startswith("WRKJSON "))[8:])
    ms = {k.replace("_us", "_ms"): round(v / 1000, 1) for k, v in stats.items() if k.endswith("_us")}
    record({"bench": "dashboard_wrk", "label": a.label, "mix": a.mix, "clients": a.clients,
            "duration_s": a.duration, "distinct_requests": len(set(entries)), "warm_statuses": statuses,
            "warm_s": warm_s, "requests": stats["requests"],
            "req_per_s": round(stats["requests"] / (stats["duration_us"] / 1e6), 1), **ms,
            "errors": {k: stats[k] for k in ("status_errors", "connect_errors", "read_errors", "timeouts")},
            "load_before": before["loadavg"], **machine()})


if __name__ == "__main__":
    main()
