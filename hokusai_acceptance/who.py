"""The components of a Hokusai deployment a client can tell apart by how they answer."""

from __future__ import annotations


class Who:
    """Components a client can tell apart."""

    NOTHING = "nothing answered"
    LOAD_BALANCER = "load balancer"
    API = "Hokusai API"
    MLFLOW = "MLflow server"
    MLFLOW_VIA_API = "MLflow server (HTML 404, rewritten by the API)"
    AUTH = "auth service"
    AUTH_LB = "auth service's load balancer"
    OTHER = "an unidentified server"
