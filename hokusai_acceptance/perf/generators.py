"""``make bench-generators``: how much load one Locust process can generate, and what a second adds.

Locust runs in its own distributed mode (a master and N worker processes) against a target that is not
the bottleneck: the API's dependency-free probe ``/health/alb`` on the embedded stack (no auth, no
MLflow, no cache). At each number of users, one worker and two workers drive it in turn; the requests per
second show where a single generator saturates. At a load both can drive, the two runs' percentiles are
compared: a distributed run must measure the same latencies (within 10%) as a single one.

Writes ``reports/load-generators.json`` and prints the table. Loopback only, bounded in time.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from ..stack.launcher import EmbeddedStack
from .measure import run_locust

PROBE = "/health/alb"
LEVELS = (64, 256)
WORKERS = (1, 2)
AGREEMENT_USERS = 8
TOLERANCE = 0.10


def measure(url: str, *, seconds: float, levels=LEVELS, workers=WORKERS, agreement_users=AGREEMENT_USERS) -> dict:
    os.environ["HOKUSAI_LOAD_HEALTH_PATH"] = PROBE
    runs = []
    for users in levels:
        for count in workers:
            result = run_locust(url, users=users, seconds=seconds, operation="health", mount="",
                                label=f"{PROBE} ({count} worker{'s' if count > 1 else ''})", workers=count,
                                recovery=False)
            runs.append(result.to_dict())
            print(f"  {users:4d} users, {count} worker(s): {result.rps:8.1f} requests/s, p50 {result.p50_ms:.0f} ms, "
                  f"p95 {result.p95_ms:.0f} ms, {result.failures} failures", flush=True)
    pair = [run_locust(url, users=agreement_users, seconds=seconds, operation="health", mount="",
                       label=f"agreement ({count})", workers=count, recovery=False).to_dict() for count in workers]
    single, distributed = pair[0], pair[-1]
    ratios = {p: round(distributed[f"{p}_ms"] / max(single[f"{p}_ms"], 1e-9), 3) for p in ("p50", "p95")}
    return {"target": PROBE, "seconds": seconds, "runs": runs,
            "agreement": {"users": agreement_users, "single": single, "distributed": distributed,
                          "ratios": ratios, "tolerance": TOLERANCE,
                          "agree": all(abs(r - 1) <= TOLERANCE for r in ratios.values())}}


def table(results: dict) -> list[str]:
    lines = ["| users | workers | requests/s | p50 ms | p95 ms | failures |", "|---|---|---|---|---|---|"]
    for run in results["runs"]:
        lines.append(f"| {run['users']} | {run['workers']} | {run['rps']:.0f} | {run['p50_ms']:.0f} | "
                     f"{run['p95_ms']:.0f} | {run['failures']} |")
    a = results["agreement"]
    lines.append(f"At {a['users']} users: p50 {a['single']['p50_ms']:.0f} ms (1 worker) vs "
                 f"{a['distributed']['p50_ms']:.0f} ms ({a['distributed']['workers']} workers), p95 "
                 f"{a['single']['p95_ms']:.0f} vs {a['distributed']['p95_ms']:.0f} ms: ratios {a['ratios']}, "
                 f"{'within' if a['agree'] else 'NOT within'} {a['tolerance']:.0%}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make bench-generators", description=__doc__)
    parser.add_argument("--reports", type=Path, default=Path("reports"))
    parser.add_argument("--seconds", type=float, default=15.0, help="length of each load window")
    args = parser.parse_args(argv)
    started = time.monotonic()
    with EmbeddedStack() as stack:
        results = measure(stack.api_url, seconds=args.seconds)
    results["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    results["cpus"] = os.cpu_count()
    results["elapsed_seconds"] = round(time.monotonic() - started, 1)
    args.reports.mkdir(parents=True, exist_ok=True)
    (args.reports / "load-generators.json").write_text(json.dumps(results, indent=2))
    print("\n".join(table(results)))
    return 0 if results["agreement"]["agree"] else 1


if __name__ == "__main__":
    sys.exit(main())
