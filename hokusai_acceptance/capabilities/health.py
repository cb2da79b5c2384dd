"""Infrastructure health: probes, dependencies, docs, version, probe timings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import expectations as expect
from ..errors import ContractDiffers
from ..routes import PROBES
from ..state import HealthState
from .base import Capability

if TYPE_CHECKING:  # pragma: no cover
    from ..world import RegistryWorld


#: How the API's in-depth MLflow check reports a working part: a bare word ("healthy") or, in other
#: deployments, an object with a status ({"status": "enabled", "message": ...}).
HEALTHY_CHECK_STATES = {"healthy", "enabled", "ok"}


def check_state(value: object) -> str | None:
    if isinstance(value, dict):
        value = value.get("status")
    return value.lower() if isinstance(value, str) else None


class HealthChecks(Capability):
    def __init__(self, world: RegistryWorld) -> None:
        super().__init__(world)
        self.state = HealthState()

    def ask_health(self, with_key: bool = False) -> None:
        self.calls.reply = self.client.get("/health", key=self.key if with_key else None)

    def check_healthy(self) -> None:
        body = expect.expect_success(self.calls.reply, "GET /health")
        expect.expect_json_keys(body, ["status", "services"], "the health report")
        expect.expect_equal(body["status"], "healthy", "the reported health")

    def check_health_names_services(self, *services: str) -> None:
        body = self.calls.reply.json()
        reported = body.get("services") or {}
        missing = [s for s in services if s not in reported]
        if missing:
            raise AssertionError(
                f"the health report does not mention {', '.join(missing)}; it lists "
                f"{', '.join(sorted(reported)) or 'nothing'}"
            )
        unhealthy = {s: reported[s] for s in services if check_state(reported[s]) not in HEALTHY_CHECK_STATES}
        if unhealthy:
            raise AssertionError(f"the health report shows unhealthy services: {unhealthy}")

    def ask_mlflow_health(self) -> None:
        self.calls.reply = self.client.get("/health/mlflow")

    def check_mlflow_connected(self) -> None:
        body = expect.expect_success(self.calls.reply, "GET /health/mlflow")
        expect.expect_json_keys(body, ["circuit_breaker_state", "connected"], "the MLflow health report")
        expect.expect_equal(body["connected"], True, "MLflow connectivity reported by the API")
        expect.expect_equal(body["circuit_breaker_state"], "CLOSED", "the MLflow circuit breaker")

    def ask_mlflow_api_health(self) -> None:
        self.calls.reply = self.client.get("/api/health/mlflow", key=self.key)

    def check_artifact_serving_enabled(self) -> None:
        body = expect.expect_success(self.calls.reply, "GET /api/health/mlflow")
        checks = body.get("checks") or {}
        if not checks and check_state(body.get("status")) in HEALTHY_CHECK_STATES:
            raise ContractDiffers(
                f"the in-depth MLflow check reports one overall state ({body.get('status')!r}) and no check of "
                "the experiments and artifact services apart, as the contract's checks object does"
            )
        for name, what in (
            ("experiments_api", "the experiments API check"),
            ("artifacts_api", "the artifact API check"),
        ):
            state = check_state(checks.get(name))
            if state not in HEALTHY_CHECK_STATES:
                raise AssertionError(
                    f"{what} reports {checks.get(name)!r}; expected one of {', '.join(sorted(HEALTHY_CHECK_STATES))}"
                )

    def probe_check_without_key(self, check: str) -> None:
        """One of the monitoring checks, by the name the feature gives it."""
        paths = {probe.name: path for path, probe in PROBES.items()}
        if check not in paths:
            raise AssertionError(f"no monitoring check is called {check!r}; the checks are {', '.join(paths)}")
        self.probe_without_key(paths[check])

    def probe_without_key(self, path: str) -> None:
        self.state.probe_path = path
        self.calls.reply = self.client.get(path)
        self.state.probe_replies[path] = self.calls.reply

    def check_probe_answers_without_key(self) -> None:
        path = self.state.probe_path
        expect.expect_product_answer(self.calls.reply)  # a load balancer's 503 is not the API answering "unhealthy"
        if self.calls.reply.status == 401:
            raise AssertionError(
                f"{path} asks monitoring for an API key (HTTP 401): probes without a key will "
                f"report a healthy API as down. Exclude probe paths from authentication."
            )
        expect.expect_status(self.calls.reply, {200, 503}, f"the {PROBES[path].name if path in PROBES else path} probe")

    def check_probe_within_budget(self, budget_ms: float) -> None:
        if self.calls.reply.elapsed_ms > budget_ms:
            raise AssertionError(
                f"the probe took {self.calls.reply.elapsed_ms:.0f} ms; the monitoring budget is {budget_ms:.0f} ms"
            )

    def read_ecs_status(self) -> None:
        from .. import aws_status

        reason = aws_status.why_not_configured()
        if reason:
            self.skip(reason)
            return
        configured = aws_status.configuration()
        if configured is None:  # why_not_configured said it is
            return
        cluster, services = configured
        self.state.ecs_status = aws_status.read_status(cluster, services)
        for service in self.state.ecs_status:
            self.note(
                f"{service.name}: {service.status}, {service.running}/{service.desired} tasks running, "
                f"{service.pending} pending; target health {list(service.target_groups.values()) or 'n/a'}"
            )

    def check_ecs_services_healthy(self) -> None:
        problems = [p for service in self.state.ecs_status for p in service.problems]
        if problems:
            raise AssertionError("ECS is not running the registry as configured: " + "; ".join(problems))

    def read_docs(self) -> None:
        self.probe_without_key("/docs")
        self.probe_without_key("/openapi.json")

    def check_docs_published(self) -> None:
        docs, spec = self.state.probe_replies["/docs"], self.state.probe_replies["/openapi.json"]
        expect.expect_status(docs, 200, "GET /docs")
        body = expect.expect_success(spec, "GET /openapi.json")
        expect.expect_json_keys(body, ["openapi", "paths"], "the OpenAPI document")

    def ask_version(self) -> None:
        self.calls.reply = self.client.get("/version", key=self.key)

    def check_version_reported(self) -> None:
        body = expect.expect_success(self.calls.reply, "GET /version")
        version = body.get("version") if isinstance(body, dict) else None
        if not version:
            raise AssertionError(f"the API does not say which version is deployed: {body!r}")
        self.note(f"deployed API version: {version}")
