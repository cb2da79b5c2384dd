"""What a model developer sees: the plain MLflow client in a fresh interpreter (a forked copy of one that has
just imported MLflow, :mod:`hokusai_acceptance.zygote`), set up only as the quick start (docs/quickstart.md)
says, with MLflow's own defaults (its retries included). The suite's in-process MLflow
settings (short timeouts, no retries) would hide exactly what a developer waits for and reads."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass

from . import zygote
from .errors import SuiteError
from .redaction import redact

#: the first write of a registration: the registered model itself
_ATTEMPT = """
import json, sys
from mlflow import MlflowClient
try:
    MlflowClient().create_registered_model(sys.argv[1])
except Exception as exc:
    print(json.dumps({"raised": type(exc).__name__, "message": str(exc)}))
else:
    print(json.dumps({"raised": None, "message": ""}))
"""

#: how long the suite watches a developer's attempt (MLflow's own retries take minutes on a 5xx)
DEVELOPER_PATIENCE_SECONDS = 45.0

#: what a developer's shell passes on; nothing of the suite's own MLflow or Hokusai settings
_KEPT = (
    "PATH",
    "HOME",
    "LANG",
    "LC_ALL",
    "TMPDIR",
    "VIRTUAL_ENV",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "REQUESTS_CA_BUNDLE",
    "SSL_CERT_FILE",
    "CURL_CA_BUNDLE",
)


@dataclass
class DeveloperAttempt:
    registered: bool
    exception: str | None  # the exception's class name, when MLflow raised
    message: str  # what MLflow's exception says (redacted)
    seconds: float
    gave_up: bool  # still waiting when the suite stopped looking

    def describe(self) -> str:
        if self.gave_up:
            return f"MLflow was still retrying after {self.seconds:.0f} s, with nothing shown to the developer"
        if self.registered:
            return f"MLflow registered the model ({self.seconds:.1f} s)"
        return f"MLflow raised {self.exception} after {self.seconds:.1f} s: {self.message[:600]}"


def attempt_registration(tracking_uri: str, key: str | None, model_name: str, wait_seconds: float) -> DeveloperAttempt:
    env = {name: os.environ[name] for name in _KEPT if name in os.environ}
    env.update(
        MLFLOW_TRACKING_URI=tracking_uri,
        MLFLOW_DISABLE_TELEMETRY="true",
        DO_NOT_TRACK="true",
        AWS_EC2_METADATA_DISABLED="true",
        PYTHONUNBUFFERED="1",
    )
    if key is not None:
        env["MLFLOW_TRACKING_TOKEN"] = key
    started = time.monotonic()
    done = zygote.shared().run(_ATTEMPT, [model_name], env, timeout=wait_seconds)
    seconds = time.monotonic() - started
    if done.timed_out:
        return DeveloperAttempt(False, None, "", seconds, gave_up=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    try:
        outcome = json.loads(lines[-1]) if done.returncode == 0 and lines else None
    except ValueError:
        outcome = None
    if outcome is None:  # the developer's interpreter itself failed: the suite's problem, not the registry's
        raise SuiteError(
            f"the MLflow client could not be run as a developer runs it (exit {done.returncode}): "
            f"{redact(done.stderr[-800:])}"
        )
    return DeveloperAttempt(
        outcome["raised"] is None, outcome["raised"], redact(outcome["message"]), seconds, gave_up=False
    )


#: a developer's registration whose process dies midway through uploading the model's files, after the version
#: was created and before it was tagged: the file
#: object MLflow's artifact client streams from kills the interpreter once ``cut`` bytes have been read
_CUT_SHORT = """
import builtins, os, signal, sys, tempfile
import mlflow
from mlflow.store.artifact import http_artifact_repo
from hokusai_acceptance.registration import train_classifier

name, experiment, cut, padding = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])

class DiesMidway:
    def __init__(self, f):
        self.f, self.read_so_far = f, 0
    def read(self, size=-1):
        data = self.f.read(size)
        self.read_so_far += len(data)
        if self.read_so_far > cut:
            print("CUT", self.read_so_far, flush=True)
            os.kill(os.getpid(), signal.SIGKILL)
        return data
    def __getattr__(self, attribute):
        return getattr(self.f, attribute)
    def __enter__(self):
        return self
    def __exit__(self, *exc):
        self.f.close()

def dying_open(path, mode="r", *args, **kwargs):
    f = builtins.open(path, mode, *args, **kwargs)
    return DiesMidway(f) if "b" in mode and os.path.getsize(path) > cut else f

http_artifact_repo.open = dying_open
trained = train_classifier(padding_bytes=padding)
mlflow.set_experiment(experiment)
print("UPLOADING", flush=True)
client = mlflow.MlflowClient()
with tempfile.TemporaryDirectory() as folder, mlflow.start_run() as run:
    mlflow.sklearn.save_model(trained.model, f"{folder}/model", pip_requirements=trained.pip_requirements)
    # the version first, then the files it points at (as MLflow 2-era scripts do), then the Hokusai tags
    client.create_registered_model(name)
    version = client.create_model_version(name, f"{run.info.artifact_uri}/model", run_id=run.info.run_id,
                                          await_creation_for=10).version
    print("REGISTERED", version, flush=True)
    mlflow.log_artifacts(f"{folder}/model", "model")
    for key, value in (("hokusai_token_id", name[-60:].strip("-")), ("benchmark_metric", "accuracy"),
                       ("benchmark_value", "0.9")):
        client.set_model_version_tag(name, version, key, value)
print("FINISHED", flush=True)
"""


@dataclass
class CutRegistration:
    cut_after_bytes: int | None  # where the process died (None: it was not cut)
    seconds: float

    def describe(self) -> str:
        if self.cut_after_bytes is None:
            return f"the registration was not cut ({self.seconds:.1f} s)"
        return (
            f"the developer's process died after sending {self.cut_after_bytes / 2**20:.0f} MB of the model's "
            f"files ({self.seconds:.1f} s after it started)"
        )


def cut_registration(
    tracking_uri: str,
    key: str | None,
    model_name: str,
    experiment: str,
    *,
    padding_mb: int,
    cut_mb: int,
    wait_seconds: float = 120.0,
) -> CutRegistration:
    """A developer's registration of a ``padding_mb`` model (version created, then its files uploaded, then
    tagged), the process killed once ``cut_mb`` of the model file has been sent."""
    env = {name: os.environ[name] for name in _KEPT if name in os.environ}
    env.update(
        MLFLOW_TRACKING_URI=tracking_uri,
        MLFLOW_DISABLE_TELEMETRY="true",
        DO_NOT_TRACK="true",
        AWS_EC2_METADATA_DISABLED="true",
        PYTHONUNBUFFERED="1",
        MLFLOW_HTTP_REQUEST_TIMEOUT="30",
        MLFLOW_HTTP_REQUEST_MAX_RETRIES="0",
    )
    if key is not None:
        env["MLFLOW_TRACKING_TOKEN"] = key
    started = time.monotonic()
    done = zygote.shared().run(
        _CUT_SHORT, [model_name, experiment, str(cut_mb * 2**20), str(padding_mb * 2**20)], env, timeout=wait_seconds
    )
    seconds = time.monotonic() - started
    if done.timed_out:
        raise SuiteError(f"the developer's registration neither finished nor was cut within {wait_seconds:.0f} s")
    cut = [line for line in done.stdout.splitlines() if line.startswith("CUT ")]
    if cut and done.returncode == -9:
        if "REGISTERED" not in done.stdout:
            raise SuiteError("the developer's process was cut before its registration reached the registry")
        return CutRegistration(int(cut[-1].split()[1]), seconds)
    if "FINISHED" in done.stdout:
        return CutRegistration(None, seconds)
    raise SuiteError(
        f"the developer's registration failed before its upload could be cut (exit {done.returncode}): "
        f"{redact(done.stderr[-800:])}"
    )
