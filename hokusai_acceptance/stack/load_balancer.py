"""A load balancer in front of the embedded stack, behaving like the AWS ALBs of production.

One process serves several *listeners* (the registry's public load balancer, the auth
service's own one, and the "MLflow front" a fault can put before MLflow). Each listener has
path rules that pick a *target group*, or a fixed response; each target group has targets
that are health-checked every second. What a client sees comes from what really happens:

* a rule matches nothing -> the fixed plain-text ``404 Not Found``;
* the target group has no registered target -> HTML 503 "Service Temporarily Unavailable";
* the connection to the target is refused or reset -> HTML 502 "Bad Gateway";
* the target does not accept the connection (10 s) or does not answer in time -> HTML 504;
* otherwise the target's answer is relayed unchanged, streamed both ways.

In the **variant** dialect (:mod:`.dialect`) it answers like another kind of edge proxy: plain-text pages with
their own statuses, an empty 404, ``Server: edge-proxy``, and a 4 s connect limit.

Every page the load balancer writes itself carries ``Server: awselb/2.0``. When every target of
a group fails its health check the load balancer sends traffic to all of them anyway ("fail
open"), as ALBs do. A loopback-only control route guarded by the stack's secret replaces the
configuration at run time (fault switches change rules and targets, never answers).
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import json
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from aiohttp import web

from .dialect import EDGE_CONNECT_TIMEOUT, EDGE_PAGES, EDGE_SERVER, HOKUSAI, VARIANT

SERVER = "awselb/2.0"
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "upgrade",
    "proxy-authenticate",
    "trailer",
    "proxy-authorization",
    "host",
    "content-length",
}
CONNECT_TIMEOUT = 10.0
CHUNK = 64 * 1024
SMALL_BODY = 256 * 1024


def page(status: int, title: str, dialect: str = HOKUSAI, why: str = "") -> web.Response:
    if dialect == VARIANT and why in EDGE_PAGES:
        edge_status, text = EDGE_PAGES[why]
        return web.Response(status=edge_status, text=text, content_type="text/plain", headers={"Server": EDGE_SERVER})
    body = (
        f"<html>\r\n<head><title>{status} {title}</title></head>\r\n<body>\r\n<center><h1>{status} {title}</h1>"
        f"</center>\r\n</body>\r\n</html>\r\n"
    )
    return web.Response(status=status, text=body, content_type="text/html", headers={"Server": SERVER})


def fixed_404(dialect: str = HOKUSAI) -> web.Response:
    if dialect == VARIANT:
        return web.Response(status=404, headers={"Server": EDGE_SERVER})  # no route: an empty 404
    return web.Response(status=404, text="Not Found", content_type="text/plain", headers={"Server": SERVER})


@dataclass
class TargetGroup:
    targets: list[str] = field(default_factory=list)  # base URLs
    health_path: str = "/health"
    healthy: dict[str, bool] = field(default_factory=dict)
    require_key_for_writes: bool = False  # an auth layer in front of the targets
    write_delay: float = 0.0  # seconds every write waits on its way to the targets (a slow hop to a store)
    _next: int = 0

    def pick(self) -> str | None:
        if not self.targets:
            return None
        healthy = [t for t in self.targets if self.healthy.get(t, True)]
        pool = healthy or self.targets  # all unhealthy: fail open
        self._next = (self._next + 1) % len(pool)
        return pool[self._next]


@dataclass
class Listener:
    rules: list[dict] = field(default_factory=list)  # {"prefix": "/api/", "group": "api"} or {"prefix", "fixed": 404}
    default: dict = field(default_factory=lambda: {"fixed": 404})
    groups: dict[str, TargetGroup] = field(default_factory=dict)
    idle_timeout: float = 60.0

    @classmethod
    def from_dict(cls, data: dict) -> Listener:
        groups = {
            name: TargetGroup(
                targets=list(g.get("targets", [])),
                health_path=g.get("health_path", "/health"),
                require_key_for_writes=bool(g.get("require_key_for_writes")),
                write_delay=float(g.get("write_delay", 0.0)),
            )
            for name, g in data.get("groups", {}).items()
        }
        return cls(
            rules=list(data.get("rules", [])),
            default=dict(data.get("default", {"fixed": 404})),
            groups=groups,
            idle_timeout=float(data.get("idle_timeout", 60.0)),
        )

    def action(self, path: str) -> dict:
        for rule in self.rules:
            if path == rule["prefix"].rstrip("/") or path.startswith(rule["prefix"]):
                return rule
        return self.default


class LoadBalancer:
    def __init__(self, listeners: dict[str, Listener], control_secret: str, dialect: str = HOKUSAI):
        self.listeners = listeners
        self.control_secret = control_secret
        self.dialect = dialect
        self.connect_timeout = EDGE_CONNECT_TIMEOUT if dialect == VARIANT else CONNECT_TIMEOUT
        self._http: aiohttp.ClientSession | None = None

    @property
    def http(self) -> aiohttp.ClientSession:
        if self._http is None:
            raise RuntimeError("the load balancer's HTTP client is used before it started")
        return self._http

    async def start_client(self) -> None:
        self._http = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=400, limit_per_host=200, keepalive_timeout=30),
            auto_decompress=False,
            cookie_jar=aiohttp.DummyCookieJar(),
            trust_env=False,
        )

    async def health_loop(self) -> None:
        while True:
            checks = []
            for listener in self.listeners.values():
                for group in listener.groups.values():
                    for target in group.targets:
                        checks.append(self._check(group, target))
            await asyncio.gather(*checks, return_exceptions=True)
            await asyncio.sleep(1.0)

    async def _check(self, group: TargetGroup, target: str) -> None:
        try:
            async with self.http.get(
                target + group.health_path, timeout=aiohttp.ClientTimeout(total=2.0, sock_connect=1.0)
            ) as reply:
                await reply.read()
                group.healthy[target] = reply.status < 500
        except (TimeoutError, aiohttp.ClientError, OSError):
            group.healthy[target] = False

    def handler(self, name: str):
        async def handle(request: web.BaseRequest) -> web.StreamResponse:
            if request.path == "/__lb/config":
                return await self.control(request)
            listener = self.listeners[name]
            action = listener.action(request.path)
            if "fixed" in action:
                return fixed_404(self.dialect)
            group = listener.groups.get(action.get("group", ""))
            target = group.pick() if group is not None else None
            if group is None or target is None:
                return page(503, "Service Temporarily Unavailable", self.dialect, "no-target")
            if (
                group.require_key_for_writes
                and request.method not in ("GET", "HEAD", "OPTIONS")
                and not request.headers.get("authorization")
                and not request.path.endswith("/search")
            ):
                return web.json_response({"detail": "API key required"}, status=401)
            writes = request.method not in ("GET", "HEAD", "OPTIONS") and not request.path.endswith("/search")
            if group.write_delay and writes:
                await asyncio.sleep(group.write_delay)
            return await self.forward(request, target, listener)

        return handle

    async def forward(self, request: web.BaseRequest, target: str, listener: Listener) -> web.StreamResponse:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        peer = request.remote or ""
        forwarded = request.headers.get("x-forwarded-for")
        headers["X-Forwarded-For"] = f"{forwarded}, {peer}" if forwarded else peer
        headers["X-Forwarded-Proto"] = "http"
        length = request.content_length
        if length is not None:
            # a sized body: small ones in one piece, large ones streamed with their length kept
            body = await request.read() if length <= SMALL_BODY else request.content
            headers["Content-Length"] = str(length)
        elif request.headers.get("transfer-encoding", "").lower() == "chunked":
            body = request.content
        else:
            body = None
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=self.connect_timeout, sock_read=listener.idle_timeout)
        try:
            upstream = await self.http.request(
                request.method,
                target + request.raw_path,
                headers=headers,
                data=body,
                allow_redirects=False,
                timeout=timeout,
                skip_auto_headers=("User-Agent", "Accept-Encoding", "Content-Type"),
            )
        except TimeoutError:
            return page(504, "Gateway Time-out", self.dialect, "timeout")
        except (aiohttp.ClientConnectorError, aiohttp.ServerDisconnectedError, aiohttp.ClientOSError):
            return page(502, "Bad Gateway", self.dialect, "refused")
        except aiohttp.ClientError:
            return page(502, "Bad Gateway", self.dialect, "refused")
        try:
            response = web.StreamResponse(status=upstream.status, reason=upstream.reason)
            for key, value in upstream.raw_headers:
                name = key.decode("latin-1")
                if name.lower() not in HOP_BY_HOP:
                    response.headers.add(name, value.decode("latin-1"))
            if upstream.content_length is not None:
                response.content_length = upstream.content_length
            await response.prepare(request)
            try:
                async for chunk in upstream.content.iter_chunked(CHUNK):
                    await response.write(chunk)
            except (TimeoutError, aiohttp.ClientError):
                pass  # the target broke off: so does the client's answer
            await response.write_eof()
            return response
        finally:
            upstream.release()

    async def control(self, request: web.BaseRequest) -> web.Response:
        given = request.headers.get("x-stack-control", "")
        if (
            request.remote != "127.0.0.1"
            or not self.control_secret
            or not hmac.compare_digest(given, self.control_secret)
        ):
            return web.json_response({"detail": "forbidden"}, status=403)
        if request.method == "POST":
            data = await request.json()
            for name, spec in data.get("listeners", {}).items():
                if name in self.listeners:
                    self.listeners[name] = Listener.from_dict(spec)
        return web.json_response(
            {
                name: {
                    "rules": listener.rules,
                    "default": listener.default,
                    "groups": {g: t.targets for g, t in listener.groups.items()},
                }
                for name, listener in self.listeners.items()
            }
        )


async def serve(config: dict) -> None:
    listeners = {name: Listener.from_dict(spec) for name, spec in config["listeners"].items()}
    balancer = LoadBalancer(listeners, config.get("control_secret", ""), config.get("dialect", HOKUSAI))
    await balancer.start_client()
    runners = []
    for name, spec in config["listeners"].items():
        server = web.Server(balancer.handler(name), access_log=None)
        runner = web.ServerRunner(server, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", int(spec["port"]), backlog=512).start()
        runners.append(runner)
    health = asyncio.create_task(balancer.health_loop())
    try:
        await asyncio.Event().wait()
    finally:
        health.cancel()
        for runner in runners:
            await runner.cleanup()
        await balancer.http.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", type=Path, required=True)
    args = parser.parse_args(argv)
    config = json.loads(args.config.read_text())
    args.config.unlink()
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover - uvloop is a pinned dependency
        pass
    asyncio.run(serve(config))


if __name__ == "__main__":
    main()
