"""Who answered a request, judged only from what any client can see.

Each component of a Hokusai deployment has its own way of answering:

* the **load balancer** writes bare HTML error pages (a title and a centred heading) and
  fixed plain-text responses, usually with its own ``Server`` header (``awselb/2.0``);
* the **Hokusai API** (FastAPI) answers JSON with a ``detail`` member, or its scope
  refusal ``{"error": "FORBIDDEN", "required_scope": ...}``; its own health documents;
* **MLflow** answers JSON with ``error_code`` and ``message``, its Flask HTML 404 page,
  its web UI, plain ``OK``/version strings, and the JSON documents of its REST API. The
  API rewrites MLflow's HTML 404 into ``RESOURCE_NOT_FOUND`` "The requested resource was
  not found: <path>", so that shape means "MLflow had no such page, the API relayed it";
* **nothing**: the connection was refused, the name did not resolve, or no answer came in time.

The API's ``detail`` wording also names the **auth service** ("Authentication service
error/unavailable/timeout") and **MLflow** ("Failed to connect to MLflow server",
"MLflow server request timeout") when those fail behind it.
"""

from __future__ import annotations

import json
from typing import Any

from .evidence import AnswerKind, Exchange


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


PROXY_MOUNTS = ("/api/mlflow/", "/mlflow/")
AUTH_VALIDATE = "/api/v1/keys/validate"
API_DETAIL_ABOUT_AUTH = (
    "Authentication service error",
    "Authentication service unavailable",
    "Authentication service timeout",
)
API_DETAIL_ABOUT_MLFLOW = (
    "Failed to connect to MLflow server",
    "MLflow server request timeout",
    "Internal server error while proxying to MLflow",
)
REWRITTEN_404 = "The requested resource was not found"
#: top-level members of MLflow REST answers (tracking, registry, artifacts)
MLFLOW_DOCUMENT_KEYS = {
    "experiments",
    "experiment",
    "experiment_id",
    "runs",
    "run",
    "metrics",
    "registered_models",
    "registered_model",
    "model_versions",
    "model_version",
    "files",
    "root_uri",
    "next_page_token",
    "model",
    "models",
    "store_type",
    "workspaces_enabled",
}
#: members of the Hokusai API's own documents
API_DOCUMENT_KEYS = {
    "circuit_breaker_state",
    "services",
    "ready",
    "alive",
    "checks",
    "mlflow_server",
    "openapi",
    "api_version",
    "git_commit",
    "build_date",
}


def json_body(exchange: Exchange) -> Any:
    if not exchange.body_prefix:
        return None
    try:
        return json.loads(exchange.body_prefix)
    except (ValueError, RecursionError):
        return None


def detail(exchange: Exchange) -> str:
    """The API's ``detail`` as one string ("" when there is none); nested details give their message."""
    data = json_body(exchange)
    if not isinstance(data, dict) or "detail" not in data:
        return ""
    value = data["detail"]
    if isinstance(value, dict):
        return str(value.get("message") or value.get("error") or json.dumps(value))
    return str(value)


def error_code(exchange: Exchange) -> str:
    data = json_body(exchange)
    if isinstance(data, dict):
        if isinstance(data.get("error_code"), str):
            return data["error_code"]
        nested = data.get("detail")
        if isinstance(nested, dict) and isinstance(nested.get("error"), str):
            return nested["error"]
        if isinstance(data.get("error"), str):
            return data["error"]
    return ""


def message(exchange: Exchange) -> str:
    data = json_body(exchange)
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return data["message"]
    return detail(exchange)


def on_proxy(exchange: Exchange) -> bool:
    return exchange.route.startswith(PROXY_MOUNTS) or exchange.route in ("/api/mlflow", "/mlflow")


def who_answered(exchange: Exchange) -> str:
    if exchange.status is None:
        return Who.NOTHING
    server = exchange.server.lower()
    kind = exchange.answered_by
    if exchange.route.endswith(AUTH_VALIDATE):
        # the auth service, asked directly (the diagnosis does when its URL is known)
        return Who.AUTH_LB if "awselb" in server or kind == AnswerKind.LB_HTML else Who.AUTH
    if "awselb" in server or kind == AnswerKind.LB_HTML:
        return Who.LOAD_BALANCER
    if kind == AnswerKind.UNRELAYED_ERROR:
        return Who.API
    if kind in (AnswerKind.FLASK_HTML_404, AnswerKind.FLASK_HTML_ERROR):
        return Who.MLFLOW
    data = json_body(exchange)
    if kind == AnswerKind.MLFLOW_JSON or (isinstance(data, dict) and "error_code" in data):
        if isinstance(data, dict) and str(data.get("message", "")).startswith(REWRITTEN_404):
            return Who.MLFLOW_VIA_API
        if (
            isinstance(data, dict)
            and data.get("error_code") in ("UNAUTHENTICATED", "PERMISSION_DENIED")
            and "detail" in data
        ):
            return Who.API  # the API's auth refusal, given an error code for the MLflow client
        return Who.MLFLOW
    if kind == AnswerKind.GATEWAY_JSON:
        return Who.API
    if isinstance(data, dict):
        if data.get("error") == "FORBIDDEN" or "required_scope" in data:
            return Who.API
        if on_proxy(exchange) and (MLFLOW_DOCUMENT_KEYS & set(data) or not data):
            return Who.MLFLOW
        if API_DOCUMENT_KEYS & set(data) or exchange.route in ("/health", "/version", "/", "/ready", "/live"):
            return Who.API
    if on_proxy(exchange) and kind in (
        AnswerKind.HTML,
        AnswerKind.PLAIN_TEXT,
        AnswerKind.NON_JSON,
        AnswerKind.EMPTY,
        AnswerKind.JSON,
        AnswerKind.OTHER_JSON,
    ):
        # the API's own answers are JSON with a detail: anything else on the proxy was relayed from MLflow
        # (its plain "OK", its version, its web UI, artifact bytes, a bare "Internal Server Error")
        through_api = not server or "uvicorn" in server  # the API's server adds its own header to what it relays
        if through_api and not (kind == AnswerKind.PLAIN_TEXT and exchange.status == 404 and server == ""):
            return Who.MLFLOW
    if kind == AnswerKind.PLAIN_TEXT and exchange.status == 404 and "uvicorn" not in server:
        return Who.LOAD_BALANCER  # a fixed "Not Found" from whatever terminates the connection
    return Who.OTHER


def looks_like_registry(exchange: Exchange) -> bool:
    """A registry answer someone could use: MLflow data or the MLflow web UI."""
    if exchange.status is None or exchange.status >= 400:
        return False
    data = json_body(exchange)
    if isinstance(data, dict) and MLFLOW_DOCUMENT_KEYS & set(data):
        return True
    body = exchange.body_prefix.lower()
    return exchange.answered_by == AnswerKind.HTML and ("mlflow" in body or 'id="root"' in body)
