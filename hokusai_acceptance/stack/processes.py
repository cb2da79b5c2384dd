"""Child processes of the embedded stack: each in a session of its own, stopped with its whole
process tree, and never outliving the process that started it.

No ``preexec_fn`` (unsafe when the parent has threads): the session comes from
``start_new_session`` and the death signal from util-linux's ``setpriv --pdeathsig`` when the
machine has it, so a child whose starting process dies is told to stop.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import requests

from ..errors import StackError

#: Environment every process of the stack gets: nothing calls out of the machine.
QUIET_ENV = {
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "AWS_EC2_METADATA_DISABLED": "true",
    "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
    "PYTHONUNBUFFERED": "1",
    "NO_PROXY": "127.0.0.1,localhost",
}
SETPRIV = shutil.which("setpriv")


def http_ready(url: str) -> Callable[[], bool]:
    def check() -> bool:
        with requests.Session() as session:  # a readiness poll: not evidence
            try:
                return session.get(url, timeout=1.0).status_code < 500
            except requests.RequestException:
                return False

    return check


def tcp_ready(port: int) -> Callable[[], bool]:
    def check() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            return False

    return check


@dataclass
class ManagedProcess:
    name: str
    argv: list[str]
    log_path: Path
    ready: Callable[[], bool]
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path | None = None
    prepare: Callable[[], list[str] | None] | None = None  # called before each start; may return new argv
    user: str | None = None
    popen: subprocess.Popen | None = None
    started_at: float = 0.0
    ready_after: float | None = None

    def start(self) -> None:
        # a server started under pytest must not run in MLflow's test mode (PYTEST_CURRENT_TEST switches it on)
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}, **QUIET_ENV, **self.env}
        argv = self.argv
        if self.prepare is not None:
            argv = self.prepare() or argv
        if SETPRIV and self.user is None:
            argv = [SETPRIV, "--pdeathsig", "TERM", "--", *argv]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child writes to it for its whole life
        self.started_at = time.monotonic()
        self.ready_after = None
        try:
            self.popen = subprocess.Popen(
                argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                cwd=self.cwd,
                start_new_session=True,
                close_fds=True,
                user=self.user,
            )
        except OSError as exc:
            raise StackError(f"cannot start {self.name}: {exc}") from exc
        finally:
            log.close()

    @property
    def pid(self) -> int | None:
        return self.popen.pid if self.popen else None

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def wait_ready(self, deadline: float) -> float:
        while time.monotonic() < deadline:
            if not self.alive():
                code = self.popen.returncode if self.popen is not None else None
                raise StackError(
                    f"{self.name} exited during start-up (code {code}); last lines of its log:\n{self.log_tail()}"
                )
            if self.ready():
                self.ready_after = time.monotonic() - self.started_at
                return self.ready_after
            time.sleep(0.1)
        raise StackError(f"{self.name} was not ready in time; last lines of its log:\n{self.log_tail()}")

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def _tree(self) -> list[psutil.Process]:
        if self.popen is None:
            return []
        try:
            leader = psutil.Process(self.popen.pid)
            return [leader, *leader.children(recursive=True)]
        except psutil.Error:
            return []

    def stop(self, grace: float = 5.0) -> None:
        """Terminate the whole process tree (its session's group and any descendant), then kill what is left."""
        if self.popen is None:
            return
        tree = self._tree()
        for sig in (signal.SIGCONT, signal.SIGTERM):  # a frozen process cannot act on SIGTERM
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.popen.pid, sig)
        for process in tree:
            with contextlib.suppress(psutil.Error):
                process.terminate()
        _, alive = psutil.wait_procs(tree, timeout=grace)
        for process in alive:
            with contextlib.suppress(psutil.Error):
                process.kill()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=2.0)

    def kill(self) -> None:
        """Kill abruptly (used to simulate a crash)."""
        if self.popen is not None:
            for process in self._tree():
                with contextlib.suppress(psutil.Error):
                    process.kill()
            self.popen.wait(timeout=5)
