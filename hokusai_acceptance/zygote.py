"""Fresh developer interpreters, quickly: one process imports MLflow (and scikit-learn) once, with nothing
configured, and forks a copy of itself for each script a scenario runs as a developer would.

A forked copy starts exactly as a new interpreter that has just imported MLflow: it gets only the
environment the caller gives it (the quick start's variables), its own session, and its own output files.
Importing MLflow takes 3 to 5 s on a loaded machine; a fork takes milliseconds. When the suite ends, the
forking process sees its input close and exits; a timed-out copy is killed with its whole session.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import SuiteError

#: the forking process: import once, then fork one child per request line and report how it ended
_MAIN = r"""
import json, os, signal, sys, time, traceback
import mlflow, mlflow.sklearn, sklearn.linear_model, sklearn.datasets, sklearn.model_selection
import mlflow.models, mlflow.store.artifact.http_artifact_repo, mlflow.store.artifact.mlflow_artifacts_repo
import mlflow.store.tracking.rest_store, mlflow.store.model_registry.rest_store
import hokusai_acceptance.registration
import tempfile
with tempfile.TemporaryDirectory() as folder:  # the first save of a model loads its serialiser: once, here
    mlflow.sklearn.save_model(sklearn.linear_model.LogisticRegression().fit([[0.0], [1.0]], [0, 1]), folder + "/m")
print(json.dumps({"ready": True}), flush=True)
for line in sys.stdin:
    request = json.loads(line)
    pid = os.fork()
    if pid == 0:
        try:
            os.setsid()
            out = os.open(request["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            err = os.open(request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(out, 1)
            os.dup2(err, 2)
            sys.stdout = os.fdopen(1, "w", buffering=1)
            sys.stderr = os.fdopen(2, "w", buffering=1)
            os.environ.clear()
            os.environ.update(request["env"])
            sys.argv = ["-c", *request["argv"]]
            exec(compile(request["script"], "<developer>", "exec"), {"__name__": "__main__"})
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException:
            traceback.print_exc()
            code = 1
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    print(json.dumps({"pid": pid}), flush=True)
    deadline = time.monotonic() + request["timeout"]
    timed_out = False
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:
            timed_out = True
            os.killpg(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            status = -1
            break
        time.sleep(0.02)
    code = None if timed_out else (-os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status))
    print(json.dumps({"returncode": code, "timed_out": timed_out}), flush=True)
"""

#: what the forking process itself may see of the suite's environment (nothing of MLflow's or Hokusai's)
_KEPT = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV")
_QUIET = {
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "AWS_EC2_METADATA_DISABLED": "true",
    "PYTHONUNBUFFERED": "1",
}
START_SECONDS = 60.0


@dataclass
class Finished:
    returncode: int | None  # None: killed at the timeout; negative: ended by that signal
    timed_out: bool
    stdout: str
    stderr: str


class Zygote:
    def __init__(self) -> None:
        self._process: subprocess.Popen | None = None
        self._child: int | None = None  # the copy running now
        self._lock = threading.Lock()
        _reclaim_abandoned()
        self._dir = Path(tempfile.mkdtemp(prefix=f"hokusai-developer-{os.getpid()}-"))

    def _start(self) -> subprocess.Popen:
        env = {name: os.environ[name] for name in _KEPT if name in os.environ}
        env.update(_QUIET)
        process = subprocess.Popen(
            [sys.executable, "-c", _MAIN],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=open(self._dir / "zygote.log", "wb"),
            env=env,
            text=True,
            start_new_session=True,
        )
        ready = _read_line(process, START_SECONDS)
        if not ready.get("ready"):
            process.kill()
            log = (self._dir / "zygote.log").read_text(errors="replace")[-800:]
            raise SuiteError(f"the developer interpreter did not start: {log}")
        return process

    def warm(self) -> None:
        """Start the forking process now (it imports MLflow), so the first script need not wait for it."""
        try:
            with self._lock:
                if self._process is None or self._process.poll() is not None:
                    self._process = self._start()
        except SuiteError:
            pass  # the first run() tries again and reports it

    def run(self, script: str, argv: list[str], env: dict[str, str], timeout: float) -> Finished:
        """Run ``script`` as ``python -c script *argv`` in a fresh copy with exactly ``env``."""
        with self._lock:
            if self._process is None or self._process.poll() is not None:
                self._process = self._start()
            out, err = self._dir / "stdout", self._dir / "stderr"
            request = {
                "script": script,
                "argv": argv,
                "env": env,
                "timeout": timeout,
                "stdout": str(out),
                "stderr": str(err),
            }
            stdin = self._process.stdin
            assert stdin is not None  # opened with stdin=PIPE
            stdin.write(json.dumps(request) + "\n")
            stdin.flush()
            self._child = _read_line(self._process, 30).get("pid")
            try:
                answer = _read_line(self._process, timeout + 30)
            except BaseException:  # interrupted, or no answer: the developer's process must not go on writing
                self.stop_current()
                raise
            finally:
                self._child = None
            return Finished(
                answer.get("returncode"),
                bool(answer.get("timed_out")),
                out.read_text(errors="replace"),
                err.read_text(errors="replace"),
            )

    def stop_current(self) -> None:
        """Kill the copy that is running now, with its session (an interrupted run must not let a developer's
        registration go on writing after the cleanup). Safe to call from a signal handler."""
        child = self._child
        if child:
            with contextlib.suppress(OSError):
                os.killpg(child, signal.SIGKILL)

    def close(self) -> None:
        self.stop_current()
        if self._process is not None and self._process.poll() is None:
            if self._process.stdin is not None:
                self._process.stdin.close()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
        self._process = None
        shutil.rmtree(self._dir, ignore_errors=True)


def _reclaim_abandoned() -> None:
    """Remove the folders of runs that were killed outright (SIGKILL leaves no chance to clean up)."""
    import psutil

    for folder in Path(tempfile.gettempdir()).glob("hokusai-developer-*-*"):
        owner = folder.name.split("-")[2]
        if owner.isdigit() and int(owner) != os.getpid() and not psutil.pid_exists(int(owner)):
            shutil.rmtree(folder, ignore_errors=True)


def _read_line(process: subprocess.Popen[str], seconds: float) -> dict[str, Any]:
    """One JSON line from the forking process within ``seconds`` (it answers each request with one)."""
    box: list[str] = []
    stdout = process.stdout
    assert stdout is not None  # opened with stdout=PIPE
    reader = threading.Thread(target=lambda: box.append(stdout.readline()), daemon=True)
    reader.start()
    reader.join(seconds)
    if not box or not box[0]:
        process.kill()
        raise SuiteError(f"the developer interpreter gave no answer within {seconds:.0f} s")
    return json.loads(box[0])


_shared: Zygote | None = None


def stop_shared() -> None:
    """Stop the developer interpreters, if any were started (before the run's cleanup)."""
    if _shared is not None:
        _shared.close()


def shared() -> Zygote:
    global _shared
    if _shared is None:
        _shared = Zygote()
        atexit.register(_shared.close)
    return _shared
