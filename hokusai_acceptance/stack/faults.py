"""Fault switches of the embedded stack: each field failure of the catalog that a
client can observe, produced the way it happens in production.

``gateway``: the gateway changes its behaviour (routing, auth call, proxy, health).
``auth_mode``: the auth stand-in changes its behaviour.
``stack``: the launcher changes the environment (e.g. breaks the artifact store).
``mlflow``: the stack runs this MLflow server generation instead (chosen when the stack starts;
it cannot be switched on a running stack).
"""
from __future__ import annotations

SWITCHES: dict[str, dict[str, object]] = {
    # routing / load balancer
    "alb-api-path-to-mlflow": {"gateway": True, "how": "/api/mlflow/* is sent to MLflow unchanged (Flask HTML 404)"},
    "alb-no-rule": {"gateway": True, "how": "every path gets the load balancer's text/plain 404"},
    "service-not-deployed": {"gateway": True, "how": "every path gets the load balancer's HTML 503"},
    "api-crash-loop": {"gateway": True, "how": "API paths get the load balancer's HTML 504; /mlflow/* still answers"},
    "alb-to-api-blocked": {"gateway": True, "how": "API paths accept the connection but never answer in time"},
    # API service
    "api-mount-missing": {"gateway": True, "how": "the /api/mlflow route is gone (JSON 404 after authentication)"},
    "health-probes-need-key": {"gateway": True, "how": "probe paths require a key (2025 middleware)"},
    "health-lies": {"gateway": True, "how": "/health answers 200 'degraded' with a dependency down"},
    "rate-limit-misreported": {"gateway": True, "auth_mode": "ratelimited",
                               "how": "the auth service rate-limits; the API maps it to 401 (2025 mapping)"},
    # API <-> auth service
    "auth-contract-mismatch": {"gateway": True, "how": "the API sends the key in the JSON body, not the header"},
    "auth-service-id-mismatch": {"gateway": True, "how": "the API sends service_id 'ml-platform'"},
    "auth-service-down": {"auth_mode": "down", "how": "the auth service's load balancer answers HTML 503"},
    "auth-service-unreachable": {"gateway": True, "how": "the API cannot connect to the auth service"},
    # cache
    "redis-cache-down": {"gateway": True, "how": "the API cannot reach Redis"},
    # API <-> MLflow
    "mlflow-dns-failure": {"gateway": True, "how": "nothing answers at the MLflow address the API uses"},
    "mlflow-db-auth": {"gateway": True, "how": "MLflow is down because its database login fails"},
    "auth-headers-stripped": {"gateway": True, "how": "MLflow requires the stripped credentials for writes"},
    "missing-write-scope": {"gateway": True, "how": "the key is issued without write scope"},
    # artifacts
    "artifact-route-hairpin": {"gateway": True, "how": "artifact paths are sent to the public ajax-api form"},
    "artifacts-disabled": {"gateway": True, "how": "artifact serving is off (API answers ARTIFACTS_DISABLED)"},
    "artifact-store-permission": {"stack": True, "how": "MLflow cannot write to or read its artifact store"},
    # server generation
    "mlflow-generation-mismatch": {"mlflow": "2.9", "how": "the registry runs a real MLflow 2.9.2 server (the 2025 "
                                                         "generation): MLflow 3 clients' log_model gets 404"},
}

#: Catalog rows that have no switch, and why.
NOT_SWITCHABLE = {
    "auth-secrets-misconfigured": "presents to a client exactly as auth-service-down; the diagnosis names it there",
    "docs-endpoint-drift": "a documentation defect, not a stack state",
    "key-env-confusion": "a client configuration mistake; the suite's settings check names it",
    "silent-local-fallback": "happens inside a client SDK; the suite always reads the model back through the target",
    "harness-false-result": "a property of test harnesses; the suite verifies the target's identity instead",
    "proxy-buffering-limits": "the reference gateway streams bodies; the diagnosis recognises the 504 signature",
}


def validate(faults: tuple[str, ...] | list[str]) -> None:
    unknown = [f for f in faults if f not in SWITCHES]
    if unknown:
        raise ValueError(f"unknown fault switch(es): {', '.join(unknown)}; known: {', '.join(sorted(SWITCHES))}")


def _first(faults: tuple[str, ...] | list[str], aspect: str, default: str) -> str:
    """The first active switch's setting for one aspect of the stack, or the healthy default."""
    for fault in faults:
        value = SWITCHES.get(fault, {}).get(aspect)
        if value:
            return str(value)
    return default


def auth_mode_for(faults: tuple[str, ...] | list[str]) -> str:
    return _first(faults, "auth_mode", "ok")


def mlflow_generation_for(faults: tuple[str, ...] | list[str]) -> str:
    """Which MLflow server generation the stack runs: "3" unless a switch asks for another."""
    return _first(faults, "mlflow", "3")
