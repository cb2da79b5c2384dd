"""An inspection upstream: a second gateway in front of a recording echo server,
so tests can see exactly what the gateway forwards to MLflow (headers, method,
path, query) -- something MLflow itself does not reveal."""

from __future__ import annotations

import http.server
import json
import sys
import threading
import time
from typing import Any

from ..ports import free_port
from .processes import ManagedProcess, http_ready


class _RecordingServer(http.server.ThreadingHTTPServer):
    """A threading HTTP server that keeps every request its handler saw."""

    seen: list[dict[str, Any]]


class _Recorder(http.server.BaseHTTPRequestHandler):
    server: _RecordingServer

    def log_message(self, *args):  # pragma: no cover - silence
        pass

    def _record(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.seen.append(
            {
                "method": self.command,
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body.decode("utf-8", errors="replace"),
            }
        )
        payload = json.dumps({"echo": True}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _record


class InspectionGateway:
    """A second gateway sharing the stack's auth service and Redis, proxying to a recording echo server.
    Started once per stack, on first use; the stack stops it with its own processes."""

    def __init__(self, stack) -> None:
        self.server = _RecordingServer(("127.0.0.1", 0), _Recorder)
        self.server.seen = []
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        port = free_port()
        config = stack._write_private(
            f"inspect-{port}.json",
            {
                "mlflow_url": f"http://127.0.0.1:{self.server.server_address[1]}",
                "auth_url": stack.auth_url,
                "redis_url": stack.redis_url,
                "control_secret": stack.control_secret,
                "profile": stack.options.profile,
            },
        )
        self.url = f"http://127.0.0.1:{port}"
        self.process = ManagedProcess(
            "inspection gateway",
            [sys.executable, "-m", "hokusai_acceptance.stack.gateway", "--port", str(port), "--config", str(config)],
            stack.dir / "logs" / "inspection-gateway.log",
            http_ready(f"{self.url}/health/alb"),
            env=dict(stack.processes["gateway"].env),
        )
        self.process.start()
        try:
            self.process.wait_ready(time.monotonic() + 30)
        except BaseException:
            self.stop()
            raise

    @property
    def seen(self) -> list[dict]:
        return self.server.seen

    def stop(self) -> None:
        self.process.stop()
        self.server.shutdown()
        self.server.server_close()
