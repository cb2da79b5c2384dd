"""The routes of the contract a third-party client calls, in one place: the proxy mounts, MLflow's REST paths
behind them, and the API's own probes.

MLflow paths are relative to the tracking URI (``<base>/api/mlflow``); :data:`MOUNT` is the proxy mount the
contract documents, :data:`MOUNTS` both mounts the API serves.
"""

from __future__ import annotations

from dataclasses import dataclass

MOUNT = "/api/mlflow"
MOUNTS = ("/api/mlflow", "/mlflow")
#: the mounts as path prefixes (what a proxied call's path starts with)
PROXY_MOUNTS = tuple(f"{mount}/" for mount in MOUNTS)


#: POST calls of MLflow's REST API that only read
READ_ONLY_POSTS = ("/search", "/get-by-name")
#: methods that never change anything
READ_METHODS = ("GET", "HEAD", "OPTIONS")


def is_write(method: str, path: str) -> bool:
    """Whether a call may change the registry: any method but a read's, except MLflow's read-only POSTs."""
    method = method.upper()
    if method in READ_METHODS:
        return False
    return not (method == "POST" and path.split("?", 1)[0].rstrip("/").endswith(READ_ONLY_POSTS))


def mlflow_path(endpoint: str, *, ajax: bool = False, version: str = "2.0") -> str:
    """``/api/2.0/mlflow/<endpoint>`` (or the ``ajax-api`` form the MLflow web UI uses)."""
    return f"/{'ajax-api' if ajax else 'api'}/{version}/mlflow/{endpoint.lstrip('/')}"


#: artifact upload, download and listing, relative to the tracking URI
ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"
SEARCH_EXPERIMENTS = mlflow_path("experiments/search")
#: the same search through the documented mount, as every health and load check makes it
PROXIED_SEARCH = MOUNT + SEARCH_EXPERIMENTS


@dataclass(frozen=True)
class Probe:
    name: str  # what monitoring calls it
    checks_dependencies: bool  # it asks a dependency (MLflow, a database) before it answers


#: the API's own probes, in every generation of the contract (which of them need a key differs)
PROBES = {
    "/health": Probe("health", True),
    "/health/alb": Probe("load balancer health", False),
    "/health/mlflow": Probe("MLflow health", True),
    "/api/health/mlflow": Probe("MLflow API health", True),
    "/ready": Probe("readiness", True),
    "/live": Probe("liveness", False),
    "/version": Probe("version", False),
    "/metrics": Probe("metrics", False),
    "/": Probe("root", False),
}
#: paths no generation of the API asks a key for
OPEN_PATHS = ("/health", "/openapi.json", "/docs", "/redoc", "/favicon.ico")
