"""Fault switches of the embedded stack: each breaks a real component the way the field did.

A switch never writes the symptom a diagnosis reads. It stops a process (Redis, the auth
service, the API), changes a load balancer rule or target, points the API at an address
that refuses or hangs, gives MLflow a database it cannot log in to, breaks the artifact
store, runs another MLflow server generation, changes what the auth service issues, or
selects a setting or code variant the real API shipped with (the key in the JSON body,
the /api/mlflow mount removed, 2025 health and probe semantics, DELETE bodies dropped).
What a client then sees is what those components really do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum


class Fault(str, Enum):
    # routing / load balancer
    ALB_API_PATH_TO_MLFLOW = "alb-api-path-to-mlflow"
    ALB_NO_RULE = "alb-no-rule"
    SERVICE_NOT_DEPLOYED = "service-not-deployed"
    API_CRASH_LOOP = "api-crash-loop"
    ALB_TO_API_BLOCKED = "alb-to-api-blocked"
    # the API service
    API_MOUNT_MISSING = "api-mount-missing"
    HEALTH_PROBES_NEED_KEY = "health-probes-need-key"
    HEALTH_LIES = "health-lies"
    RATE_LIMIT_MISREPORTED = "rate-limit-misreported"
    PROXY_DROPS_DELETE_BODY = "proxy-drops-delete-body"
    DEVELOPERS_NOT_ISOLATED = "developers-not-isolated"
    # API <-> auth service
    AUTH_CONTRACT_MISMATCH = "auth-contract-mismatch"
    AUTH_SERVICE_ID_MISMATCH = "auth-service-id-mismatch"
    AUTH_SERVICE_DOWN = "auth-service-down"
    AUTH_SERVICE_UNREACHABLE = "auth-service-unreachable"
    MISSING_WRITE_SCOPE = "missing-write-scope"
    REGISTRY_CLOSED_TO_DEVELOPER_KEYS = "registry-closed-to-developer-keys"
    # cache
    REDIS_CACHE_DOWN = "redis-cache-down"
    # API <-> MLflow
    MLFLOW_DNS_FAILURE = "mlflow-dns-failure"
    MLFLOW_DB_AUTH = "mlflow-db-auth"
    MLFLOW_UNRESPONSIVE = "mlflow-unresponsive"
    AUTH_HEADERS_STRIPPED = "auth-headers-stripped"
    MLFLOW_GENERATION_MISMATCH = "mlflow-generation-mismatch"
    REGISTRY_SLOW = "registry-slow"
    # artifacts
    ARTIFACT_ROUTE_HAIRPIN = "artifact-route-hairpin"
    ARTIFACTS_DISABLED = "artifacts-disabled"
    ARTIFACT_STORE_PERMISSION = "artifact-store-permission"

    @classmethod
    def parse(cls, name: str) -> Fault:
        try:
            return cls(name.strip())
        except ValueError:
            raise ValueError(f"unknown fault switch {name!r}; known: {', '.join(f.value for f in cls)}") from None

    @property
    def how(self) -> str:
        return EFFECTS[self][0]

    @property
    def at_start_only(self) -> bool:
        return self in AT_START_ONLY


@dataclass
class Addresses:
    """Where the stack's parts listen, and the broken addresses a switch may point the API at."""

    gateway: str
    mlflow: str
    auth: str  # the auth service's load balancer
    redis: str
    mlflow_front: str  # a load-balancer listener in front of MLflow (a fault puts an auth layer there)
    refused: str  # nothing listens: connections are refused
    hanging: str  # accepts connections, never answers
    blocked: str  # never accepts connections (its queue is full): connects time out


@dataclass
class Plan:
    """What the stack looks like with a set of switches on."""

    gateway: dict = field(default_factory=dict)  # settings of the API (GatewayConfig fields)
    public_rules: list[dict] | None = None  # the public load balancer's rules (None: the healthy ones)
    api_targets: list[str] | None = None  # the API target group (None: the gateway)
    mlflow_front_requires_key: bool = False
    mlflow_write_delay: float = 0.0  # seconds each write waits on the hop in front of MLflow
    stopped: set[str] = field(default_factory=set)  # processes that are not running: redis, auth
    crashing_api: bool = False  # the API process fails at start
    auth_mode: str = "ok"  # what the auth service does: ok | ratelimited
    readonly_valid_key: bool = False  # the auth service issues the valid key without write scope
    mlflow_generation: str = "3"
    mlflow_database: str = "sqlite"  # sqlite | postgres-wrong-password
    artifact_store_broken: bool = False


def _gateway(**settings) -> Callable[[Plan, Addresses], None]:
    def apply(plan: Plan, _: Addresses) -> None:
        plan.gateway.update(settings)

    return apply


def _set(**values) -> Callable[[Plan, Addresses], None]:
    def apply(plan: Plan, _: Addresses) -> None:
        for name, value in values.items():
            setattr(plan, name, value)

    return apply


def _stop(name: str) -> Callable[[Plan, Addresses], None]:
    def apply(plan: Plan, _: Addresses) -> None:
        plan.stopped.add(name)

    return apply


def _api_path_to_mlflow(plan: Plan, _: Addresses) -> None:
    plan.public_rules = [{"prefix": "/api/mlflow/", "group": "mlflow"}, {"prefix": "/", "group": "api"}]


def _no_rule(plan: Plan, _: Addresses) -> None:
    plan.public_rules = []


def _blocked(plan: Plan, a: Addresses) -> None:
    plan.api_targets = [a.blocked]


def _not_deployed(plan: Plan, _: Addresses) -> None:
    plan.api_targets = []


def _health_lies(plan: Plan, a: Addresses) -> None:
    # 2025 health semantics, and the queue's URL has the TLS scheme a plain Redis does not speak
    plan.gateway.update(health_200_when_degraded=True, queue_url=a.redis.replace("redis://", "rediss://", 1))


def _rate_limited(plan: Plan, _: Addresses) -> None:
    plan.auth_mode = "ratelimited"
    plan.gateway.update(map_auth_429_to_401=True)


def _auth_unreachable(plan: Plan, a: Addresses) -> None:
    plan.gateway.update(auth_url=a.refused)


def _mlflow_refused(plan: Plan, a: Addresses) -> None:
    plan.gateway.update(mlflow_url=a.refused)


def _mlflow_hangs(plan: Plan, a: Addresses) -> None:
    plan.gateway.update(mlflow_url=a.hanging)


def _mlflow_auth_layer(plan: Plan, a: Addresses) -> None:
    plan.mlflow_front_requires_key = True
    plan.gateway.update(mlflow_url=a.mlflow_front)


def _mlflow_writes_slow(plan: Plan, a: Addresses) -> None:
    plan.mlflow_write_delay = 2.0
    plan.gateway.update(mlflow_url=a.mlflow_front)


EFFECTS: dict[Fault, tuple[str, Callable[[Plan, Addresses], None]]] = {
    Fault.ALB_API_PATH_TO_MLFLOW: (
        "the load balancer's /api/mlflow/* rule forwards to the MLflow target group",
        _api_path_to_mlflow,
    ),
    Fault.ALB_NO_RULE: ("the public listener has no rules: its default action is a fixed 404", _no_rule),
    Fault.SERVICE_NOT_DEPLOYED: ("the API target group has no registered targets", _not_deployed),
    Fault.API_CRASH_LOOP: (
        "the API process exits at start (its configuration lacks the MLflow URL)",
        _set(crashing_api=True),
    ),
    Fault.ALB_TO_API_BLOCKED: ("the API target does not accept the load balancer's connections", _blocked),
    Fault.API_MOUNT_MISSING: ("the API runs without its /api/mlflow route", _gateway(mount_mlflow=False)),
    Fault.HEALTH_PROBES_NEED_KEY: (
        "the API's auth middleware excludes only /health (2025)",
        _gateway(probes_need_key=True),
    ),
    Fault.HEALTH_LIES: (
        "2025 health semantics, and the message queue URL uses rediss:// against a plain Redis",
        _health_lies,
    ),
    Fault.RATE_LIMIT_MISREPORTED: (
        "the auth service rate-limits validations; the API maps its 429 to 401 (2025)",
        _rate_limited,
    ),
    Fault.PROXY_DROPS_DELETE_BODY: (
        "the proxy forwards bodies for POST, PUT and PATCH only (2025)",
        _gateway(forward_delete_body=False),
    ),
    Fault.DEVELOPERS_NOT_ISOLATED: (
        "the API records no owner and checks none: any key may change any model (2025)",
        _gateway(enforce_ownership=False),
    ),
    Fault.AUTH_CONTRACT_MISMATCH: (
        "the API sends the key in the JSON body, not the Authorization header",
        _gateway(key_in_body=True),
    ),
    Fault.AUTH_SERVICE_ID_MISMATCH: (
        "the API validates keys for service 'ml-platform'",
        _gateway(service_id="ml-platform"),
    ),
    Fault.AUTH_SERVICE_DOWN: ("the auth service's process is stopped behind its load balancer", _stop("auth")),
    Fault.AUTH_SERVICE_UNREACHABLE: ("the API's auth service URL points where nothing listens", _auth_unreachable),
    Fault.MISSING_WRITE_SCOPE: (
        "the auth service issues the developer's key with read scope only",
        _set(readonly_valid_key=True),
    ),
    Fault.REGISTRY_CLOSED_TO_DEVELOPER_KEYS: (
        "the API admits to /api/mlflow only keys with a registry admin role, which developers' keys do not have",
        _gateway(registry_role="registry-admin"),
    ),
    Fault.REDIS_CACHE_DOWN: ("the Redis server is stopped", _stop("redis")),
    Fault.MLFLOW_DNS_FAILURE: ("the API's MLflow URL points where nothing listens", _mlflow_refused),
    Fault.MLFLOW_DB_AUTH: (
        "MLflow gets a PostgreSQL backend store with a wrong password (it cannot start); the "
        "API's database check uses the same credentials",
        _set(mlflow_database="postgres-wrong-password"),
    ),
    Fault.MLFLOW_UNRESPONSIVE: (
        "the API's MLflow URL points at a server that accepts connections and never answers",
        _mlflow_hangs,
    ),
    Fault.AUTH_HEADERS_STRIPPED: (
        "an auth layer in front of MLflow requires credentials for writes, which the proxy strips",
        _mlflow_auth_layer,
    ),
    Fault.MLFLOW_GENERATION_MISMATCH: (
        "the registry runs a real MLflow 2.9.2 server (the 2025 generation)",
        _set(mlflow_generation="2.9"),
    ),
    Fault.REGISTRY_SLOW: (
        "every write to MLflow waits 2 s on the hop in front of it (a store that commits slowly)",
        _mlflow_writes_slow,
    ),
    Fault.ARTIFACT_ROUTE_HAIRPIN: (
        "the proxy sends artifact calls to the public ajax-api form under /mlflow",
        _gateway(public_artifact_form=True),
    ),
    Fault.ARTIFACTS_DISABLED: ("the API runs with MLFLOW_SERVE_ARTIFACTS=false", _gateway(serve_artifacts=False)),
    Fault.ARTIFACT_STORE_PERMISSION: (
        "MLflow's artifact store is not a directory it can write to",
        _set(artifact_store_broken=True),
    ),
}

#: switches that choose how a process starts: chosen with the stack, not switched on a running one
AT_START_ONLY = {Fault.MLFLOW_GENERATION_MISMATCH, Fault.MLFLOW_DB_AUTH}

#: Catalog rows that have no switch, and why.
NOT_SWITCHABLE = {
    "auth-secrets-misconfigured": "presents to a client exactly as auth-service-down; the diagnosis names it there",
    "docs-endpoint-drift": "a documentation defect, not a stack state",
    "key-env-confusion": "a client configuration mistake; the suite's settings check names it",
    "silent-local-fallback": "happens inside a client SDK; the suite always reads the model back through the target",
    "harness-false-result": "a property of test harnesses; the suite verifies the target's identity instead",
    "proxy-buffering-limits": "the reference gateway streams bodies; the diagnosis recognises the 504 signature",
}


def parse_all(names) -> tuple[Fault, ...]:
    return tuple(Fault.parse(n) for n in names if str(n).strip())


def plan_for(faults, addresses: Addresses) -> Plan:
    plan = Plan()
    for fault in parse_all(faults):
        EFFECTS[fault][1](plan, addresses)
    return plan
