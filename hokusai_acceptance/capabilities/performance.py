"""Performance: latency percentiles, gateway overhead, throughput and concurrent developers,
measured on the embedded stack (load goes to 127.0.0.1 only) against budgets from behave.ini."""
from __future__ import annotations

import json

from ..perf import measure


class PerformanceChecks:
    def _load_key(self) -> str:
        return self.stack.keys.load  # a key whose hourly limit does not throttle the measurement

    def _attach(self, name: str, data: dict) -> None:
        self.note(f"{name}: {json.dumps(data)}")

    def measure_read_latency(self, count: int) -> None:
        client = measure.TimingClient(timeout=10)
        url = f"{self.stack.api_url}/api/mlflow/api/2.0/mlflow/experiments/search?max_results=1"
        headers = {"Authorization": f"Bearer {self._load_key()}"}
        self.latency = measure.sample("authenticated read", lambda: client.ok(url, headers), count=count,
                                      max_seconds=60)
        client.close()
        self._attach("latency", self.latency.to_dict())

    def check_p95_within(self, budget_ms: float) -> None:
        if self.latency.errors:
            raise AssertionError(f"{self.latency.errors} of the timed reads failed")
        if self.latency.p95_ms > budget_ms:
            raise AssertionError(f"p95 latency is {self.latency.p95_ms:.1f} ms; the budget is {budget_ms:.0f} ms")

    def measure_overhead(self, count: int) -> None:
        client = measure.TimingClient(timeout=10)
        headers = {"Authorization": f"Bearer {self._load_key()}"}
        path = "/api/2.0/mlflow/experiments/search?max_results=20"
        gateway, direct = measure.paired(
            ("through the gateway", lambda: client.ok(f"{self.stack.api_url}/api/mlflow{path}", headers)),
            ("straight to MLflow", lambda: client.ok(f"{self.stack.mlflow_url}{path}")), count=count, max_seconds=60)
        client.close()
        self.overhead = {"gateway_p50_ms": gateway.p50_ms, "direct_p50_ms": direct.p50_ms,
                         "ratio": round(gateway.p50_ms / direct.p50_ms, 3), "samples": gateway.samples,
                         "gateway_errors": gateway.errors, "direct_errors": direct.errors}
        self._attach("gateway overhead", self.overhead)

    def check_overhead_within(self, ratio: float) -> None:
        if self.overhead["gateway_errors"] or self.overhead["direct_errors"]:
            raise AssertionError(f"{self.overhead['gateway_errors']} searches through the gateway and "
                                 f"{self.overhead['direct_errors']} straight to MLflow failed while being timed")
        if self.overhead["ratio"] > ratio:
            raise AssertionError(f"the gateway makes experiment search {self.overhead['ratio']:.2f}x slower than "
                                 f"MLflow itself; the budget is {ratio:.2f}x")

    def measure_throughput(self, users: int, seconds: float) -> None:
        runs = measure.gateway_and_mlflow(self.stack.api_url, self.stack.mlflow_url, users=users, seconds=seconds,
                                          operation="read", key=self._load_key())
        self.load, self.direct_load = (measure.combine_loads([r for r in runs if r["target"] == "gateway"]),
                                       measure.combine_loads([r for r in runs if r["target"] != "gateway"]))
        self._attach("throughput", {"gateway": self.load, "direct": self.direct_load, "runs": runs})

    def check_throughput_ratio(self, minimum: float) -> None:
        if self.load["failures"]:
            raise AssertionError(f"{self.load['failures']} of {self.load['requests']} requests failed under load: "
                                 f"{measure.failure_summary(self.load['failure_reasons'])}")
        ratio = self.load["rps"] / max(self.direct_load["rps"], 1e-9)
        if ratio < minimum:
            raise AssertionError(f"the gateway serves {self.load['rps']:.1f} req/s, {ratio:.2f}x of MLflow's own "
                                 f"{self.direct_load['rps']:.1f}; the budget is at least {minimum:.2f}x")

    # -- latency of each registry operation

    def time_operations(self, rows: list[tuple[str, int]]) -> None:
        from ..perf.operations import RegistryOperations, warmup_for

        ops = RegistryOperations(self.stack.api_url, self._load_key(), self.run.resources.name("perf"))
        self.requested = dict(rows)
        try:
            self.operation_stats = {}
            for operation, times in rows:
                self.operation_stats[operation] = measure.sample(operation, ops.action(operation), count=times,
                                                                 max_seconds=90, warmup=warmup_for(operation))
        finally:
            ops.close()
        self._attach("latency per operation (ms)", {name: {k: v for k, v in stats.to_dict().items()
                                                           if k in ("samples", "errors", "p50_ms", "p95_ms", "p99_ms")}
                                                    for name, stats in self.operation_stats.items()})

    def check_operations_succeeded(self) -> None:
        short = [f"{name}: {stats.errors} failed, {stats.samples} of {self.requested[name]} timed"
                 for name, stats in self.operation_stats.items()
                 if stats.errors or stats.samples != self.requested[name]]
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
        self.load = measure.run_locust(self.stack.api_url, users=users, seconds=seconds, operation=operation,
                                       key=self._load_key(), experiment_id=experiment).to_dict()
        self._attach(f"{operation} load, {users} callers", self.load)

    def check_load_served(self) -> None:
        if not self.load["requests"]:
            raise AssertionError(f"no request completed in {self.load['seconds']} s of load")
        if self.load["failures"]:
            raise AssertionError(f"{self.load['failures']} of {self.load['requests']} requests failed under load: "
                                 f"{measure.failure_summary(self.load['failure_reasons'])}")

    def check_recovered_within(self, seconds: float) -> None:
        waited = self.load["recovery_seconds"]
        if waited is None or waited > seconds:
            took = "did not answer a read promptly within the bounded wait" if waited is None else \
                f"took {waited:g} s to answer a read promptly again"
            raise AssertionError(f"after the load stopped the registry {took}: requests were stuck, not served "
                                 f"({self.load['requests']} completed in {self.load['seconds']} s); the budget "
                                 f"is {seconds:g} s")

    # -- the validation cache

    def measure_cache_effect(self, cold_count: int, warm_count: int) -> None:
        url = f"{self.stack.api_url}/api/mlflow/api/2.0/mlflow/experiments/search?max_results=1"
        headers = {"Authorization": f"Bearer {self._load_key()}"}
        client = measure.TimingClient(timeout=10)

        def read() -> bool:
            return client.ok(url, headers)

        def cold() -> bool:
            self.stack.flush_cache()
            return read()

        read()  # the warm-up validation is not counted
        before = self.stack.auth_stats()["calls"].get("key-load", 0)
        self.cache_cold = measure.sample("validated read, cache cold", cold, count=cold_count, max_seconds=60,
                                        warmup=0)
        middle = self.stack.auth_stats()["calls"].get("key-load", 0)
        self.cache_warm = measure.sample("validated read, cache warm", read, count=warm_count, max_seconds=60,
                                        warmup=0)
        after = self.stack.auth_stats()["calls"].get("key-load", 0)
        client.close()
        self.cache_validations = {"cold": middle - before, "warm": after - middle}
        self._attach("cache effect", {"cold": self.cache_cold.to_dict(), "warm": self.cache_warm.to_dict(),
                                      "auth service validations": self.cache_validations})

    def check_cache_spares_the_auth_service(self) -> None:
        cold, warm = self.cache_cold, self.cache_warm
        if cold.errors or warm.errors:
            raise AssertionError(f"{cold.errors} cold and {warm.errors} warm reads failed")
        expect_calls = {"cold": cold.samples, "warm": 0}
        if self.cache_validations != expect_calls:
            raise AssertionError(f"the auth service validated the key {self.cache_validations['cold']} times for "
                                 f"{cold.samples} cold reads and {self.cache_validations['warm']} times for "
                                 f"{warm.samples} warm reads; expected {expect_calls['cold']} and 0")

    # -- resource use

    def sample_resources_under_load(self, users: int, seconds: float) -> None:
        import os

        pids = {**{name: pid for name, pid in self.stack.pids().items() if pid}, "suite": os.getpid()}
        with measure.ResourceSampler(pids, interval=0.25, max_seconds=seconds + 60) as sampler:
            self.load = measure.run_locust(self.stack.api_url, users=users, seconds=seconds, operation="read",
                                           key=self._load_key()).to_dict()
        self.resources = {name: {"samples": sum(1 for s in sampler.samples if name in s),
                                 "peak_rss_mb": sampler.peak(name, "rss_mb"),
                                 "peak_cpu_percent": sampler.peak(name, "cpu_percent")} for name in pids}
        self._attach("resource use under load", {"load": self.load, "processes": self.resources})

    def check_resources_reported(self, names: list[str]) -> None:
        missing = [n for n in names if n not in self.resources or not self.resources[n]["samples"]
                   or self.resources[n]["peak_rss_mb"] <= 0]
        if missing:
            raise AssertionError(f"no CPU and memory samples for: {', '.join(missing)}")
        self.check_load_served()
