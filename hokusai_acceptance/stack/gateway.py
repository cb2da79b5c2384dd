"""Reference Hokusai API gateway: reproduces the API service of the registry contract.

* ``/health``, ``/health/alb``, ``/health/mlflow``, ``/api/health/mlflow`` and the probe paths,
  each checking its dependency for real (MLflow, Redis, the message queue, the database);
* authentication with the four key forms, validation through the auth service (5 s timeout),
  a Redis cache of successful validations and a per-key hourly rate limit;
* the MLflow proxy on ``/api/mlflow/*`` and ``/mlflow/*``: credentials stripped, identity headers
  added, ``Host`` rewritten, bodies streamed both ways, HTML 404 turned into JSON
  ``RESOURCE_NOT_FOUND``, 502/504/500 on proxy failures, and the artifact gate.

The proxy is the hot path: it is served straight on the ASGI interface through one shared
aiohttp connection pool, so the gateway adds as little as it can to every MLflow call.

``profile`` selects the generation being reproduced: ``2025`` (every auth failure is a 401,
no scope checks, probes need a key, /health answers 200 when degraded) or ``current``
(429/503 with ``Retry-After``, write scope enforced, open probes, 503 when unhealthy). The
other settings are the API's configuration (its upstream URLs, ``AUTH_SERVICE_ID``,
``MLFLOW_SERVE_ARTIFACTS``) and variants of its code that shipped (the key in the JSON body,
no /api/mlflow mount, DELETE bodies dropped). The gateway knows nothing of fault switches:
the stack's launcher sets these settings and breaks the real components around it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import json
import math
import sys
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import redis.asyncio as aioredis
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from yarl import URL

from . import ownership
from .dialect import HOKUSAI, OWN_ANSWER, VARIANT, VARIANT_SERVER, reword

VERSION = "1.0.0-reference"
COMMIT = "reference"
BUILD = "embedded"
SMALL_BODY = 256 * 1024  # answers up to this size are relayed whole; larger ones are streamed
CACHE_PREFIX = "api_key:validation:"
STRIPPED_REQUEST_HEADERS = {
    "authorization",
    "x-api-key",
    "host",
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "upgrade",
    "proxy-authorization",
    "x-stack-control",
}
HOP_BY_HOP_RESPONSE_HEADERS = {
    b"connection",
    b"keep-alive",
    b"transfer-encoding",
    b"te",
    b"upgrade",
    b"proxy-authenticate",
    b"trailer",
}
RELAY_CHUNK = 64 * 1024
DRAIN_LIMIT = 1024**3  # a refused upload up to this size is read and dropped before the 413 is sent
DRAIN_SECONDS = 60.0
REFUSED_BY_MLFLOW = "_refused_by_mlflow"
#: where the API mounts its MLflow proxy. The reference gateway keeps its own rules (this list, is_write): it is
#: a stand-in for the product, and must not share the suite's classification that judges it.
PROXY_MOUNTS = ("/api/mlflow/", "/mlflow/")
#: MLflow endpoints that use POST but only read.
READ_ONLY_POSTS = (
    "/experiments/search",
    "/runs/search",
    "/logged-models/search",
    "/traces/search",
    "/model-versions/search",
    "/registered-models/search",
    "/experiments/get-by-name",
)
PROBE_PATHS = {"/", "/ready", "/live", "/version", "/metrics"}
OPEN_PATHS = {
    "/health",
    "/health/alb",
    "/health/mlflow",
    "/docs",
    "/redoc",
    "/openapi.json",
    "/favicon.ico",
    "/docs/oauth2-redirect",
}


@dataclass
class GatewayConfig:
    mlflow_url: str
    auth_url: str
    redis_url: str
    control_secret: str = field(repr=False, default="")
    profile: str = "current"  # 2025 | current
    queue_url: str | None = None  # the message queue (a Redis URL); checked by /health
    database_url: str | None = None  # the API's own database; checked by /health
    service_id: str = "platform"  # AUTH_SERVICE_ID
    cache_ttl: int = 300
    auth_timeout: float = 5.0
    upstream_timeout: float = 30.0
    serve_artifacts: bool = True  # MLFLOW_SERVE_ARTIFACTS
    mount_mlflow: bool = True  # the /api/mlflow route exists
    key_in_body: bool = False  # a shipped variant: the key sent to the auth service in the JSON body
    forward_delete_body: bool = True  # the 2025 proxy forwarded bodies for POST, PUT and PATCH only
    public_artifact_form: bool = False  # the proxy treats its upstream as the public MLflow (ajax-api form)
    probes_need_key: bool | None = None  # default: the profile's (2025: yes)
    health_200_when_degraded: bool | None = None
    map_auth_429_to_401: bool | None = None
    enforce_scopes: bool | None = None
    registry_role: str | None = None  # later API versions: only keys with this role reach /api/mlflow at all
    enforce_ownership: bool | None = None  # default: the profile's (current: owners recorded and enforced)
    max_upload_mb: int | None = None  # largest artifact upload; default: the profile's (current 100, 2025 none)
    dialect: str = HOKUSAI  # how the API words its own answers (dialect.py): hokusai | variant

    def _by_profile(self, value: bool | None, in_2025: bool) -> bool:
        return (self.profile == "2025") == in_2025 if value is None else value

    @property
    def probes_open(self) -> bool:
        return not self._by_profile(self.probes_need_key, True)

    @property
    def health_lies(self) -> bool:
        return self._by_profile(self.health_200_when_degraded, True)

    @property
    def rate_limit_as_401(self) -> bool:
        return self._by_profile(self.map_auth_429_to_401, True)

    @property
    def scopes_enforced(self) -> bool:
        return self._by_profile(self.enforce_scopes, False)

    @property
    def upload_limit_mb(self) -> int | None:
        if self.max_upload_mb is not None:
            return self.max_upload_mb or None  # 0: no limit
        return 100 if self.current else None

    @property
    def ownership_enforced(self) -> bool:
        return self._by_profile(self.enforce_ownership, False)

    @property
    def current(self) -> bool:
        return self.profile != "2025"


#: settings the control API may change at run time
SETTABLE = {f for f in GatewayConfig.__dataclass_fields__ if f != "control_secret"}


class GatewayState:
    def __init__(self, config: GatewayConfig):
        self.config = config
        self.access_log: deque[dict[str, Any]] = deque(maxlen=20000)
        #: one connection pool shared by every upstream call (MLflow and the auth service)
        self._http: aiohttp.ClientSession | None = None
        self.redis: aioredis.Redis | None = None  # None until the API starts, and while it reconnects
        self.breaker_failures = 0
        self.started = time.time()

    @property
    def http(self) -> aiohttp.ClientSession:
        if self._http is None:
            raise RuntimeError("the gateway's HTTP client is used before the gateway started")
        return self._http

    @http.setter
    def http(self, session: aiohttp.ClientSession) -> None:
        self._http = session

    async def mlflow_get(self, path: str, timeout: float, params: dict | None = None) -> int:
        """Status of a small GET to MLflow (health checks); transport errors propagate."""
        async with self.http.get(
            self.config.mlflow_url + path, params=params, timeout=aiohttp.ClientTimeout(total=timeout)
        ) as reply:
            await reply.read()
            return reply.status

    async def mlflow_json(
        self, path: str, params: dict, timeout: float = 10.0, missing_ok: bool = False
    ) -> dict | None:
        """MLflow's JSON answer to a small GET, or None when it does not answer 200 with JSON. With
        ``missing_ok`` a 4xx answers ``{REFUSED_BY_MLFLOW: status}``: nothing is known of what the call
        names, and the write then meets MLflow's own refusal."""
        try:
            async with self.http.get(
                self.config.mlflow_url + path, params=params, timeout=aiohttp.ClientTimeout(total=timeout)
            ) as reply:
                if 400 <= reply.status < 500 and missing_ok:
                    return {REFUSED_BY_MLFLOW: reply.status}
                if reply.status != 200:
                    return None
                answer = json.loads(await reply.read())
        except (TimeoutError, aiohttp.ClientError, ValueError):
            return None
        return answer if isinstance(answer, dict) else None

    async def reconnect_redis(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()
        self.redis = aioredis.from_url(self.config.redis_url, socket_timeout=1.0, socket_connect_timeout=1.0)

    @property
    def current(self) -> bool:
        return self.config.current


def _json(detail: Any, status: int, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status, headers={**(headers or {}), OWN_ANSWER: "1"})


def extract_key(request: Request) -> str | None:
    """The four key forms, first match wins; the Bearer scheme is case-sensitive."""
    auth = request.headers.get("authorization", "")
    if auth.startswith("Bearer "):
        return auth[7:].strip() or None
    if auth.startswith("ApiKey "):
        return auth[7:].strip() or None
    if request.headers.get("x-api-key"):
        return request.headers["x-api-key"].strip()
    if request.query_params.get("api_key"):
        return request.query_params["api_key"].strip()
    return None


def client_ip(request: Request) -> str:
    forwarded = request.headers.get("x-forwarded-for")
    if forwarded:
        return forwarded.split(",")[0].strip()
    return request.client.host if request.client else "unknown"


def is_write(method: str, path: str) -> bool:
    """Whether the API treats a call as a write (scope and ownership checks)."""
    if method in ("GET", "HEAD", "OPTIONS"):
        return False
    return not (method == "POST" and path.rstrip("/").endswith(READ_ONLY_POSTS))


class AuthOutcome:
    def __init__(self, info: dict | None = None, response: Response | None = None, cached: bool = False):
        self.info = info
        self.response = response
        self.cached = cached


async def authenticate(state: GatewayState, request: Request) -> AuthOutcome:
    cfg = state.config
    key = extract_key(request)
    if not key:
        return AuthOutcome(response=_json("API key required", 401))
    if not key.isascii() or not key.isprintable():
        # no key Hokusai issues has such characters, and they cannot travel in the validation call's header
        return AuthOutcome(response=_json("Invalid or expired API key", 401))
    cache_key = CACHE_PREFIX + key
    request.state.rate_counter = None
    if state.redis is not None:
        # one round trip: the cached validation and this key's request counter for the current hour
        counter = f"ratelimit:{hashlib.sha256(key.encode()).hexdigest()[:24]}:{int(time.time() // 3600)}"
        try:
            async with state.redis.pipeline(transaction=False) as pipe:
                pipe.get(cache_key)
                pipe.incr(counter)
                cached, count = await pipe.execute()
            request.state.rate_counter = (counter, int(count))
            if cached:
                return AuthOutcome(info=json.loads(cached), cached=True)
        except (aioredis.RedisError, OSError):
            pass  # the cache is an optimisation: fall through to the auth service
    payload = {"service_id": cfg.service_id, "client_ip": client_ip(request)}
    headers = {"Authorization": f"Bearer {key}"}
    if cfg.key_in_body:
        headers = {}
        payload["api_key"] = key
    unavailable = 503 if state.current else 401
    retry = {"Retry-After": "1"} if state.current else None
    try:
        async with state.http.post(
            cfg.auth_url + "/api/v1/keys/validate",
            json=payload,
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=cfg.auth_timeout),
        ) as reply:
            status, raw = reply.status, await reply.read()
    except TimeoutError:
        return AuthOutcome(response=_json("Authentication service timeout", unavailable, retry))
    except aiohttp.ClientError:
        return AuthOutcome(response=_json("Authentication service unavailable", unavailable, retry))
    if status == 200:
        try:
            info = json.loads(raw)
        except ValueError:
            return AuthOutcome(response=_json("Authentication service error", unavailable, retry))
        if not isinstance(info, dict):
            return AuthOutcome(response=_json("Authentication service error", unavailable, retry))
        if not info.get("is_valid"):
            return AuthOutcome(response=_json("Invalid or expired API key", 401))
        if state.redis is not None:
            with contextlib.suppress(aioredis.RedisError, OSError):
                await state.redis.set(cache_key, json.dumps(info), ex=cfg.cache_ttl)
        return AuthOutcome(info=info)
    if status == 401:
        return AuthOutcome(response=_json("Invalid or expired API key", 401))
    if status == 429:
        if not cfg.rate_limit_as_401:
            return AuthOutcome(response=_json("Rate limit exceeded", 429, {"Retry-After": "60"}))
        return AuthOutcome(response=_json("Rate limit exceeded", 401))
    return AuthOutcome(response=_json("Authentication service error", unavailable, retry))


async def rate_limit(state: GatewayState, info: dict, request: Request) -> tuple[Response | None, dict[str, str]]:
    """Fixed hourly window per key (one key id per key), counted in Redis during authentication."""
    limit = int(info.get("rate_limit_per_hour") or 1000)
    window = int(time.time() // 3600)
    reset = (window + 1) * 3600
    headers = {"X-RateLimit-Limit": str(limit), "X-RateLimit-Reset": str(reset)}
    counted = getattr(request.state, "rate_counter", None)
    if counted is None:
        return None, headers
    counter, count = counted
    if count == 1 and state.redis is not None:
        with contextlib.suppress(aioredis.RedisError, OSError):
            await state.redis.expire(counter, 3700)
    headers["X-RateLimit-Remaining"] = str(max(0, limit - count))
    if count > limit:
        headers["Retry-After"] = str(max(1, reset - int(time.time())))
        return _json("Rate limit exceeded", 429, headers), headers
    return None, headers


class Gateway:
    """The ASGI application uvicorn serves. ``decide`` runs first (authentication, rate limit,
    scope) and its refusal is sent directly; an allowed MLflow call goes straight to the proxy,
    anything else to the FastAPI routes. Rate-limit headers are added to what is sent."""

    def __init__(self, app: FastAPI, state: GatewayState, decide):
        self.app = app
        self.state = state
        self.decide = decide

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)  # lifespan: the FastAPI startup and shutdown hooks
            return
        started = time.perf_counter()
        request = Request(scope, receive)
        response, extra_headers, entry = await self.decide(request)
        seen = {"status": 500}
        extra = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in extra_headers.items()]

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                seen["status"] = message["status"]
                if extra:
                    message = {**message, "headers": list(message.get("headers", [])) + extra}
            await send(message)

        send_with_headers = in_dialect(self.state.config.dialect, send_with_headers)

        try:
            if response is not None:
                await response(scope, receive, send_with_headers)
            elif entry["path"].startswith(PROXY_MOUNTS):
                await proxy(self.state, request, send_with_headers)
            else:
                await self.app(scope, receive, send_with_headers)
        finally:
            if not entry["path"].startswith("/__control/"):
                entry.update(status=seen["status"], ms=round((time.perf_counter() - started) * 1000, 2))
                self.state.access_log.append(entry)


def in_dialect(dialect: str, send):
    """``send`` wrapped so the gateway's own answers speak the dialect (:mod:`.dialect`); relayed answers pass
    as they are. The marker on the gateway's own answers never leaves."""
    held: dict[str, Any] = {}

    async def send_in_dialect(message):
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            own = any(k.lower() == OWN_ANSWER.encode() for k, _ in headers)
            headers = [(k, v) for k, v in headers if k.lower() != OWN_ANSWER.encode()]
            if dialect == VARIANT:
                headers = [(k, v) for k, v in headers if k.lower() != b"server"] + [
                    (b"server", VARIANT_SERVER.encode())
                ]
            message = {**message, "headers": headers}
            if own and dialect == VARIANT:
                held.update(start=message, body=b"")
                return
            await send(message)
            return
        if "start" in held and message["type"] == "http.response.body":
            held["body"] += message.get("body", b"")
            if message.get("more_body"):
                return
            status, body = reword(held["start"]["status"], held["body"])
            headers = [(k, v) for k, v in held["start"]["headers"] if k.lower() != b"content-length"]
            await send(
                {**held["start"], "status": status, "headers": [*headers, (b"content-length", b"%d" % len(body))]}
            )
            await send({"type": "http.response.body", "body": body})
            return
        await send(message)

    return send_in_dialect


def create_app(config: GatewayConfig) -> Gateway:
    state = GatewayState(config)

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        # raw bytes both ways (no decompression), no cookies, a bounded pool kept alive between calls
        state.http = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=200, limit_per_host=100, keepalive_timeout=30),
            auto_decompress=False,
            cookie_jar=aiohttp.DummyCookieJar(),
            trust_env=False,
        )
        state.redis = aioredis.from_url(config.redis_url, socket_timeout=1.0, socket_connect_timeout=1.0)
        try:
            yield
        finally:
            await state.http.close()
            await state.redis.aclose()

    app = FastAPI(title="Hokusai API (reference gateway)", version=VERSION, lifespan=lifespan)
    app.state.gateway = state

    def control_allowed(request: Request) -> bool:
        given = request.headers.get("x-stack-control", "")
        host = request.client.host if request.client else ""
        # only a direct loopback caller: nothing that came through the load balancer (it adds X-Forwarded-For)
        return (
            host == "127.0.0.1"
            and "x-forwarded-for" not in request.headers
            and bool(config.control_secret)
            and hmac.compare_digest(given, config.control_secret)
        )

    async def decide(request: Request) -> tuple[Response | None, dict[str, str], dict]:
        """Authentication, rate limit and scope, before any route: a response to send now, or None to go on."""
        path = request.scope["path"]
        entry = {
            "t": time.time(),
            "method": request.method,
            "path": path,
            "key_id": None,
            "cached": None,
            "write": is_write(request.method, path) and _is_mlflow_path(path),
        }
        if path.startswith("/__control/"):
            return (None if control_allowed(request) else _json("forbidden", 403)), {}, entry
        open_probe = path in PROBE_PATHS or path == "/api/health/mlflow"
        needs_key = path not in OPEN_PATHS and not (open_probe and config.probes_open)
        if not needs_key:
            return None, {}, entry
        outcome = await authenticate(state, request)
        if outcome.response is not None:
            return outcome.response, {}, entry
        info = outcome.info
        if info is None:  # authenticate answers a refusal or the key's validation, never neither
            return _json("Authentication service error", 401), {}, entry
        entry["key_id"], entry["cached"] = info.get("key_id"), outcome.cached
        limited, extra_headers = await rate_limit(state, info, request)
        if limited is not None:
            return limited, {}, entry
        if config.registry_role and _is_mlflow_path(path) and config.registry_role not in (info.get("roles") or []):
            return (
                JSONResponse(
                    {"detail": "Admin access required for the model registry", "error": "REGISTRY_ADMIN_REQUIRED"},
                    status_code=403,
                    headers={OWN_ANSWER: "1"},
                ),
                {},
                entry,
            )
        if config.current and not _is_mlflow_path(path) and _no_balance(info):
            # calls outside the registry are charged (2026): a key whose account has no balance is refused
            return _json("Insufficient balance", 402), {}, entry
        if (
            config.scopes_enforced
            and is_write(request.method, path)
            and _is_mlflow_path(path)
            and not _has_write_scope(info)
        ):
            scopes = list(info.get("scopes") or [])
            return (
                JSONResponse(
                    {
                        "detail": "Insufficient permissions for this operation",
                        "error": "FORBIDDEN",
                        "message": f"This operation requires write permissions. Your API key has scopes: "
                        f"{scopes}. Required: 'model:write' or 'mlflow:write'",
                        "required_scope": "model:write or mlflow:write",
                        "current_scopes": scopes,
                    },
                    status_code=403,
                    headers={OWN_ANSWER: "1"},
                ),
                {},
                entry,
            )
        if config.ownership_enforced and _is_mlflow_path(path) and is_write(request.method, path):
            refused = await guard_ownership(state, request, info)
            if refused is not None:
                return refused, {}, entry
        request.state.identity = info
        return None, extra_headers, entry

    # ----------------------------------------------------------------- health

    async def mlflow_reachable() -> tuple[bool, str]:
        try:
            status = await state.mlflow_get("/health", timeout=3.0)
            return status == 200, f"HTTP {status}"
        except (TimeoutError, aiohttp.ClientError) as exc:
            return False, type(exc).__name__

    async def redis_reachable() -> tuple[bool, str]:
        if state.redis is None:
            return False, "not connected"
        try:
            return bool(await state.redis.ping()), "PONG"
        except (aioredis.RedisError, OSError) as exc:
            return False, type(exc).__name__

    async def queue_reachable() -> tuple[bool, str]:
        if not config.queue_url:
            return True, "not configured"
        client = aioredis.from_url(config.queue_url, socket_timeout=1.0, socket_connect_timeout=1.0)
        try:
            return bool(await client.ping()), "PONG"
        except (aioredis.RedisError, OSError, ValueError) as exc:
            return False, type(exc).__name__
        finally:
            await client.aclose()

    async def database_reachable() -> str:
        if not config.database_url:
            return "unknown"
        ok = await asyncio.to_thread(database_answers, config.database_url)
        return "healthy" if ok else "unhealthy"

    @app.get("/health")
    async def health():
        (mlflow_ok, _), (redis_ok, _), (queue_ok, _), database = await asyncio.gather(
            mlflow_reachable(), redis_reachable(), queue_reachable(), database_reachable()
        )
        services = {
            "mlflow": "healthy" if mlflow_ok else "unhealthy",
            "redis": "healthy" if redis_ok else "unhealthy",
            "message_queue": "healthy" if queue_ok else "unhealthy",
            "postgres": database,
            "external_api": "healthy",
        }
        healthy = mlflow_ok and redis_ok and queue_ok and database != "unhealthy"
        body = {
            "status": "healthy" if healthy else "degraded",
            "version": VERSION,
            "services": services,
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        status = 200 if healthy or config.health_lies else 503
        return JSONResponse(body, status_code=status)

    @app.get("/health/alb")
    async def health_alb():
        return {"status": "healthy"}

    @app.get("/health/mlflow")
    async def health_mlflow():
        ok, why = await mlflow_reachable()
        state.breaker_failures = 0 if ok else state.breaker_failures + 1
        breaker = "CLOSED" if state.breaker_failures < 5 else "OPEN"
        return {
            "circuit_breaker_state": breaker,
            "failure_count": state.breaker_failures,
            "connected": ok,
            "mlflow_server": config.mlflow_url,
            "detail": why,
        }

    @app.get("/api/health/mlflow")
    async def api_health_mlflow():
        ok, why = await mlflow_reachable()
        experiments_ok = artifacts_ok = False
        if ok:
            with contextlib.suppress(TimeoutError, aiohttp.ClientError):
                experiments_ok = (
                    await state.mlflow_get(
                        "/api/2.0/mlflow/experiments/search", timeout=5.0, params={"max_results": "1"}
                    )
                    == 200
                )
            if config.serve_artifacts:
                with contextlib.suppress(TimeoutError, aiohttp.ClientError):
                    artifacts_ok = await state.mlflow_get("/api/2.0/mlflow-artifacts/artifacts", timeout=5.0) == 200
        checks = {
            "connectivity": "healthy" if ok else "unhealthy",
            "experiments_api": "healthy" if experiments_ok else "unhealthy",
            "artifacts_api": "healthy" if artifacts_ok else "unhealthy",
        }
        body = {"mlflow_server": config.mlflow_url, "checks": checks}
        if ok and experiments_ok and artifacts_ok:
            return {**body, "status": "healthy"}
        return JSONResponse({"detail": {**body, "status": "unhealthy", "reason": why}}, status_code=503)

    @app.get("/")
    async def root():
        return {"service": "Hokusai API", "version": VERSION, "docs": "/docs"}

    @app.get("/ready")
    async def ready():
        ok, _ = await mlflow_reachable()
        return JSONResponse({"ready": ok}, status_code=200 if ok else 503)

    @app.get("/live")
    async def live():
        return {"alive": True}

    @app.get("/version")
    async def version():
        return {"version": VERSION, "git_commit": COMMIT, "build_date": BUILD, "profile": config.profile}

    @app.get("/metrics")
    async def metrics():
        return PlainTextResponse(f"hokusai_gateway_requests_total {len(state.access_log)}\n")

    # ---------------------------------------------------------------- control

    # ----------------------------------------------------------------- the API's own model routes (2026)

    @app.get("/api/models/")
    async def list_models(name: str | None = None):
        params = {"filter": f"name='{name}'"} if name else {}
        answer = await state.mlflow_json("/api/2.0/mlflow/model-versions/search", params) or {}
        versions = answer.get("model_versions") or []
        return {"models": [_model_document(v) for v in versions]}

    @app.get("/api/models/{model_name}/{version}")
    async def get_model(model_name: str, version: str):
        answer = await state.mlflow_json("/api/2.0/mlflow/model-versions/get", {"name": model_name, "version": version})
        if not answer or "model_version" not in answer:
            return _json(f"Model not found: {model_name}:{version}", 404)
        return _model_document(answer["model_version"])

    @app.post("/api/models/tokenized-registration-events")
    async def registration_event(request: Request):
        """A tokenized model's registration, announced after it is in the registry (the 2026 API's hook)."""
        if not config.current:
            return _json("Not Found", 404)  # the 2025 API had no registration events
        identity = getattr(request.state, "identity", None) or {}
        if not _has_write_scope(identity):
            return _json("Insufficient permissions for model registration events", 403)
        try:
            body = json.loads(await request.body() or b"null")
        except ValueError:
            body = None
        problems = registration_event_problems(body)
        if problems:
            return JSONResponse({"detail": problems}, status_code=422)
        answer = await state.mlflow_json(
            "/api/2.0/mlflow/model-versions/get", {"name": body["model_name"], "version": body["version"]}
        )
        if not answer or "model_version" not in answer:
            return _json("Failed to emit model registration event", 502)
        return {
            "status": "ok",
            "model_id": f"{body['model_name']}/{body['version']}/{body['token_id']}",
            "model_name": body["model_name"],
            "version": body["version"],
            "event_emitted": True,
        }

    @app.get("/__control/state", include_in_schema=False)
    async def control_state():
        return {"config": {k: v for k, v in asdict(config).items() if k != "control_secret"}}

    @app.post("/__control/settings", include_in_schema=False)
    async def control_settings(request: Request):
        body = await request.json()
        unknown = sorted(set(body) - SETTABLE)
        if unknown:
            return JSONResponse({"detail": f"unknown settings: {', '.join(unknown)}"}, status_code=400)
        for name, value in body.items():
            setattr(config, name, value)
        if "redis_url" in body:
            await state.reconnect_redis()
        return {k: v for k, v in asdict(config).items() if k != "control_secret"}

    @app.get("/__control/access-log", include_in_schema=False)
    async def control_access_log():
        return {"entries": list(state.access_log)}

    @app.post("/__control/access-log/clear", include_in_schema=False)
    async def control_access_log_clear():
        state.access_log.clear()
        return {"cleared": True}

    describe_proxy(app)
    return Gateway(app, state, decide)


PROXY_METHODS = ("get", "post", "put", "delete", "patch")


def describe_proxy(app: FastAPI) -> None:
    """Describe the MLflow proxy in the API's own /openapi.json as FastAPI describes a catch-all route (the
    proxy itself runs before routing, in :class:`Gateway`)."""
    generate = app.openapi

    def openapi() -> dict:
        if app.openapi_schema is None:
            schema = generate()
            for mount in PROXY_MOUNTS:
                item = {}
                for method in PROXY_METHODS:
                    item[method] = {
                        "summary": "MLflow proxy",
                        "operationId": f"proxy_{method}_{mount.strip('/').replace('/', '_')}",
                        "tags": ["mlflow"],
                        "parameters": [{"name": "path", "in": "path", "required": True, "schema": {"type": "string"}}],
                        "responses": {"200": {"description": "MLflow's answer, relayed"}},
                    }
                schema["paths"][mount + "{path}"] = item
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to shape /openapi.json


def database_answers(url: str) -> bool:
    """Whether the API's database accepts a connection and a trivial query (blocking; run in a thread)."""
    try:
        if url.startswith("sqlite:///"):
            import sqlite3

            connection = sqlite3.connect(f"file:{url[len('sqlite:///') :]}?mode=rw", uri=True, timeout=2)
        else:
            import psycopg2

            connection = psycopg2.connect(url, connect_timeout=2)
        try:
            connection.cursor().execute("SELECT 1")
        finally:
            connection.close()
        return True
    except Exception:  # any failure to log in or query is "unhealthy"
        return False


def _refusal(status: int, message: str, error: str) -> JSONResponse:
    """A refusal both an HTTP client (``detail``) and the MLflow client (``message``) show in full."""
    return JSONResponse({"detail": message, "error": error, "message": message}, status_code=status)


async def guard_ownership(state: GatewayState, request: Request, info: dict) -> Response | None:
    """Refuse a write to another developer's resource or token id; tag what the caller creates with its owner."""
    sub = _sub_path(request.scope)
    query = request.scope.get("query_string", b"").decode("latin-1")
    body: dict = {}
    length = request.headers.get("content-length")
    if ownership.ARTIFACTS not in sub:
        if length is not None and length.isdigit() and int(length) > SMALL_BODY:
            return _refusal(413, "An MLflow request body this large is not accepted", "BODY_TOO_LARGE")
        raw = await request.body()  # small, or unsized: read whole (JSON calls are small)
        body = ownership.parse_body(raw)
        if ownership.is_json_string(raw):
            # MLflow decodes a JSON string body a second time and acts on the object inside: a write the owner
            # check would never have seen
            return _refusal(
                400, "An MLflow request body must be a JSON object, not a JSON string", "BODY_NOT_AN_OBJECT"
            )
        if raw and not ownership.is_json_object(raw):
            # not a JSON object (an array, a number, not JSON): it names and creates nothing; MLflow answers it
            # as it was sent
            return None
    if "tags" in body and body["tags"] is not None and not isinstance(body["tags"], list):
        return _refusal(400, '\'tags\' must be a list of {"key", "value"} objects', "INVALID_TAGS")
    user = str(info.get("user_id") or "")
    if ownership.touches_owner_tag(sub, body, query):
        return _refusal(
            403,
            f"The tag '{ownership.OWNER_TAG}' is recorded by the registry and cannot be changed",
            "OWNER_TAG_READ_ONLY",
        )
    target = ownership.guarded_target(sub, body, query)
    if target is not None:
        lookup_path, parameter = ownership.LOOKUPS[target.kind]
        answer = await state.mlflow_json(lookup_path, {parameter: target.ident}, missing_ok=True)
        if answer is None:  # fail closed: a write whose owner cannot be checked does not go ahead
            return _refusal(503, "The registry could not check who owns this; try again", "OWNER_CHECK_FAILED")
        owner = ownership.owner_from(target.kind, answer)
        if owner and owner != user:
            return _refusal(403, ownership.refusal_message(target), "NOT_OWNER")
    token = ownership.claimed_token_id(sub, body)
    if token and ("'" in token or "`" in token):
        return _refusal(400, "A token id may not contain quotes", "INVALID_TOKEN_ID")
    if token:
        answer = await state.mlflow_json(
            "/api/2.0/mlflow/model-versions/search",
            {"filter": f"tags.`{ownership.TOKEN_ID_TAG}` = '{token}'", "max_results": "50"},
            missing_ok=True,
        )
        if answer is None:
            return _refusal(
                503, "The registry could not check who holds this token id; try again", "OWNER_CHECK_FAILED"
            )
        if REFUSED_BY_MLFLOW in answer:  # MLflow could not search for it: not a token id it can match
            return _refusal(
                400, f"Token id {token!r} cannot be checked: use lower-case letters, digits and '-'", "INVALID_TOKEN_ID"
            )
        holders = {ownership.version_owner(v) for v in answer.get("model_versions") or []}
        if holders - {None, user}:
            return _refusal(409, ownership.token_message(token), "TOKEN_ID_TAKEN")
    request.state.body_override = ownership.with_owner(sub, body, user)
    return None


def _is_mlflow_path(path: str) -> bool:
    return path.startswith("/api/mlflow/") or path.startswith("/mlflow/")


#: the registration event's required members (all strings) and its baseline (a finite number)
EVENT_FIELDS = ("model_name", "version", "token_id", "proposal_identifier", "metric_name", "mlflow_run_id")


def registration_event_problems(body: Any) -> list[dict]:
    """What is wrong with a registration event's body, in the shape FastAPI reports it (empty: nothing)."""
    if not isinstance(body, dict):
        return [{"loc": ["body"], "msg": "Input should be a valid dictionary", "type": "dict_type"}]
    problems = [
        {"loc": ["body", name], "msg": "Field required" if name not in body else "Input should be a valid string"}
        for name in EVENT_FIELDS
        if not isinstance(body.get(name), str) or not body.get(name)
    ]
    baseline = body.get("baseline_value")
    if isinstance(baseline, bool) or not isinstance(baseline, (int, float)) or not math.isfinite(baseline):
        problems.append({"loc": ["body", "baseline_value"], "msg": "Input should be a finite number"})
    return problems


def _model_document(version: dict) -> dict:
    tags = {t.get("key"): t.get("value") for t in version.get("tags") or [] if isinstance(t, dict)}
    return {
        "name": version.get("name", ""),
        "version": str(version.get("version", "")),
        "status": version.get("status", ""),
        "created_at": int(version.get("creation_timestamp") or 0),
        "tags": tags,
    }


def _no_balance(info: dict) -> bool:
    balance = info.get("balance")
    return isinstance(balance, (int, float)) and balance <= 0


def _has_write_scope(info: dict) -> bool:
    scopes = set(info.get("scopes") or [])
    return bool(scopes & {"write", "model:write", "mlflow:write", "admin"})


def upstream_path(path: str, public_form: bool) -> str:
    """Map a proxied sub-path to the MLflow path. The ajax-api form is used only when the proxy treats
    its upstream as the public MLflow (the contract's rewrite for URLs naming the public host)."""
    path = path.lstrip("/")
    if public_form:
        for prefix in ("api/2.0/mlflow/", "api/2.0/mlflow-artifacts/"):
            if path.startswith(prefix):
                path = "ajax-" + path
                break
    return "/" + path


def proxy_refusal(state: GatewayState, request: Request, path: str) -> Response | None:
    """What the API itself answers, before MLflow is asked."""
    config = state.config
    if not config.mount_mlflow and request.scope["path"].startswith("/api/mlflow"):
        return _json("Not Found", 404)
    if "mlflow-artifacts" in path and not config.serve_artifacts:
        return _json(
            {"error": "ARTIFACTS_DISABLED", "message": "Artifact storage is not configured for this MLflow deployment"},
            503,
        )
    return None


async def upload_too_large(cfg: GatewayConfig, request: Request, path: str) -> Response | None:
    """A 413 for an artifact upload above the limit, given after the body has been read and dropped: a client
    still sending gets the answer, not a reset connection (chunked uploads without a length pass through)."""
    limit = cfg.upload_limit_mb
    length = request.headers.get("content-length", "")
    if not limit or request.method not in ("PUT", "POST") or "mlflow-artifacts" not in path or not length.isdigit():
        return None
    size = int(length)
    if size <= limit * 1024 * 1024:
        return None
    if size <= DRAIN_LIMIT:  # read and drop it, within a deadline, so the client reads the answer
        with contextlib.suppress(asyncio.TimeoutError):
            async with asyncio.timeout(DRAIN_SECONDS):
                async for _ in request.stream():
                    pass
    return _refusal(
        413,
        f"The file is {size / 2**20:.0f} MB; this registry accepts model files of up to {limit} MB",
        "PAYLOAD_TOO_LARGE",
    )


def _sub_path(scope) -> str:
    """The request path after the mount, still percent-encoded as the client sent it."""
    raw = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
    for mount in PROXY_MOUNTS:
        if raw.startswith(mount):
            return raw[len(mount) :]
    return raw


async def _request_body(request: Request, has_body: bool):
    """Small bodies are read whole (one write upstream); large or unsized ones are streamed."""
    if not has_body:
        return None
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) <= SMALL_BODY:
        return await request.body()
    return request.stream()


async def proxy(state: GatewayState, request: Request, send) -> None:
    """Forward one allowed MLflow call and relay the answer unchanged (status, headers, raw bytes)."""
    scope = request.scope
    cfg = state.config
    path = _sub_path(scope)
    refusal = proxy_refusal(state, request, path)
    if refusal is None:
        refusal = await upload_too_large(cfg, request, path)
    if refusal is not None:
        await refusal(scope, request.receive, send)
        return
    upstream_url = cfg.mlflow_url
    target = upstream_path(path, cfg.public_artifact_form and "mlflow-artifacts" in path)
    if cfg.public_artifact_form and "mlflow-artifacts" in target:
        # the public form lives under the load balancer's /mlflow prefix, which the internal MLflow does not serve
        target = "/mlflow" + target
    query = scope.get("query_string", b"").decode("latin-1")
    url = URL(upstream_url + target + (f"?{query}" if query else ""), encoded=True)
    headers = [(k, v) for k, v in request.headers.items() if k not in STRIPPED_REQUEST_HEADERS]
    identity = getattr(request.state, "identity", None) or {}
    headers.append(("X-Hokusai-User-Id", str(identity.get("user_id", ""))))
    headers.append(("X-Hokusai-API-Key-Id", str(identity.get("key_id", ""))))
    method = request.method
    carries_body = ("POST", "PUT", "PATCH", "DELETE") if cfg.forward_delete_body else ("POST", "PUT", "PATCH")
    override = getattr(request.state, "body_override", None)
    if override is not None:  # a create, tagged with its owner
        headers = [(k, v) for k, v in headers if k not in ("content-length", "transfer-encoding")]
        headers.append(("content-length", str(len(override))))
        body = override
    else:
        body = await _request_body(request, method in carries_body)
    if body is None:  # a body that is not forwarded must not be announced either
        headers = [(k, v) for k, v in headers if k not in ("content-length", "transfer-encoding")]
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=cfg.upstream_timeout, sock_read=cfg.upstream_timeout)
    failure: JSONResponse | None
    try:
        try:
            upstream = await state.http.request(
                method,
                url,
                headers=headers,
                data=body,
                allow_redirects=False,
                timeout=timeout,
                skip_auto_headers=("User-Agent", "Accept-Encoding"),
            )
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError):
            if not isinstance(body, (bytes, type(None))):
                raise
            # a pooled connection MLflow had already closed or reset (it does after answering an error without
            # reading the whole upload): the request never reached it, so send it once more on a fresh one
            upstream = await state.http.request(
                method,
                url,
                headers=headers,
                data=body,
                allow_redirects=False,
                timeout=timeout,
                skip_auto_headers=("User-Agent", "Accept-Encoding"),
            )
    except TimeoutError:
        failure = _json(f"MLflow server request timeout after {cfg.upstream_timeout}s", 504)
    except aiohttp.ClientConnectorError:
        failure = _json(f"Failed to connect to MLflow server at {upstream_url}", 502)
    except aiohttp.ClientError as exc:
        print(f"proxy error on {method} {target}: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        failure = _json("Internal server error while proxying to MLflow", 500)
    else:
        failure = None
    if failure is not None:
        await failure(scope, request.receive, send)
        return
    try:
        await _relay(upstream, target, method, scope, request.receive, send)
    finally:
        upstream.release()


async def _relay(upstream: aiohttp.ClientResponse, target: str, method: str, scope, receive, send) -> None:
    content_type = upstream.headers.get("content-type", "")
    if upstream.status == 404 and content_type.startswith("text/html"):
        await JSONResponse(
            {"error_code": "RESOURCE_NOT_FOUND", "message": f"The requested resource was not found: {target}"},
            status_code=404,
        )(scope, receive, send)
        return
    headers = [(k.lower(), v) for k, v in upstream.raw_headers if k.lower() not in HOP_BY_HOP_RESPONSE_HEADERS]
    await send({"type": "http.response.start", "status": upstream.status, "headers": headers})
    if method == "HEAD":
        await send({"type": "http.response.body", "body": b""})
        return
    length = upstream.content_length
    if length is not None and length <= SMALL_BODY:
        await send({"type": "http.response.body", "body": await upstream.read()})
        return
    # a large answer goes through in chunks; if MLflow breaks off, so does the client's connection
    async for chunk in upstream.content.iter_chunked(RELAY_CHUNK):
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b""})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--config", type=Path, required=True)
    args = parser.parse_args(argv)
    raw = json.loads(args.config.read_text())
    args.config.unlink()
    config = GatewayConfig(**raw)
    # proxy_headers off: the gateway reads X-Forwarded-For itself (client_ip), and the control
    # routes must see the real peer, not an address a client claims
    uvicorn.run(
        create_app(config),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
        timeout_keep_alive=30,
        loop="uvloop",
        http="httptools",
        proxy_headers=False,
        server_header=config.dialect != VARIANT,  # the variant names itself
    )


if __name__ == "__main__":
    main()
