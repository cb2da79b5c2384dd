"""``make bench``: latency percentiles, throughput, concurrent users, cache effect,
gateway overhead and resource use, measured on the embedded stack in one run.

Writes ``reports/performance.json`` and plots under ``reports/performance/``.
Every request goes to 127.0.0.1; every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..client import HokusaiClient
from ..errors import ConfigError
from ..hokusai_tags import validate
from ..rest_api import MlflowRest, register_via_rest
from ..stack.launcher import EmbeddedStack
from .measure import (
    LocustWindows,
    ResourceSampler,
    TimingClient,
    cache_effect,
    combine_loads,
    gateway_and_mlflow,
    paired,
    run_locust,
    sample,
    stats,
)
from .operations import OPERATIONS, SEARCH, RegistryOperations, warmup_for
from .targets import evaluate, read_budgets

#: samples per operation: (full run, --quick)
LATENCY_COUNTS = {
    "authenticated read": (300, 60),
    "run create + metric log": (100, 20),
    "model-version create": (100, 20),
    "artifact upload 1 KB": (100, 20),
    "artifact download 1 KB": (100, 20),
    "artifact upload 1 MB": (40, 10),
    "artifact download 1 MB": (40, 10),
    "artifact upload 50 MB": (4, 2),
    "artifact download 50 MB": (4, 2),
    "register and load": (6, 2),
}


def progress(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


class Bench:
    def __init__(self, stack: EmbeddedStack, quick: bool = False):
        self.stack = stack
        self.quick = quick
        self.key = stack.keys.load
        self.client = TimingClient(timeout=30)
        self.auth = {"Authorization": f"Bearer {self.key}"}
        self.prefix = f"hk-bench-{int(time.time())}"
        self.results: dict = {
            "latency": {},
            "throughput": [],
            "overhead": {},
            "cache": {},
            "concurrent_users": {},
            "large_artifact": {},
            "agreement": {},
        }

    def n(self, full: int, quick: int) -> int:
        return quick if self.quick else full

    # -- helpers
    def answers_ok(self, url: str, headers: dict | None = None) -> bool:
        return self.client.ok(url, headers)

    # -- measurements
    def latency(self) -> None:
        ops = RegistryOperations(self.stack.api_url, self.key, self.prefix)
        self.experiment_id = ops.experiment_id
        gw, direct = f"{self.stack.api_url}/api/mlflow", self.stack.mlflow_url
        lat = self.results["latency"]
        progress("latency: authenticated read and experiment search (gateway vs direct MLflow, alternately)")
        lat["authenticated read"] = sample(
            "authenticated read",
            ops.action("authenticated read"),
            count=self.n(*LATENCY_COUNTS["authenticated read"]),
            max_seconds=30,
        )
        through, straight = paired(
            ("experiment search (gateway)", lambda: self.answers_ok(f"{gw}{SEARCH}?max_results=20", self.auth)),
            ("experiment search (direct MLflow)", lambda: self.answers_ok(f"{direct}{SEARCH}?max_results=20")),
            count=self.n(300, 60),
            max_seconds=40,
        )
        lat[through.operation], lat[straight.operation] = through, straight
        for operation in OPERATIONS:
            if operation in lat or operation == "experiment search":
                continue
            progress(f"latency: {operation}")
            lat[operation] = sample(
                operation,
                ops.action(operation),
                count=self.n(*LATENCY_COUNTS[operation]),
                max_seconds=60,
                warmup=warmup_for(operation),
            )
        ops.close()

    def cache_effect(self) -> None:
        progress("cache: validated request with the cache warm vs cold")
        effect = cache_effect(
            f"{self.stack.api_url}/api/mlflow{SEARCH}?max_results=1",
            self.auth,
            flush=self.stack.flush_cache,
            validations=lambda: self.stack.auth_stats()["calls"].get("key-load", 0),
            cold_count=self.n(80, 20),
            warm_count=self.n(80, 20),
            max_seconds=30,
        )
        self.results["cache"]["cold"], self.results["cache"]["warm"] = effect.cold, effect.warm
        self.results["cache_validations"] = effect.validations

    def throughput(self) -> None:
        """Locust at each concurrency level through the gateway; at 1 and 32 callers also straight
        to MLflow, as gateway, MLflow, MLflow, gateway, so each side gets an early and a late slot."""
        seconds = 3 if self.quick else 6
        levels = (1, 8, 32) if self.quick else (1, 8, 32, 64)
        for operation in ("read", "write"):
            for users in levels:

                def announce(target: str, operation: str = operation, users: int = users) -> None:
                    progress(f"throughput: {operation} at concurrency {users}, {target} ({seconds} s)")

                if users in (1, 32):
                    runs = gateway_and_mlflow(
                        self.stack.api_url,
                        self.stack.mlflow_url,
                        users=users,
                        seconds=seconds,
                        operation=operation,
                        key=self.key,
                        experiment_id=self.experiment_id,
                        announce=announce,
                    )
                else:
                    announce("gateway")
                    runs = [
                        run_locust(
                            self.stack.api_url,
                            users=users,
                            seconds=seconds,
                            operation=operation,
                            key=self.key,
                            experiment_id=self.experiment_id,
                        ).to_dict()
                    ]
                for run in runs:
                    self.keep_run(run)

    def keep_run(self, run: dict) -> None:
        """Keep a load run; say when the registry was slow to answer again after it (a stall)."""
        self.results["throughput"].append(run)
        waited = run["recovery_seconds"]
        if waited is None or waited > 1:
            after = "more than the bounded wait" if waited is None else f"{waited} s"
            progress(
                f"  ({run['target']}, {run['operation']} at {run['users']}: the registry answered a read "
                f"promptly again only after {after})"
            )

    def agreement(self) -> None:
        """The suite's own p50/p95 against Locust's: the same search, one caller, in short
        alternating windows (suite, Locust, Locust, suite, ...) from one running Locust process, so
        that both see the same moments of the machine; both sides' percentiles come from their
        unrounded samples, computed alike."""
        progress("agreement: the suite's sampler vs Locust at concurrency 1, in alternating windows")
        seconds, windows = 1, (8 if self.quick else 24)
        url = f"{self.stack.api_url}/api/mlflow{SEARCH}?max_results=5"
        suite_ms: list[float] = []
        locust_ms: list[float] = []
        suite_errors = locust_errors = 0
        for _ in range(20):  # a fresh server's first answers are slower than any later ones
            self.answers_ok(url, self.auth)
        with LocustWindows(self.stack.api_url, key=self.key) as generator:
            generator.window(1)  # likewise for Locust's first connection
            for window in range(windows):
                if window % 4 in (0, 3):
                    part = sample(
                        "suite window",
                        lambda: self.answers_ok(url, self.auth),
                        count=100000,
                        max_seconds=seconds,
                        warmup=1,
                    )
                    suite_ms += part.raw_ms
                    suite_errors += part.errors
                else:
                    raw, failures = generator.window(seconds)
                    locust_ms += raw
                    locust_errors += failures
        suite = stats("experiment search (suite sampler)", suite_ms, suite_errors)
        locust = stats("experiment search (Locust)", locust_ms, locust_errors)
        self.results["agreement"] = {
            "suite": suite.to_dict(),
            "locust": locust.to_dict(),
            "windows": windows,
            "window_seconds": seconds,
            "p50_ratio": round(suite.p50_ms / max(locust.p50_ms, 1e-9), 3),
            "p95_ratio": round(suite.p95_ms / max(locust.p95_ms, 1e-9), 3),
        }

    def concurrent_users(self, users: int = 8) -> None:
        progress(f"concurrent users: {users} developers register models at once (raw REST flow)")

        def developer(index: int) -> bool:
            client = HokusaiClient(self.stack.api_url, read_timeout=60)
            try:
                rest = MlflowRest(client, self.key)
                register_via_rest(
                    rest,
                    f"{self.prefix}-dev-{index}",
                    f"{self.prefix}-dev-model-{index}",
                    "accuracy",
                    0.9,
                    validate(f"dev-{index}", "accuracy", "0.9").as_tags(),
                )
                return True
            except Exception:
                return False
            finally:
                client.close()

        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=users) as pool:
            outcomes = list(pool.map(developer, range(users)))
        self.results["concurrent_users"] = {
            "users": users,
            "succeeded": sum(outcomes),
            "seconds_to_done": round(time.perf_counter() - started, 3),
        }

    def large_artifact_memory(self, sampler: ResourceSampler) -> None:
        progress("memory: gateway RSS while a 50 MB model file goes up and down")
        before = sampler.peak("gateway", "rss_mb")
        payload = os.urandom(50 * 2**20)
        path = f"{self.stack.api_url}/api/mlflow/api/2.0/mlflow-artifacts/artifacts/{self.prefix}/memory/model.bin"
        marker = len(sampler.samples)
        time.sleep(1.0)
        baseline = max([s["gateway"]["rss_mb"] for s in sampler.samples[marker:]] or [before])
        self.client.request("PUT", path, headers=self.auth, body=payload, timeout=120).raise_for_status()
        got = self.client.get(path, self.auth, timeout=120).content
        time.sleep(1.0)
        peak = max(s["gateway"]["rss_mb"] for s in sampler.samples[marker:])
        self.results["large_artifact"] = {
            "bytes": len(payload),
            "round_trip_identical": got == payload,
            "gateway_rss_before_mb": baseline,
            "gateway_rss_peak_mb": peak,
            "gateway_rss_growth_mb": round(peak - baseline, 1),
        }


def throughput_by_level(runs: list[dict]) -> dict[tuple[str, str, int], dict]:
    """(target, operation, users) -> the runs made at that level, combined."""
    grouped: dict[tuple[str, str, int], list[dict]] = {}
    for run in runs:
        grouped.setdefault((run["target"], run["operation"], run["users"]), []).append(run)
    return {level: combine_loads(group) for level, group in grouped.items()}


def summarise(results: dict) -> dict:
    lat = results["latency"]
    gw, direct = lat["experiment search (gateway)"], lat["experiment search (direct MLflow)"]
    by = throughput_by_level(results["throughput"])
    summary = {
        "gateway_overhead_p50_ratio": round(gw.p50_ms / direct.p50_ms, 3),
        "gateway_overhead_p95_ratio": round(gw.p95_ms / direct.p95_ms, 3),
    }
    for op in ("read", "write"):
        g, d = by.get(("gateway", op, 32)), by.get(("direct MLflow", op, 32))
        if g and d and d["rps"]:
            summary[f"throughput_ratio_{op}_c32"] = round(g["rps"] / d["rps"], 3)
    recoveries = [r.get("recovery_seconds") for r in results["throughput"]]
    if recoveries:
        summary["load_runs_not_recovered"] = sum(1 for waited in recoveries if waited is None)
        summary["slowest_recovery_seconds"] = max((w for w in recoveries if w is not None), default=None)
    return summary


def plots(results: dict, resources: list[dict], outdir: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    lat = results["latency"]
    names = [n for n in lat if lat[n].samples]
    fig, ax = plt.subplots(figsize=(11, 6))
    ax.boxplot([lat[n].raw_ms for n in names], orientation="horizontal", tick_labels=names, showfliers=False)
    ax.set_xscale("log")
    ax.set_xlabel("latency (ms, log scale)")
    ax.set_title("Latency per operation through the Hokusai gateway (embedded stack)")
    fig.tight_layout()
    fig.savefig(outdir / "latency.png", dpi=100)
    plt.close(fig)
    written.append("latency.png")
    fig, ax = plt.subplots(figsize=(8, 5))
    levels = throughput_by_level(results["throughput"])
    for target in ("gateway", "direct MLflow"):
        for op in ("read", "write"):
            rows = sorted(
                (users, level["rps"]) for (name, kind, users), level in levels.items() if name == target and kind == op
            )
            if rows:
                ax.plot([u for u, _ in rows], [v for _, v in rows], marker="o", label=f"{op} - {target}")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("concurrent users")
    ax.set_ylabel("requests per second")
    ax.set_title("Throughput vs concurrency")
    ax.legend()
    fig.tight_layout()
    fig.savefig(outdir / "throughput.png", dpi=100)
    plt.close(fig)
    written.append("throughput.png")
    if resources:
        fig, (cpu, mem) = plt.subplots(2, 1, figsize=(10, 7), sharex=True)
        for name in [k for k in resources[0] if k != "t"]:
            t = [s["t"] for s in resources if name in s]
            cpu.plot(t, [s[name]["cpu_percent"] for s in resources if name in s], label=name)
            mem.plot(t, [s[name]["rss_mb"] for s in resources if name in s], label=name)
        cpu.set_ylabel("CPU %")
        mem.set_ylabel("RSS MB")
        mem.set_xlabel("seconds into the benchmark")
        cpu.legend(fontsize=8)
        cpu.set_title("Resource use of each stack process and the suite during the benchmark")
        fig.tight_layout()
        fig.savefig(outdir / "resources.png", dpi=100)
        plt.close(fig)
        written.append("resources.png")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__)
    parser.add_argument("--reports", type=Path, default=Path("reports"))
    parser.add_argument("--quick", action="store_true", help="fewer samples and shorter loads (for tests)")
    parser.add_argument(
        "-D",
        dest="define",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a budget of behave.ini [behave.userdata], as behave -D does",
    )
    args = parser.parse_args(argv)
    try:
        overrides = dict(item.split("=", 1) for item in args.define if "=" in item)
        if len(overrides) != len(args.define):
            raise ConfigError(f"-D takes NAME=VALUE, got {[d for d in args.define if '=' not in d]}")
        budgets = read_budgets(overrides=overrides)
    except ConfigError as exc:
        print(f"make bench: configuration error: {exc}", file=sys.stderr)
        return 2
    started = time.monotonic()
    progress("starting the embedded stack")
    with EmbeddedStack() as stack:
        progress(f"stack ready in {stack.start_seconds:.1f} s")
        bench = Bench(stack, quick=args.quick)
        pids = {**{name: pid for name, pid in stack.pids().items() if pid}, "suite": os.getpid()}
        # first, and outside the resource sampler: its thread would share the suite's interpreter
        # with the suite's sampler, and Locust has no such neighbour
        bench.agreement()
        with ResourceSampler(pids, interval=0.5) as sampler:
            bench.latency()
            bench.cache_effect()
            bench.large_artifact_memory(sampler)
            bench.throughput()
            bench.concurrent_users()
        results = bench.results
    results["summary"] = summarise(results)
    targets = evaluate(results, budgets)
    results["targets"] = [t.to_dict() for t in targets]
    results["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    results["seconds"] = round(time.monotonic() - started, 1)
    outdir = args.reports / "performance"
    results["plots"] = [f"performance/{p}" for p in plots(results, sampler.samples, outdir)]  # from reports/
    results["resources"] = {
        "samples": sampler.samples,
        "peak_rss_mb": {n: sampler.peak(n, "rss_mb") for n in pids},
        "peak_cpu_percent": {n: sampler.peak(n, "cpu_percent") for n in pids},
    }
    serialisable = {
        **results,
        "latency": {k: v.to_dict() for k, v in results["latency"].items()},
        "cache": {k: v.to_dict() for k, v in results["cache"].items()},
    }
    args.reports.mkdir(parents=True, exist_ok=True)
    (args.reports / "performance.json").write_text(json.dumps(serialisable, indent=2))
    progress(f"done in {results['seconds']} s: {args.reports / 'performance.json'}")
    for target in targets:
        print(f"  [{target.verdict:^12}] {target.describe()}")
    missed = [t for t in targets if not t.met]
    if missed:
        print(
            f"make bench: {len(missed)} of {len(targets)} performance targets not met "
            f"(budgets: behave.ini [behave.userdata])"
        )
        return 1
    print(f"make bench: all {len(targets)} performance targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
