"""The registry operations that are timed, defined once for ``make bench`` and the
``@performance`` scenarios. Each is a callable that makes the real calls through the
gateway (127.0.0.1 only) and returns True when they succeeded."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable

from .. import registration as reg
from ..hokusai_tags import validate
from ..routes import SEARCH_EXPERIMENTS
from .measure import TimingClient, require_loopback

SEARCH = SEARCH_EXPERIMENTS
ARTIFACT_SIZES = {"1 KB": 1024, "1 MB": 2**20, "50 MB": 50 * 2**20}
#: every operation, in the order they are timed
OPERATIONS = (
    "authenticated read",
    "experiment search",
    "run create + metric log",
    "model-version create",
    *(f"artifact {way} {size}" for size in ARTIFACT_SIZES for way in ("upload", "download")),
    "register and load",
)


def warmup_for(operation: str) -> int:
    """Untimed runs before sampling: one for the heavy operations (a warm-up 50 MB upload or a whole
    register-and-load costs as much as a sample), three for the rest."""
    return 1 if operation.startswith("artifact") or operation == "register and load" else 3


class RegistryOperations:
    def __init__(self, base_url: str, key: str, prefix: str, *, timeout: float = 120.0):
        require_loopback(base_url)
        self.base_url = base_url.rstrip("/")
        self.gw = f"{self.base_url}/api/mlflow"
        self.key = key
        self.prefix = prefix
        self.timeout = timeout
        self.client = TimingClient(timeout=timeout)
        self.auth = {"Authorization": f"Bearer {key}"}
        self._experiment_id: str | None = None
        self._model: tuple[str, str] | None = None
        self._payloads: dict[str, bytes] = {}
        self._story: Callable[[], bool] | None = None

    def close(self) -> None:
        self.client.close()

    def _post(self, path: str, body: dict) -> TimingClient.Reply:
        return self.client.request("POST", f"{self.gw}{path}", json_body=body, headers=self.auth)

    @property
    def experiment_id(self) -> str:
        if self._experiment_id is None:
            reply = self._post("/api/2.0/mlflow/experiments/create", {"name": f"{self.prefix}-load"})
            reply.raise_for_status()
            self._experiment_id = reply.json()["experiment_id"]
        return self._experiment_id

    # -- the operations
    def read(self, max_results: int = 1) -> bool:
        return self.client.ok(f"{self.gw}{SEARCH}?max_results={max_results}", self.auth)

    def run_and_metric(self) -> bool:
        run = self._post("/api/2.0/mlflow/runs/create", {"experiment_id": self.experiment_id})
        if run.status_code != 200:
            return False
        run_id = run.json()["run"]["info"]["run_id"]
        return (
            self._post(
                "/api/2.0/mlflow/runs/log-metric",
                {"run_id": run_id, "key": "loss", "value": 0.5, "timestamp": 0, "step": 0},
            ).status_code
            == 200
        )

    def model_version(self) -> bool:
        if self._model is None:
            name = f"{self.prefix}-versions"
            self._post("/api/2.0/mlflow/registered-models/create", {"name": name}).raise_for_status()
            run = self._post("/api/2.0/mlflow/runs/create", {"experiment_id": self.experiment_id})
            run.raise_for_status()
            self._model = (name, run.json()["run"]["info"]["run_id"])
        name, run_id = self._model
        return (
            self._post(
                "/api/2.0/mlflow/model-versions/create",
                {"name": name, "source": f"runs:/{run_id}/model", "run_id": run_id},
            ).status_code
            == 200
        )

    def _artifact_url(self, size: str) -> str:
        return f"{self.gw}/api/2.0/mlflow-artifacts/artifacts/{self.prefix}/{size.replace(' ', '')}.bin"

    def upload(self, size: str) -> bool:
        payload = self._payloads.setdefault(size, os.urandom(ARTIFACT_SIZES[size]))
        return self.client.request("PUT", self._artifact_url(size), body=payload, headers=self.auth).status_code == 200

    def download(self, size: str) -> bool:
        if size not in self._payloads and not self.upload(size):
            return False
        reply = self.client.get(self._artifact_url(size), self.auth)
        return reply.status_code == 200 and reply.content == self._payloads[size]

    def register_and_load(self) -> bool:
        """The developer's whole story with the MLflow client: train, log, register, load, predict."""
        if self._story is None:
            session = reg.MlflowSession(self.gw, self.key, timeout=60)
            created = reg.CreatedResources(prefix=self.prefix)
            trained = reg.train_classifier()
            metadata = validate("bench", "accuracy", "0.5")
            counter = iter(range(100_000))

            def story() -> bool:
                registration = reg.register_model(
                    session, created, trained, created.name(f"story-{next(counter)}"), metadata
                )
                predicted, _ = reg.load_and_predict(session, registration.model_uri, trained.features)
                return len(predicted) == len(trained.predictions)

            self._story = story
        with contextlib.redirect_stdout(sys.stderr):  # MLflow prints links to each run
            return self._story()

    def action(self, operation: str) -> Callable[[], bool]:
        """The callable for one of :data:`OPERATIONS`."""
        if operation == "authenticated read":
            return self.read
        if operation == "experiment search":
            return lambda: self.read(max_results=20)
        if operation == "run create + metric log":
            return self.run_and_metric
        if operation == "model-version create":
            return self.model_version
        if operation == "register and load":
            return self.register_and_load
        way, _, size = operation.removeprefix("artifact ").partition(" ")
        if operation.startswith("artifact ") and size in ARTIFACT_SIZES and way in ("upload", "download"):
            return (lambda: self.upload(size)) if way == "upload" else (lambda: self.download(size))
        raise ValueError(f"unknown operation {operation!r}; known: {', '.join(OPERATIONS)}")
