"""What a model developer sees: the plain MLflow client in a fresh interpreter, set up only as the quick start
(docs/quickstart.md) says, with MLflow's own defaults (its retries included). The suite's in-process MLflow
settings (short timeouts, no retries) would hide exactly what a developer waits for and reads."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass

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
_KEPT = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY",
         "http_proxy", "https_proxy", "no_proxy", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "CURL_CA_BUNDLE")


@dataclass
class DeveloperAttempt:
    registered: bool
    exception: str | None       # the exception's class name, when MLflow raised
    message: str                # what MLflow's exception says (redacted)
    seconds: float
    gave_up: bool               # still waiting when the suite stopped looking

    def describe(self) -> str:
        if self.gave_up:
            return f"MLflow was still retrying after {self.seconds:.0f} s, with nothing shown to the developer"
        if self.registered:
            return f"MLflow registered the model ({self.seconds:.1f} s)"
        return f"MLflow raised {self.exception} after {self.seconds:.1f} s: {self.message[:600]}"


def attempt_registration(tracking_uri: str, key: str | None, model_name: str, wait_seconds: float
                         ) -> DeveloperAttempt:
    env = {name: os.environ[name] for name in _KEPT if name in os.environ}
    env.update(MLFLOW_TRACKING_URI=tracking_uri, MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="true",
               AWS_EC2_METADATA_DISABLED="true", PYTHONUNBUFFERED="1")
    if key is not None:
        env["MLFLOW_TRACKING_TOKEN"] = key
    started = time.monotonic()
    try:
        done = subprocess.run([sys.executable, "-c", _ATTEMPT, model_name], env=env, capture_output=True,
                              text=True, timeout=wait_seconds, check=False)
    except subprocess.TimeoutExpired:
        return DeveloperAttempt(False, None, "", time.monotonic() - started, gave_up=True)
    seconds = time.monotonic() - started
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    try:
        outcome = json.loads(lines[-1]) if done.returncode == 0 and lines else None
    except ValueError:
        outcome = None
    if outcome is None:  # the developer's interpreter itself failed: the suite's problem, not the registry's
        raise SuiteError(f"the MLflow client could not be run as a developer runs it (exit {done.returncode}): "
                         f"{redact(done.stderr[-800:])}")
    return DeveloperAttempt(outcome["raised"] is None, outcome["raised"], redact(outcome["message"]), seconds,
                            gave_up=False)
