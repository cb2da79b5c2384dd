"""The diagnostic sweep: a fixed, read-only set of probes run after every suite run.

The scenarios' own exchanges are evidence too, but a selection (say ``@smoke``)
may not touch every component; the sweep makes sure the diagnosis always sees the
same answers: health and probes, both proxy mounts with and without a key, the
ajax-api form and the MLflow web UI without a key (nothing registry-shaped may be
served there), a registry read, the artifact listing, MLflow's own version and
server-info (the server generation), the target's version documents and OpenAPI
description, and the auth service asked directly when its URL is known.

It makes no write call, every probe has a timeout, the whole sweep has a time
budget, and probes whose component is already pinned as down are not sent.
"""

from __future__ import annotations

import json
import secrets
import time
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

from ..client import HokusaiClient
from ..errors import InfrastructureError
from ..evidence import EvidenceLog, recording
from ..exchange import Exchange
from ..redaction import register_secret
from ..routes import SEARCH_EXPERIMENTS, mlflow_path
from ..transport import unguarded

#: total time the sweep may take; probes after that are recorded as not attempted
SWEEP_BUDGET_SECONDS = 25.0
ONE = "max_results=1"


@dataclass(frozen=True)
class ProbeSpec:
    name: str
    path: str
    keyed: bool
    method: str = "GET"
    json_body: Any = None
    base: str | None = None
    #: made with a key Hokusai never issued (what the API answers a key it cannot know), not the run's key
    unknown_key: bool = False


def probe_plan(prefix: str) -> list[ProbeSpec]:
    search = f"{SEARCH_EXPERIMENTS}?{ONE}"
    # cheap probes first; the ones that check dependencies (and on some deployments stall the API while
    # they do) last, so a stall costs the sweep as little as possible
    return [
        ProbeSpec("read_without_key", f"/api/mlflow{search}", False),
        ProbeSpec("health_alb", "/health/alb", False),
        ProbeSpec("version", "/version", False),
        ProbeSpec("openapi", "/openapi.json", False),
        ProbeSpec("read_with_key", f"/api/mlflow{search}", True),
        ProbeSpec("read_with_unknown_key", f"/api/mlflow{search}", True, unknown_key=True),
        ProbeSpec("mount_without_key", f"/mlflow{search}", False),
        ProbeSpec("mlflow_mount", f"/mlflow{search}", True),
        ProbeSpec("ajax_without_key", "/api/mlflow" + mlflow_path("experiments/search", ajax=True) + f"?{ONE}", False),
        ProbeSpec(
            "ajax_mount_without_key", "/mlflow" + mlflow_path("experiments/search", ajax=True) + f"?{ONE}", False
        ),
        ProbeSpec("ui_without_key", "/mlflow/", False),
        ProbeSpec("registry_read", "/api/mlflow" + mlflow_path("registered-models/search") + f"?{ONE}", True),
        ProbeSpec("artifact_list", f"/api/mlflow/api/2.0/mlflow-artifacts/artifacts?path={prefix}", True),
        # MLflow 3 servers answer server-info; 2.x servers have no such route
        ProbeSpec("server_info", "/api/mlflow/api/3.0/mlflow/server-info", True),
        # MLflow's own /version, through the proxy
        ProbeSpec("mlflow_version", "/api/mlflow/version", True),
        ProbeSpec("ready", "/ready", False),
        ProbeSpec("health_mlflow", "/health/mlflow", False),
        ProbeSpec("api_health_mlflow", "/api/health/mlflow", False),
        ProbeSpec("health", "/health", False),
    ]


#: probes that need a key on the 2025 API and are asked again with the key when refused without one
ASK_AGAIN_WITH_KEY = {"api_health_mlflow", "version", "ready"}


def _identity_from(name: str, body: bytes) -> dict[str, Any]:
    """What a version or OpenAPI document says, from the whole body (the probe keeps only a prefix)."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return {}
    if not isinstance(data, dict):
        return {}
    if name == "openapi":
        info: dict[str, Any] = data["info"] if isinstance(data.get("info"), dict) else {}
        paths: dict[str, Any] = data["paths"] if isinstance(data.get("paths"), dict) else {}
        return {
            "openapi": {
                "title": info.get("title"),
                "version": info.get("version"),
                "paths": sorted(str(p) for p in paths)[:400],
            }
        }
    if name.startswith("version"):
        return {
            "version_document": {
                k: data[k]
                for k in ("version", "git_commit", "commit", "build_date", "build", "api_version", "profile")
                if k in data
            }
        }
    if name == "health":
        return {"health_document": {k: data[k] for k in ("status", "version", "services") if k in data}}
    return {}


def run_sweep(
    base_url: str,
    key: str | None,
    *,
    prefix: str,
    auth_url: str | None = None,
    timeout: float = 5.0,
    budget: float = SWEEP_BUDGET_SECONDS,
) -> tuple[dict[str, Exchange], dict[str, Any]]:
    """Probe the target; returns the probes by name and what the target says about itself."""
    client = HokusaiClient(base_url, connect_timeout=min(3.0, timeout), read_timeout=timeout)
    probes: dict[str, Exchange] = {}
    identity: dict[str, Any] = {}
    deadline = time.monotonic() + budget
    plan = probe_plan(prefix)
    unknown = "hk_live_" + secrets.token_hex(16)
    register_secret(unknown)
    if auth_url and key:
        plan.append(
            ProbeSpec(
                "auth_direct",
                "/api/v1/keys/validate",
                True,
                method="POST",
                json_body={"service_id": "platform", "client_ip": "127.0.0.1"},
                base=auth_url.rstrip("/"),
            )
        )

    def probe(spec: ProbeSpec, name: str | None = None) -> Exchange | None:
        name = name or spec.name
        if spec.keyed and not key:
            return None
        log = EvidenceLog(scenario="sweep")
        log.actor = ("never issued" if spec.unknown_key else "valid") if spec.keyed else "none"
        url = (spec.base or client.base_url) + spec.path
        sent_key = unknown if spec.unknown_key else key
        # the unknown key's probe tells a broken key validation from a broken MLflow: it is sent even when
        # an outage of the calls with a key was pinned
        with recording(log), unguarded() if spec.unknown_key else nullcontext():
            if time.monotonic() > deadline:
                log.add(
                    Exchange(
                        method=spec.method,
                        url=url,
                        status=None,
                        keyed=spec.keyed,
                        error="not attempted: the sweep's time budget was used up",
                        error_kind="not-attempted",
                    )
                )
            else:
                try:
                    reply = client.request(
                        spec.method, url, key=sent_key if spec.keyed else None, json_body=spec.json_body
                    )
                    identity.update(_identity_from(name, reply.body))
                except InfrastructureError:
                    pass
        recorded = log.snapshot()
        exchange = recorded[-1] if recorded else None
        if exchange is not None:
            exchange.label = name
            probes[name] = exchange
        return exchange

    try:
        first = probe(plan[0])
        if first is not None and first.status is None and first.error_kind in ("refused", "dns"):
            return probes, identity  # nothing listens: every other probe would say the same
        if first is not None and first.status is None:
            # silent: one more look (another path) before giving up on the target
            second = probe(next(p for p in plan if p.name == "health_alb"))
            if second is not None and second.status is None:
                return probes, identity
        for spec in plan[1:]:
            if spec.name in probes:
                continue
            answer = probe(spec)
            if spec.name in ASK_AGAIN_WITH_KEY and answer is not None and answer.status == 401 and key:
                probe(ProbeSpec(spec.name, spec.path, True), f"{spec.name}_keyed")
    finally:
        client.close()
    return probes, identity
