"""From evidence to root causes.

Rules look only at what a client can see (statuses, content types, bodies, who
answered), in three layers: routing first (if the load balancer is wrong nothing
behind it can be judged), then the API and its auth service, then MLflow and its
artifact store. Whatever fails and is not explained becomes an ``unrecognised``
finding with its evidence: a confident wrong answer is worse than none.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Iterable

from ..evidence import AnswerKind, Exchange
from ..redaction import redact
from .catalog import entry
from .sweep import Probe

#: What each sweep probe answers on a healthy deployment.
EXPECTED = {"health": {200}, "health_mlflow": {200}, "api_health_mlflow": {200}, "ready": {200},
            "read_without_key": {401}, "read_with_key": {200}, "mlflow_mount": {200}, "artifact_list": {200},
            "auth_direct": {200}}
#: How a failing health scenario quotes an unhealthy dependency.
UNHEALTHY = ['"degraded"', "'degraded'", "unhealthy"]
READ_PROBES = ("read_with_key", "read_without_key", "mlflow_mount", "artifact_list")


@dataclass
class ScenarioOutcome:
    feature: str
    name: str
    status: str
    message: str = ""
    tags: list[str] = field(default_factory=list)


@dataclass
class Finding:
    id: str
    title: str
    confidence: str
    components: list[str]
    evidence: list[str]
    root_cause: str
    recommendation: str
    owner: str
    impact: int
    verify_tags: str
    developer_sees: str
    reproduce: list[str] = field(default_factory=list)
    alternatives: list[str] = field(default_factory=list)
    signatures: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class RunEvidence:
    probes: dict[str, Probe]
    exchanges: list[Exchange] = field(default_factory=list)
    scenarios: list[ScenarioOutcome] = field(default_factory=list)
    observers: dict = field(default_factory=dict)


def _finding(fault_id: str, confidence: str, probes: Iterable[Probe] = (), extra: Iterable[str] = (),
             signatures: Iterable[str] = (), alternatives: Iterable[str] = (), note: str = "") -> Finding:
    e = entry(fault_id)
    probes = [p for p in probes if p is not None]
    # what the failing scenarios will quote: the details the decisive answers carried
    signatures = list(signatures) + [p.detail for p in probes if p.detail and p.status and p.status >= 400]
    evidence = [p.summary() for p in probes] + [redact(x) for x in extra]
    return Finding(id=e.id, title=e.title, confidence=confidence, components=list(e.components),
                   evidence=evidence, root_cause=e.root_cause + (f". {note}" if note else ""),
                   recommendation=e.recommendation, owner=e.owner, impact=e.impact, verify_tags=e.verify_tags,
                   developer_sees=e.developer_sees, reproduce=[p.curl() for p in probes][:3],
                   alternatives=list(alternatives), signatures=list(signatures))


def _json(probe: Probe | None) -> dict:
    if probe is None or probe.status is None:
        return {}
    try:
        data = json.loads(probe.body)
    except (ValueError, RecursionError):
        return {}
    return data if isinstance(data, dict) else {}


def _lb_page(probe: Probe | None, status: int, words: str) -> bool:
    return (probe is not None and probe.status == status and probe.answered_by == AnswerKind.LB_HTML
            and words.lower() in probe.body.lower())


def _detail(probe: Probe | None) -> str:
    return (probe.detail or "") if probe is not None and probe.status is not None else ""


# ------------------------------------------------------------------ layers

def routing_findings(p: dict[str, Probe]) -> list[Finding]:
    health = p.get("health")
    answered = [x for x in p.values() if x.status is not None]
    silent = [x for x in p.values() if x.status is None]
    if health is not None and health.status is None:
        if health.error_type == "TargetUnreachable":
            return [_finding("target-unreachable", "high", [health], signatures=["cannot connect", "Connection refused",
                                                                                 "TargetUnreachable"])]
        if len(silent) >= max(2, len(p) // 2):
            return [_finding("alb-to-api-blocked", "high", silent[:3],
                             signatures=["no answer within", "TargetNotResponding", "timed out", "Read timed out"])]
    plain_404 = [x for x in answered if x.status == 404 and x.answered_by == AnswerKind.PLAIN_TEXT]
    if len(plain_404) >= 2:
        return [_finding("alb-no-rule", "high", plain_404[:3], signatures=["plain text", "Not Found"])]
    lb_503 = [x for x in answered if _lb_page(x, 503, "Service Temporarily Unavailable")]
    if health is not None and (health in lb_503 or len(lb_503) >= 2):
        return [_finding("service-not-deployed", "high", lb_503[:3],
                         signatures=["Service Temporarily Unavailable", "load balancer HTML"])]
    api_down = [x for x in (p.get("health"), p.get("read_with_key"), p.get("read_without_key"))
                if x is not None and (_lb_page(x, 504, "Gateway Time") or _lb_page(x, 502, "Bad Gateway"))]
    mount = p.get("mlflow_mount")
    if len(api_down) >= 2 and mount is not None and mount.status is not None and mount.answered_by != AnswerKind.LB_HTML:
        return [_finding("api-crash-loop", "high", api_down[:2] + [mount],
                         signatures=["Gateway Time-out", "load balancer HTML", "Bad Gateway"])]
    flask = [p[n] for n in ("read_with_key", "read_without_key") if n in p
             and p[n].status == 404 and p[n].answered_by == AnswerKind.FLASK_HTML_404]
    if len(flask) == 2:
        return [_finding("alb-api-path-to-mlflow", "high", flask,
                         signatures=["<!doctype html>", "MLflow/Flask HTML page", "404 != 200"])]
    if health is not None and health.status == 200:
        body = _json(health)
        if "status" not in body or "services" not in body:
            return [_finding("harness-false-result", "medium", [health],
                             signatures=["did not come from the Hokusai API", "non-JSON"],
                             note="(/health answered 200 without the Hokusai health document)")]
    return []


def api_findings(p: dict[str, Probe], observers: dict) -> tuple[list[Finding], bool]:
    """Findings about the API, its auth service and cache; the flag says whether the
    valid key got through (so MLflow behind it can be judged)."""
    found: list[Finding] = []
    read = p.get("read_with_key")
    detail = _detail(read)
    key_ok = read is not None and read.status is not None and read.status not in (401, 403, 429) and \
        not detail.startswith("Authentication service")
    if read is not None and read.status == 404 and read.answered_by == AnswerKind.GATEWAY_JSON \
            and detail == "Not Found" and _detail(p.get("read_without_key")) == "API key required":
        found.append(_finding("api-mount-missing", "high", [read, p.get("read_without_key")],
                              signatures=["'detail': 'Not Found'", '"detail":"Not Found"', "Not Found"]))
        key_ok = False
    elif detail == "Authentication service error":
        found.append(_finding("auth-service-down", "high", [read, p.get("auth_direct")],
                              signatures=["Authentication service error"],
                              alternatives=["auth-secrets-misconfigured"]))
    elif detail == "Authentication service unavailable":
        found.append(_finding("auth-service-unreachable", "high", [read],
                              signatures=["Authentication service unavailable"]))
    elif detail == "Authentication service timeout":
        found.append(_finding("auth-service-slow", "high", [read], signatures=["Authentication service timeout"]))
    elif read is not None and read.status == 401 and detail == "Rate limit exceeded":
        found.append(_finding("rate-limit-misreported", "high", [read, p.get("auth_direct")],
                              signatures=["Rate limit exceeded"]))
    elif read is not None and read.status == 401 and detail == "Invalid or expired API key":
        found.append(_rejected_valid_key(p, observers))
    probes_401 = [p[n] for n in ("ready", "api_health_mlflow") if n in p and p[n].status == 401]
    if probes_401:
        found.append(_finding("health-probes-need-key", "high", probes_401, signatures=[]))
    health = p.get("health")
    body = _json(health)
    services = body.get("services") or {}
    if health is not None and health.status == 200 and body and (
            body.get("status") != "healthy" or any(v == "unhealthy" for v in services.values())):
        found.append(_finding("health-lies", "high", [health], signatures=UNHEALTHY))
    if services.get("redis") == "unhealthy":
        found.append(_finding("redis-cache-down", "high", [health], signatures=UNHEALTHY))
    return found, key_ok


def _rejected_valid_key(p: dict[str, Probe], observers: dict) -> Finding:
    read = p.get("read_with_key")
    rejections = observers.get("auth_rejections") or {}
    signature = ["Invalid or expired API key"]
    if rejections.get("API key required"):
        return _finding("auth-contract-mismatch", "high", [read], signatures=signature,
                        extra=[f"auth service refused {rejections['API key required']} validation call(s) with "
                               f"'API key required': the key did not arrive in the Authorization header"])
    if rejections.get("wrong service_id"):
        return _finding("auth-service-id-mismatch", "high", [read], signatures=signature,
                        extra=[f"auth service refused {rejections['wrong service_id']} validation call(s) for "
                               f"another service than 'platform'"])
    direct = p.get("auth_direct")
    if direct is not None and direct.status == 200 and _json(direct).get("is_valid"):
        return _finding("auth-contract-mismatch", "medium", [read, direct], signatures=signature,
                        alternatives=["auth-service-id-mismatch"],
                        note="The auth service accepts this key when asked directly, so the API asks it wrongly: "
                             "either the key's place (header vs body) or the service_id. The auth service's log "
                             "tells which ('API key required' vs 'registered for service').")
    extra = ["the auth service could not be asked directly (set HOKUSAI_AUTH_URL to let the suite check the key "
             "itself)"] if direct is None else [direct.summary()]
    return _finding("unrecognised", "low", [read], extra=extra, signatures=signature,
                    alternatives=["auth-contract-mismatch", "auth-service-id-mismatch", "the key is not valid"],
                    note="The registry rejects the configured key. Either the key is invalid or revoked, or the "
                         "API validates it wrongly (auth-contract-mismatch, auth-service-id-mismatch).")


def mlflow_findings(p: dict[str, Probe], exchanges: list[Exchange]) -> list[Finding]:
    found: list[Finding] = []
    read = p.get("read_with_key")
    health = _json(p.get("health"))
    services = health.get("services") or {}
    if services.get("postgres") == "unhealthy":
        found.append(_finding("mlflow-db-auth", "high", [p.get("health"), read],
                              signatures=["Failed to connect to MLflow server"] + UNHEALTHY))
    elif read is not None and read.status == 502 and _detail(read).startswith("Failed to connect to MLflow server"):
        found.append(_finding("mlflow-dns-failure", "high", [read],
                              signatures=["Failed to connect to MLflow server"] + UNHEALTHY))
    if found:
        return found  # MLflow is down: nothing behind it can be judged
    valid = [e for e in exchanges if e.actor == "valid" and not e.deliberate and "/api/mlflow/" in e.url
             and e.status is not None]
    writes = [e for e in valid if e.method in ("POST", "PUT", "PATCH", "DELETE") and "/search" not in e.url]
    generation = _generation_mismatch(p, valid)
    if generation is not None:
        found.append(generation)
    forbidden = [e for e in writes if e.status == 403 and ("required_scope" in e.body_prefix
                                                          or "FORBIDDEN" in e.body_prefix)]
    if forbidden:
        found.append(_finding("missing-write-scope", "high", extra=[e.summary() for e in forbidden[:3]],
                              signatures=["FORBIDDEN", "required_scope", "403"]))
    stripped = [e for e in writes if e.status == 401 and "API key required" in e.body_prefix]
    if stripped:
        found.append(_finding("auth-headers-stripped", "high", extra=[e.summary() for e in stripped[:3]],
                              signatures=["API key required"]))
    artifact_probe = p.get("artifact_list")
    artifact_calls = [e for e in valid if "mlflow-artifacts" in e.url]
    disabled = [e for e in artifact_calls if "ARTIFACTS_DISABLED" in e.body_prefix]
    if (artifact_probe is not None and "ARTIFACTS_DISABLED" in artifact_probe.body) or disabled:
        found.append(_finding("artifacts-disabled", "high", [artifact_probe] if artifact_probe else [],
                              extra=[e.summary() for e in disabled[:2]], signatures=["ARTIFACTS_DISABLED"]))
    hairpin = [e for e in artifact_calls if e.status == 404 and "ajax-api" in e.body_prefix]
    if (artifact_probe is not None and artifact_probe.status == 404 and "ajax-api" in artifact_probe.body) or hairpin:
        found.append(_finding("artifact-route-hairpin", "high", [artifact_probe] if artifact_probe else [],
                              extra=[e.summary() for e in hairpin[:2]],
                              signatures=["RESOURCE_NOT_FOUND", "ajax-api", "404"]))
    timeouts = [e for e in artifact_calls if e.status == 504 and "MLflow server request timeout" in e.body_prefix]
    if timeouts:
        found.append(_finding("proxy-buffering-limits", "medium", extra=[e.summary() for e in timeouts[:2]],
                              signatures=["MLflow server request timeout", "504"]))
    broken_store = [e for e in artifact_calls if e.status in (500, 503) and "ARTIFACTS_DISABLED" not in e.body_prefix]
    if broken_store:
        found.append(_finding("artifact-store-permission", "high", extra=[e.summary() for e in broken_store[:3]],
                              signatures=["500", "Internal Server Error", "Internal server error"]))
    return found


def _generation_mismatch(p: dict[str, Probe], valid: list[Exchange]) -> Finding | None:
    """MLflow answers reads, but not the MLflow 3 APIs: a 2.x server behind a 3.x client world."""
    read, info = p.get("read_with_key"), p.get("server_info")
    if read is None or read.status != 200:
        return None  # the proxy itself is not working: the generation cannot be judged
    missing_info = info is not None and info.status == 404
    logged = [e for e in valid if "/logged-models" in e.url and e.status == 404]
    if not (missing_info or logged):
        return None
    # MLflow's own 404 (Flask HTML, or the gateway's JSON rewrite of it), not a route missing in the API
    from_mlflow = missing_info and ("RESOURCE_NOT_FOUND" in info.body or info.content_type.startswith("text/html"))
    confidence = "high" if from_mlflow or any("RESOURCE_NOT_FOUND" in e.body_prefix for e in logged) else "medium"
    return _finding("mlflow-generation-mismatch", confidence, [info] if missing_info else [],
                    extra=[e.summary() for e in logged[:2]], signatures=["logged-models", "server-info"])


KEYED_PROBES = {"read_with_key", "mlflow_mount", "artifact_list", "server_info"}
MLFLOW_DEPENDENT = {"health", "health_mlflow", "api_health_mlflow", "ready", "read_with_key", "mlflow_mount",
                    "artifact_list", "server_info"}


def _unexplained_probes(p: dict[str, Probe], findings: list[Finding], key_ok: bool) -> list[Probe]:
    claimed = " ".join(" ".join(f.evidence) for f in findings)
    ids = {f.id for f in findings}
    explained: set[str] = set()
    if not key_ok:
        explained |= KEYED_PROBES          # the key never got through: what lies behind it is unjudged
    if ids & {"mlflow-db-auth", "mlflow-dns-failure"}:
        explained |= MLFLOW_DEPENDENT
    read = p.get("read_with_key")
    if read is not None and read.status != 200:
        explained.add("server_info")  # the MLflow mount does not work at all: its generation is unjudged
    if ids & {"artifacts-disabled", "artifact-store-permission"}:
        explained.add("api_health_mlflow")  # its artifact check fails for the same reason
    odd = []
    for name, probe in p.items():
        if probe.status in EXPECTED.get(name, {200}) or name in explained or probe.summary() in claimed:
            continue
        odd.append(probe)
    return odd


def diagnose(evidence: RunEvidence) -> list[Finding]:
    p = evidence.probes
    findings = routing_findings(p)
    routing_broken = bool(findings)
    if not routing_broken:
        api, key_ok = api_findings(p, evidence.observers)
        findings += api
        if key_ok:
            findings += mlflow_findings(p, evidence.exchanges)
        odd = _unexplained_probes(p, findings, key_ok)
        if odd:
            findings.append(_finding("unrecognised", "low", odd[:4], signatures=[],
                                     note="These probes did not answer as the contract says."))
    failed = [s for s in evidence.scenarios if s.status in ("failed", "broken", "error", "hook_error")]
    signatures = [sig for f in findings for sig in f.signatures]
    unexplained = [s for s in failed if not routing_broken and not any(sig in s.message for sig in signatures)]
    if unexplained:
        findings.append(_finding("unrecognised", "low", extra=[
            f"scenario '{s.name}' ({s.feature}) {s.status}: {' '.join(s.message.split())[:300]}"
            for s in unexplained[:8]], note=f"{len(unexplained)} failing scenario(s) match no known failure."))
    return _merge_unrecognised(sorted(findings, key=lambda f: (f.impact, f.id)))


def _merge_unrecognised(findings: list[Finding]) -> list[Finding]:
    known = [f for f in findings if f.id != "unrecognised"]
    odd = [f for f in findings if f.id == "unrecognised"]
    if len(odd) > 1:
        first = odd[0]
        for other in odd[1:]:
            first.evidence += other.evidence
            first.root_cause += " " + other.root_cause.split(". ", 1)[-1]
            first.reproduce += other.reproduce
            first.alternatives += other.alternatives
        odd = [first]
    return known + odd
