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
        import requests

        measure.require_loopback(self.run.base_url)
        session = requests.Session()
        session.trust_env = False
        url = f"{self.run.base_url}/api/mlflow/api/2.0/mlflow/experiments/search?max_results=1"
        headers = {"Authorization": f"Bearer {self._load_key()}"}
        self.latency = measure.sample("authenticated read", lambda: session.get(url, headers=headers, timeout=10)
                                      .status_code == 200, count=count, max_seconds=60)
        session.close()
        self._attach("latency", self.latency.to_dict())

    def check_p95_within(self, budget_ms: float) -> None:
        if self.latency.errors:
            raise AssertionError(f"{self.latency.errors} of the timed reads failed")
        if self.latency.p95_ms > budget_ms:
            raise AssertionError(f"p95 latency is {self.latency.p95_ms:.1f} ms; the budget is {budget_ms:.0f} ms")

    def measure_overhead(self, count: int) -> None:
        import requests

        measure.require_loopback(self.run.base_url)
        session = requests.Session()
        session.trust_env = False
        headers = {"Authorization": f"Bearer {self._load_key()}"}
        path = "/api/2.0/mlflow/experiments/search?max_results=20"
        gateway, direct = measure.paired(
            ("through the gateway", lambda: session.get(f"{self.run.base_url}/api/mlflow{path}", headers=headers,
                                                        timeout=10).status_code == 200),
            ("straight to MLflow", lambda: session.get(f"{self.stack.mlflow_url}{path}", timeout=10)
             .status_code == 200), count=count, max_seconds=60)
        session.close()
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
        self.load = measure.run_locust(self.run.base_url, users=users, seconds=seconds, operation="read",
                                       key=self._load_key()).to_dict()
        self.direct_load = measure.run_locust(self.stack.mlflow_url, users=users, seconds=seconds, operation="read",
                                              mount="", label="direct MLflow").to_dict()
        self._attach("throughput", {"gateway": self.load, "direct": self.direct_load})

    def check_throughput_ratio(self, minimum: float) -> None:
        if self.load["failures"]:
            raise AssertionError(f"{self.load['failures']} of {self.load['requests']} requests failed under load")
        ratio = self.load["rps"] / max(self.direct_load["rps"], 1e-9)
        if ratio < minimum:
            raise AssertionError(f"the gateway serves {self.load['rps']:.1f} req/s, {ratio:.2f}x of MLflow's own "
                                 f"{self.direct_load['rps']:.1f}; the budget is at least {minimum:.2f}x")
