"""Ownership in the reference gateway's current profile: who may change what in the shared registry.

Every developer may read everything. The gateway records the caller's identity (the ``user_id`` the auth
service returned) as the tag :data:`OWNER_TAG` on each registered model, model version, experiment and run
created through it, and refuses a write to a resource whose recorded owner is someone else. A resource
without the tag (created before ownership was recorded, MLflow's Default experiment) stays open to all.
A token id names one on-chain token, so it may be claimed by one developer only.

The functions here are pure (which resource a call writes, how a create body gains its owner tag); the
gateway does the MLflow look-ups.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import parse_qs

OWNER_TAG = "hokusai.owner"
TOKEN_ID_TAG = "hokusai_token_id"

#: write endpoints (the part after ``.../mlflow/``) -> the kind of resource they change and the field naming it
GUARDED = {
    **{
        f"registered-models/{op}": ("model", "name")
        for op in ("delete", "rename", "update", "set-tag", "delete-tag", "alias")
    },
    **{
        f"model-versions/{op}": ("model", "name")
        for op in ("create", "update", "delete", "set-tag", "delete-tag", "transition-stage")
    },
    **{
        f"experiments/{op}": ("experiment", "experiment_id")
        for op in ("delete", "update", "restore", "set-experiment-tag", "delete-experiment-tag")
    },
    **{
        f"runs/{op}": ("run", "run_id")
        for op in (
            "delete",
            "update",
            "restore",
            "set-tag",
            "delete-tag",
            "log-metric",
            "log-parameter",
            "log-batch",
            "log-model",
            "log-inputs",
            "outputs",
        )
    },
    "runs/create": ("experiment", "experiment_id"),
    "logged-models": ("experiment", "experiment_id"),
}
#: create endpoints whose new resource is tagged with its owner
CREATES = {
    "registered-models/create": "model",
    "model-versions/create": "version",
    "experiments/create": "experiment",
    "runs/create": "run",
}
TAG_WRITES = {
    "registered-models/set-tag",
    "model-versions/set-tag",
    "registered-models/delete-tag",
    "model-versions/delete-tag",
    "experiments/set-experiment-tag",
    "experiments/delete-experiment-tag",
    "runs/set-tag",
    "runs/delete-tag",
}
ARTIFACTS = "mlflow-artifacts/artifacts/"


@dataclass(frozen=True)
class Target:
    """The resource a write changes: ``kind`` is model, experiment or run; ``ident`` its name or id."""

    kind: str
    ident: str


def endpoint(sub_path: str) -> str:
    """``api/2.0/mlflow/registered-models/create`` -> ``registered-models/create`` (either API form)."""
    path = sub_path.split("?", 1)[0].strip("/")
    marker = "mlflow/"
    at = path.find(marker)
    if at < 0 or path[at:].startswith(ARTIFACTS):
        return ""
    return path[at + len(marker) :]


def parse_body(raw: bytes | None) -> dict:
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return {}
    return value if isinstance(value, dict) else {}


def _tags(body: dict) -> list:
    tags = body.get("tags")
    return tags if isinstance(tags, list) else []


def is_json_string(raw: bytes) -> bool:
    try:
        return isinstance(json.loads(raw), str)
    except (ValueError, UnicodeDecodeError):
        return False


def is_json_object(raw: bytes) -> bool:
    try:
        return isinstance(json.loads(raw), dict)
    except (ValueError, UnicodeDecodeError):
        return False


def guarded_target(sub_path: str, body: dict, query: str = "") -> Target | None:
    """The resource whose owner must be the caller for this write to go ahead, if any."""
    path = sub_path.split("?", 1)[0]
    if ARTIFACTS in path:  # <experiment id>/<run id or models>/...
        experiment = path.split(ARTIFACTS, 1)[1].split("/", 1)[0]
        return Target("experiment", experiment) if experiment.isdigit() else None
    name = endpoint(path)
    rule = GUARDED.get(name)
    if rule is None:
        return None
    kind, field = rule
    ident = body.get(field)
    if ident is None and kind == "run":
        ident = body.get("run_uuid")
    if ident is None and query:
        ident = next(iter(parse_qs(query).get(field) or []), None)
    return Target(kind, str(ident)) if ident not in (None, "") else None


def touches_owner_tag(sub_path: str, body: dict, query: str = "") -> bool:
    """A tag write (set or delete) aimed at the owner tag itself: nobody may change who owns a resource."""
    if endpoint(sub_path) not in TAG_WRITES:
        return False
    key = body.get("key") or next(iter(parse_qs(query).get("key") or []), None)
    return key == OWNER_TAG


def claimed_token_id(sub_path: str, body: dict) -> str | None:
    """The token id a write attaches to a model or version, if it attaches one."""
    name = endpoint(sub_path)
    if name in ("model-versions/set-tag", "registered-models/set-tag") and body.get("key") == TOKEN_ID_TAG:
        return str(body.get("value") or "") or None
    if name in ("model-versions/create", "registered-models/create"):
        for tag in _tags(body):
            if isinstance(tag, dict) and tag.get("key") == TOKEN_ID_TAG:
                return str(tag.get("value") or "") or None
    return None


def with_owner(sub_path: str, body: dict, user_id: str) -> bytes | None:
    """The create body with the owner tag set to ``user_id`` (a client-supplied owner tag is replaced);
    None when the call creates nothing."""
    if endpoint(sub_path) not in CREATES or not user_id:
        return None
    tags = [t for t in _tags(body) if not (isinstance(t, dict) and t.get("key") == OWNER_TAG)]
    tags.append({"key": OWNER_TAG, "value": user_id})
    return json.dumps({**body, "tags": tags}).encode()


def _owner_tag(tags: object) -> str | None:
    for tag in tags if isinstance(tags, list) else []:
        if isinstance(tag, dict) and tag.get("key") == OWNER_TAG:
            return tag.get("value") or None
    return None


def owner_from(kind: str, answer: dict) -> str | None:
    """The owner recorded on a resource, from MLflow's ``get`` answer for it."""
    if kind == "model":
        return _owner_tag((answer.get("registered_model") or {}).get("tags"))
    if kind == "experiment":
        return _owner_tag((answer.get("experiment") or {}).get("tags"))
    return _owner_tag(((answer.get("run") or {}).get("data") or {}).get("tags"))


def version_owner(version: dict) -> str | None:
    """The owner tag of a model version in a search answer."""
    return _owner_tag(version.get("tags")) if isinstance(version, dict) else None


#: MLflow's ``get`` call for each kind: path and query parameter
LOOKUPS = {
    "model": ("/api/2.0/mlflow/registered-models/get", "name"),
    "experiment": ("/api/2.0/mlflow/experiments/get", "experiment_id"),
    "run": ("/api/2.0/mlflow/runs/get", "run_id"),
}


def refusal_message(target: Target) -> str:
    what = {
        "model": f"Model '{target.ident}'",
        "experiment": f"Experiment {target.ident}",
        "run": f"Run {target.ident}",
    }[target.kind]
    return (
        f"{what} belongs to another developer: only its owner can change or delete it. "
        f"Register your model under a name of your own."
    )


def token_message(token_id: str) -> str:
    return (
        f"Token id '{token_id}' is already claimed by another developer's model: "
        f"each token id belongs to one model. Use the token id issued for your model."
    )
