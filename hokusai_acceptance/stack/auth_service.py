"""Stand-in for the Hokusai auth service (``auth.hokus.ai``).

It validates keys as the contract describes: ``POST /api/v1/keys/validate`` with
the key in ``Authorization: Bearer`` and ``{"service_id", "client_ip"}`` in the
body. Keys are seeded from a file written by the stack launcher. A loopback-only
control API, guarded by the per-run secret, lets tests count calls, revoke keys
and make the service slow or failing.
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import json
import time
from collections import Counter
from pathlib import Path

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

SERVICE_ID = "platform"


class AuthState:
    def __init__(self, keys: dict[str, dict], control_secret: str):
        self.keys = keys  # key -> record
        self.control_secret = control_secret
        self.calls: Counter[str] = Counter()  # key_id -> validate calls
        self.rejections: Counter[str] = Counter()  # refusal detail -> count
        self.total_calls = 0
        self.mode = "ok"  # ok | error | ratelimited
        self.delay = 0.0

    def record_for(self, key: str) -> dict | None:
        return self.keys.get(key)


def create_app(state: AuthState) -> FastAPI:
    app = FastAPI(title="Hokusai auth service (reference stand-in)", docs_url=None, redoc_url=None)

    def control_allowed(request: Request) -> bool:
        given = request.headers.get("x-stack-control", "")
        return bool(state.control_secret) and hmac.compare_digest(given, state.control_secret)

    @app.get("/health")
    async def health():
        return {"status": "healthy", "service": "auth"}

    @app.post("/api/v1/keys/validate")
    async def validate(request: Request):
        state.total_calls += 1
        if state.delay:
            await asyncio.sleep(state.delay)
        if state.mode == "error":
            return JSONResponse({"detail": "Internal Server Error"}, status_code=500)
        if state.mode == "ratelimited":
            return JSONResponse(
                {"detail": "Too many validation requests"}, status_code=429, headers={"Retry-After": "60"}
            )
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = {}
        if not isinstance(body, dict):
            body = {}
        auth = request.headers.get("authorization", "")
        key = auth[len("Bearer ") :].strip() if auth.startswith("Bearer ") else ""
        if not key:
            state.rejections["API key required"] += 1
            return JSONResponse({"detail": "API key required"}, status_code=401)
        record = state.record_for(key)
        if record is None:
            return JSONResponse({"detail": "Invalid or expired API key"}, status_code=401)
        state.calls[record["key_id"]] += 1
        if record.get("revoked"):
            return JSONResponse({"detail": "API key has been revoked"}, status_code=401)
        if record.get("expires_at") and record["expires_at"] < time.time():
            return JSONResponse({"detail": "Invalid or expired API key"}, status_code=401)
        service_id = body.get("service_id")
        if service_id != SERVICE_ID:
            state.rejections["wrong service_id"] += 1
            return JSONResponse(
                {
                    "detail": f"API key does not have access to service '{service_id}'. "
                    f"This key is registered for service '{SERVICE_ID}'."
                },
                status_code=401,
            )
        return {
            "is_valid": True,
            "key_id": record["key_id"],
            "user_id": record["user_id"],
            "service_id": SERVICE_ID,
            "scopes": record["scopes"],
            "rate_limit_per_hour": record.get("rate_limit_per_hour", 1000),
            "billing_plan": record.get("billing_plan", "free"),
            # what the 2026 API reads besides: roles (the registry role), the admin flag, the account's balance
            **{name: record[name] for name in ("roles", "is_admin", "balance") if name in record},
        }

    @app.get("/__control/stats")
    async def stats(request: Request):
        if not control_allowed(request):
            return JSONResponse({"detail": "forbidden"}, status_code=403)
        return {
            "calls": dict(state.calls),
            "total_calls": state.total_calls,
            "mode": state.mode,
            "rejections": dict(state.rejections),
            "delay": state.delay,
        }

    @app.post("/__control/state")
    async def set_state(request: Request):
        if not control_allowed(request):
            return JSONResponse({"detail": "forbidden"}, status_code=403)
        body = await request.json()
        if "mode" in body:
            state.mode = body["mode"]
        if "delay" in body:
            state.delay = float(body["delay"])
        for key_id, scopes in (body.get("scopes") or {}).items():
            for record in state.keys.values():
                if record["key_id"] == key_id:
                    record["scopes"] = list(scopes)
        for key_id in body.get("revoke", []):
            for record in state.keys.values():
                if record["key_id"] == key_id:
                    record["revoked"] = True
        if body.get("reset_counts"):
            state.rejections.clear()
            state.calls.clear()
            state.total_calls = 0
        return {"mode": state.mode, "delay": state.delay}

    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--keys-file", type=Path, required=True)
    args = parser.parse_args(argv)
    spec = json.loads(args.keys_file.read_text())
    args.keys_file.unlink()  # the secrets live in memory only from here on
    state = AuthState(keys=spec["keys"], control_secret=spec["control_secret"])
    state.mode = spec.get("mode", "ok")
    uvicorn.run(
        create_app(state),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        access_log=False,
        loop="uvloop",
        http="httptools",
    )


if __name__ == "__main__":
    main()
