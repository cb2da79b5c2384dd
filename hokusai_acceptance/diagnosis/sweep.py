"""The diagnostic sweep: a fixed, read-only set of probes run after every suite run.

The scenarios' own exchanges are evidence too, but a selection (say ``@smoke``)
may not touch every component; the sweep makes sure the diagnosis always sees
the same handful of answers. It makes no write call.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from ..client import HokusaiClient
from ..errors import InfrastructureError
from ..evidence import AnswerKind
from ..redaction import redact

SEARCH = "/api/2.0/mlflow/experiments/search"


@dataclass
class Probe:
    name: str
    method: str
    url: str
    status: int | None
    content_type: str = ""
    answered_by: str = AnswerKind.NO_ANSWER
    body: str = ""
    detail: str | None = None
    elapsed_ms: float = 0.0
    error: str | None = None
    error_type: str | None = None
    with_key: bool = False

    def summary(self) -> str:
        key = " (with key)" if self.with_key else " (no key)"
        if self.status is None:
            return f"{self.method} {self.url}{key} -> no answer: {self.error}"
        body = " ".join(self.body.split())[:140]
        return f"{self.method} {self.url}{key} -> HTTP {self.status} [{self.answered_by}] {body}"

    def curl(self) -> str:
        header = " -H 'Authorization: Bearer $HOKUSAI_API_KEY'" if self.with_key else ""
        method = "" if self.method == "GET" else f" -X {self.method}"
        return f"curl -sS -i --max-time 10{method}{header} '{self.url}'"

    def to_dict(self) -> dict:
        return asdict(self)


def _probe(client: HokusaiClient, name: str, method: str, path: str, key: str | None,
           json_body: dict | None = None, base: str | None = None) -> Probe:
    url = (base or client.base_url) + path
    try:
        reply = client.request(method, url, key=key, json_body=json_body)
    except InfrastructureError as exc:
        return Probe(name=name, method=method, url=redact(url), status=None, error=str(exc),
                     error_type=type(exc).__name__, with_key=key is not None)
    return Probe(name=name, method=method, url=redact(reply.url), status=reply.status,
                 content_type=reply.content_type, answered_by=reply.answered_by, body=redact(reply.text[:400]),
                 detail=redact(str(reply.detail())) if reply.detail() is not None else None,
                 elapsed_ms=round(reply.elapsed_ms, 1), with_key=key is not None)


def run_sweep(base_url: str, key: str | None, *, prefix: str, auth_url: str | None = None,
              timeout: float = 5.0) -> dict[str, Probe]:
    client = HokusaiClient(base_url, connect_timeout=min(3.0, timeout), read_timeout=timeout)
    probes: dict[str, Probe] = {}
    try:
        probes["health"] = _probe(client, "health", "GET", "/health", None)
        if probes["health"].status is None and probes["health"].error_type == "TargetUnreachable":
            return probes  # nothing listens: every other probe would say the same
        if probes["health"].status is None:
            # silent: one more look (an API path) tells a blocked API from a slow health check, then stop waiting
            probes["read_without_key"] = _probe(client, "read_without_key", "GET",
                                                f"/api/mlflow{SEARCH}?max_results=1", None)
            if probes["read_without_key"].status is None:
                return probes
        probes["health_mlflow"] = _probe(client, "health_mlflow", "GET", "/health/mlflow", None)
        probes["api_health_mlflow"] = _probe(client, "api_health_mlflow", "GET", "/api/health/mlflow", None)
        probes["ready"] = _probe(client, "ready", "GET", "/ready", None)
        probes["read_without_key"] = _probe(client, "read_without_key", "GET", f"/api/mlflow{SEARCH}?max_results=1",
                                            None)
        probes["read_with_key"] = _probe(client, "read_with_key", "GET", f"/api/mlflow{SEARCH}?max_results=1", key)
        probes["mlflow_mount"] = _probe(client, "mlflow_mount", "GET", f"/mlflow{SEARCH}?max_results=1", key)
        probes["artifact_list"] = _probe(client, "artifact_list", "GET",
                                         f"/api/mlflow/api/2.0/mlflow-artifacts/artifacts?path={prefix}", key)
        # MLflow 3 servers answer this; 2.x servers do not have it (the generation an MLflow 3 client meets)
        probes["server_info"] = _probe(client, "server_info", "GET", "/api/mlflow/api/3.0/mlflow/server-info", key)
        if auth_url and key:
            probes["auth_direct"] = _probe(client, "auth_direct", "POST", "/api/v1/keys/validate", key,
                                           json_body={"service_id": "platform", "client_ip": "127.0.0.1"},
                                           base=auth_url.rstrip("/"))
    finally:
        client.close()
    return probes
