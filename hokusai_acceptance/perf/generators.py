"""``make bench-generators``: how much load one Locust process can generate, and what a second adds.

Locust runs as one process and in its own distributed mode (a master and 2 worker processes) against a
target that is not the bottleneck: a server on 127.0.0.1 that answers every request after a fixed
20 ms without work (:mod:`.fixed_latency`), so N users can reach N / 20 ms requests per second and
what a run falls short of that is the generator's (or the machine's) limit. For comparison the same
runs also go to the API's dependency-free probe ``/health/alb`` on the embedded stack. At a load both
can drive, the two kinds of run must measure the same latencies (within 10%).

Writes ``reports/load-generators.json`` and prints the table. Loopback only, bounded in time.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from ..errors import StackError
from ..ports import free_port
from ..stack.launcher import EmbeddedStack
from .measure import run_locust

PROBE = "/health/alb"
DELAY_MS = 20.0
LEVELS = (64, 256)
WORKERS = (1, 2)
AGREEMENT_USERS = 16
#: the agreement pair's windows: long enough that a 95th percentile rests on some 900 answers per run
AGREEMENT_SECONDS = 30.0
TOLERANCE = 0.10


def measure(
    url: str,
    *,
    seconds: float,
    levels=LEVELS,
    workers=WORKERS,
    agreement_users=AGREEMENT_USERS,
    target: str = PROBE,
    agreement_seconds: float | None = None,
) -> dict:
    """Runs at each level with each number of workers, then the agreement pair, against ``url`` + ``target``."""
    os.environ["HOKUSAI_LOAD_HEALTH_PATH"] = target
    runs = []
    for users in levels:
        for count in workers:
            result = run_locust(
                url,
                users=users,
                seconds=seconds,
                operation="health",
                mount="",
                label=f"{target} ({count} worker{'s' if count > 1 else ''})",
                workers=count,
                recovery=False,
            )
            runs.append(result.to_dict())
            print(
                f"  {target}: {users:4d} users, {count} worker(s): {result.rps:8.1f} requests/s, p50 "
                f"{result.p50_ms:.0f} ms, p95 {result.p95_ms:.0f} ms, {result.failures} failures",
                flush=True,
            )
    pair = [
        run_locust(
            url,
            users=agreement_users,
            seconds=agreement_seconds or seconds,
            operation="health",
            mount="",
            label=f"agreement ({count})",
            workers=count,
            recovery=False,
        ).to_dict()
        for count in workers
    ]
    single, distributed = pair[0], pair[-1]
    ratios = {p: round(distributed[f"{p}_ms"] / max(single[f"{p}_ms"], 1e-9), 3) for p in ("p50", "p95")}
    return {
        "target": target,
        "seconds": seconds,
        "runs": runs,
        "agreement": {
            "users": agreement_users,
            "single": single,
            "distributed": distributed,
            "ratios": ratios,
            "tolerance": TOLERANCE,
            "agree": all(abs(r - 1) <= TOLERANCE for r in ratios.values()),
        },
    }


@contextlib.contextmanager
def fixed_latency_server(delay_ms: float = DELAY_MS):
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hokusai_acceptance.perf.fixed_latency",
            "--port",
            str(port),
            "--ms",
            str(delay_ms),
            "--parent",
            str(os.getpid()),
        ],
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
            if process.poll() is not None:
                raise StackError(f"the fixed-latency target ended at start with exit code {process.returncode}")
        else:
            raise StackError("the fixed-latency target did not start within 20 s")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()


def table(results: dict) -> list[str]:
    lines = [
        f"Target: {results['target']}",
        "",
        "| users | workers | requests/s | p50 ms | p95 ms | failures |",
        "|---|---|---|---|---|---|",
    ]
    for run in results["runs"]:
        lines.append(
            f"| {run['users']} | {run['workers']} | {run['rps']:.0f} | {run['p50_ms']:.0f} | "
            f"{run['p95_ms']:.0f} | {run['failures']} |"
        )
    a = results["agreement"]
    lines.append(
        f"At {a['users']} users: p50 {a['single']['p50_ms']:.0f} ms (1 worker) vs "
        f"{a['distributed']['p50_ms']:.0f} ms ({a['distributed']['workers']} workers), p95 "
        f"{a['single']['p95_ms']:.0f} vs {a['distributed']['p95_ms']:.0f} ms: ratios {a['ratios']}, "
        f"{'within' if a['agree'] else 'NOT within'} {a['tolerance']:.0%}"
    )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make bench-generators", description=__doc__)
    parser.add_argument("--reports", type=Path, default=Path("reports"))
    parser.add_argument("--seconds", type=float, default=15.0, help="length of each load window")
    args = parser.parse_args(argv)
    started = time.monotonic()
    with fixed_latency_server() as url:
        fixed = measure(
            url,
            seconds=args.seconds,
            target=f"/ (answered after {DELAY_MS:.0f} ms)",
            agreement_seconds=AGREEMENT_SECONDS,
        )
    with EmbeddedStack() as stack:
        probe = measure(stack.api_url, seconds=args.seconds)
    results = {
        "fixed_latency": fixed,
        "api_probe": probe,
        "cpus": os.cpu_count(),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "elapsed_seconds": round(time.monotonic() - started, 1),
    }
    args.reports.mkdir(parents=True, exist_ok=True)
    (args.reports / "load-generators.json").write_text(json.dumps(results, indent=2))
    print("\n".join(table(fixed) + [""] + table(probe)))
    return 0 if fixed["agreement"]["agree"] else 1


if __name__ == "__main__":
    sys.exit(main())
