"""What the target says it is: deployed version, commit and build, the MLflow server
behind it, and which generation of the contract it follows.

Two generations are told apart from what any client sees (``shared/contract.md``):
the **2025 API** (probes need a key, every auth failure is a 401, /health answers 200
when degraded, no scope checks, no /health/alb) and the **later API** (open probes,
/health/alb, 503/429 with Retry-After, 403 for writes without write scope). The MLflow
server is 2.x (the 2025 deployment) or 3.x. What the later contract adds and the target
lacks is listed as *upgrade gaps*, apart from defects.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from .. import situations
from ..classify import who_answered
from ..exchange import detail, json_body
from ..who import Who
from .evidence import RunEvidence

_MLFLOW_VERSION = re.compile(r"^\s*(\d+\.\d+(?:\.\d+)?\S*)\s*$")


@dataclass
class Gap:
    item: str
    status: str  # missing | present | not observed
    evidence: str = ""


@dataclass
class TargetIdentity:
    api_title: str | None = None
    api_version: str | None = None
    api_commit: str | None = None
    api_build: str | None = None
    mlflow_server_version: str | None = None
    api_generation: str = "unknown"  # 2025 | later | 2026 | unknown
    api_generation_evidence: list[str] = field(default_factory=list)
    mlflow_generation: str = "unknown"  # 2.x | 3.x | unknown
    mlflow_generation_evidence: list[str] = field(default_factory=list)
    expected_version: str | None = None
    expected_commit: str | None = None
    version_matches: bool | None = None
    commit_matches: bool | None = None
    gaps: list[Gap] = field(default_factory=list)

    def expectation_note(self) -> str:
        parts = []
        if self.version_matches is False:
            parts.append(f"version {self.api_version or 'not reported'}, expected {self.expected_version}")
        if self.commit_matches is False:
            parts.append(f"commit {self.api_commit or 'not reported'}, expected {self.expected_commit}")
        return "; ".join(parts)

    def generation_line(self) -> str:
        api = {
            "2025": "the 2025 API contract",
            "later": "the later API contract",
            "2026": "the 2026 API contract",
        }.get(self.api_generation, "an API contract generation the evidence does not settle")
        mlflow = {"2.x": "an MLflow 2.x server", "3.x": "an MLflow 3.x server"}.get(
            self.mlflow_generation, "an MLflow server of unknown generation"
        )
        return f"{api}, {mlflow}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _version_documents(evidence: RunEvidence) -> list[dict[str, Any]]:
    docs = []
    for name in ("version_keyed", "version"):
        probe = evidence.probes.get(name)
        data = json_body(probe) if probe is not None and probe.status == 200 else None
        if isinstance(data, dict):
            docs.append(data)
    if isinstance(evidence.identity.get("version_document"), dict):
        docs.append(evidence.identity["version_document"])
    health = evidence.probes.get("health")
    data = json_body(health) if health is not None and health.status is not None else None
    if isinstance(data, dict):
        docs.append(data)
    openapi = evidence.identity.get("openapi")
    if isinstance(openapi, dict):
        docs.append({"version": openapi.get("version"), "title": openapi.get("title")})
    return docs


def _first(docs: list[dict[str, Any]], *keys: str) -> str | None:
    for doc in docs:
        for key in keys:
            value = doc.get(key)
            if isinstance(value, (str, int, float)) and str(value).strip() and str(value) != "unknown":
                return str(value)
    return None


#: answers only the 2026 generation gives (contract/answers.yaml), and what each says of it
GENERATION_2026 = {
    "registry_role_missing": "the registry is refused to keys without an admin role",
    "balance_used_up": "calls are refused for want of balance",
    "debit_refused": "a call's debit is refused",
}


def _api_generation(evidence: RunEvidence) -> tuple[str, list[str]]:
    old: list[str] = []
    new: list[str] = []
    newest: list[str] = []
    probes = evidence.probes
    alb = probes.get("health_alb")
    if alb is not None and alb.status == 200:
        new.append("/health/alb answers 200 without a key")
    elif alb is not None and alb.status in (401, 404):
        old.append(f"/health/alb is not served (HTTP {alb.status})")
    openapi = evidence.identity.get("openapi") or {}
    if isinstance(openapi, dict) and openapi.get("paths"):
        (new if "/health/alb" in openapi["paths"] else old).append(
            "the OpenAPI description "
            + ("lists" if "/health/alb" in openapi["paths"] else "does not list")
            + " /health/alb"
        )
    for name in ("ready", "version", "api_health_mlflow"):
        probe = probes.get(name)
        if probe is not None and probe.status == 401:
            old.append(f"{probe.route} needs a key (HTTP 401)")
        elif probe is not None and probe.status in (200, 503):
            new.append(f"{probe.route} answers without a key")
    answers = situations.load()
    for e in evidence.all_exchanges():
        if not e.keyed or e.status is None:
            continue
        named = answers.name(e, who_answered(e))
        if named in ("auth_service_error", "auth_service_unavailable", "auth_service_timeout", "rate_limited"):
            if e.status == 401:
                old.append(f"'{detail(e)}' is answered 401")
            elif e.status in (429, 503) and e.response_headers.get("retry-after"):
                new.append(f"'{detail(e)}' is answered {e.status} with Retry-After")
        if named == "write_scope_missing":
            new.append("writes without write scope are refused 403")
        if named in GENERATION_2026:
            newest.append(f"{GENERATION_2026[named]} (HTTP {e.status})")
        if (
            e.actor == "read-only"
            and e.method in ("POST", "PUT", "PATCH", "DELETE")
            and 200 <= e.status < 300
            and "/search" not in e.route
        ):
            old.append("a read-only key's write is accepted")
    paths = openapi.get("paths") if isinstance(openapi, dict) else None
    if isinstance(paths, list) and any(p.endswith("/tokenized-registration-events") for p in paths):
        newest.append("its OpenAPI description offers tokenized registration events")
    old, new, newest = sorted(set(old)), sorted(set(new)), sorted(set(newest))
    if newest and len(newest) + len(new) > len(old):
        return "2026", newest + new + [f"(against: {x})" for x in old]
    if len(old) > len(new):
        return "2025", old + [f"(against: {x})" for x in new]
    if len(new) > len(old):
        return "later", new + [f"(against: {x})" for x in old]
    return "unknown", old + new


def _mlflow_generation(evidence: RunEvidence) -> tuple[str | None, str, list[str]]:
    probe = evidence.probes.get("mlflow_version")
    version = None
    # relayed through the API: MLflow's answer, or a bare answer carrying the API's own server header
    api_servers = {e.server for e in evidence.all_exchanges() if e.server and who_answered(e) == Who.API}
    if probe is not None and probe.status == 200 and (who_answered(probe) == Who.MLFLOW or probe.server in api_servers):
        match = _MLFLOW_VERSION.match(probe.body_prefix)
        version = match.group(1) if match else None
    if version:
        return version, f"{version.split('.')[0]}.x", [f"MLflow's /version answers {version}"]
    # what works says which generation it is; a route that is missing says nothing (a proxy may not forward it)
    served = [
        e
        for e in evidence.all_exchanges()
        if "/logged-models" in e.route
        and e.status is not None
        and 200 <= e.status < 300
        and who_answered(e) == Who.MLFLOW
    ]
    if served:
        return None, "3.x", [f"MLflow served an MLflow 3 logged-models call ({served[0].method} {served[0].route})"]
    return None, "unknown", []


def identify(evidence: RunEvidence) -> TargetIdentity:
    docs = _version_documents(evidence)
    identity = TargetIdentity(
        api_title=_first(docs, "title", "service"),
        api_version=_first(docs, "version"),
        api_commit=_first(docs, "git_commit", "commit", "git_sha"),
        api_build=_first(docs, "build_date", "build", "build_id"),
    )
    identity.api_generation, identity.api_generation_evidence = _api_generation(evidence)
    version, generation, why = _mlflow_generation(evidence)
    identity.mlflow_server_version, identity.mlflow_generation, identity.mlflow_generation_evidence = (
        version,
        generation,
        why,
    )
    identity.expected_version = evidence.client.get("expected_version") or None
    identity.expected_commit = evidence.client.get("expected_commit") or None
    if identity.expected_version:
        identity.version_matches = identity.api_version == identity.expected_version
    if identity.expected_commit:
        reported = (identity.api_commit or "").lower()
        expected = identity.expected_commit.lower()
        identity.commit_matches = bool(reported) and (reported.startswith(expected) or expected.startswith(reported))
    return identity
