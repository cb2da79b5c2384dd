"""Facts: named statements about a run that any client of any deployment can check.

Each fact is computed from the run's exchanges (sweep probes and scenario calls) and
is three-valued: it *holds* (with the exchanges that show it), it *does not hold*,
or the run holds no evidence either way (``None``). Catalog entries are written in
terms of these facts -- the ones they require and the ones that refute them -- so a
rule can never read anything a remote run does not also have.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from .. import situations
from ..classify import AnswerKind, looks_like_registry, on_proxy, who_answered
from ..evidence import Mark, Marker
from ..exchange import BODY_PREFIX, Actor, Exchange, error_code, json_body
from ..routes import is_write as is_write_call
from ..situations import operation
from ..who import Who
from .evidence import RunEvidence
from .target import identify
from .timing import cluster, median

#: what each sweep probe answers on a healthy deployment of either API generation
PROBE_EXPECTED = {
    "health": {200},
    "health_alb": {200, 401, 404},
    "health_mlflow": {200, 404},
    "api_health_mlflow": {200, 401},
    "api_health_mlflow_keyed": {200},
    "ready": {200, 401},
    "ready_keyed": {200},
    "version": {200, 401},
    "version_keyed": {200},
    "openapi": {200},
    "read_without_key": {401},
    "read_with_key": {200},
    "read_with_unknown_key": {401, 403},
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

#: a refusal of a key (not of what the key asks for): the statuses HTTP gives "who are you?" and "not you"
KEY_REFUSALS = (401, 403)
#: the API's refusals of what a known key asks for (payment, a scope, a role), by the contract's names
NOT_ABOUT_THE_KEY = {"write_scope_missing", "registry_role_missing", "balance_used_up", "debit_refused"}
AUTH_SITUATIONS = {"auth_service_error", "auth_service_unavailable", "auth_service_timeout"}
#: words health documents use for a dependency that works (or that was not checked on purpose)
FINE = {"healthy", "ok", "up", "connected", "available", "skipped", "disabled", "not_configured", "true", "pass"}


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


def _either(found: list[Exchange], note: str = "") -> Fact:
    return _yes(found, note) if found else _no()


def broken_promise(e: Exchange) -> str | None:
    """What an answer breaks of HTTP's promises to every client (RFC 9110-9112), or None."""
    if e.status is None:
        return None
    if e.error_kind == "incomplete-body":
        return "its body ended before the length or the last chunk it announced"
    if e.error_kind == "undecodable-body":
        return "its body did not decode with the content coding it declared"
    if 300 <= e.status < 400 and e.status != 304 and not e.response_headers.get("location"):
        return f"a {e.status} redirect without a Location to go to"
    if (
        e.status < 300
        and "json" in e.content_type.lower()
        and e.body_prefix.strip()
        and len(e.body_prefix) < BODY_PREFIX
        and json_body(e) is None
        and e.body_prefix.strip() != "null"
    ):
        return "it declares JSON, but its body is not JSON"
    return None


class View:
    """The run's evidence indexed for the facts: who answered each call, which situation of the contract
    each answer is, and how long the deployment takes to answer promptly."""

    def __init__(self, evidence: RunEvidence):
        self.evidence = evidence
        self.probes = evidence.probes
        self.answers = situations.load()
        everything = evidence.all_exchanges()
        # requests generated from the contract are malformed on purpose: only the generated-request facts read
        # them (a server error there is a failure on bad input, not an outage of what answered)
        self.exchanges = [e for e in everything if e.actor != Actor.GENERATED_REQUEST]
        self.generated = [e for e in everything if e.actor == Actor.GENERATED_REQUEST]
        first = {id(e): who_answered(e) for e in everything}
        # the API's own answers carry its server's header; an error page whose header differs came from a hop
        # in front of it, and a bare answer on the proxy with the API's header was relayed from behind it
        self.api_servers = {e.server for e in everything if first[id(e)] == Who.API and e.server}
        # the API's own Server header, from its answers off the proxy (where it relays nothing)
        self.own_servers = {e.server for e in everything if first[id(e)] == Who.API and e.server and not on_proxy(e)}
        self._who = {id(e): self._refine(e, first[id(e)]) for e in everything}
        self._named = {id(e): self.answers.name(e, self._who[id(e)]) for e in everything}

    def _refine(self, e: Exchange, guess: str) -> str:
        if guess == Who.API and self._relayed(e):
            return Who.MLFLOW
        if guess != Who.OTHER or e.status is None:
            return guess
        if e.server and e.server in self.api_servers:
            return Who.MLFLOW if on_proxy(e) and e.answered_by != AnswerKind.GATEWAY_JSON else Who.API
        if (
            self.api_servers
            and e.status in (502, 503, 504)
            and e.answered_by
            in (
                AnswerKind.HTML,
                AnswerKind.PLAIN_TEXT,
                AnswerKind.EMPTY,
                AnswerKind.NON_JSON,
            )
        ):
            # a gateway error (RFC 9110: 502, 503, 504) without the API's header and not JSON: a hop in front of
            # the API speaks of its upstream
            return Who.LOAD_BALANCER
        return guess

    def _relayed(self, e: Exchange) -> bool:
        """A proxy answer whose Server header is the API's own with another value before it: the API passed on the
        header of what answered behind it and added its own (what this run's answers off the proxy carry)."""
        if not on_proxy(e) or not e.server or e.server in self.own_servers:
            return False
        return any(e.server.endswith(", " + own) for own in self.own_servers)

    @cached_property
    def _alone(self) -> set[int]:
        """The calls that started while no other call of the run was in flight."""
        alone: set[int] = set()
        latest_end = float("-inf")
        for e in sorted(self.exchanges, key=lambda x: x.started_at):
            if e.started_at > latest_end:
                alone.add(id(e))
            latest_end = max(latest_end, e.started_at + e.elapsed_ms / 1000)
        return alone

    def alone(self, e: Exchange) -> bool:
        return id(e) in self._alone

    def who(self, exchange: Exchange) -> str:
        found = self._who.get(id(exchange))
        return found if found is not None else who_answered(exchange)

    def named(self, exchange: Exchange) -> str | None:
        """The situation of the contract an answer is (``contract/answers.yaml``), or None."""
        if id(exchange) in self._named:
            return self._named[id(exchange)]
        return self.answers.name(exchange, self.who(exchange))

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
    def prompt_ms(self) -> float:
        """How long the deployment takes to answer when it answers at once: the median of the API's
        refusals of calls without a key (no dependency is asked for those)."""
        refusals = [
            e.elapsed_ms for e in self.unkeyed if e.status in KEY_REFUSALS and self.who(e) == Who.API and on_proxy(e)
        ]
        return median(refusals) if refusals else 50.0

    def waited(self, e: Exchange) -> bool:
        """The answer came only after a wait: far longer than the deployment's prompt answers."""
        return e.elapsed_ms >= max(1000.0, 10 * self.prompt_ms)

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

    def expected(self, e: Exchange) -> bool:
        """An answer its step, the contract or MLflow's ordinary flows call normal. The step expects it from the
        product: a hop in front of it never gives what the step meant, and nor does the API's own 404 on the
        proxy (there a 404 is MLflow's "no such thing"; the API's means the route is missing)."""
        who = self.who(e)
        if e.status in e.expected:
            missing_route = who == Who.API and on_proxy(e) and e.status == 404
            return who not in (Who.LOAD_BALANCER, Who.OTHER, Who.NOTHING) and not missing_route
        return self.answers.is_routine(e, who)

    def trouble(self) -> list[Exchange]:
        """Answers that differ from what their caller expected: probes that deviate from what a healthy
        deployment answers; server errors and silences anywhere; other error answers inside failing
        scenarios. Expected answers (a 404 from an existence check, "already exists" on a create-if-absent,
        whatever a step declared) are never trouble, so a healthy run has none by construction."""
        found = []
        for name, probe in self.probes.items():
            expected = PROBE_EXPECTED.get(name, {200})
            if name == "mlflow_version" and self.who(probe) in (Who.MLFLOW, Who.MLFLOW_VIA_API):
                expected = {200, 404}  # MLflow itself has no /version page behind this proxy: not every proxy passes it
            if probe.error_kind == "not-attempted":
                continue
            if (
                probe.status not in expected
                or (looks_like_registry(probe) and not probe.keyed)
                or broken_promise(probe)
            ):
                found.append(probe)
        failing = self.failing_scenario_names
        for e in self.exchanges:
            if e.scenario == "sweep" or e.error_kind == "not-attempted" or self.expected(e):
                continue
            if broken_promise(e):
                found.append(e)
                continue
            if e.status is not None and e.status < 400:
                continue
            if e.scenario == "cleanup":
                # cleanup's errors matter when something was left behind
                if self.evidence.leftovers:
                    found.append(e)
            elif e.status is None or e.status >= 500 or e.scenario in failing:
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


def _named(v: View, exchanges: Iterable[Exchange], *names: str) -> list[Exchange]:
    return [e for e in exchanges if v.named(e) in names]


# ------------------------------------------------------------------ transport and routing


@fact("nothing_accepts_connections", "no connection to the target could be opened (refused or no DNS name)")
def _nothing_accepts(v: View) -> Fact:
    if not v.probes and not v.exchanges:
        return UNKNOWN
    if any(e.status is not None for e in v.exchanges):
        return _no()
    return _either([e for e in v.exchanges if e.error_kind in ("refused", "dns")])


@fact("target_hangs", "connections to the target are accepted but nothing answers in time")
def _target_hangs(v: View) -> Fact:
    silent = [e for e in v.exchanges if e.error_kind in ("connect-timeout", "read-timeout")]
    if v.answered_by(Who.API, Who.MLFLOW, Who.MLFLOW_VIA_API):
        return _no()
    return _yes(silent) if len(silent) >= 2 else _no()


@fact("api_answered", "the Hokusai API itself answered at least one call")
def _api_answered(v: View) -> Fact:
    return _either(v.answered_by(Who.API))


@fact("mlflow_answered", "MLflow answered at least one call (its JSON, its pages or its data)")
def _mlflow_answered(v: View) -> Fact:
    return _either(v.answered_by(Who.MLFLOW, Who.MLFLOW_VIA_API))


@fact("mlflow_served_data", "MLflow served data through the proxy (a 2xx answer it produced)")
def _mlflow_served(v: View) -> Fact:
    return _either([e for e in v.answered_by(Who.MLFLOW) if e.status is not None and e.status < 300])


@fact("mlflow_served_on_api_mount", "MLflow served data under /api/mlflow (the mount the contract documents)")
def _mlflow_on_api_mount(v: View) -> Fact:
    return _either(
        [
            e
            for e in v.answered_by(Who.MLFLOW)
            if e.status is not None and e.status < 300 and e.route.startswith("/api/mlflow/")
        ]
    )


def _distinct_routes(exchanges: list[Exchange]) -> int:
    return len({e.route for e in exchanges})


def _one_answer_everywhere(v: View, statuses: tuple[int, ...], waited: bool | None = None) -> list[Exchange]:
    """Nothing answered like the API or MLflow, and one and the same answer (status, type, body) came back on
    the health path and the proxy, with and without a key: whatever terminates the connection answers alone,
    however it words or formats its page."""
    if v.answered_by(Who.API, Who.MLFLOW, Who.MLFLOW_VIA_API):
        return []
    same = [
        e
        for e in v.exchanges
        if e.status in statuses
        and v.who(e) in (Who.OTHER, Who.LOAD_BALANCER)
        and (waited is None or v.waited(e) is waited)
    ]
    shapes = {(e.status, e.content_type, e.body_prefix[:200]) for e in same}
    routes = {e.route for e in same}
    # the same answer to calls the API would answer differently: several paths, or one path with and without a
    # key (the calls after the first few may not have been sent: the outage was pinned)
    keyed_and_not = any(e.keyed for e in same) and any(not e.keyed for e in same)
    if len(shapes) == 1 and len(same) >= 2 and (len(routes) >= 3 or keyed_and_not):
        return same
    return []


EVERYWHERE = "the same answer on every path, with and without a key, and nothing else answered"


@fact("lb_503_pages", "the load balancer answers 503 itself (no healthy target) on several paths")
def _lb_503(v: View) -> Fact:
    pages = [e for e in v.answered_by(Who.LOAD_BALANCER) if e.status == 503 and not v.waited(e)]
    if _distinct_routes(pages) >= 2:
        return _yes(pages)
    alone = _one_answer_everywhere(v, (503,), waited=False)
    return _yes(alone, note=EVERYWHERE) if alone else _no()


def _lb_gateway_pages(v: View) -> list[Exchange]:
    return [e for e in v.answered_by(Who.LOAD_BALANCER) if e.status in (502, 504)]


@fact(
    "lb_pages_at_once",
    "the load balancer answers 502/504 itself at once (its target refuses or crashes) on several paths",
)
def _lb_at_once(v: View) -> Fact:
    pages = [e for e in _lb_gateway_pages(v) if not v.waited(e)]
    if _distinct_routes(pages) >= 2:
        return _yes(pages)
    alone = _one_answer_everywhere(v, (502, 504), waited=False)
    return _yes(alone, note=EVERYWHERE) if alone else _no()


@fact(
    "lb_pages_after_waiting",
    "the load balancer answers 502/504 only after waiting for its target (the target never answers)",
)
def _lb_after_wait(v: View) -> Fact:
    pages = [e for e in _lb_gateway_pages(v) if v.waited(e)] or _one_answer_everywhere(v, (502, 504), waited=True)
    value = cluster([e.elapsed_ms for e in pages])
    return _yes(pages, note=f"each after about {value / 1000:.1f} s" if value else "") if pages else _no()


@fact("lb_plain_404", "a fixed 404 that is not the API's (no routing rule) answers several paths")
def _lb_404(v: View) -> Fact:
    pages = [e for e in v.answered_by(Who.LOAD_BALANCER) if e.status == 404]
    if _distinct_routes(pages) >= 2 or len(pages) >= 3:
        return _yes(pages)
    alone = _one_answer_everywhere(v, (404,))
    return _yes(alone, note=EVERYWHERE) if alone else _no()


@fact("mlflow_pages_on_api_mount", "MLflow's own HTML 404 page answers /api/mlflow paths, key or no key")
def _flask_on_api(v: View) -> Fact:
    pages = [e for e in v.exchanges if e.answered_by == AnswerKind.FLASK_HTML_404 and e.route.startswith("/api/")]
    if pages and any(e.keyed for e in pages) and any(not e.keyed for e in pages):
        return _yes(pages)
    return _yes(pages) if len(pages) >= 3 else _no()


def _is_health_document(data: object) -> bool:
    return isinstance(data, dict) and "status" in data and "services" in data


@fact("hokusai_health_document", "/health answers the Hokusai health document (status and services)")
def _health_doc(v: View) -> Fact:
    probe = v.probe("health")
    if probe is None or probe.status is None:
        return UNKNOWN
    return _yes([probe]) if _is_health_document(json_body(probe)) else _no()


@fact("foreign_health_answer", "/health answers 2xx, but not with the Hokusai health document")
def _foreign(v: View) -> Fact:
    probe = v.probe("health")
    if probe is None or probe.status is None:
        return UNKNOWN
    if probe.status >= 300 or _is_health_document(json_body(probe)):
        return _no()
    return _yes([probe])


#: the dependencies the contract's /health document reports on (features/health: "mlflow" and "redis")
HEALTH_DEPENDENCIES = ("mlflow", "redis")


@fact(
    "health_names_no_dependency",
    "/health answers its health document without a word on any dependency the contract names (MLflow, Redis)",
)
def _no_dependency(v: View) -> Fact:
    # the sweep's probe, else a scenario's read of /health (the sweep may not have run)
    probe = v.probe("health")
    reads = [e for e in ([probe] if probe is not None else []) + v.exchanges if e.route == "/health"]
    documents = [e for e in reads if e.status == 200 and _services_of(json_body(e)) is not None]
    if not documents:
        return UNKNOWN
    services = _services_of(json_body(documents[0])) or set()
    if services & set(HEALTH_DEPENDENCIES):
        return _no()
    # every read of the same document shows the same thing
    return _yes([e for e in documents if _services_of(json_body(e)) == services])


def _services_of(document: object) -> set[str] | None:
    services = document.get("services") if isinstance(document, dict) else None
    return {str(k).lower() for k in services} if isinstance(services, dict) else None


# ------------------------------------------------------------------ the API and its auth service


@fact("no_key_refused_by_api", "a call without a key is refused by the API (401/403)")
def _no_key(v: View) -> Fact:
    return _either([e for e in v.unkeyed if on_proxy(e) and e.status in KEY_REFUSALS and v.who(e) == Who.API])


@fact("no_key_refused_on_api_mount", "a call without a key under /api/mlflow is refused by the API")
def _no_key_api_mount(v: View) -> Fact:
    return _either(
        [
            e
            for e in v.unkeyed
            if e.route.startswith("/api/mlflow/") and e.status in KEY_REFUSALS and v.who(e) == Who.API
        ]
    )


def _unknown_key_answer(v: View) -> Exchange | None:
    probe = v.probe("read_with_unknown_key")
    return probe if probe is not None and probe.status is not None else None


def _same_answer(v: View, a: Exchange, b: Exchange) -> bool:
    return (
        a.status == b.status
        and v.who(a) == v.who(b)
        and (v.named(a) == v.named(b) if v.named(a) or v.named(b) else a.body_prefix[:200] == b.body_prefix[:200])
    )


def _like_unknown_key(v: View) -> tuple[list[Exchange], Exchange | None]:
    """The configured key's calls the API answered exactly as it answers a key it never issued."""
    unknown = _unknown_key_answer(v)
    if unknown is None or v.who(unknown) != Who.API or unknown.status is None or unknown.status < 400:
        return [], unknown
    same = [
        e
        for e in v.valid_keyed_anywhere
        if v.who(e) == Who.API and _same_answer(v, e, unknown) and v.named(e) not in NOT_ABOUT_THE_KEY
    ]
    return same, unknown


@fact(
    "key_refused_like_unknown_key",
    "the configured key is refused exactly as a key Hokusai never issued is refused",
)
def _refused_like_unknown(v: View) -> Fact:
    same, unknown = _like_unknown_key(v)
    if unknown is None:
        return UNKNOWN
    refused = [e for e in same if e.status in KEY_REFUSALS and v.named(e) not in AUTH_SITUATIONS]
    return _yes([*refused, unknown]) if refused and not _past_auth_list(v) else _no()


@fact(
    "validation_broken",
    "the API fails every key alike, issued or not, with an answer that is not a refusal (it cannot validate keys)",
)
def _validation_broken(v: View) -> Fact:
    same, unknown = _like_unknown_key(v)
    named = _named(v, v.valid_keyed_anywhere, *AUTH_SITUATIONS)
    broken = [e for e in same if e.status not in KEY_REFUSALS or v.named(e) in AUTH_SITUATIONS]
    if broken and unknown is not None:
        return _yes([*broken, unknown])
    if named:
        return _yes(named, note="the API's own words name its auth service")
    return UNKNOWN if unknown is None else _no()


@fact("validation_waits", "the API's failures to validate keys come only after a wait (a time limit on that hop)")
def _validation_waits(v: View) -> Fact:
    broken = _validation_broken(v)
    if broken.holds is not True:
        return _no() if broken.holds is False else UNKNOWN
    # a failure the API names as its auth service's error was answered by that service, however long it took;
    # calls made while others were in flight may have waited in a queue, not on the auth service
    judged = [e for e in broken.evidence if v.named(e) != "auth_service_error"]
    judged = [e for e in judged if v.alone(e)] or judged
    slow = [e for e in judged if v.waited(e)]
    value = cluster([e.elapsed_ms for e in slow])
    # most failures wait (a time limit makes them all wait; a burst of calls queued makes only some wait)
    if slow and len(slow) >= 0.6 * len(judged):
        return _yes(slow, note=f"each after about {value / 1000:.1f} s" if value else "")
    return _no()


@fact("valid_key_refused_as_invalid", "the configured key is refused as invalid or expired (the contract's words)")
def _key_invalid(v: View) -> Fact:
    return _either(_named(v, v.valid_keyed_anywhere, "key_refused"))


@fact("auth_service_error_reported", "the API says its auth service failed (the contract's words)")
def _auth_error(v: View) -> Fact:
    return _either(_named(v, v.valid_keyed_anywhere, "auth_service_error"))


@fact("auth_service_unavailable_reported", "the API says it cannot connect to its auth service (the contract's words)")
def _auth_unavailable(v: View) -> Fact:
    return _either(_named(v, v.valid_keyed_anywhere, "auth_service_unavailable"))


@fact("auth_service_timeout_reported", "the API says its auth service did not answer in time (the contract's words)")
def _auth_timeout(v: View) -> Fact:
    found = _named(v, v.valid_keyed_anywhere, "auth_service_timeout")
    return _yes(found, note=f"after {max(e.elapsed_ms for e in found) / 1000:.1f} s") if found else _no()


@fact("auth_rate_limit_as_401", "the configured key gets 401 for a rate limit (a 429 reported as 401)")
def _rate_401(v: View) -> Fact:
    found = [e for e in _named(v, v.valid_keyed_anywhere, "rate_limited") if e.status == 401]
    if found:
        return _yes(found)
    direct = _auth_direct_429(v)
    refused = [
        e
        for e in v.valid_keyed_anywhere
        if e.status == 401 and v.who(e) == Who.API and v.named(e) not in AUTH_SITUATIONS
    ]
    if direct.holds and refused:
        return _yes([*refused, *direct.evidence], note="the auth service itself answers 429")
    return _no()


@fact("key_over_its_limit", "the API answers the configured key 429: its quota is used up")
def _rate_429(v: View) -> Fact:
    return _either([e for e in v.valid_keyed_anywhere if e.status == 429 and v.who(e) == Who.API])


@fact("auth_service_accepts_key", "the auth service, asked directly, says the configured key is valid")
def _auth_direct_ok(v: View) -> Fact:
    probe = v.probe("auth_direct")
    if probe is None or probe.error_kind == "not-attempted":
        return UNKNOWN
    data = json_body(probe)
    return _yes([probe]) if probe.status == 200 and isinstance(data, dict) and data.get("is_valid") else _no()


@fact("auth_service_refuses_key", "the auth service, asked directly, refuses the configured key")
def _auth_direct_refuses(v: View) -> Fact:
    probe = v.probe("auth_direct")
    if probe is None or probe.error_kind == "not-attempted":
        return UNKNOWN
    return _yes([probe]) if probe.status in KEY_REFUSALS else _no()


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


def _past_auth_list(v: View) -> list[Exchange]:
    return [
        e
        for e in v.valid_keyed
        if v.who(e) in (Who.MLFLOW, Who.MLFLOW_VIA_API)
        or v.named(e)
        in {"write_scope_missing", "registry_role_missing", *situations.DEPENDENCY_SITUATIONS} - AUTH_SITUATIONS
    ]


@fact(
    "key_gets_past_auth",
    "some call with the configured key got past authentication (MLflow, or the proxy, answered it)",
)
def _past_auth(v: View) -> Fact:
    return _either(_past_auth_list(v))


@fact(
    "unknown_key_refused",
    "a key Hokusai never issued is refused (401/403) by the API: the API can validate keys",
)
def _unknown_refused(v: View) -> Fact:
    unknown = _unknown_key_answer(v)
    if unknown is None:
        return UNKNOWN
    return _yes([unknown]) if unknown.status in KEY_REFUSALS and v.who(unknown) == Who.API else _no()


PROBE_ROUTES = ("/ready", "/live", "/version", "/metrics", "/api/health/mlflow", "/api/health")


@fact("probes_need_key", "monitoring probes (/ready, /live, /version, /api/health/mlflow) answer 401 without a key")
def _probes_key(v: View) -> Fact:
    probes = [e for e in v.unkeyed if e.route in PROBE_ROUTES and e.status is not None]
    refused = [e for e in probes if e.status in KEY_REFUSALS]
    return _yes(refused) if refused else (_no() if probes else UNKNOWN)


def _fine(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, dict):
        inner = value.get("status", value.get("state"))
        return True if inner is None else _fine(inner)
    return str(value).strip().lower() in FINE


def _not_healthy(data: object) -> bool:
    if not isinstance(data, dict) or "status" not in data:
        return False
    services: dict[str, Any] = data["services"] if isinstance(data.get("services"), dict) else {}
    return not _fine(data.get("status")) or any(not _fine(s) for s in services.values())


@fact("health_200_while_not_healthy", "/health answers 200 while its own document says it is not healthy")
def _health_lies(v: View) -> Fact:
    answers = [e for e in v.exchanges if e.route == "/health" and e.status is not None]
    if not answers:
        return UNKNOWN
    return _either([e for e in answers if e.status == 200 and _not_healthy(json_body(e))])


def _health_service(*names: str) -> Callable[[View], Fact]:
    def check(v: View) -> Fact:
        probe = v.probe("health")
        services = v.health.get("services")
        if probe is None or not isinstance(services, dict):
            return UNKNOWN
        present = [n for n in names if n in services]
        if not present:
            return UNKNOWN
        bad = [n for n in present if not _fine(services[n])]
        return _yes([probe], note=", ".join(f"{n}: {services[n]}" for n in bad)) if bad else _no()

    return check


for _fact, _names, _meaning in (
    ("redis", ("redis", "cache"), "the validation cache (Redis)"),
    ("postgres", ("postgres", "database", "db"), "the API's database"),
    ("mlflow", ("mlflow",), "MLflow"),
    ("message_queue", ("message_queue", "queue"), "the message queue"),
):
    fact(f"health_reports_{_fact}_unhealthy", f"/health reports {_meaning} unhealthy")(_health_service(*_names))


@fact("health_reports_mlflow_disconnected", "/health/mlflow reports MLflow not connected")
def _mlflow_disconnected(v: View) -> Fact:
    probe = v.probe("health_mlflow")
    data = json_body(probe) if probe is not None else None
    if probe is None or not isinstance(data, dict) or "connected" not in data:
        return UNKNOWN
    return _yes([probe]) if data.get("connected") is False else _no()


MLFLOW_SELF_REPORTS = ("/health/mlflow", "/api/health/mlflow", "/ready")


def _reports_mlflow_down(e: Exchange) -> bool:
    data = json_body(e)
    if e.route == "/health/mlflow" and isinstance(data, dict) and data.get("connected") is False:
        return True
    if e.route in ("/api/health/mlflow", "/ready") and e.status is not None and e.status >= 500:
        return True
    services = data.get("services") if isinstance(data, dict) else None
    return (
        e.route == "/health" and isinstance(services, dict) and "mlflow" in services and not _fine(services["mlflow"])
    )


def _reports_mlflow_up(e: Exchange) -> bool:
    data = json_body(e)
    if e.status != 200 or not isinstance(data, dict):
        return False
    if e.route == "/health/mlflow":
        return data.get("connected") is True
    if e.route == "/api/health/mlflow":
        return _fine(data.get("status"))
    services = data.get("services")
    return e.route == "/health" and isinstance(services, dict) and "mlflow" in services and _fine(services["mlflow"])


@fact(
    "health_probes_report_mlflow_down",
    "the API's own view of MLflow (its health probes) says MLflow is down",
)
def _probes_mlflow_down(v: View) -> Fact:
    return _either([e for e in v.exchanges if _reports_mlflow_down(e)])


@fact(
    "health_probes_report_mlflow_up",
    "the API's own view of MLflow (its health probes) says it reaches MLflow",
)
def _probes_mlflow_up(v: View) -> Fact:
    up = [e for e in v.exchanges if _reports_mlflow_up(e)]
    if not up:
        asked = [e for e in v.exchanges if e.route in (*MLFLOW_SELF_REPORTS, "/health") and e.status is not None]
        return _no() if asked else UNKNOWN
    return _no() if any(_reports_mlflow_down(e) for e in v.exchanges) else _yes(up)


@fact("proxy_mount_missing", "authenticated /api/mlflow calls get the API's own 404 while keyless calls are refused")
def _mount_missing(v: View) -> Fact:
    return _either(
        [
            e
            for e in v.valid_keyed
            if e.route.startswith("/api/mlflow/") and e.status == 404 and v.who(e) == Who.API and not v.expected(e)
        ]
    )


@fact("writes_refused_for_scope", "writes with the configured key are refused 403 by the API")
def _scope(v: View) -> Fact:
    return _either([e for e in v.valid_keyed if is_write(e) and e.status == 403 and v.who(e) == Who.API])


@fact("registry_reads_refused_403", "reads of the registry with the configured key are refused 403 by the API")
def _registry_reads_refused(v: View) -> Fact:
    return _either(
        [e for e in v.valid_keyed if e.method == "GET" and e.status == 403 and on_proxy(e) and v.who(e) == Who.API]
    )


#: the personas that stand for ordinary developers other than the run's own key (not a registry admin)
OTHER_DEVELOPERS = ("read-only", "second developer", "rotated", "no balance")


@fact(
    "other_keys_refused_registry_role",
    "another developer's key the run was given besides its own is refused a registry read for want of a registry role",
)
def _others_role(v: View) -> Fact:
    return _either(
        [
            e
            for e in v.exchanges
            if e.keyed
            and e.actor in OTHER_DEVELOPERS
            and e.method == "GET"
            and on_proxy(e)
            and e.status == 403
            and v.who(e) == Who.API
            and v.named(e) == "registry_role_missing"
        ]
    )


@fact("calls_refused_for_payment", "the API refuses the configured key's calls 402 (its balance or billing)")
def _payment(v: View) -> Fact:
    return _either([e for e in v.valid_keyed_anywhere if e.status == 402 and v.who(e) == Who.API])


@fact("reads_work_with_key", "reads with the configured key are served by MLflow")
def _reads_work(v: View) -> Fact:
    return _either([e for e in v.valid_keyed if not is_write(e) and e.status == 200 and v.who(e) == Who.MLFLOW])


@fact("writes_refused_401_with_key", "writes that carry the configured key are refused 401 while reads with it work")
def _writes_401(v: View) -> Fact:
    return _either([e for e in v.valid_keyed if is_write(e) and e.status == 401])


def _accepted_write(v: View, actor: str) -> list[Exchange]:
    return [
        e
        for e in v.exchanges
        if e.actor == actor
        and e.keyed
        and on_proxy(e)
        and is_write(e)
        and e.status is not None
        and 200 <= e.status < 300
    ]


@fact(
    "key_form_refused_behind_api",
    "the key sent in another form than a Bearer header passes the API but is refused behind it, while the same "
    "key as a Bearer header works",
)
def _form_behind(v: View) -> Fact:
    keyed = [e for e in v.valid_keyed if on_proxy(e) and e.status is not None]
    works = {(e.method, e.route) for e in keyed if e.key_form == "bearer" and 200 <= e.status < 300}  # type: ignore[operator]
    if not works:
        return UNKNOWN
    refused = [
        e
        for e in keyed
        if e.key_form not in ("bearer", "")
        and e.status == 401
        and (e.method, e.route) in works  # the same call with the key as a Bearer header was answered
        and v.who(e) in (Who.MLFLOW, Who.MLFLOW_VIA_API)
    ]
    forms = sorted({e.key_form for e in refused})
    return _either(refused, note="refused behind the API: " + ", ".join(forms) if forms else "")


@fact("read_only_key_wrote", "a read-only key's write was accepted (no scope enforcement)")
def _ro_wrote(v: View) -> Fact:
    found = _accepted_write(v, "read-only")
    # a developer's own MLflow, set up with the read-only key, registered a model: the read-back finds it
    for mark in v.marks(Marker.KEY_THAT_MUST_NOT_WRITE_WROTE):
        if mark.note == "read-only":
            found += mark.exchanges
    return _either(found)


@fact("foreign_write_accepted", "a developer's write to another developer's model, run or experiment was accepted")
def _foreign_write(v: View) -> Fact:
    return _either(_accepted_write(v, Actor.ON_ANOTHERS_MODEL))


@fact("token_claim_accepted", "a developer put another developer's token id on their own model version")
def _token_claim(v: View) -> Fact:
    return _either(_accepted_write(v, Actor.CLAIMING_ANOTHERS_TOKEN))


@fact("registry_records_no_owner", "a read-back of a registered model and its versions found no owner recorded")
def _no_owner(v: View) -> Fact:
    marks = v.marks(Marker.NO_OWNER_RECORDED)
    return _yes([e for mark in marks for e in mark.exchanges]) if marks else _no()


# ------------------------------------------------------------------ MLflow behind the proxy


def _behind_auth_failures(v: View) -> list[Exchange]:
    """The configured key's proxy calls the API itself failed (5xx) after it accepted the key: the
    failure is on the way to MLflow, not at the front door nor in key validation."""
    return [
        e
        for e in v.valid_keyed
        if e.status is not None
        and e.status >= 500
        and v.who(e) == Who.API
        and v.named(e) not in AUTH_SITUATIONS
        and not is_artifact(e)
    ]


def _validation_works(v: View) -> bool:
    return _unknown_refused(v).holds is True or bool(_past_auth_list(v))


@fact(
    "mlflow_unreachable_from_api",
    "the API answers at once that it cannot reach MLflow, after accepting the key",
)
def _mlflow_unreachable(v: View) -> Fact:
    named = _named(v, v.valid_keyed_anywhere, "mlflow_unreachable")
    if named:
        return _yes(named)
    failing = [e for e in _behind_auth_failures(v) if e.status in (502, 503) and not v.waited(e) and not v.named(e)]
    if failing and _validation_works(v) and not v.answered_by(Who.MLFLOW, Who.MLFLOW_VIA_API):
        return _yes(failing, note="its answers do not name the cause; the status and promptness do")
    return _no()


@fact("registry_calls_hang", "calls with the key time out on the proxy while calls without a key are refused promptly")
def _registry_hangs(v: View) -> Fact:
    silent = [e for e in v.valid_keyed if e.error_kind == "read-timeout"]
    prompt = [e for e in v.unkeyed if on_proxy(e) and e.status in KEY_REFUSALS and not v.waited(e)]
    return _yes(silent + prompt[:1]) if silent and prompt else _no()


DEPENDENCY_PROBES = ("/health", "/health/mlflow", "/api/health/mlflow", "/ready")


@fact("health_stalls_the_api", "while a health check waits on a dependency, calls that are normally prompt stall too")
def _health_stalls(v: View) -> Fact:
    slow_checks = [
        e for e in v.exchanges if e.route in DEPENDENCY_PROBES and (e.error_kind == "read-timeout" or v.waited(e))
    ]
    if not slow_checks:
        return _no()
    prompt_elsewhere: dict[tuple[Any, ...], float] = {}
    for e in v.exchanges:
        if e.status is not None and e.route not in DEPENDENCY_PROBES:
            key = (e.method, e.route, e.keyed, e.actor)
            prompt_elsewhere[key] = min(prompt_elsewhere.get(key, 1e9), e.elapsed_ms)
    stalled = []
    for check in slow_checks:
        start, end = check.started_at, check.started_at + check.elapsed_ms / 1000 + 30
        for e in v.exchanges:
            if e is check or e.route in DEPENDENCY_PROBES or not start <= e.started_at <= end:
                continue
            slow = e.error_kind == "read-timeout" or v.waited(e)
            quickest = prompt_elsewhere.get((e.method, e.route, e.keyed, e.actor), 1e9)
            if slow and quickest < max(1000.0, 10 * v.prompt_ms):  # the same call, by the same key, was prompt
                stalled.append(e)
    return _yes(slow_checks + stalled) if stalled else _no()


@fact("api_proxy_internal_error", "the API itself answers 500 on proxied calls (its own failure while proxying)")
def _proxy_500(v: View) -> Fact:
    named = _named(v, v.exchanges, "proxy_internal_error")
    return _either(named or [e for e in _behind_auth_failures(v) if e.status == 500])


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


@fact(
    "mlflow_server_2x",
    "the MLflow server behind the proxy says it is a 2.x server (its /version), and no MLflow 3 route served",
)
def _mlflow_2x(v: View) -> Fact:
    identity = identify(v.evidence)
    shown = v.probe("mlflow_version")
    if identity.mlflow_generation == "2.x" and shown is not None:
        return _yes([shown], note=f"MLflow {identity.mlflow_server_version}")
    return _no() if identity.mlflow_generation == "3.x" else UNKNOWN


@fact("mlflow_client_3x", "the suite's MLflow client (what developers install today) is MLflow 3")
def _client_3(v: View) -> Fact:
    version = str(v.evidence.client.get("mlflow", ""))
    return UNKNOWN if not version else (_yes([], note=f"MLflow client {version}") if version.startswith("3") else _no())


@fact("logged_models_missing", "MLflow answers 404 on the logged-models API an MLflow 3 client needs")
def _logged_models(v: View) -> Fact:
    return _either(
        [
            e
            for e in v.valid_keyed
            if "/logged-models" in e.route and e.status == 404 and v.who(e) in (Who.MLFLOW, Who.MLFLOW_VIA_API)
        ]
    )


@fact("artifacts_disabled_answer", "artifact calls are refused by the API itself while tracking works")
def _artifacts_disabled(v: View) -> Fact:
    named = _named(v, v.exchanges, "artifacts_disabled")
    if named:
        return _yes(named)
    refused = [
        e
        for e in v.exchanges
        if is_artifact(e)
        and e.keyed
        and e.status is not None
        and e.status >= 400
        and e.status not in (401, 402, 403, 404)
        and v.who(e) == Who.API
        and not v.waited(e)
    ]
    return _yes(refused) if refused and _tracking(v).holds else _no()


@fact("artifact_calls_404_ajax", "artifact calls get 404 for an ajax-api path (they were sent to the public form)")
def _hairpin(v: View) -> Fact:
    return _either([e for e in v.exchanges if is_artifact(e) and e.status == 404 and "/ajax-api/" in e.body_prefix])


@fact("artifact_calls_fail_5xx", "artifact upload/download/listing fails with a server error from MLflow")
def _artifact_5xx(v: View) -> Fact:
    return _either(
        [
            e
            for e in v.exchanges
            if is_artifact(e)
            and e.keyed
            and e.status is not None
            and e.status >= 500
            and v.who(e) in (Who.MLFLOW, Who.OTHER)
            and v.named(e) is None
        ]
    )


@fact("artifact_calls_work", "an artifact upload or download with the key was served")
def _artifacts_work(v: View) -> Fact:
    # a listing of an absent folder answers {} even when the store is broken: only files count
    return _either(
        [
            e
            for e in v.exchanges
            if is_artifact(e) and e.keyed and e.status == 200 and not e.route.rstrip("/").endswith("/artifacts")
        ]
    )


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
        if state is not None and not _fine(state):
            found.append(e)
    return _either(found)


@fact("tracking_works", "tracking calls with the key (experiments, runs) are served by MLflow")
def _tracking(v: View) -> Fact:
    return _either(
        [
            e
            for e in v.valid_keyed
            if not is_artifact(e) and e.status is not None and 200 <= e.status < 300 and v.who(e) == Who.MLFLOW
        ]
    )


def _api_timeouts(v: View, artifacts: bool) -> list[Exchange]:
    """Calls the API answered 504 itself (HTTP's "the gateway's upstream did not answer in time")."""
    return [
        e
        for e in v.exchanges
        if is_artifact(e) is artifacts and e.status == 504 and v.who(e) == Who.API and v.named(e) not in AUTH_SITUATIONS
    ]


@fact("large_artifacts_time_out", "artifact calls end in the API's 504 (its time limit towards MLflow)")
def _large(v: View) -> Fact:
    return _either(_api_timeouts(v, artifacts=True))


@fact("small_calls_time_out", "non-artifact calls also end in the API's 504 (its time limit towards MLflow)")
def _small_timeouts(v: View) -> Fact:
    found = _api_timeouts(v, artifacts=False)
    value = cluster([e.elapsed_ms for e in found])
    return _yes(found, note=f"each after about {value / 1000:.1f} s" if value else "") if found else _no()


@fact(
    "delete_body_lost",
    "a DELETE sent with its JSON body reaches MLflow without it (MLflow asks for the parameters the body held)",
)
def _delete_body(v: View) -> Fact:
    return _either(
        [
            e
            for e in v.exchanges
            if e.method == "DELETE"
            and e.request_sent_body
            and (v.named(e) == "delete_body_lost" or (e.status == 400 and error_code(e) == "INVALID_PARAMETER_VALUE"))
        ]
    )


@fact("deletes_work", "a DELETE with the key and a JSON body was served")
def _deletes_work(v: View) -> Fact:
    # a DELETE without a body (an artifact's) says nothing about whether bodies get through
    return _either(
        [
            e
            for e in v.valid_keyed
            if e.method == "DELETE" and e.request_sent_body and e.status is not None and e.status < 300
        ]
    )


@fact("registry_served_without_key", "something registry-shaped (MLflow data or its web UI) is served without a key")
def _open(v: View) -> Fact:
    return _either([e for e in v.unkeyed if looks_like_registry(e) and e.route not in ("/health", "/openapi.json")])


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


# ------------------------------------------------------------------ time


def _slow_kind(v: View, kind: str) -> Fact:
    """Calls of one kind (situations.operation) whose median is many times over the kind's budget."""
    calls = [e for e in v.exchanges if operation(e) == kind and e.status is not None]
    if len(calls) < 3:
        return UNKNOWN
    typical = median(e.elapsed_ms for e in calls)
    budget = v.answers.budgets.get(kind, 0.0)
    if budget <= 0 or typical < max(1000.0, v.answers.slow_factor * budget):
        return _no()
    slowest = sorted(calls, key=lambda e: -e.elapsed_ms)
    value = cluster([e.elapsed_ms for e in calls])
    note = f"median {typical / 1000:.1f} s over {len(calls)} calls, budget {budget / 1000:.1f} s" + (
        f"; they cluster at {value / 1000:.1f} s" if value else ""
    )
    return _yes(slowest, note=note)


@fact("front_door_slow", "calls without a key are refused far slower than their budget (before any dependency)")
def _front_slow(v: View) -> Fact:
    return _slow_kind(v, "refusal")


@fact("registry_reads_slow", "registry reads with the key take far longer than their budget")
def _reads_slow(v: View) -> Fact:
    return _slow_kind(v, "read")


@fact("registry_writes_slow", "registry writes with the key take far longer than their budget")
def _writes_slow(v: View) -> Fact:
    return _slow_kind(v, "write")


@fact("validation_slow", "a key Hokusai never issued is refused only after a wait (validating a key is slow)")
def _validation_slow(v: View) -> Fact:
    unknown = _unknown_key_answer(v)
    if unknown is None or v.who(unknown) != Who.API or unknown.status not in (401, 403):
        return UNKNOWN  # no verdict on the key came back: how long validating takes is not known
    return _yes([unknown]) if v.answers.too_slow(unknown) or unknown.elapsed_ms >= 1000 else _no()


@fact("cleanup_incomplete", "the run could not remove everything it created")
def _leftovers(v: View) -> Fact:
    if not v.evidence.leftovers:
        return _no()
    failing = [e for e in v.exchanges if e.scenario == "cleanup" and (e.status is None or e.status >= 400)]
    return _yes(failing, note=f"{len(v.evidence.leftovers)} item(s) left")


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
