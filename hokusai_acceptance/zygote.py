"""Fresh developer interpreters, quickly: Python's own fork server imports MLflow (and scikit-learn) once,
and forks a copy of itself for each script a scenario runs as a developer would.

``multiprocessing``'s ``forkserver`` start method does the forking: its server process preloads the modules a
developer's script imports (:data:`PRELOAD`), and each :class:`Zygote.run` starts one process from it. The copy
starts its own session, sends its output to files of its own, and replaces its environment with exactly the one
it is given (the quick start's variables) before it runs the script, so it behaves as a new interpreter that has
just imported MLflow. Importing MLflow takes 3 to 5 s on a loaded machine; a fork takes milliseconds. A copy
that outlives its timeout is killed with its whole session.
"""

from __future__ import annotations

import atexit
import contextlib
import multiprocessing
import multiprocessing.forkserver
import os
import shutil
import signal
import sys
import tempfile
import threading
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from pathlib import Path

from .errors import SuiteError

#: what a developer's script imports: loaded once, in the fork server, by :mod:`.developer_preload`
PRELOAD = ["hokusai_acceptance.developer_preload"]


@dataclass
class Finished:
    returncode: int | None  # None: killed at the timeout; negative: ended by that signal
    timed_out: bool
    stdout: str
    stderr: str


def _as_developer(script: str, argv: list[str], env: dict[str, str], stdout: str, stderr: str) -> None:
    """In the forked copy: a session, output files and an environment of its own, then the script."""
    os.setsid()
    for fd, path in ((1, stdout), (2, stderr)):
        target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(target, fd)
        os.close(target)
    sys.stdout = os.fdopen(1, "w", buffering=1)
    sys.stderr = os.fdopen(2, "w", buffering=1)
    os.environ.clear()
    os.environ.update(env)
    sys.argv = ["-c", *argv]
    try:
        exec(compile(script, "<developer>", "exec"), {"__name__": "__main__"})
    finally:
        sys.stdout.flush()
        sys.stderr.flush()


class Zygote:
    def __init__(self) -> None:
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(PRELOAD)
        self._child: BaseProcess | None = None  # the copy running now
        self._lock = threading.Lock()
        _reclaim_abandoned()
        self._dir = Path(tempfile.mkdtemp(prefix=f"hokusai-developer-{os.getpid()}-"))

    def warm(self) -> None:
        """Start the fork server now (it imports MLflow), so the first script need not wait for it."""
        with contextlib.suppress(OSError):
            multiprocessing.forkserver.ensure_running()

    def run(self, script: str, argv: list[str], env: dict[str, str], timeout: float) -> Finished:
        """Run ``script`` as ``python -c script *argv`` in a fresh copy with exactly ``env``."""
        with self._lock:
            out, err = self._dir / "stdout", self._dir / "stderr"
            child = self._context.Process(
                target=_as_developer, args=(script, argv, env, str(out), str(err)), daemon=True
            )
            try:
                child.start()
            except OSError as exc:
                raise SuiteError(f"the developer interpreter did not start: {exc}") from None
            self._child = child
            try:
                child.join(timeout)
                timed_out = child.is_alive()
                if timed_out:
                    self.stop_current()
                    child.join(10)
            except BaseException:  # interrupted: the developer's process must not go on writing
                self.stop_current()
                raise
            finally:
                self._child = None
            return Finished(
                None if timed_out else child.exitcode,
                timed_out,
                out.read_text(errors="replace") if out.exists() else "",
                err.read_text(errors="replace") if err.exists() else "",
            )

    def stop_current(self) -> None:
        """Kill the copy that is running now, with its session (an interrupted run must not let a developer's
        registration go on writing after the cleanup). Safe to call from a signal handler."""
        child = self._child
        if child is not None and child.pid:
            with contextlib.suppress(OSError):
                os.killpg(child.pid, signal.SIGKILL)

    def close(self) -> None:
        self.stop_current()
        shutil.rmtree(self._dir, ignore_errors=True)


def _reclaim_abandoned() -> None:
    """Remove the folders of runs that were killed outright (SIGKILL leaves no chance to clean up)."""
    import psutil

    for folder in Path(tempfile.gettempdir()).glob("hokusai-developer-*-*"):
        owner = folder.name.split("-")[2]
        if owner.isdigit() and int(owner) != os.getpid() and not psutil.pid_exists(int(owner)):
            shutil.rmtree(folder, ignore_errors=True)


_shared: Zygote | None = None


def stop_shared() -> None:
    """Stop the developer interpreter that is running, if any (before the run's cleanup)."""
    if _shared is not None:
        _shared.close()


def shared() -> Zygote:
    global _shared
    if _shared is None:
        _shared = Zygote()
        atexit.register(_shared.close)
    return _shared
