"""Performance: latency percentiles, gateway overhead, throughput and concurrent developers,
measured on the embedded stack (load goes to 127.0.0.1 only) against budgets from behave.ini."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from ..perf import measure
from ..routes import PROXIED_SEARCH, SEARCH_EXPERIMENTS
from ..state import PerformanceState
from .base import Capability

if TYPE_CHECKING:  # pragma: no cover
    from ..world import RegistryWorld


class PerformanceChecks(Capability):
    def __init__(self, world: RegistryWorld) -> None:
        super().__init__(world)
        self.state = PerformanceState()

    def _load_key(self) -> str:
        return self.stack.keys.load  # a key whose hourly limit does not throttle the measurement

    def _attach(self, name: str, data: dict) -> None:
        self.note(f"{name}: {json.dumps(data)}")

    def measure_read_latency(self, count: int) -> None:
        client = measure.TimingClient(timeout=10)
        url = f"{self.stack.api_url}{PROXIED_SEARCH}?max_results=1"
        headers = {"Authorization": f"Bearer {self._load_key()}"}
        self.state.latency = measure.sample(
            "authenticated read", lambda: client.ok(url, headers), count=count, max_seconds=60
        )
        client.close()
        self._attach("latency", self.state.latency.to_dict())

    def check_p95_within(self, budget_ms: float) -> None:
        if self.state.latency.errors:
            raise AssertionError(f"{self.state.latency.errors} of the timed reads failed")
        if self.state.latency.p95_ms > budget_ms:
            raise AssertionError(f"p95 latency is {self.state.latency.p95_ms:.1f} ms; the budget is {budget_ms:.0f} ms")

    def measure_overhead(self, count: int) -> None:
        client = measure.TimingClient(timeout=10)
        headers = {"Authorization": f"Bearer {self._load_key()}"}
        path = f"{SEARCH_EXPERIMENTS}?max_results=20"
        gateway, direct = measure.paired(
            ("through the gateway", lambda: client.ok(f"{self.stack.api_url}/api/mlflow{path}", headers)),
            ("straight to MLflow", lambda: client.ok(f"{self.stack.mlflow_url}{path}")),
            count=count,
            max_seconds=60,
        )
        client.close()
        self.state.overhead = {
            "gateway_p50_ms": gateway.p50_ms,
            "direct_p50_ms": direct.p50_ms,
            "ratio": round(gateway.p50_ms / direct.p50_ms, 3),
            "samples": gateway.samples,
            "gateway_errors": gateway.errors,
            "direct_errors": direct.errors,
        }
        self._attach("gateway overhead", self.state.overhead)

    def check_overhead_within(self, ratio: float) -> None:
        if self.state.overhead["gateway_errors"] or self.state.overhead["direct_errors"]:
            raise AssertionError(
                f"{self.state.overhead['gateway_errors']} searches through the gateway and "
                f"{self.state.overhead['direct_errors']} straight to MLflow failed while being timed"
            )
        if self.state.overhead["ratio"] > ratio:
            raise AssertionError(
                f"the gateway makes experiment search {self.state.overhead['ratio']:.2f}x slower than "
                f"MLflow itself; the budget is {ratio:.2f}x"
            )

    def measure_throughput(self, users: int, seconds: float) -> None:
        runs = measure.gateway_and_mlflow(
            self.stack.api_url,
            self.stack.mlflow_url,
            users=users,
            seconds=seconds,
            operation="read",
            key=self._load_key(),
        )
        self.state.load, self.state.direct_load = (
            measure.combine_loads([r for r in runs if r["target"] == "gateway"]),
            measure.combine_loads([r for r in runs if r["target"] != "gateway"]),
        )
        self._attach("throughput", {"gateway": self.state.load, "direct": self.state.direct_load, "runs": runs})

    def check_throughput_ratio(self, minimum: float) -> None:
        if self.state.load["failures"]:
            load = self.state.load
            raise AssertionError(
                f"{load['failures']} of {load['requests']} requests failed under load: "
                f"{measure.failure_summary(self.state.load['failure_reasons'])}"
            )
        ratio = self.state.load["rps"] / max(self.state.direct_load["rps"], 1e-9)
        if ratio < minimum:
            raise AssertionError(
                f"the gateway serves {self.state.load['rps']:.1f} req/s, {ratio:.2f}x of MLflow's own "
                f"{self.state.direct_load['rps']:.1f}; the budget is at least {minimum:.2f}x"
            )

    # -- latency of each registry operation

    def time_operations(self, rows: list[tuple[str, int]]) -> None:
        from ..perf.operations import RegistryOperations, warmup_for

        ops = RegistryOperations(self.stack.api_url, self._load_key(), self.run.resources.name("perf"))
        self.state.requested = dict(rows)
        try:
            self.state.operation_stats = {}
            for operation, times in rows:
                self.state.operation_stats[operation] = measure.sample(
                    operation, ops.action(operation), count=times, max_seconds=90, warmup=warmup_for(operation)
                )
        finally:
            ops.close()
        self._attach(
            "latency per operation (ms)",
            {
                name: {
                    k: v for k, v in stats.to_dict().items() if k in ("samples", "errors", "p50_ms", "p95_ms", "p99_ms")
                }
                for name, stats in self.state.operation_stats.items()
            },
        )

    def check_operations_succeeded(self) -> None:
        short = [
            f"{name}: {stats.errors} failed, {stats.samples} of {self.state.requested[name]} timed"
            for name, stats in self.state.operation_stats.items()
            if stats.errors or stats.samples != self.state.requested[name]
        ]
        if short:
            raise AssertionError("not every timed operation succeeded: " + "; ".join(short))

    # -- throughput at a concurrency level

    def measure_load(self, operation: str, users: int, seconds: float) -> None:
        experiment = "0"
        if operation == "write":
            from ..perf.operations import RegistryOperations

            ops = RegistryOperations(self.stack.api_url, self._load_key(), self.run.resources.name(f"load-{users}"))
            experiment = ops.experiment_id
            ops.close()
        self.state.load = measure.run_locust(
            self.stack.api_url,
            users=users,
            seconds=seconds,
            operation=operation,
            key=self._load_key(),
            experiment_id=experiment,
        ).to_dict()
        self._attach(f"{operation} load, {users} callers", self.state.load)

    def check_load_served(self) -> None:
        if not self.state.load["requests"]:
            raise AssertionError(f"no request completed in {self.state.load['seconds']} s of load")
        if self.state.load["failures"]:
            load = self.state.load
            raise AssertionError(
                f"{load['failures']} of {load['requests']} requests failed under load: "
                f"{measure.failure_summary(self.state.load['failure_reasons'])}"
            )

    def check_recovered_within(self, seconds: float) -> None:
        waited = self.state.load["recovery_seconds"]
        if waited is None or waited > seconds:
            took = (
                "did not answer a read promptly within the bounded wait"
                if waited is None
                else f"took {waited:g} s to answer a read promptly again"
            )
            raise AssertionError(
                f"after the load stopped the registry {took}: requests were stuck, not served "
                f"({self.state.load['requests']} completed in {self.state.load['seconds']} s); "
                f"the budget "
                f"is {seconds:g} s"
            )

    # -- the validation cache

    def measure_cache_effect(self, cold_count: int, warm_count: int) -> None:
        effect = measure.cache_effect(
            f"{self.stack.api_url}{PROXIED_SEARCH}?max_results=1",
            {"Authorization": f"Bearer {self._load_key()}"},
            flush=self.stack.flush_cache,
            validations=lambda: self.stack.auth_stats()["calls"].get("key-load", 0),
            cold_count=cold_count,
            warm_count=warm_count,
        )
        self.state.cache_cold, self.state.cache_warm = effect.cold, effect.warm
        self.state.cache_validations = effect.validations
        self._attach(
            "cache effect",
            {
                "cold": self.state.cache_cold.to_dict(),
                "warm": self.state.cache_warm.to_dict(),
                "auth service validations": self.state.cache_validations,
            },
        )

    def check_cache_spares_the_auth_service(self) -> None:
        cold, warm = self.state.cache_cold, self.state.cache_warm
        if cold.errors or warm.errors:
            raise AssertionError(f"{cold.errors} cold and {warm.errors} warm reads failed")
        expect_calls = {"cold": cold.samples, "warm": 0}
        if self.state.cache_validations != expect_calls:
            raise AssertionError(
                f"the auth service validated the key {self.state.cache_validations['cold']} times for "
                f"{cold.samples} cold reads and {self.state.cache_validations['warm']} times for "
                f"{warm.samples} warm reads; expected {expect_calls['cold']} and 0"
            )

    def check_warm_reads_faster(self) -> None:
        cold, warm = self.state.cache_cold, self.state.cache_warm
        if not warm.p50_ms < cold.p50_ms:
            raise AssertionError(
                f"reads the validation cache answers took {warm.p50_ms:.1f} ms at the median, reads "
                f"the auth service had to check {cold.p50_ms:.1f} ms: the cache does not save time"
            )
        self.note(f"median read: {cold.p50_ms:.1f} ms with the cache emptied, {warm.p50_ms:.1f} ms with it warm")

    # -- resource use

    def sample_resources_under_load(self, users: int, seconds: float) -> None:
        import os

        pids = {**{name: pid for name, pid in self.stack.pids().items() if pid}, "suite": os.getpid()}
        with measure.ResourceSampler(pids, interval=0.25, max_seconds=seconds + 60) as sampler:
            self.state.load = measure.run_locust(
                self.stack.api_url, users=users, seconds=seconds, operation="read", key=self._load_key()
            ).to_dict()
        self.state.resources = {
            name: {
                "samples": sum(1 for s in sampler.samples if name in s),
                "peak_rss_mb": sampler.peak(name, "rss_mb"),
                "peak_cpu_percent": sampler.peak(name, "cpu_percent"),
            }
            for name in pids
        }
        self._attach("resource use under load", {"load": self.state.load, "processes": self.state.resources})

    def check_resources_reported(self, listed: str) -> None:
        """``listed``: the process names as the scenario writes them ("mlflow, gateway, auth and suite")."""
        names = [n.strip() for n in listed.replace(" and ", ", ").split(",") if n.strip()]
        missing = [
            n
            for n in names
            if n not in self.state.resources
            or not self.state.resources[n]["samples"]
            or self.state.resources[n]["peak_rss_mb"] <= 0
        ]
        if missing:
            raise AssertionError(f"no CPU and memory samples for: {', '.join(missing)}")
        self.check_load_served()
