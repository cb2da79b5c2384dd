"""Who answered a call, what kind of answer it was, and which calls are writes: one place for all three.

Judged only from what any client can see. Each component of a Hokusai deployment has its own way
of answering:

* the **load balancer** writes bare HTML error pages (a title and a centred heading) and fixed
  plain-text responses, usually with its own ``Server`` header (``awselb/2.0``);
* the **Hokusai API** (FastAPI) answers JSON with a ``detail`` member, or its scope refusal
  ``{"error": "FORBIDDEN", "required_scope": ...}``; its own health documents;
* **MLflow** answers JSON with ``error_code`` and ``message``, its Flask HTML pages, its web UI, plain
  ``OK``/version strings, and the JSON documents of its REST API. The API rewrites MLflow's HTML 404
  into ``RESOURCE_NOT_FOUND`` "The requested resource was not found: <path>", so that shape means
  "MLflow had no such page, the API relayed it";
* **nothing**: the connection was refused, the name did not resolve, or no answer came in time.

The suite's outage tracker, the diagnosis, the field checks and the generated-request runner all use these
rules; none keeps its own copy. The reference gateway (the stand-in for the product) keeps its own, and a table
test holds both to MLflow's documented behaviour.
"""

from __future__ import annotations

import http.client
import json
import socket

import requests
import urllib3

from . import situations
from .exchange import Exchange, json_body, top_level_keys
from .routes import MOUNTS, PROBES, PROXY_MOUNTS
from .who import Who


def is_proxied(route: str) -> bool:
    """Whether a path is under one of the proxy mounts (the mount itself included)."""
    return route.startswith(PROXY_MOUNTS) or route in MOUNTS


class AnswerKind:
    """What kind of answer came back, judged only from what a client can see."""

    GATEWAY_JSON = "gateway JSON"  # {"detail": ...}: a FastAPI service (the Hokusai API)
    MLFLOW_JSON = "MLflow JSON error"  # {"error_code": ...}
    JSON = "JSON"  # a successful JSON answer
    FLASK_HTML_404 = "MLflow/Flask HTML page"  # <!doctype html>...404 Not Found (werkzeug)
    FLASK_HTML_ERROR = "MLflow/Flask HTML error page"  # werkzeug's page for any other error (500 ...)
    LB_HTML = "load balancer HTML page"  # <center><h1>503 Service Temporarily Unavailable</h1></center>
    HTML = "HTML page"  # any other page (a web UI, a login page, ...)
    PLAIN_TEXT = "plain text"  # a load balancer's fixed response, a bare server
    #: a bare error answer on the MLflow mount that was not relayed: it lacks the headers every relayed
    #: answer of the same run carries (the API's own server crashed on the request)
    UNRELAYED_ERROR = "the API's own bare error answer"
    OTHER_JSON = "other JSON"
    NON_JSON = "non-JSON body"
    EMPTY = "empty body"
    NO_ANSWER = "no answer"


def _is_lb_page(lowered: str) -> bool:
    """The bare error pages load balancers and reverse proxies write: a title and a centred heading."""
    return "<center><h1>" in lowered and "</h1></center>" in lowered


def classify_answer(status: int | None, content_type: str, body: str) -> str:
    if status is None:
        return AnswerKind.NO_ANSWER
    text = body.lstrip()
    ctype = (content_type or "").lower()
    if not text:
        return AnswerKind.EMPTY
    if "html" in ctype or text[:15].lower().startswith(("<!doctype html", "<html")):
        lowered = text.lower()
        if "werkzeug" in lowered or ("<title>404 not found</title>" in lowered and "<h1>not found</h1>" in lowered):
            return AnswerKind.FLASK_HTML_404
        if lowered.startswith("<!doctype html>") and "<html lang=en>" in lowered[:40] and "<center>" not in lowered:
            return AnswerKind.FLASK_HTML_ERROR  # werkzeug's error template; a load balancer's page centres its text
        if _is_lb_page(lowered) or (
            status >= 500 and len(lowered) < 1024 and "<title>" in lowered and str(status) in lowered[:200]
        ):
            return AnswerKind.LB_HTML
        return AnswerKind.HTML
    if "json" in ctype or text[:1] in "{[":
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            # a truncated prefix of a long JSON body still counts as JSON
            return AnswerKind.OTHER_JSON if "json" in ctype else AnswerKind.NON_JSON
        if isinstance(data, dict) and "detail" in data:
            return AnswerKind.GATEWAY_JSON
        if isinstance(data, dict) and "error_code" in data:
            return AnswerKind.MLFLOW_JSON
        if status < 400:
            return AnswerKind.JSON
        return AnswerKind.OTHER_JSON
    if ctype.startswith("text/plain"):
        return AnswerKind.PLAIN_TEXT
    return AnswerKind.NON_JSON


def _chain(exc: BaseException) -> list[BaseException]:
    """An exception and what it wraps: its cause and context, and urllib3's ``reason`` (MaxRetryError)."""
    seen: list[BaseException] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        item = todo.pop()
        if item is None or any(item is known for known in seen) or len(seen) > 20:
            continue
        seen.append(item)
        todo += [item.__cause__, item.__context__, getattr(item, "reason", None)]
        todo += [arg for arg in getattr(item, "args", ()) if isinstance(arg, BaseException)]
    return seen


def transport_error_kind(exc: BaseException) -> str:
    """How a call failed before any answer, from the exceptions' types: refused, dns, connect-timeout,
    read-timeout, reset, incomplete-body (the answer stopped before its declared end), undecodable-body (its
    declared coding did not decode) or other."""
    chain = _chain(exc)

    def caused_by(*kinds: type[BaseException]) -> bool:
        return any(isinstance(item, kinds) for item in chain)

    if caused_by(urllib3.exceptions.NameResolutionError, socket.gaierror):
        return "dns"
    if caused_by(ConnectionRefusedError):
        return "refused"
    if caused_by(ConnectionResetError, http.client.RemoteDisconnected):
        return "reset"
    # urllib3 makes a failed connection (NewConnectionError) a kind of connect timeout: only a real one counts
    timed_out = [
        item
        for item in chain
        if isinstance(item, (requests.ConnectTimeout, urllib3.exceptions.ConnectTimeoutError))
        and not isinstance(item, urllib3.exceptions.NewConnectionError)
    ]
    if timed_out and not caused_by(urllib3.exceptions.ReadTimeoutError, requests.ReadTimeout):
        return "connect-timeout"
    if caused_by(requests.ReadTimeout, urllib3.exceptions.ReadTimeoutError, TimeoutError):
        return "read-timeout"
    if caused_by(requests.exceptions.ContentDecodingError, urllib3.exceptions.DecodeError):
        return "undecodable-body"
    if caused_by(
        requests.exceptions.ChunkedEncodingError, urllib3.exceptions.IncompleteRead, http.client.IncompleteRead
    ):
        return "incomplete-body"
    if caused_by(urllib3.exceptions.ProtocolError):
        return "reset"
    return "other"


AUTH_VALIDATE = "/api/v1/keys/validate"
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


def on_proxy(exchange: Exchange) -> bool:
    return is_proxied(exchange.route)


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
        if isinstance(data, dict) and situations.load().is_named(exchange, "mlflow_has_no_page"):
            return Who.MLFLOW_VIA_API
        if (
            isinstance(data, dict)
            and data.get("error_code") in ("UNAUTHENTICATED", "PERMISSION_DENIED")
            and "detail" in data
        ):
            return Who.API  # the API's auth refusal, given an error code for the MLflow client
        return Who.MLFLOW
    if kind == AnswerKind.GATEWAY_JSON:
        return Who.API  # the run's view tells the API's own answers from ones relayed from behind it
    if data is None and kind in (AnswerKind.JSON, AnswerKind.OTHER_JSON):
        # an object too long to keep whole: its first member still says what it is
        keys = top_level_keys(exchange)
        if on_proxy(exchange) and MLFLOW_DOCUMENT_KEYS & keys:
            return Who.MLFLOW
        if keys and (API_DOCUMENT_KEYS & keys or exchange.route in PROBES):
            return Who.API
    if isinstance(data, dict):
        if situations.load().name(exchange, Who.API) in ("write_scope_missing", "registry_role_missing"):
            return Who.API
        if on_proxy(exchange) and (MLFLOW_DOCUMENT_KEYS & set(data) or not data):
            return Who.MLFLOW
        if API_DOCUMENT_KEYS & set(data) or exchange.route in PROBES:
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
    if MLFLOW_DOCUMENT_KEYS & top_level_keys(exchange):
        return True
    body = exchange.body_prefix.lower()
    return exchange.answered_by == AnswerKind.HTML and ("mlflow" in body or 'id="root"' in body)
