"""Reference Hokusai API gateway: reproduces sections 3-5 of the registry contract.

* ``/health``, ``/health/mlflow``, ``/api/health/mlflow`` and the probe paths;
* authentication with the four key forms, validation through the auth service
  (5 s timeout), a Redis cache of successful validations and a per-key hourly
  rate limit;
* the MLflow proxy on ``/api/mlflow/*`` and ``/mlflow/*``: credentials stripped,
  identity headers added, ``Host`` rewritten, bodies streamed both ways, HTML 404
  turned into JSON ``RESOURCE_NOT_FOUND``, 502/504/500 on proxy failures, and the
  artifact gate.

The proxy is the hot path: it is served straight on the ASGI interface (no
routing or per-request framework layers) through one shared aiohttp connection
pool, so the gateway adds as little as it can to every MLflow call. Health,
probes and the control API are ordinary FastAPI routes.

``profile`` selects the generation being reproduced: ``2025`` (every auth
failure is a 401, no scope checks, probes need a key) or ``current`` (429/503
with ``Retry-After``, write scope enforced, probes open). A loopback-only control
API guarded by the per-run secret switches field faults on and off.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import json
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

VERSION = "1.0.0-reference"
SMALL_BODY = 256 * 1024  # answers up to this size are relayed whole; larger ones are streamed
CACHE_PREFIX = "api_key:validation:"
STRIPPED_REQUEST_HEADERS = {"authorization", "x-api-key", "host", "connection", "keep-alive",
                            "transfer-encoding", "te", "upgrade", "proxy-authorization", "x-stack-control"}
HOP_BY_HOP_RESPONSE_HEADERS = {b"connection", b"keep-alive", b"transfer-encoding", b"te", b"upgrade",
                               b"proxy-authenticate", b"trailer"}
RELAY_CHUNK = 64 * 1024
PROXY_MOUNTS = ("/api/mlflow/", "/mlflow/")
#: MLflow endpoints that use POST but only read.
READ_ONLY_POSTS = ("/experiments/search", "/runs/search", "/logged-models/search", "/traces/search",
                   "/model-versions/search", "/registered-models/search", "/experiments/get-by-name")
PROBE_PATHS = {"/", "/ready", "/live", "/version", "/metrics"}
OPEN_PATHS = {"/health", "/health/alb", "/health/mlflow", "/docs", "/redoc", "/openapi.json", "/favicon.ico",
              "/docs/oauth2-redirect"}


@dataclass
class GatewayConfig:
    mlflow_url: str
    auth_url: str
    redis_url: str
    control_secret: str = field(repr=False, default="")
    profile: str = "current"            # 2025 | current
    service_id: str = "platform"
    cache_ttl: int = 300
    auth_timeout: float = 5.0
    upstream_timeout: float = 30.0
    artifacts_enabled: bool = True
    faults: list[str] = field(default_factory=list)
    unreachable_url: str = "http://127.0.0.1:9"
    blocked_seconds: float = 60.0


class GatewayState:
    def __init__(self, config: GatewayConfig):
        self.config = config
        self.faults: set[str] = set(config.faults)
        self.access_log: deque[dict[str, Any]] = deque(maxlen=20000)
        #: one connection pool shared by every upstream call (MLflow and the auth service)
        self.http: aiohttp.ClientSession | None = None
        self.redis: aioredis.Redis | None = None
        self.breaker_failures = 0
        self.started = time.time()

    def mlflow_base(self) -> str:
        """Where MLflow calls go: nowhere that answers when service discovery has no MLflow."""
        if self.faults & {"mlflow-dns-failure", "mlflow-db-auth"}:
            return self.config.unreachable_url
        return self.config.mlflow_url

    def auth_base(self) -> str:
        if "auth-service-unreachable" in self.faults:
            return self.config.unreachable_url
        return self.config.auth_url

    async def mlflow_get(self, path: str, timeout: float, params: dict | None = None) -> int:
        """Status of a small GET to MLflow (health checks); transport errors propagate."""
        async with self.http.get(self.mlflow_base() + path, params=params,
                                 timeout=aiohttp.ClientTimeout(total=timeout)) as reply:
            await reply.read()
            return reply.status

    @property
    def current(self) -> bool:
        return self.config.profile != "2025"


ALB_HEADERS = {"Server": "awselb/2.0"}


def _alb_page(status: int, title: str) -> Response:
    body = (f"<html>\r\n<head><title>{status} {title}</title></head>\r\n<body>\r\n<center><h1>{status} {title}"
            f"</h1></center>\r\n</body>\r\n</html>\r\n")
    return Response(body, status_code=status, media_type="text/html", headers=ALB_HEADERS)


async def routing_fault(state: "GatewayState", request: Request) -> Response | None:
    """What the load balancer in front of the API answers under a routing fault."""
    faults = state.faults
    path = request.scope["path"]
    if path == "/health/alb":
        return None  # the load balancer's own target health check reaches the task directly
    if "alb-no-rule" in faults:
        return PlainTextResponse("Not Found", status_code=404, headers=ALB_HEADERS)
    if "service-not-deployed" in faults:
        return _alb_page(503, "Service Temporarily Unavailable")
    if "api-crash-loop" in faults and not path.startswith("/mlflow/"):
        return _alb_page(504, "Gateway Time-out")
    if "alb-to-api-blocked" in faults and not path.startswith("/mlflow/"):
        await asyncio.sleep(state.config.blocked_seconds)
        return _alb_page(504, "Gateway Time-out")
    if "alb-api-path-to-mlflow" in faults and path.startswith("/api/mlflow"):
        # the rule forwards the request, path unchanged, to the MLflow target group
        async with state.http.request(request.method, state.config.mlflow_url + path,
                                      params=request.query_params or None, data=await request.body(),
                                      timeout=aiohttp.ClientTimeout(total=state.config.upstream_timeout)) as reply:
            return Response(await reply.read(), status_code=reply.status,
                            media_type=reply.headers.get("content-type", "text/html"))
    return None


def _json(detail: Any, status: int, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


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
    if method in ("GET", "HEAD", "OPTIONS"):
        return False
    if method == "POST" and path.rstrip("/").endswith(READ_ONLY_POSTS):
        return False
    return True


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
    cache_key = CACHE_PREFIX + key
    request.state.rate_counter = None
    if state.redis is not None and "redis-cache-down" not in state.faults:
        # one round trip: the cached validation and this key's request counter for the current hour
        counter = f"ratelimit:{hashlib.sha256(key.encode()).hexdigest()[:24]}:{int(time.time() // 3600)}"
        try:
            async with state.redis.pipeline(transaction=False) as pipe:
                cached, count = await pipe.get(cache_key).incr(counter).execute()
            request.state.rate_counter = (counter, int(count))
            if cached:
                return AuthOutcome(info=json.loads(cached), cached=True)
        except (aioredis.RedisError, OSError):
            pass  # the cache is an optimisation: fall through to the auth service
    payload = {"service_id": "ml-platform" if "auth-service-id-mismatch" in state.faults else cfg.service_id,
               "client_ip": client_ip(request)}
    headers = {"Authorization": f"Bearer {key}"}
    if "auth-contract-mismatch" in state.faults:
        headers = {}
        payload["api_key"] = key
    unavailable = 503 if state.current else 401
    retry = {"Retry-After": "1"} if state.current else None
    try:
        async with state.http.post(state.auth_base() + "/api/v1/keys/validate", json=payload, headers=headers,
                                   timeout=aiohttp.ClientTimeout(total=cfg.auth_timeout)) as reply:
            status, raw = reply.status, await reply.read()
    except asyncio.TimeoutError:
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
        if state.redis is not None and "redis-cache-down" not in state.faults:
            try:
                await state.redis.set(cache_key, json.dumps(info), ex=cfg.cache_ttl)
            except (aioredis.RedisError, OSError):
                pass
        return AuthOutcome(info=info)
    if status == 401:
        return AuthOutcome(response=_json("Invalid or expired API key", 401))
    if status == 429:
        if state.current and "rate-limit-misreported" not in state.faults:
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
    if count == 1:
        try:
            await state.redis.expire(counter, 3700)
        except (aioredis.RedisError, OSError):
            pass
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


def create_app(config: GatewayConfig) -> Gateway:
    state = GatewayState(config)

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        # raw bytes both ways (no decompression), no cookies, a bounded pool kept alive between calls
        state.http = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=200, limit_per_host=100, keepalive_timeout=30),
            auto_decompress=False, cookie_jar=aiohttp.DummyCookieJar(), trust_env=False)
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
        return host == "127.0.0.1" and bool(config.control_secret) and hmac.compare_digest(
            given, config.control_secret)

    async def decide(request: Request) -> tuple[Response | None, dict[str, str], dict]:
        """Authentication, rate limit and scope, before any route: a response to send now, or None to go on."""
        path = request.scope["path"]
        entry = {"t": time.time(), "method": request.method, "path": path, "key_id": None, "cached": None,
                 "write": is_write(request.method, path) and _is_mlflow_path(path)}
        if path.startswith("/__control/"):
            return (None if control_allowed(request) else _json("forbidden", 403)), {}, entry
        faulted = await routing_fault(state, request)
        if faulted is not None:
            entry["write"] = False
            return faulted, {}, entry
        needs_key = path not in OPEN_PATHS and not (path in PROBE_PATHS and state.current
                                                    and "health-probes-need-key" not in state.faults)
        if path == "/api/health/mlflow" and state.current and "health-probes-need-key" not in state.faults:
            needs_key = False
        if not needs_key:
            return None, {}, entry
        outcome = await authenticate(state, request)
        if outcome.response is not None:
            return outcome.response, {}, entry
        info = outcome.info
        entry["key_id"], entry["cached"] = info.get("key_id"), outcome.cached
        limited, extra_headers = await rate_limit(state, info, request)
        if limited is not None:
            return limited, {}, entry
        if (state.current and is_write(request.method, path) and _is_mlflow_path(path)
                and (not _has_write_scope(info) or "missing-write-scope" in state.faults)):
            return JSONResponse({"error": "FORBIDDEN", "message": "This API key cannot write to the model registry",
                                 "required_scope": "model:write or mlflow:write"}, status_code=403), {}, entry
        request.state.identity = info
        return None, extra_headers, entry


    # ----------------------------------------------------------------- health

    async def mlflow_reachable() -> tuple[bool, str]:
        try:
            status = await state.mlflow_get("/health", timeout=3.0)
            return status == 200, f"HTTP {status}"
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            return False, type(exc).__name__

    async def redis_reachable() -> tuple[bool, str]:
        if "redis-cache-down" in state.faults:
            return False, "connection refused"
        try:
            return bool(await state.redis.ping()), "PONG"
        except (aioredis.RedisError, OSError) as exc:
            return False, type(exc).__name__

    @app.get("/health")
    async def health():
        (mlflow_ok, _), (redis_ok, _) = await asyncio.gather(mlflow_reachable(), redis_reachable())
        services = {"mlflow": "healthy" if mlflow_ok else "unhealthy",
                    "redis": "healthy" if redis_ok else "unhealthy",
                    "message_queue": "healthy" if redis_ok else "unhealthy",
                    "postgres": "healthy" if mlflow_ok else "unknown",
                    "external_api": "healthy"}
        if "mlflow-db-auth" in state.faults:
            services["postgres"] = "unhealthy"
        healthy = mlflow_ok and redis_ok
        if "health-lies" in state.faults:
            services["message_queue"] = "unhealthy"
            body = {"status": "degraded", "version": VERSION, "services": services,
                    "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
            return JSONResponse(body, status_code=200)
        body = {"status": "healthy" if healthy else "degraded", "version": VERSION, "services": services,
                "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
        status = 200 if healthy or not state.current else 503
        return JSONResponse(body, status_code=status)

    @app.get("/health/alb")
    async def health_alb():
        return {"status": "healthy"}

    @app.get("/health/mlflow")
    async def health_mlflow():
        ok, why = await mlflow_reachable()
        state.breaker_failures = 0 if ok else state.breaker_failures + 1
        breaker = "CLOSED" if state.breaker_failures < 5 else "OPEN"
        return {"circuit_breaker_state": breaker, "failure_count": state.breaker_failures, "connected": ok,
                "mlflow_server": config.mlflow_url, "detail": why}

    @app.get("/api/health/mlflow")
    async def api_health_mlflow():
        ok, why = await mlflow_reachable()
        experiments_ok = artifacts_ok = False
        if ok:
            try:
                experiments_ok = await state.mlflow_get("/api/2.0/mlflow/experiments/search", timeout=5.0,
                                                        params={"max_results": "1"}) == 200
            except (aiohttp.ClientError, asyncio.TimeoutError):
                pass
            if config.artifacts_enabled and "artifacts-disabled" not in state.faults:
                try:
                    artifacts_ok = await state.mlflow_get("/api/2.0/mlflow-artifacts/artifacts", timeout=5.0) == 200
                except (aiohttp.ClientError, asyncio.TimeoutError):
                    pass
        checks = {"connectivity": "healthy" if ok else "unhealthy",
                  "experiments_api": "healthy" if experiments_ok else "unhealthy",
                  "artifacts_api": "healthy" if artifacts_ok else "unhealthy"}
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
        return {"version": VERSION, "profile": config.profile}

    @app.get("/metrics")
    async def metrics():
        return PlainTextResponse(f"hokusai_gateway_requests_total {len(state.access_log)}\n")

    # ---------------------------------------------------------------- control

    @app.get("/__control/state")
    async def control_state():
        return {"faults": sorted(state.faults), "config": {k: v for k, v in asdict(config).items()
                                                            if k != "control_secret"}}

    @app.post("/__control/faults")
    async def control_faults(request: Request):
        body = await request.json()
        state.faults = set(body.get("faults", []))
        return {"faults": sorted(state.faults)}

    @app.post("/__control/settings")
    async def control_settings(request: Request):
        body = await request.json()
        for name in ("upstream_timeout", "auth_timeout", "cache_ttl"):
            if name in body:
                setattr(config, name, type(getattr(config, name))(body[name]))
        return {name: getattr(config, name) for name in ("upstream_timeout", "auth_timeout", "cache_ttl")}

    @app.get("/__control/access-log")
    async def control_access_log():
        return {"entries": list(state.access_log)}

    @app.post("/__control/access-log/clear")
    async def control_access_log_clear():
        state.access_log.clear()
        return {"cleared": True}

    return Gateway(app, state, decide)


def _is_mlflow_path(path: str) -> bool:
    return path.startswith("/api/mlflow/") or path.startswith("/mlflow/")


def _has_write_scope(info: dict) -> bool:
    scopes = set(info.get("scopes") or [])
    return bool(scopes & {"write", "model:write", "mlflow:write", "admin"})


def upstream_path(path: str, mlflow_url: str) -> str:
    """Map a proxied sub-path to the MLflow path (ajax-api rewrite only for the public MLflow)."""
    path = path.lstrip("/")
    if "registry.hokus.ai" in mlflow_url:
        for prefix in ("api/2.0/mlflow/", "api/2.0/mlflow-artifacts/"):
            if path.startswith(prefix):
                path = "ajax-" + path
                break
    return "/" + path


def proxy_refusal(state: GatewayState, request: Request, path: str) -> Response | None:
    """What the API itself answers, before MLflow is asked, under the proxy's fault switches."""
    if "api-mount-missing" in state.faults:
        return _json("Not Found", 404)
    if "auth-headers-stripped" in state.faults and is_write(request.method, request.scope["path"]):
        # MLflow now authenticates writes itself, and the proxy stripped the credentials
        return _json("API key required", 401)
    if "mlflow-artifacts" in path and (not state.config.artifacts_enabled or "artifacts-disabled" in state.faults):
        return _json({"error": "ARTIFACTS_DISABLED",
                      "message": "Artifact storage is not configured for this MLflow deployment"}, 503)
    return None


def _sub_path(scope) -> str:
    """The request path after the mount, still percent-encoded as the client sent it."""
    raw = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
    for mount in PROXY_MOUNTS:
        if raw.startswith(mount):
            return raw[len(mount):]
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
    if refusal is not None:
        await refusal(scope, request.receive, send)
        return
    upstream_url = state.mlflow_base()
    target = upstream_path(path, upstream_url)
    if "artifact-route-hairpin" in state.faults and "mlflow-artifacts" in target:
        # the proxy points at the public MLflow: artifact calls loop through the load balancer's /mlflow prefix
        target = "/mlflow/ajax-" + target.lstrip("/")
    query = scope.get("query_string", b"").decode("latin-1")
    url = URL(upstream_url + target + (f"?{query}" if query else ""), encoded=True)
    headers = [(k, v) for k, v in request.headers.items() if k not in STRIPPED_REQUEST_HEADERS]
    identity = getattr(request.state, "identity", None) or {}
    headers.append(("X-Hokusai-User-Id", str(identity.get("user_id", ""))))
    headers.append(("X-Hokusai-API-Key-Id", str(identity.get("key_id", ""))))
    method = request.method
    body = await _request_body(request, method in ("POST", "PUT", "PATCH", "DELETE"))
    timeout = aiohttp.ClientTimeout(total=None, sock_connect=cfg.upstream_timeout, sock_read=cfg.upstream_timeout)
    try:
        upstream = await state.http.request(method, url, headers=headers, data=body, allow_redirects=False,
                                            timeout=timeout, skip_auto_headers=("User-Agent", "Accept-Encoding"))
    except asyncio.TimeoutError:
        failure = _json(f"MLflow server request timeout after {cfg.upstream_timeout}s", 504)
    except aiohttp.ClientConnectorError:
        failure = _json(f"Failed to connect to MLflow server at {upstream_url}", 502)
    except aiohttp.ClientError:
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
        await JSONResponse({"error_code": "RESOURCE_NOT_FOUND",
                            "message": f"The requested resource was not found: {target}"},
                           status_code=404)(scope, receive, send)
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
    uvicorn.run(create_app(config), host="127.0.0.1", port=args.port, log_level="warning", access_log=False,
                timeout_keep_alive=30, loop="uvloop", http="httptools", proxy_headers=False)


if __name__ == "__main__":
    main()
