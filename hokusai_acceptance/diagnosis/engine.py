"""From evidence to findings.

1. **Catalog refinement.** Every catalog entry whose required facts all hold is a
   candidate; one that any observation of the run refutes is ruled out and reported
   as such, with the observation. Candidates of one group explain the same
   observations: the most specific one leads, the others are its alternatives, and
   the confidence says how many explanations the evidence leaves (one: high, two:
   medium, more: low). No entry hides another: every group is judged.
2. **Localisation.** Whatever went wrong and no finding explains is grouped by who
   answered (or that nothing did), how, and where, and reported with the component
   and a recommendation that follows from that alone.
3. **Scenarios.** Each failing scenario is linked to the findings that explain it;
   one that nothing explains and that holds no localisable exchange is reported as
   unrecognised, with its message.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ..exchange import Exchange, detail, error_code, message
from ..redaction import redact
from ..who import Who
from .catalog import CATALOG, DIFFERS, ENTRIES, LOCALISED, UNRECOGNISED, Entry, Kind, Owner
from .evidence import RunEvidence, ScenarioOutcome
from .facts import Facts, broken_promise
from .target import Gap, TargetIdentity, identify
from .timing import cluster

SHOWN_EVIDENCE = 6


@dataclass
class Finding:
    id: str
    title: str
    kind: str
    severity: str
    confidence: str
    components: list[str]
    owner: str
    root_cause: str
    recommendation: str
    developer_sees: str
    verify_tags: str
    impact: int
    decisive: list[str] = field(default_factory=list)  # the facts that decided it
    evidence: list[str] = field(default_factory=list)  # the exchanges that show it
    reproduce: list[str] = field(default_factory=list)
    alternatives: list[str] = field(default_factory=list)  # other explanations the evidence leaves
    look_alikes: list[str] = field(default_factory=list)  # causes no client can tell apart from this one
    explains: list[str] = field(default_factory=list)  # failing scenarios it explains
    also_explains: list[str] = field(default_factory=list)  # findings folded into this one
    #: what the evidence cannot separate: other explanations, look-alikes, refuting observations not made
    cannot_separate: list[str] = field(default_factory=list)
    #: components on the path behind the blamed one that no call of the run reached
    not_reached: list[str] = field(default_factory=list)

    @property
    def component(self) -> str:
        return self.components[0] if self.components else "unknown"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class RuledOut:
    id: str
    title: str
    because: str


@dataclass
class Diagnosis:
    findings: list[Finding]
    ruled_out: list[RuledOut]
    identity: TargetIdentity
    #: the components some call of the run reached, each with the call that shows it
    reached: dict[str, str] = field(default_factory=dict)
    #: when the run's first call that went wrong (or took many times its budget) was made (epoch seconds)
    first_trouble_at: float | None = None

    def ids(self) -> list[str]:
        return [f.id for f in self.findings]

    def to_dict(self) -> dict[str, Any]:
        return {
            "findings": [f.to_dict() for f in self.findings],
            "ruled_out": [asdict(r) for r in self.ruled_out],
            "identity": self.identity.to_dict(),
            "reached": self.reached,
            "first_trouble_at": self.first_trouble_at,
        }


def _requirement(facts: Facts, requirement: str) -> list[str] | None:
    """The names of the facts that satisfy one requirement ("a|b": either), or None."""
    held = [name for name in requirement.split("|") if facts.holds(name)]
    return held or None


def _fact_lines(facts: Facts, names: list[str]) -> list[str]:
    lines = []
    for name in names:
        f = facts[name]
        lines.append(facts.meaning(name) + (f" ({f.note})" if f.note else ""))
    return lines


def _exchanges_of(facts: Facts, names: list[str]) -> list[Exchange]:
    seen, found = set(), []
    for name in names:
        for e in facts[name].evidence:
            if id(e) not in seen:
                seen.add(id(e))
                found.append(e)
    return found


def _with_whose_key(e: Exchange) -> str:
    """The call's summary, naming whose key it carried when it was not the run's own."""
    line = e.summary()
    if e.keyed and e.actor not in ("valid", "none", ""):
        line = line.replace(" (with key)", f" (with the {e.actor} key)", 1)
    return line


def _present(exchanges: list[Exchange]) -> tuple[list[str], list[str]]:
    """Evidence lines and reproductions, one per distinct call shape, probes first."""
    shown: list[str] = []
    curls: list[str] = []
    shapes: set[tuple[str, str, int | None, str, bool]] = set()
    for e in sorted(exchanges, key=lambda x: (x.scenario != "sweep", x.started_at)):
        shape = (e.method, e.route, e.status, e.error_kind, e.keyed)
        if shape in shapes:
            continue
        shapes.add(shape)
        shown.append(redact(_with_whose_key(e)))
        if len(curls) < 3 and e.error_kind != "not-attempted" and e.url.startswith("http"):
            curls.append(redact(e.curl()))
    return shown[:SHOWN_EVIDENCE], curls


def _confidence(entry: Entry, facts: Facts, alternatives: list[Entry]) -> tuple[str, list[str]]:
    """How sure the finding is, and what the evidence cannot separate. High only when no other explanation
    fits, no look-alike is known and every observation that would refute it was made (and did not)."""
    unchecked = [name for name in entry.refuted_by if facts[name].holds is None]
    doubts = [f"another explanation fits as well: {a.title} ({a.id})" for a in alternatives]
    doubts += [f"no client can tell it apart from: {x}" for x in entry.look_alikes]
    doubts += [f"not observed in this run, so not ruled out: {facts.meaning(name)}" for name in unchecked]
    if len(alternatives) >= 2:
        return "low", doubts
    if alternatives or doubts:
        return "medium", doubts
    return "high", doubts


def _from_entry(entry: Entry, facts: Facts, held: list[str], alternatives: list[Entry]) -> tuple[Finding, list[Any]]:
    supporting = [name for name in entry.supports if facts.holds(name)]
    exchanges = _exchanges_of(facts, held + supporting)
    evidence, curls = _present(exchanges)
    confidence, doubts = _confidence(entry, facts, alternatives)
    finding = Finding(
        id=entry.id,
        title=entry.title,
        kind=entry.kind,
        severity=entry.severity,
        confidence=confidence,
        components=list(entry.components),
        owner=entry.owner,
        root_cause=entry.root_cause,
        recommendation=entry.recommendation,
        developer_sees=entry.developer_sees,
        verify_tags=entry.verify_tags,
        impact=entry.impact,
        decisive=_fact_lines(facts, held + supporting),
        evidence=evidence,
        reproduce=curls,
        alternatives=[a.id for a in alternatives],
        look_alikes=list(entry.look_alikes),
        cannot_separate=doubts,
    )
    return finding, exchanges


# ------------------------------------------------------------------ localisation


def _path_family(e: Exchange) -> str:
    route = e.route
    if route.startswith(("/api/mlflow/", "/mlflow/")):
        if "mlflow-artifacts" in route:
            return "artifact calls"
        if "/registered-models" in route or "/model-versions" in route or "/logged-models" in route:
            return "registry calls"
        return "tracking calls"
    if route in ("/health", "/health/mlflow", "/health/alb", "/ready", "/live", "/version", "/") or route.startswith(
        "/api/health"
    ):
        return "health and probe paths"
    if "/keys/validate" in route:
        return "the auth service"
    return "other paths"


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-").replace("--", "-")


LOCAL_OWNER = {
    Who.LOAD_BALANCER: Owner.INFRA,
    Who.API: Owner.API,
    Who.MLFLOW: Owner.INFRA,
    Who.MLFLOW_VIA_API: Owner.INFRA,
    Who.NOTHING: Owner.INFRA,
    Who.OTHER: Owner.INFRA,
    Who.AUTH: Owner.AUTH,
    Who.AUTH_LB: Owner.AUTH,
}
LOCAL_COMPONENT = {
    Who.LOAD_BALANCER: "load balancer",
    Who.API: "Hokusai API",
    Who.MLFLOW: "MLflow server",
    Who.MLFLOW_VIA_API: "MLflow server",
    Who.NOTHING: "network path to the target",
    Who.OTHER: "an unidentified server",
    Who.AUTH: "auth service",
    Who.AUTH_LB: "auth service",
}


#: the contract's answers that are refusals the product decided on, not failures
POLICY_SITUATIONS = ("registry_role_missing", "balance_used_up", "debit_refused")


#: the dependency each of the API's own "my dependency failed" answers names, and the fact in which that
#: dependency speaks for itself (asked directly, or through the API's health check)
DEPENDENCY_OF = {
    "auth_service_error": ("auth service", "auth_service_failing_directly"),
    "auth_service_unavailable": ("auth service", "auth_service_failing_directly"),
    "auth_service_timeout": ("auth service", "auth_service_failing_directly"),
    "mlflow_unreachable": ("MLflow server", "health_probes_report_mlflow_down"),
    "mlflow_timeout": ("MLflow server", "health_probes_report_mlflow_down"),
}


def _where(exchanges: list[Exchange]) -> str:
    paths = sorted({e.route for e in exchanges})
    return ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")


def _localise_group(who: str, outcome: str, family: str, exchanges: list[Exchange], facts: Facts) -> Finding:
    view = facts.view
    first = exchanges[0]
    where = _where(exchanges)
    status = first.status
    component = LOCAL_COMPONENT[who]
    owner = LOCAL_OWNER[who]
    confidence = "low" if who in (Who.NOTHING, Who.OTHER) else "medium"
    doubts: list[str] = []
    promise = broken_promise(first)
    if promise:
        title = f"Answers to {family} break a promise of HTTP: {promise}"
        cause = (
            f"{who} answered HTTP {status} on {where}, but {promise}. Every hop that relays the answer can do "
            f"this (the service that wrote it, the API's proxy, the load balancer): the nearest relay is blamed."
        )
        fix = "Compare the answer as the service writes it with the answer the client receives, hop by hop."
        component = "load balancer" if who == Who.LOAD_BALANCER else "Hokusai API"
        owner = Owner.INFRA if who == Who.LOAD_BALANCER else Owner.API
        doubts = ["which relay broke the answer: the service that wrote it, the API's proxy, the load balancer"]
    elif who == Who.LOAD_BALANCER:
        title = f"The load balancer answers {family} itself (HTTP {status})"
        cause = (
            f"The load balancer answered HTTP {status} with its own page on {where}: these requests never "
            f"reached a service behind it."
        )
        fix = (
            f"Check the load balancer's listener rules and target groups for {where}: which target should "
            f"answer, and is it registered and healthy?"
        )
    elif who == Who.API:
        said = " ".join((detail(first) or error_code(first) or f"HTTP {status}").split())[:160]
        named = view.named(first)
        title = f"The Hokusai API refuses or fails {family}: '{said}'"
        cause = f"The Hokusai API itself answered HTTP {status} '{said}' on {where}."
        fix = (
            f"Read the API's log for '{said}' at the time of the reproduction below; its wording names the "
            f"dependency that failed, if any."
        )
        if named in DEPENDENCY_OF:
            dependency, speaks = DEPENDENCY_OF[named]
            own = facts[speaks].holds
            if own:
                component, owner = dependency, (Owner.AUTH if dependency == "auth service" else Owner.INFRA)
                cause += (
                    f" It names its {dependency}, and the {dependency}'s own evidence agrees: {facts.meaning(speaks)}."
                )
                fix = f"Restore the {dependency}; the reproduction below shows the API's view of it."
            else:
                cause += (
                    f" It names its {dependency}, but the {dependency}'s own evidence does not show it failing ("
                    + ("it was not observed" if own is None else "it reports itself working")
                    + f"): the link from the API to the {dependency} is blamed."
                )
                fix = f"Check the address, DNS name and network path the API uses for its {dependency}."
                doubts = [f"whether the {dependency} itself fails: its own evidence was not seen failing"]
    elif who in (Who.MLFLOW, Who.MLFLOW_VIA_API):
        code = error_code(first) or f"HTTP {status}"
        said = message(first)[:160]
        if who == Who.MLFLOW_VIA_API:
            title = f"MLflow has no page for some {family} (HTTP 404)"
            cause = (
                f"The MLflow server behind the API has no route for {where} (its HTML 404, which the API "
                f"turns into JSON): the server's version or path prefix is not the one the client expects."
            )
            fix = "Compare the deployed MLflow server's version and --static-prefix with what the clients call."
        else:
            title = f"MLflow answers {family} with {code}"
            cause = f"MLflow answered HTTP {status} {code} on {where}: {said}"
            fix = (
                "Read MLflow's log at the time of the reproduction below; a 5xx is MLflow's own or its "
                "database's or artifact store's failure, a 4xx is a request MLflow will not take."
            )
    elif who in (Who.AUTH, Who.AUTH_LB):
        said = detail(first) or f"HTTP {status}"
        title = f"The auth service, asked directly, answers HTTP {status}"
        cause = (
            f"The auth service ({'its load balancer' if who == Who.AUTH_LB else 'itself'}) answered HTTP "
            f"{status} '{said}' to a validation of the configured key made as the contract says."
        )
        fix = "The auth service team reads its log at the time of the reproduction below."
    elif who == Who.NOTHING and first.error_kind == "read-timeout" and view.answered_by(Who.API):
        # the request was taken and the API answers other calls of this run: it, or what it asks, took too long
        component, owner = LOCAL_COMPONENT[Who.API], LOCAL_OWNER[Who.API]
        seconds = max(e.elapsed_ms for e in exchanges) / 1000
        title = f"No answer in time on {family}"
        cause = (
            f"The Hokusai API answered other calls of this run, but gave no answer on {where} within the client's "
            f"limit ({seconds:.1f} s): its work on these paths waits on something (a dependency it asks there, "
            f"or its own queue)."
        )
        fix = "Read the API's log for these paths at the time of the reproduction below; give each check a time limit."
        doubts.append("a hop in front of the API holding these requests (only the API's log can tell)")
    elif who == Who.NOTHING:
        kind = first.error_kind or "no answer"
        seconds = max(e.elapsed_ms for e in exchanges) / 1000
        limit = cluster([e.elapsed_ms for e in exchanges])
        title = f"No answer on {family} ({kind})"
        cause = f"Nothing answered {where} ({kind}, after up to {seconds:.1f} s)." + (
            f" The waits cluster at {limit / 1000:.1f} s: a time limit on some hop (or the client's own)."
            if limit and kind.endswith("timeout")
            else ""
        )
        fix = (
            "Refused: check that the service listens and the security groups allow the caller. Timeouts: find "
            "which hop holds the connection (the load balancer's target health, the API's own time limits)."
        )
    else:
        title = f"An unidentified server answers {family} (HTTP {status})"
        cause = (
            f"Something that is neither the load balancer, the Hokusai API nor MLflow answered HTTP {status} "
            f"({first.content_type or 'no content type'}, server '{first.server or 'unnamed'}') on {where}."
        )
        fix = "Check where the URL and these paths are routed; the answer did not come from the registry."
    kind = Kind.DEFECT
    if who == Who.API and view.named(first) in POLICY_SITUATIONS:
        # the contract names this answer as a refusal the product decided on (a role, a balance)
        kind, owner = Kind.POLICY, Owner.PRODUCT
        fix = "Decide whether callers like this one should be refused; the API refuses them on purpose."
    evidence, curls = _present(exchanges)
    return Finding(
        id=f"{LOCALISED}:{_slug(component)}:{outcome}" + (":broken-answer" if promise else ""),
        title=title,
        kind=kind,
        severity="high" if who != Who.MLFLOW or (status or 500) >= 500 else "medium",
        confidence=confidence,
        components=[component],
        owner=owner,
        root_cause=cause + " No known failure in the catalog fits the evidence; the component is known "
        "from how it answered.",
        recommendation=fix,
        developer_sees=(
            f"nothing directly; monitoring sees {f'HTTP {status}' if status else 'no answer'} on {family}"
            if family == "health and probe paths"
            else (f"HTTP {status} on {family}" if status else "calls that fail")
        ),
        verify_tags="@smoke",
        impact=2,
        decisive=[f"answered by: {who}"],
        evidence=evidence,
        reproduce=curls,
        cannot_separate=doubts,
    )


def _signature(view: Any, e: Exchange) -> tuple[Any, ...]:
    """What makes two answers the same answer: who gave it, its status, and what it is or says."""
    return (view.who(e), e.status, e.error_kind, view.named(e) or detail(e) or error_code(e))


def localise(trouble: list[Exchange], facts: Facts) -> list[tuple[Finding, list[Exchange]]]:
    view = facts.view
    groups: dict[tuple[Any, ...], list[Exchange]] = defaultdict(list)
    for e in trouble:
        answerer = view.who(e)
        outcome = str(e.status) if e.status is not None else (e.error_kind or "no-answer")
        groups[(answerer, outcome, _path_family(e), bool(broken_promise(e)))].append(e)
    merged: dict[str, tuple[Finding, list[Exchange]]] = {}
    for (answerer, outcome, family, _), exchanges in sorted(groups.items()):
        finding = _localise_group(answerer, outcome, family, exchanges, facts)
        if finding.id in merged:  # one finding per component and outcome: families become evidence
            kept, kept_exchanges = merged[finding.id]
            kept_exchanges.extend(exchanges)
            kept.evidence, kept.reproduce = _present(kept_exchanges)
            continue
        merged[finding.id] = (finding, list(exchanges))
    return list(merged.values())


# ------------------------------------------------------------------ the whole diagnosis


def _shape(e: Exchange) -> tuple[Any, ...]:
    return (e.method, urlsplit(e.url).path, e.status, e.keyed)


def _link_scenarios(
    findings: list[tuple[Finding, list[Exchange]]],
    scenarios: list[ScenarioOutcome],
    by_scenario: dict[str, list[Exchange]],
) -> list[ScenarioOutcome]:
    """Attach each failing scenario to the findings whose evidence it shares; return the unexplained ones."""
    unexplained = []
    for scenario in scenarios:
        if scenario.status not in ("failed", "broken"):
            continue
        own = by_scenario.get(scenario.name, [])
        own_ids = {id(e) for e in own}
        own_shapes = {
            _shape(e) for e in own if (e.status is None or e.status >= 400) and e.error_kind != "not-attempted"
        }
        # calls not sent because an outage was pinned quote the call that pinned it
        pinned_by = " ".join(e.error or "" for e in own if e.error_kind == "not-attempted") + (
            scenario.message if scenario.error_type == "ComponentDown" else ""
        )
        # a finding holding one of the scenario's own calls explains it; only when none does, a finding holding the
        # same call failing the same way elsewhere does (a call like it, slow for another reason, is not its cause)
        direct = [f for f, exchanges in findings if any(id(e) in own_ids for e in exchanges)]
        alike = [
            f
            for f, exchanges in findings
            if any(_shape(e) in own_shapes for e in exchanges if e.error_kind != "not-attempted")
            or (pinned_by and any(redact(e.summary())[:120] in pinned_by for e in exchanges))
        ]
        linked = False
        for finding in direct or alike:
            finding.explains.append(scenario.name)
            linked = True
        if not linked:
            unexplained.append(scenario)
    return unexplained


def upgrade_gaps(evidence: RunEvidence, facts: Facts, mlflow_generation: str) -> list[Gap]:
    """What the later contract adds, and whether the target has it (missing, present, not observed)."""

    def line(name: str) -> str:
        found = facts[name].evidence
        return found[0].summary() if found else facts.meaning(name)

    gaps = []
    health = evidence.probes.get("health")
    if facts.holds("health_200_while_not_healthy"):
        gaps.append(Gap("/health answers 503 when unhealthy", "missing", line("health_200_while_not_healthy")))
    elif health is not None and health.status == 503:
        gaps.append(Gap("/health answers 503 when unhealthy", "present", health.summary()))
    else:
        gaps.append(Gap("/health answers 503 when unhealthy", "not observed", "the target was healthy"))
    alb = evidence.probes.get("health_alb")
    gaps.append(
        Gap(
            "a dependency-free /health/alb probe",
            "present"
            if alb is not None and alb.status == 200
            else ("missing" if alb is not None and alb.status is not None else "not observed"),
            alb.summary() if alb is not None else "",
        )
    )
    probes = facts["probes_need_key"]
    gaps.append(
        Gap(
            "monitoring probes answer without a key",
            "missing" if probes.holds else ("present" if probes.holds is False else "not observed"),
            line("probes_need_key") if probes.holds else "",
        )
    )
    auth = [
        e
        for e in evidence.all_exchanges()
        if e.keyed and facts.view.named(e) in ("auth_service_error", "auth_service_unavailable", "auth_service_timeout")
    ]
    status = "not observed"
    shown = ""
    if any(e.status == 401 for e in auth):
        status, shown = "missing", next(e for e in auth if e.status == 401).summary()
    elif any(e.status == 503 and e.response_headers.get("retry-after") for e in auth):
        status, shown = "present", next(e for e in auth if e.status == 503).summary()
    gaps.append(Gap("auth-service trouble answered 503 with Retry-After", status, shown))
    if facts.holds("auth_rate_limit_as_401"):
        gaps.append(Gap("rate limits answered 429 with Retry-After", "missing", line("auth_rate_limit_as_401")))
    elif facts.holds("key_over_its_limit"):
        gaps.append(Gap("rate limits answered 429 with Retry-After", "present", line("key_over_its_limit")))
    elif limited := [e for e in evidence.all_exchanges() if e.status == 429 and e.response_headers.get("retry-after")]:
        gaps.append(Gap("rate limits answered 429 with Retry-After", "present", limited[0].summary()))
    else:
        gaps.append(Gap("rate limits answered 429 with Retry-After", "not observed"))
    refused = [e for e in evidence.all_exchanges() if e.actor == "read-only" and e.status == 403]
    if facts.holds("read_only_key_wrote"):
        gaps.append(Gap("writes need write scope (403 otherwise)", "missing", line("read_only_key_wrote")))
    elif refused:
        gaps.append(Gap("writes need write scope (403 otherwise)", "present", refused[0].summary()))
    else:
        gaps.append(Gap("writes need write scope (403 otherwise)", "not observed", "no read-only key was used"))
    gaps.append(
        Gap(
            "an MLflow 3.x server (what today's MLflow clients expect)",
            {"2.x": "missing", "3.x": "present"}.get(mlflow_generation, "not observed"),
        )
    )
    return gaps


def _is_registry_call(e: Exchange) -> bool:
    return any(part in e.route for part in ("/registered-models", "/model-versions", "/logged-models"))


def reached(view: Any) -> dict[str, str]:
    """Which components some call of the run got as far as, from who answered and how: a component no call
    reached is "not reached", whatever the scenarios that need it did."""
    shows: dict[str, Exchange] = {}

    def first(component: str, calls: list[Exchange]) -> None:
        if calls and component not in shows:
            shows[component] = calls[0]

    answered = [e for e in view.exchanges if e.status is not None]
    first("load balancer", [e for e in answered if view.who(e) != Who.OTHER])
    first("Hokusai API", [e for e in answered if view.who(e) in (Who.API, Who.MLFLOW, Who.MLFLOW_VIA_API)])
    mlflow = [e for e in answered if view.who(e) in (Who.MLFLOW, Who.MLFLOW_VIA_API)]
    first("MLflow server", mlflow)
    first("model registry", [e for e in mlflow if _is_registry_call(e) and e.status < 500])
    first("artifact storage", [e for e in mlflow if "mlflow-artifacts" in e.route and e.status < 500])
    # the auth service was reached when a key was told apart: accepted, or refused as unknown while others pass
    validated = [
        e
        for e in view.valid_keyed_anywhere
        if e.status is not None and (e.status < 400 or view.who(e) in (Who.MLFLOW, Who.MLFLOW_VIA_API))
    ]
    direct = view.probe("auth_direct")
    first("auth service", validated + ([direct] if direct is not None and direct.status == 200 else []))
    return {component: redact(e.summary())[:300] for component, e in shows.items()}


def diagnose(evidence: RunEvidence) -> Diagnosis:
    facts = Facts(evidence)
    view = facts.view
    candidates: dict[str, list[tuple[Entry, list[str]]]] = defaultdict(list)
    ruled_out: list[RuledOut] = []
    for entry in CATALOG:
        held: list[str] = []
        for requirement in entry.requires:
            names = _requirement(facts, requirement)
            if names is None:
                held = []
                break
            held += names
        if not held:
            continue
        refuters = [name for name in entry.refuted_by if facts.holds(name)]
        if refuters:
            shown = _exchanges_of(facts, refuters)[:1]
            ruled_out.append(
                RuledOut(
                    entry.id,
                    entry.title,
                    "; ".join(facts.meaning(r) for r in refuters)
                    + (f" -- e.g. {redact(shown[0].summary())}" if shown else ""),
                )
            )
            continue
        candidates[entry.group or entry.id].append((entry, held))

    found: list[tuple[Finding, list[Exchange]]] = []
    for group in candidates.values():
        # the most specific explanation leads (it needs more of what was observed), then catalog order
        ordered = sorted(group, key=lambda pair: (-len(pair[1]), CATALOG.index(pair[0])))
        (entry, held), others = ordered[0], ordered[1:]
        found.append(_from_entry(entry, facts, held, [e for e, _ in others]))

    # a finding another one also explains is folded into it
    ids = {f.id for f, _ in found}
    kept = []
    for finding, exchanges in found:
        host = next((x for x in ENTRIES[finding.id].explained_by if x in ids), None)
        if host is None and ENTRIES[finding.id].consequence and exchanges:
            shapes = {_shape(e) for e in exchanges if e.error_kind != "not-attempted"}
            pinned = " ".join(e.error or "" for e in exchanges if e.error_kind == "not-attempted")
            host = next(
                (
                    other.id
                    for other, theirs in found
                    if other is not finding
                    and shapes <= {_shape(e) for e in theirs}
                    and (not pinned or any(redact(e.summary())[:120] in pinned for e in theirs))
                ),
                None,
            )
        if host is None:
            kept.append((finding, exchanges))
            continue
        for other, other_exchanges in found:
            if other.id == host:
                other.also_explains.append(finding.id)
                other_exchanges.extend(exchanges)
    found = kept

    explained = {id(e) for _, exchanges in found for e in exchanges}
    explained_shapes = {_shape(e) for _, exchanges in found for e in exchanges}
    # MLflow's "gone" and "exists" answers on the way (a read-back of what the explained failure deleted, a
    # name it took) in a scenario a finding already explains are that finding's consequences; any other
    # answer stays trouble of its own
    explained_scenarios = {e.scenario for _, exchanges in found for e in exchanges}
    routine_codes = {rule.error_code for rule in view.answers.routine}
    trouble = [
        e
        for e in view.trouble()
        if id(e) not in explained
        and _shape(e) not in explained_shapes
        and not (e.scenario in explained_scenarios and view.who(e) == Who.MLFLOW and error_code(e) in routine_codes)
    ]
    # an answer a finding already shows, given again elsewhere, is that finding's: one cause, one finding
    for finding, exchanges in localise(trouble, facts):
        signatures = {_signature(view, e) for e in exchanges}
        owner = next(
            (
                (other, theirs)
                for other, theirs in found
                if not other.id.startswith(LOCALISED) and signatures <= {_signature(view, e) for e in theirs}
            ),
            None,
        )
        if owner is None:
            found.append((finding, exchanges))
        else:
            owner[0].also_explains.append(finding.id)
            owner[1].extend(exchanges)

    by_scenario: dict[str, list[Exchange]] = defaultdict(list)
    for e in evidence.exchanges:
        by_scenario[e.scenario].append(e)
    differing = [s for s in evidence.scenarios if s.status == "failed" and s.error_type == DIFFERS_ERROR]
    unexplained = _link_scenarios(found, [s for s in evidence.scenarios if s not in differing], by_scenario)
    if differing:
        found.append((_differs(differing), []))
    if unexplained:
        found.append((_unrecognised(unexplained), []))

    findings = sorted((f for f, _ in found), key=lambda f: (f.impact, f.kind != Kind.SECURITY, f.id))
    identity = identify(evidence)
    identity.gaps = upgrade_gaps(evidence, facts, identity.mlflow_generation)
    troubled = [e.started_at for e in view.trouble() if e.started_at] + [
        e.started_at for e in view.exchanges if e.started_at and view.answers.too_slow(e)
    ]
    return Diagnosis(
        findings=findings,
        ruled_out=ruled_out,
        identity=identity,
        reached=reached(view),
        first_trouble_at=min(troubled) if troubled and findings else None,
    )


#: the exception a step raises when the answer is the contract's in substance and differs in detail
DIFFERS_ERROR = "ContractDiffers"


def _differs(scenarios: list[ScenarioOutcome]) -> Finding:
    lines = [redact(f"scenario '{s.name}': {' '.join(s.message.split())[:300]}") for s in scenarios[:12]]
    return Finding(
        id=DIFFERS,
        title="Answers that differ from this suite's contract in their details",
        kind=Kind.CONTRACT,
        severity="low",
        confidence="high",
        components=[],
        owner=Owner.SUITE,
        root_cause=f"{len(scenarios)} scenario(s) got the answer the contract describes in substance (its status, "
        f"from the right component) but in other words or another shape: the deployment is newer than this "
        f"suite's contract, or another implementation of it. Nothing in them is broken for a developer.",
        recommendation="Compare each answer below with contract/; if the deployment is right, update the contract "
        "and these scenarios; if the contract is right, give the difference to the API team",
        developer_sees="the same answers, in other words",
        verify_tags="@smoke",
        impact=5,
        evidence=lines,
        explains=[s.name for s in scenarios],
    )


def _unrecognised(scenarios: list[ScenarioOutcome]) -> Finding:
    lines = [
        redact(f"scenario '{s.name}' ({s.feature}) {s.status}: {' '.join(s.message.split())[:300]}")
        for s in scenarios[:8]
    ]
    return Finding(
        id=UNRECOGNISED,
        title="Failures that no evidence localises",
        kind=Kind.DEFECT,
        severity="medium",
        confidence="low",
        components=[],
        owner=f"{Owner.SUITE} and {Owner.INFRA}",
        root_cause=f"{len(scenarios)} failing scenario(s) made no call that went wrong in a way a client can "
        f"attribute (their calls were answered, but not with what the scenario expected), and no known "
        f"failure explains them. Read their messages below before guessing: either the deployment "
        f"answers differently than the contract says, or the scenario's expectation is wrong.",
        recommendation="Compare each answer with the contract; add a diagnosis rule once the cause is known",
        developer_sees="see the scenarios' messages",
        verify_tags="@smoke",
        impact=4,
        evidence=lines,
        explains=[s.name for s in scenarios],
    )
