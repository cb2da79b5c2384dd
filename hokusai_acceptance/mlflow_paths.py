"""The MLflow REST paths a third-party developer's client uses, in one place.

Paths are relative to the tracking URI (``<base>/api/mlflow``); :data:`MOUNT` is the
proxy mount the contract documents, :data:`MOUNTS` both mounts the API serves.
"""

from __future__ import annotations

MOUNT = "/api/mlflow"
MOUNTS = ("/api/mlflow", "/mlflow")


def mlflow_path(endpoint: str, *, ajax: bool = False, version: str = "2.0") -> str:
    """``/api/2.0/mlflow/<endpoint>`` (or the ``ajax-api`` form the MLflow web UI uses)."""
    return f"/{'ajax-api' if ajax else 'api'}/{version}/mlflow/{endpoint.lstrip('/')}"


def artifacts_path(path: str = "") -> str:
    """``/api/2.0/mlflow-artifacts/artifacts[/<path>]``: artifact upload, download and listing."""
    return "/api/2.0/mlflow-artifacts/artifacts" + (f"/{path.lstrip('/')}" if path else "")


SEARCH_EXPERIMENTS = mlflow_path("experiments/search")
#: the same search through the documented mount, as every health and load check makes it
PROXIED_SEARCH = MOUNT + SEARCH_EXPERIMENTS
