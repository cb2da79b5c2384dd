"""Keeping generated writes inside what this run owns.

A generated request may name anything: an experiment id of someone else's work, a model of another
developer, a file path anywhere in the artifact store. Before a generated *write* is sent, every name
and id in it is confined to this run: names get the run's prefix (so cleanup finds them), experiment
and run ids that this run did not create become the run's scratch experiment and run, artifact paths
land under that run. A read is sent as generated: reading cannot harm a registry.

Pure functions over plain values, so the rules are tested without a server.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

READ_METHODS = ("GET", "HEAD", "OPTIONS")
NAME_FIELDS = ("name", "new_name", "experiment_name")
MAX_NAME = 200


@dataclass
class Scope:
    """What this run's generated writes may touch."""

    prefix: str  # e.g. hk-accept-<run id>-fz
    experiment_id: str  # the run's scratch experiment
    run_id: str  # a run in it
    experiments: set[str] = field(default_factory=set)  # ids created by generated writes
    runs: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def to_json(self) -> str:
        return json.dumps({"prefix": self.prefix, "experiment_id": self.experiment_id, "run_id": self.run_id})

    @classmethod
    def from_json(cls, text: str) -> Scope:
        data = json.loads(text)
        return cls(prefix=data["prefix"], experiment_id=data["experiment_id"], run_id=data["run_id"])

    def owns_experiment(self, value: str) -> bool:
        with self._lock:
            return value == self.experiment_id or value in self.experiments

    def owns_run(self, value: str) -> bool:
        with self._lock:
            return value == self.run_id or value in self.runs

    def remember(self, kind: str, value: str) -> None:
        with self._lock:
            (self.experiments if kind == "experiment" else self.runs).add(value)


def confined_name(value: str, prefix: str) -> str:
    if value.startswith(prefix + "-"):
        return value[:MAX_NAME]
    return f"{prefix}-{value}"[:MAX_NAME]


def _names_something(value: Any) -> bool:
    """A value the registry could take as a name or an id: MLflow turns numbers and booleans into strings."""
    return value is not None and not isinstance(value, (dict, list))


def confine_body(body: Any, scope: Scope) -> Any:
    """The body of a generated write, with every name prefixed and every id this run does not own replaced,
    whatever its type (MLflow turns ``0`` into experiment ``"0"``). Artifact locations and model sources are
    pinned to the scratch run. A JSON string that decodes to an object (MLflow decodes such a body again) is
    confined as that object. Any other body that is not an object names nothing and is sent as generated."""
    if isinstance(body, str):
        try:
            inner = json.loads(body)
        except ValueError:
            return body
        return json.dumps(confine_body(inner, scope)) if isinstance(inner, dict) else body
    if not isinstance(body, dict):
        return body
    body = dict(body)
    for name in NAME_FIELDS:
        if _names_something(body.get(name)):
            body[name] = confined_name(str(body[name]), scope.prefix)
    if _names_something(body.get("experiment_id")) and not scope.owns_experiment(str(body["experiment_id"])):
        body["experiment_id"] = scope.experiment_id
    for field_name in ("run_id", "run_uuid"):
        if _names_something(body.get(field_name)) and not scope.owns_run(str(body[field_name])):
            body[field_name] = scope.run_id
    if "artifact_location" in body:
        body.pop("artifact_location")  # the registry chooses where the run's files go
    if _names_something(body.get("source")):
        body["source"] = f"runs:/{scope.run_id}/model"
    return body


def confine_path_parameters(parameters: dict[str, Any] | None, scope: Scope) -> dict[str, Any] | None:
    """An artifact path of a generated write lands under the run's own experiment and run."""
    if not parameters:
        return parameters
    parameters = dict(parameters)
    if "experiment_id" in parameters and not scope.owns_experiment(str(parameters["experiment_id"])):
        parameters["experiment_id"] = scope.experiment_id
    if "run_id" in parameters and not scope.owns_run(str(parameters["run_id"])):
        parameters["run_id"] = scope.run_id
    return parameters


def created(path: str, status: int, answer: Any) -> tuple[str, str] | None:
    """What a successful generated write created, as (kind, id or name), when it created something."""
    if status != 200 or not isinstance(answer, dict):
        return None
    if path.endswith("/experiments/create") and isinstance(answer.get("experiment_id"), str):
        return "experiment", answer["experiment_id"]
    if path.endswith("/runs/create"):
        run_id = ((answer.get("run") or {}).get("info") or {}).get("run_id")
        return ("run", run_id) if isinstance(run_id, str) else None
    if path.endswith("/registered-models/create"):
        name = (answer.get("registered_model") or {}).get("name")
        return ("model", name) if isinstance(name, str) else None
    if path.endswith("/registered-models/rename"):
        name = (answer.get("registered_model") or {}).get("name")
        return ("model", name) if isinstance(name, str) else None
    return None
