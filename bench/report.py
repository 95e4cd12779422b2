"""Tables from bench/var/results.jsonl.   python bench/report.py [--run RUN_ID]"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

VAR = Path(__file__).resolve().parent / "var"


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--run", help="only results whose label starts with this run id")
    p.add_argument("--results", default=str(VAR / "results.jsonl"))
    a = p.parse_args()
    rows = [json.loads(line) for line in Path(a.results).read_text().splitlines() if line.strip()]
    if a.run:
        rows = [r for r in rows if r["label"].startswith(a.run)]
    print("| config | mode | rate/s | p50 ms | p95 ms | p99 ms | statuses | server CPU ms/req | PG CPU ms/req "
          "| loadavg before | notes |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        cfg = r["label"].split(" ", 1)[1] if " " in r["label"] else r["label"]
        rate = r.get("signups_per_s", r.get("req_per_s", ""))
        notes = ""
        if r["mode"] == "signups":
            notes = f"overbooked={r['db_overbooked']} inconsistent={r['db_inconsistent']} {r.get('signup_status')}"
        if r["mode"] == "race":
            notes = f"confirmed per round {r['confirmed_per_round']} exact={r['all_exact']}"
        print(f"| {cfg} | {r['mode']} | {rate} | {r.get('p50_ms')} | {r.get('p95_ms')} | {r.get('p99_ms')} | "
              f"{r.get('status', '')} | {r.get('server_cpu_ms_per_req', '')} | "
              f"{r.get('postgres_cpu_ms_per_req', '')} | "
              f"{' '.join(r.get('loadavg_before', []))} | {notes} |")


if __name__ == "__main__":
    main()
