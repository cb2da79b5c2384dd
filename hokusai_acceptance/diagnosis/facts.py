"""Facts: named statements about a run that any client of any deployment can check.

Each fact is computed from the run's exchanges (sweep probes and scenario calls) and
is three-valued: it *holds* (with the exchanges that show it), it *does not hold*,
or the run holds no evidence either way (``None``). Catalog entries are written in
terms of these facts -- the ones they require and the ones that refute them -- so a
rule can never read anything a remote run does not also have.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ..classify import (
    REWRITTEN_404,
    AnswerKind,
    Who,
    detail,
    error_code,
    json_body,
    looks_like_registry,
    message,
    on_proxy,
    who_answered,
)
from ..classify import is_write as is_write_call
from ..evidence import Mark, Marker
from ..exchange import Actor, Exchange
from .evidence import RunEvidence
from .target import identify

#: what each sweep probe answers on a healthy deployment of either API generation
PROBE_EXPECTED = {
    "health": {200},
    "health_alb": {200, 401, 404},
    "health_mlflow": {200},
    "api_health_mlflow": {200, 401},
    "api_health_mlflow_keyed": {200},
    "ready": {200, 401},
    "ready_keyed": {200},
    "version": {200, 401},
    "version_keyed": {200},
    "openapi": {200},
    "read_without_key": {401},
    "read_with_key": {200},
    "mount_without_key": {401},
    "mlflow_mount": {200},
    "ajax_without_key": {401},
    "ajax_mount_without_key": {401},
    "ui_without_key": {401},
    "registry_read": {200},
    "artifact_list": {200},
    "server_info": {200, 404},
    "mlflow_version": {200},
    "auth_direct": {200},
}


@dataclass
class Fact:
    holds: bool | None
    evidence: list[Exchange] = field(default_factory=list)
    note: str = ""

    def __bool__(self) -> bool:  # pragma: no cover - use .holds explicitly
        raise TypeError("use Fact.holds")


def _yes(evidence: Iterable[Exchange], note: str = "") -> Fact:
    return Fact(True, list(evidence), note)


def _no(note: str = "") -> Fact:
    return Fact(False, [], note)


UNKNOWN = Fact(None)


class View:
    """The run's evidence indexed for the facts."""

    def __init__(self, evidence: RunEvidence):
        self.evidence = evidence
        self.probes = evidence.probes
        everything = evidence.all_exchanges()
        # requests generated from the contract are malformed on purpose: only the generated-request facts read
        # them (a server error there is a failure on bad input, not an outage of what answered)
        self.exchanges = [e for e in everything if e.actor != Actor.GENERATED_REQUEST]
        self.generated = [e for e in everything if e.actor == Actor.GENERATED_REQUEST]
        self._who = {id(e): who_answered(e) for e in self.exchanges}

    def who(self, exchange: Exchange) -> str:
        return self._who.get(id(exchange)) or who_answered(exchange)

    def marks(self, kind: Marker) -> list[Mark]:
        return [m for m in self.evidence.marks if m.kind == kind]

    def probe(self, name: str) -> Exchange | None:
        return self.probes.get(name)

    def answered_by(self, *who: str) -> list[Exchange]:
        return [e for e in self.exchanges if self.who(e) in who]

    @cached_property
    def valid_keyed(self) -> list[Exchange]:
        return [e for e in self.exchanges if e.keyed and e.actor == "valid" and on_proxy(e)]

    @cached_property
    def valid_keyed_anywhere(self) -> list[Exchange]:
        """The configured key's calls to any path (probes with a key included)."""
        return [e for e in self.exchanges if e.keyed and e.actor == "valid" and not e.route.endswith("/validate")]

    @cached_property
    def unkeyed(self) -> list[Exchange]:
        return [e for e in self.exchanges if not e.keyed]

    @cached_property
    def health(self) -> dict[str, Any]:
        probe = self.probe("health")
        data = json_body(probe) if probe is not None and probe.status is not None else None
        if not isinstance(data, dict):
            data = self.evidence.identity.get("health_document") or {}
        return data if isinstance(data, dict) else {}

    @cached_property
    def failing_scenario_names(self) -> set[str]:
        return {s.name for s in self.evidence.scenarios if s.status in ("failed", "broken")}

    def trouble(self) -> list[Exchange]:
        """Exchanges that went wrong: probes that deviate from what a healthy deployment answers, and the
        error answers or silences inside failing scenarios."""
        found = []
        for name, probe in self.probes.items():
            expected = PROBE_EXPECTED.get(name, {200})
            if probe.error_kind == "not-attempted":
                continue
            if probe.status not in expected or (looks_like_registry(probe) and not probe.keyed):
                found.append(probe)
        failing = self.failing_scenario_names
        last_error: dict[str, Exchange] = {}
        for e in self.exchanges:
            if e.scenario in failing and e.status is not None and e.status >= 400:
                last_error[e.scenario] = e
        for e in self.exchanges:
            if e.error_kind == "not-attempted" or not (e.status is None or e.status >= 400):
                continue
            if e.scenario == "cleanup":
                # cleanup's errors matter when something was left behind; "already gone" is success
                if self.evidence.leftovers and error_code(e) != "RESOURCE_DOES_NOT_EXIST":
                    found.append(e)
            elif e.scenario in failing:
                # MLflow's own 4xx (a lookup of something absent, a refused parameter) is normal on the way;
                # it is trouble when it is what the scenario broke on: its last error answer
                if (
                    e.status is not None
                    and e.status < 500
                    and self.who(e) == Who.MLFLOW
                    and last_error.get(e.scenario) is not e
                ):
                    continue
                found.append(e)
        return found


def is_write(e: Exchange) -> bool:
    return is_write_call(e.method, e.route)


def is_artifact(e: Exchange) -> bool:
    return "mlflow-artifacts" in e.route


FACTS: dict[str, tuple[str, Callable[[View], Fact]]] = {}


def fact(name: str, meaning: str) -> Callable[[Callable[[View], Fact]], Callable[[View], Fact]]:
    def register(fn: Callable[[View], Fact]) -> Callable[[View], Fact]:
        FACTS[name] = (meaning, fn)
        return fn

    return register


# ------------------------------------------------------------------ transport and routing


@fact("nothing_accepts_connections", "no connection to the target could be opened (refused or no DNS name)")
def _nothing_accepts(v: View) -> Fact:
    if not v.probes and not v.exchanges:
        return UNKNOWN
    if any(e.status is not None for e in v.exchanges):
        return _no()
    refused = [e for e in v.exchanges if e.error_kind in ("refused", "dns")]
    return _yes(refused) if refused else _no()


@fact("target_hangs", "connections to the target are accepted but nothing answers in time")
def _target_hangs(v: View) -> Fact:
    silent = [e for e in v.exchanges if e.error_kind in ("connect-timeout", "read-timeout")]
    if v.answered_by(Who.API, Who.MLFLOW, Who.MLFLOW_VIA_API):
        return _no()
    return _yes(silent) if len(silent) >= 2 else _no()


@fact("api_answered", "the Hokusai API itself answered at least one call")
def _api_answered(v: View) -> Fact:
    answers = v.answered_by(Who.API)
    return _yes(answers) if answers else _no()


@fact("mlflow_answered", "MLflow answered at least one call (its JSON, its pages or its data)")
def _mlflow_answered(v: View) -> Fact:
    answers = v.answered_by(Who.MLFLOW, Who.MLFLOW_VIA_API)
    return _yes(answers) if answers else _no()


@fact("mlflow_served_data", "MLflow served data through the proxy (a 2xx answer it produced)")
def _mlflow_served(v: View) -> Fact:
    answers = [e for e in v.answered_by(Who.MLFLOW) if e.status is not None and e.status < 300]
    return _yes(answers) if answers else _no()


@fact("mlflow_served_on_api_mount", "MLflow served data under /api/mlflow (the mount the contract documents)")
def _mlflow_on_api_mount(v: View) -> Fact:
    answers = [
        e
        for e in v.answered_by(Who.MLFLOW)
        if e.status is not None and e.status < 300 and e.route.startswith("/api/mlflow/")
    ]
    return _yes(answers) if answers else _no()


def _distinct_routes(exchanges: list[Exchange]) -> int:
    return len({e.route for e in exchanges})


@fact("lb_503_pages", "the load balancer answers its own HTML 503 page (no healthy target) on several paths")
def _lb_503(v: View) -> Fact:
    pages = [e for e in v.answered_by(Who.LOAD_BALANCER) if e.status == 503]
    return _yes(pages) if _distinct_routes(pages) >= 2 else _no()


@fact(
    "lb_pages_at_once",
    "the load balancer answers its own HTML 502/504 page at once (its target refuses or crashes) on several paths",
)
def _lb_at_once(v: View) -> Fact:
    pages = [e for e in v.answered_by(Who.LOAD_BALANCER) if e.status in (502, 504) and e.elapsed_ms < 5000]
    return _yes(pages) if _distinct_routes(pages) >= 2 else _no()


@fact(
    "lb_pages_after_waiting",
    "the load balancer answers HTML 502/504 only after waiting seconds for its target (the target never answers)",
)
def _lb_after_wait(v: View) -> Fact:
    pages = [e for e in v.answered_by(Who.LOAD_BALANCER) if e.status in (502, 504) and e.elapsed_ms >= 5000]
    return _yes(pages) if pages else _no()


@fact("lb_plain_404", "a fixed plain-text 404 (no routing rule) answers several paths")
def _lb_404(v: View) -> Fact:
    pages = [e for e in v.answered_by(Who.LOAD_BALANCER) if e.status == 404]
    return _yes(pages) if _distinct_routes(pages) >= 2 or len(pages) >= 3 else _no()


@fact("mlflow_pages_on_api_mount", "MLflow's own HTML 404 page answers /api/mlflow paths, key or no key")
def _flask_on_api(v: View) -> Fact:
    pages = [e for e in v.exchanges if e.answered_by == AnswerKind.FLASK_HTML_404 and e.route.startswith("/api/")]
    if pages and any(e.keyed for e in pages) and any(not e.keyed for e in pages):
        return _yes(pages)
    return _yes(pages) if len(pages) >= 3 else _no()


@fact("hokusai_health_document", "/health answers the Hokusai health document (status and services)")
def _health_doc(v: View) -> Fact:
    probe = v.probe("health")
    if probe is None or probe.status is None:
        return UNKNOWN
    data = json_body(probe)
    if isinstance(data, dict) and "status" in data and "services" in data:
        return _yes([probe])
    return _no()


@fact("foreign_health_answer", "/health answers 2xx, but not with the Hokusai health document")
def _foreign(v: View) -> Fact:
    probe = v.probe("health")
    if probe is None or probe.status is None or probe.status >= 300:
        return UNKNOWN if probe is None or probe.status is None else _no()
    data = json_body(probe)
    if isinstance(data, dict) and "status" in data and "services" in data:
        return _no()
    return _yes([probe])


# ------------------------------------------------------------------ the API and its auth service


def _valid_detail(v: View, wording: str, statuses: Iterable[int] = (401, 503)) -> list[Exchange]:
    wanted = set(statuses)
    return [e for e in v.valid_keyed_anywhere if e.status in wanted and v.who(e) == Who.API and detail(e) == wording]


@fact("no_key_refused_by_api", "a call without a key is refused by the API with 401 'API key required'")
def _no_key(v: View) -> Fact:
    refused = [e for e in v.unkeyed if on_proxy(e) and e.status == 401 and v.who(e) == Who.API]
    return _yes(refused) if refused else _no()


@fact("no_key_refused_on_api_mount", "a call without a key under /api/mlflow is refused by the API")
def _no_key_api_mount(v: View) -> Fact:
    refused = [e for e in v.unkeyed if e.route.startswith("/api/mlflow/") and e.status == 401 and v.who(e) == Who.API]
    return _yes(refused) if refused else _no()


@fact("valid_key_refused_as_invalid", "the configured key is refused with 401 'Invalid or expired API key'")
def _key_invalid(v: View) -> Fact:
    refused = _valid_detail(v, "Invalid or expired API key", (401,))
    return _yes(refused) if refused else _no()


@fact("auth_service_error_reported", "the API reports 'Authentication service error' for the configured key")
def _auth_error(v: View) -> Fact:
    found = _valid_detail(v, "Authentication service error")
    return _yes(found) if found else _no()


@fact("auth_service_unavailable_reported", "the API reports 'Authentication service unavailable' (cannot connect)")
def _auth_unavailable(v: View) -> Fact:
    found = _valid_detail(v, "Authentication service unavailable")
    return _yes(found) if found else _no()


@fact("auth_service_timeout_reported", "the API reports 'Authentication service timeout' after its 5 s limit")
def _auth_timeout(v: View) -> Fact:
    found = _valid_detail(v, "Authentication service timeout")
    return _yes(found, note=f"after {max(e.elapsed_ms for e in found) / 1000:.1f} s") if found else _no()


@fact("auth_rate_limit_as_401", "the configured key gets 401 'Rate limit exceeded' (a 429 reported as 401)")
def _rate_401(v: View) -> Fact:
    found = _valid_detail(v, "Rate limit exceeded", (401,))
    return _yes(found) if found else _no()


@fact("key_over_its_limit", "the configured key gets 429 'Rate limit exceeded': its hourly quota is used up")
def _rate_429(v: View) -> Fact:
    found = [e for e in v.valid_keyed_anywhere if e.status == 429]
    return _yes(found) if found else _no()


@fact("auth_service_accepts_key", "the auth service, asked directly, says the configured key is valid")
def _auth_direct_ok(v: View) -> Fact:
    probe = v.probe("auth_direct")
    if probe is None or probe.status is None:
        return UNKNOWN
    data = json_body(probe)
    return _yes([probe]) if probe.status == 200 and isinstance(data, dict) and data.get("is_valid") else _no()


@fact("auth_service_refuses_key", "the auth service, asked directly, refuses the configured key")
def _auth_direct_refuses(v: View) -> Fact:
    probe = v.probe("auth_direct")
    if probe is None or probe.status is None:
        return UNKNOWN
    return _yes([probe]) if probe.status in (401, 403) else _no()


@fact(
    "auth_service_failing_directly",
    "the auth service, asked directly, fails (5xx, its load balancer's page, or no answer)",
)
def _auth_direct_failing(v: View) -> Fact:
    probe = v.probe("auth_direct")
    if probe is None or probe.error_kind == "not-attempted":
        return UNKNOWN
    return _yes([probe]) if probe.status is None or probe.status >= 500 else _no()


@fact("auth_service_rate_limits_directly", "the auth service, asked directly, answers 429 (it rate-limits)")
def _auth_direct_429(v: View) -> Fact:
    probe = v.probe("auth_direct")
    if probe is None or probe.status is None:
        return UNKNOWN
    return _yes([probe]) if probe.status == 429 else _no()


@fact(
    "key_gets_past_auth",
    "some call with the configured key got past authentication (MLflow, or the proxy, answered it)",
)
def _past_auth(v: View) -> Fact:
    passed = [
        e
        for e in v.valid_keyed
        if v.who(e) in (Who.MLFLOW, Who.MLFLOW_VIA_API)
        or (v.who(e) == Who.API and detail(e).startswith(("Failed to connect to MLflow", "MLflow server")))
        or (e.status == 403 and "required_scope" in e.body_prefix)
    ]
    return _yes(passed) if passed else _no()


PROBE_ROUTES = ("/ready", "/live", "/version", "/metrics", "/api/health/mlflow", "/api/health")


@fact("probes_need_key", "monitoring probes (/ready, /live, /version, /api/health/mlflow) answer 401 without a key")
def _probes_key(v: View) -> Fact:
    probes = [e for e in v.unkeyed if e.route in PROBE_ROUTES and e.status is not None]
    refused = [e for e in probes if e.status == 401]
    return _yes(refused) if refused else (_no() if probes else UNKNOWN)


def _not_healthy(data: object) -> bool:
    if not isinstance(data, dict) or "status" not in data:
        return False
    services: dict[str, Any] = data["services"] if isinstance(data.get("services"), dict) else {}
    return data.get("status") != "healthy" or any(s == "unhealthy" for s in services.values())


@fact("health_200_while_not_healthy", "/health answers 200 while its own document says it is not healthy")
def _health_lies(v: View) -> Fact:
    answers = [e for e in v.exchanges if e.route == "/health" and e.status is not None]
    if not answers:
        return UNKNOWN
    lying = [e for e in answers if e.status == 200 and _not_healthy(json_body(e))]
    return _yes(lying) if lying else _no()


def _health_service(name: str) -> Callable[[View], Fact]:
    def check(v: View) -> Fact:
        probe = v.probe("health")
        services = v.health.get("services")
        if probe is None or not isinstance(services, dict) or name not in services:
            return UNKNOWN
        return _yes([probe], note=f"{name}: {services[name]}") if services[name] == "unhealthy" else _no()

    return check


for _service, _meaning in (
    ("redis", "the validation cache (Redis)"),
    ("postgres", "the API's database"),
    ("mlflow", "MLflow"),
    ("message_queue", "the message queue"),
):
    fact(f"health_reports_{_service}_unhealthy", f"/health reports {_meaning} unhealthy")(_health_service(_service))


@fact("health_reports_mlflow_disconnected", "/health/mlflow reports MLflow not connected")
def _mlflow_disconnected(v: View) -> Fact:
    probe = v.probe("health_mlflow")
    data = json_body(probe) if probe is not None else None
    if probe is None or not isinstance(data, dict) or "connected" not in data:
        return UNKNOWN
    return _yes([probe]) if data.get("connected") is False else _no()


@fact(
    "health_probes_report_mlflow_down",
    "the API's health probes report MLflow down (/health/mlflow, /api/health/mlflow, /ready)",
)
def _probes_mlflow_down(v: View) -> Fact:
    found = []
    for e in v.exchanges:
        data = json_body(e)
        if (
            (e.route == "/health/mlflow" and isinstance(data, dict) and data.get("connected") is False)
            or (e.route in ("/api/health/mlflow", "/ready") and e.status == 503)
            or (
                e.route == "/health"
                and isinstance(data, dict)
                and isinstance(data.get("services"), dict)
                and data["services"].get("mlflow") == "unhealthy"
            )
        ):
            found.append(e)
    return _yes(found) if found else _no()


@fact("proxy_mount_missing", "authenticated /api/mlflow calls get the API's own JSON 404 {'detail': 'Not Found'}")
def _mount_missing(v: View) -> Fact:
    found = [
        e
        for e in v.valid_keyed
        if e.route.startswith("/api/mlflow/") and e.status == 404 and v.who(e) == Who.API and detail(e) == "Not Found"
    ]
    return _yes(found) if found else _no()


@fact("writes_refused_for_scope", "writes with the configured key are refused 403 for lack of write scope")
def _scope(v: View) -> Fact:
    found = [e for e in v.valid_keyed if is_write(e) and e.status == 403 and v.who(e) == Who.API]
    return _yes(found) if found else _no()


@fact("registry_reads_refused_403", "reads of the registry with the configured key are refused 403 by the API")
def _registry_reads_refused(v: View) -> Fact:
    found = [e for e in v.valid_keyed if e.method == "GET" and e.status == 403 and on_proxy(e) and v.who(e) == Who.API]
    return _yes(found) if found else _no()


@fact("reads_work_with_key", "reads with the configured key are served by MLflow")
def _reads_work(v: View) -> Fact:
    found = [e for e in v.valid_keyed if not is_write(e) and e.status == 200 and v.who(e) == Who.MLFLOW]
    return _yes(found) if found else _no()


@fact("writes_refused_401_with_key", "writes that carry the configured key are refused 401 while reads with it work")
def _writes_401(v: View) -> Fact:
    found = [e for e in v.valid_keyed if is_write(e) and e.status == 401]
    return _yes(found) if found else _no()


@fact("read_only_key_wrote", "a read-only key's write was accepted (no scope enforcement)")
def _ro_wrote(v: View) -> Fact:
    found = [
        e
        for e in v.exchanges
        if e.actor == "read-only"
        and e.keyed
        and on_proxy(e)
        and is_write(e)
        and e.status is not None
        and 200 <= e.status < 300
    ]
    # a developer's own MLflow, set up with the read-only key, registered a model: the read-back finds it
    for mark in v.marks(Marker.KEY_THAT_MUST_NOT_WRITE_WROTE):
        if mark.note == "read-only":
            found += mark.exchanges
    return _yes(found) if found else _no()


@fact("foreign_write_accepted", "a developer's write to another developer's model, run or experiment was accepted")
def _foreign_write(v: View) -> Fact:
    found = [
        e
        for e in v.exchanges
        if e.actor == Actor.ON_ANOTHERS_MODEL
        and e.keyed
        and on_proxy(e)
        and is_write(e)
        and e.status is not None
        and 200 <= e.status < 300
    ]
    return _yes(found) if found else _no()


@fact("token_claim_accepted", "a developer put another developer's token id on their own model version")
def _token_claim(v: View) -> Fact:
    found = [
        e
        for e in v.exchanges
        if e.actor == Actor.CLAIMING_ANOTHERS_TOKEN
        and e.keyed
        and on_proxy(e)
        and is_write(e)
        and e.status is not None
        and 200 <= e.status < 300
    ]
    return _yes(found) if found else _no()


@fact("registry_records_no_owner", "a read-back of a registered model and its versions found no owner recorded")
def _no_owner(v: View) -> Fact:
    marks = v.marks(Marker.NO_OWNER_RECORDED)
    return _yes([e for mark in marks for e in mark.exchanges]) if marks else _no()


# ------------------------------------------------------------------ MLflow behind the proxy


@fact("mlflow_unreachable_from_api", "the API answers 502 'Failed to connect to MLflow server'")
def _mlflow_unreachable(v: View) -> Fact:
    found = [
        e
        for e in v.exchanges
        if e.status == 502 and v.who(e) == Who.API and detail(e).startswith("Failed to connect to MLflow server")
    ]
    return _yes(found) if found else _no()


@fact("mlflow_timeout_from_api", "the API answers 504 'MLflow server request timeout'")
def _mlflow_timeout(v: View) -> Fact:
    found = [
        e
        for e in v.exchanges
        if e.status == 504 and v.who(e) == Who.API and detail(e).startswith("MLflow server request timeout")
    ]
    return _yes(found) if found else _no()


@fact("registry_calls_hang", "calls with the key time out on the proxy while calls without a key are refused promptly")
def _registry_hangs(v: View) -> Fact:
    silent = [e for e in v.valid_keyed if e.error_kind == "read-timeout"]
    prompt = [e for e in v.unkeyed if on_proxy(e) and e.status == 401 and e.elapsed_ms < 3000]
    return _yes(silent + prompt[:1]) if silent and prompt else _no()


DEPENDENCY_PROBES = ("/health", "/health/mlflow", "/api/health/mlflow", "/ready")


@fact("health_stalls_the_api", "while a health check waits on a dependency, calls that are normally prompt stall too")
def _health_stalls(v: View) -> Fact:
    slow_checks = [
        e
        for e in v.exchanges
        if e.route in DEPENDENCY_PROBES and (e.error_kind == "read-timeout" or e.elapsed_ms >= 5000)
    ]
    if not slow_checks:
        return _no()
    prompt_elsewhere: dict[tuple[Any, ...], float] = {}
    for e in v.exchanges:
        if e.status is not None and e.route not in DEPENDENCY_PROBES:
            key = (e.method, e.route, e.keyed)
            prompt_elsewhere[key] = min(prompt_elsewhere.get(key, 1e9), e.elapsed_ms)
    stalled = []
    for check in slow_checks:
        start, end = check.started_at, check.started_at + check.elapsed_ms / 1000 + 30
        for e in v.exchanges:
            if e is check or e.route in DEPENDENCY_PROBES or not start <= e.started_at <= end:
                continue
            slow = e.error_kind == "read-timeout" or e.elapsed_ms >= 3000
            if slow and prompt_elsewhere.get((e.method, e.route, e.keyed), 1e9) < 1000:
                stalled.append(e)
    return _yes(slow_checks + stalled) if stalled else _no()


@fact("api_proxy_internal_error", "the API answers 500 'Internal server error while proxying to MLflow'")
def _proxy_500(v: View) -> Fact:
    found = [
        e
        for e in v.exchanges
        if e.status == 500 and v.who(e) == Who.API and detail(e).startswith("Internal server error while proxying")
    ]
    return _yes(found) if found else _no()


# ------------------------------------------------------------------ generated requests (Schemathesis)


def _generated_5xx(v: View, *who: str) -> Fact:
    found = [e for e in v.generated if (e.status or 0) >= 500 and v.who(e) in who]
    if found:
        return _yes(found)
    return _no() if v.generated else UNKNOWN


@fact(
    "mlflow_fails_on_generated_requests",
    "MLflow answered requests generated from the contract with a server "
    "error (its HTML error page or INTERNAL_ERROR), relayed by the API",
)
def _mlflow_generated(v: View) -> Fact:
    return _generated_5xx(v, Who.MLFLOW, Who.MLFLOW_VIA_API)


@fact(
    "api_fails_on_generated_requests",
    "the API itself answered requests generated from the contract with a "
    "server error (its own JSON, or a bare error none of MLflow's relayed answers looks like)",
)
def _api_generated(v: View) -> Fact:
    return _generated_5xx(v, Who.API)


@fact(
    "lb_fails_on_generated_requests",
    "the load balancer answered requests generated from the contract with its own error page",
)
def _lb_generated(v: View) -> Fact:
    return _generated_5xx(v, Who.LOAD_BALANCER)


@fact(
    "generated_answers_undocumented",
    "the registry answered requests generated from the contract with a status, "
    "content type or body the contract does not document (not a server error)",
)
def _generated_undocumented(v: View) -> Fact:
    found = [e for e in v.generated if e.status is not None and e.status < 500]
    if found:
        return _yes(found)
    return _no() if v.generated else UNKNOWN


@fact("served_description_invalid", "the API's own /openapi.json is not a valid OpenAPI document")
def _description_invalid(v: View) -> Fact:
    drift = v.evidence.identity.get("contract_drift")
    if not isinstance(drift, dict):
        return UNKNOWN
    fetched = [e for e in v.exchanges if e.route == "/openapi.json" and e.status == 200]
    found = ([e for e in fetched if e.scenario != "sweep"] or fetched)[:1]  # the drift scenario's own fetch
    return Fact(True, found, drift["invalid"]) if drift.get("invalid") else _no()


_VERSION = re.compile(r"^\s*(\d+)\.(\d+)")


def mlflow_server_version(v: View) -> str | None:
    probe = v.probe("mlflow_version")
    if probe is None or probe.status != 200:
        return None
    match = _VERSION.match(probe.body_prefix)
    return probe.body_prefix.strip()[:20] if match else None


@fact(
    "mlflow_server_2x",
    "the MLflow server behind the proxy is a 2.x server (its /version, or no server-info route while reads work)",
)
def _mlflow_2x(v: View) -> Fact:
    version = mlflow_server_version(v)
    shown = v.probe("mlflow_version")
    if version is not None and shown is not None:
        return _yes([shown], note=f"MLflow {version}") if version.startswith("2.") else _no()
    info = v.probe("server_info")
    read = v.probe("read_with_key")
    if info is None or read is None or read.status != 200:
        return UNKNOWN
    if info.status == 404 and v.who(info) in (Who.MLFLOW, Who.MLFLOW_VIA_API):
        return _yes([info])
    return _no() if info.status == 200 else UNKNOWN


@fact("mlflow_client_3x", "the suite's MLflow client (what developers install today) is MLflow 3")
def _client_3(v: View) -> Fact:
    version = str(v.evidence.client.get("mlflow", ""))
    return UNKNOWN if not version else (_yes([], note=f"MLflow client {version}") if version.startswith("3") else _no())


@fact("logged_models_missing", "MLflow answers 404 on the logged-models API an MLflow 3 client needs")
def _logged_models(v: View) -> Fact:
    found = [
        e
        for e in v.valid_keyed
        if "/logged-models" in e.route and e.status == 404 and v.who(e) in (Who.MLFLOW, Who.MLFLOW_VIA_API)
    ]
    return _yes(found) if found else _no()


@fact("artifacts_disabled_answer", "artifact calls are refused with ARTIFACTS_DISABLED")
def _artifacts_disabled(v: View) -> Fact:
    found = [e for e in v.exchanges if is_artifact(e) and error_code(e) == "ARTIFACTS_DISABLED"]
    return _yes(found) if found else _no()


@fact("artifact_calls_404_ajax", "artifact calls get 404 for an ajax-api path (they were sent to the public form)")
def _hairpin(v: View) -> Fact:
    found = [e for e in v.exchanges if is_artifact(e) and e.status == 404 and "ajax-api" in message(e)]
    return _yes(found) if found else _no()


@fact("artifact_calls_fail_5xx", "artifact upload/download/listing fails with a server error from MLflow")
def _artifact_5xx(v: View) -> Fact:
    found = [
        e
        for e in v.exchanges
        if is_artifact(e)
        and e.keyed
        and e.status is not None
        and e.status >= 500
        and v.who(e) in (Who.MLFLOW, Who.OTHER)
        and error_code(e) != "ARTIFACTS_DISABLED"
    ]
    return _yes(found) if found else _no()


@fact("artifact_calls_work", "an artifact upload or download with the key was served")
def _artifacts_work(v: View) -> Fact:
    # a listing of an absent folder answers {} even when the store is broken: only files count
    found = [
        e
        for e in v.exchanges
        if is_artifact(e) and e.keyed and e.status == 200 and not e.route.rstrip("/").endswith("/artifacts")
    ]
    return _yes(found) if found else _no()


@fact("health_reports_artifacts_unhealthy", "the API's in-depth MLflow check reports the artifact API unhealthy")
def _artifacts_health(v: View) -> Fact:
    found = []
    for e in v.exchanges:
        if e.route != "/api/health/mlflow" or e.status is None:
            continue
        data = json_body(e)
        body = data.get("detail") if isinstance(data, dict) and isinstance(data.get("detail"), dict) else data
        checks = body.get("checks") if isinstance(body, dict) else None
        state = checks.get("artifacts_api") if isinstance(checks, dict) else None
        state = state.get("status") if isinstance(state, dict) else state
        if state == "unhealthy":
            found.append(e)
    return _yes(found) if found else _no()


@fact("tracking_works", "tracking calls with the key (experiments, runs) are served by MLflow")
def _tracking(v: View) -> Fact:
    found = [
        e
        for e in v.valid_keyed
        if not is_artifact(e) and e.status is not None and 200 <= e.status < 300 and v.who(e) == Who.MLFLOW
    ]
    return _yes(found) if found else _no()


@fact("large_artifacts_time_out", "artifact calls end in 504 'MLflow server request timeout'")
def _large(v: View) -> Fact:
    found = [
        e
        for e in v.exchanges
        if is_artifact(e) and e.status == 504 and "MLflow server request timeout" in e.body_prefix
    ]
    return _yes(found) if found else _no()


@fact("small_calls_time_out", "non-artifact calls also end in 504 'MLflow server request timeout'")
def _small_timeouts(v: View) -> Fact:
    found = [
        e
        for e in v.exchanges
        if not is_artifact(e) and e.status == 504 and "MLflow server request timeout" in e.body_prefix
    ]
    return _yes(found) if found else _no()


@fact(
    "delete_body_lost",
    "a DELETE sent with its JSON body reaches MLflow without it ('Missing value for required parameter')",
)
def _delete_body(v: View) -> Fact:
    found = [
        e
        for e in v.exchanges
        if e.method == "DELETE"
        and e.request_sent_body
        and e.status == 400
        and "Missing value for required parameter" in e.body_prefix
    ]
    return _yes(found) if found else _no()


@fact("deletes_work", "a DELETE with the key and a JSON body was served")
def _deletes_work(v: View) -> Fact:
    # a DELETE without a body (an artifact's) says nothing about whether bodies get through
    found = [
        e
        for e in v.valid_keyed
        if e.method == "DELETE" and e.request_sent_body and e.status is not None and e.status < 300
    ]
    return _yes(found) if found else _no()


@fact("registry_served_without_key", "something registry-shaped (MLflow data or its web UI) is served without a key")
def _open(v: View) -> Fact:
    found = [e for e in v.unkeyed if looks_like_registry(e) and e.route not in ("/health", "/openapi.json")]
    return _yes(found) if found else _no()


@fact(
    "version_differs_from_expected",
    "the target reports another version or commit than the one expected "
    "(HOKUSAI_EXPECTED_VERSION / HOKUSAI_EXPECTED_COMMIT)",
)
def _unexpected_version(v: View) -> Fact:
    identity = identify(v.evidence)
    differs = [x for x in (identity.version_matches, identity.commit_matches) if x is False]
    if identity.version_matches is None and identity.commit_matches is None:
        return UNKNOWN
    shown = [
        e
        for e in (v.probe("version"), v.probe("version_keyed"), v.probe("health"))
        if e is not None and e.status == 200
    ]
    return _yes(shown[:1], note=identity.expectation_note()) if differs else _no()


@fact("cleanup_incomplete", "the run could not remove everything it created")
def _leftovers(v: View) -> Fact:
    if not v.evidence.leftovers:
        return _no()
    failing = [e for e in v.exchanges if e.scenario == "cleanup" and (e.status is None or e.status >= 400)]
    return _yes(failing, note=f"{len(v.evidence.leftovers)} item(s) left")


@fact(
    "mlflow_html_404_on_known_route",
    "MLflow has no page for a route the proxy forwards (HTML 404 rewritten by the API)",
)
def _rewritten(v: View) -> Fact:
    found = [e for e in v.valid_keyed if v.who(e) == Who.MLFLOW_VIA_API and REWRITTEN_404 in message(e)]
    return _yes(found) if found else _no()


class Facts:
    """The facts of one run, computed on first use."""

    def __init__(self, evidence: RunEvidence):
        self.view = View(evidence)
        self._cache: dict[str, Fact] = {}

    def __getitem__(self, name: str) -> Fact:
        if name not in self._cache:
            if name not in FACTS:
                raise KeyError(f"no fact named {name!r}")
            self._cache[name] = FACTS[name][1](self.view)
        return self._cache[name]

    def holds(self, name: str) -> bool:
        return self[name].holds is True

    def meaning(self, name: str) -> str:
        return FACTS[name][0]
