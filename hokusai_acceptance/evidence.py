"""Evidence: every HTTP exchange the suite makes, recorded and redacted.

Both the suite's own client and the MLflow client go through ``requests``; while
a :class:`EvidenceLog` is installed, each exchange is recorded with its redacted
URL, status, content type, a body prefix, selected headers, timing and a guess of
which component answered. Steps attach the log to the report and the diagnosis
reads it.
"""
from __future__ import annotations

import json
import threading
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Iterator

import requests

from .redaction import redact, redact_headers

BODY_PREFIX = 600
KEPT_RESPONSE_HEADERS = ("content-type", "server", "retry-after", "x-ratelimit-limit", "x-ratelimit-remaining",
                         "x-ratelimit-reset", "location", "content-length", "www-authenticate")
KEPT_REQUEST_HEADERS = ("content-type", "authorization", "x-api-key", "user-agent", "accept")


class AnswerKind:
    """Who (probably) produced an answer, judged only from what a client can see."""

    GATEWAY_JSON = "gateway JSON"              # {"detail": ...} from the Hokusai API
    MLFLOW_JSON = "MLflow JSON error"          # {"error_code": ...}
    JSON = "JSON"                              # a successful JSON answer
    FLASK_HTML_404 = "MLflow/Flask HTML page"  # <!doctype html>...404 Not Found
    LB_HTML = "load balancer HTML page"        # ALB 502/503/504 pages
    PLAIN_TEXT = "plain text"                  # ALB fixed response, misc servers
    OTHER_JSON = "other JSON"
    NON_JSON = "non-JSON body"
    EMPTY = "empty body"
    NO_ANSWER = "no answer"


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
        return AnswerKind.LB_HTML
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


@dataclass
class Exchange:
    method: str
    url: str
    status: int | None
    content_type: str = ""
    body_prefix: str = ""
    request_headers: dict[str, str] = field(default_factory=dict)
    request_body_prefix: str = ""
    response_headers: dict[str, str] = field(default_factory=dict)
    elapsed_ms: float = 0.0
    error: str | None = None
    answered_by: str = ""
    label: str = ""
    started_at: float = 0.0
    actor: str = ""          # which key role made the call (valid, read-only, never issued, none, ...)
    deliberate: bool = False  # made while the scenario itself broke something on purpose

    def summary(self) -> str:
        if self.status is None:
            return f"{self.method} {self.url} -> no answer ({self.error}) after {self.elapsed_ms:.0f} ms"
        body = " ".join(self.body_prefix.split())[:160]
        return (f"{self.method} {self.url} -> HTTP {self.status} {self.content_type or '(no content type)'} "
                f"[{self.answered_by}] in {self.elapsed_ms:.0f} ms: {body}")

    def to_dict(self) -> dict:
        return asdict(self)

    def as_text(self) -> str:
        """Request/response shown the way a person reads it (for report attachments)."""
        lines = [f"{self.method} {self.url}"]
        lines += [f"{k}: {v}" for k, v in self.request_headers.items()]
        if self.request_body_prefix:
            lines += ["", self.request_body_prefix]
        lines.append("")
        if self.status is None:
            lines.append(f"<no answer: {self.error}> after {self.elapsed_ms:.0f} ms")
        else:
            lines.append(f"HTTP {self.status}   ({self.elapsed_ms:.0f} ms, answered by: {self.answered_by})")
            lines += [f"{k}: {v}" for k, v in self.response_headers.items()]
            lines += ["", self.body_prefix]
        return redact("\n".join(lines))


def _text_prefix(data: bytes | str | None, limit: int = BODY_PREFIX) -> str:
    if data is None:
        return ""
    if isinstance(data, bytes):
        if b"\x00" in data[:limit]:
            return f"<{len(data)} bytes of binary data>"
        data = data[:limit].decode("utf-8", errors="replace")
    elif not isinstance(data, str):
        return f"<streamed body: {type(data).__name__}>"
    return redact(data[:limit])


def exchange_from_response(response: requests.Response, elapsed_ms: float, streamed: bool,
                           request_body: bytes | str | None = None, started_at: float = 0.0) -> Exchange:
    request = response.request
    content_type = response.headers.get("content-type", "")
    body = "" if streamed else _text_prefix(response.content)
    return Exchange(
        method=request.method or "?", url=redact(request.url), status=response.status_code,
        content_type=content_type, body_prefix=body,
        request_headers=redact_headers({k: v for k, v in request.headers.items()
                                        if k.lower() in KEPT_REQUEST_HEADERS}),
        request_body_prefix=_text_prefix(request_body, 300),
        response_headers={k: redact(v) for k, v in response.headers.items() if k.lower() in KEPT_RESPONSE_HEADERS},
        elapsed_ms=round(elapsed_ms, 2), answered_by=classify_answer(response.status_code, content_type, body),
        started_at=started_at)


class EvidenceLog:
    """Exchanges of one scenario (or one check), in order."""

    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []
        self.actor = "none"
        self.deliberate = False
        self._lock = threading.Lock()

    def add(self, exchange: Exchange) -> None:
        exchange.actor = exchange.actor or self.actor
        exchange.deliberate = exchange.deliberate or self.deliberate
        with self._lock:
            self.exchanges.append(exchange)

    def clear(self) -> None:
        with self._lock:
            self.exchanges.clear()

    def last(self) -> Exchange | None:
        return self.exchanges[-1] if self.exchanges else None

    def failures(self) -> list[Exchange]:
        return [e for e in self.exchanges if e.status is None or e.status >= 400]

    def as_text(self) -> str:
        return "\n\n".join(f"--- exchange {i + 1} ---\n{e.as_text()}" for i, e in enumerate(self.exchanges))

    def as_json(self) -> str:
        return json.dumps([e.to_dict() for e in self.exchanges], indent=2)


# ------------------------------------------------------------------ recording

_current: EvidenceLog | None = None
_original_send = requests.Session.send
_installed = False


def _recording_send(self, request, **kwargs):  # type: ignore[no-untyped-def]
    log = _current
    if log is None:
        return _original_send(self, request, **kwargs)
    started_wall = time.time()
    started = time.perf_counter()
    try:
        response = _original_send(self, request, **kwargs)
    except requests.RequestException as exc:
        log.add(Exchange(method=request.method or "?", url=redact(request.url), status=None,
                         request_headers=redact_headers({k: v for k, v in request.headers.items()
                                                         if k.lower() in KEPT_REQUEST_HEADERS}),
                         elapsed_ms=round((time.perf_counter() - started) * 1000, 2),
                         error=redact(f"{type(exc).__name__}: {exc}"), answered_by=AnswerKind.NO_ANSWER,
                         started_at=started_wall))
        raise
    elapsed = (time.perf_counter() - started) * 1000
    log.add(exchange_from_response(response, elapsed, streamed=bool(kwargs.get("stream")),
                                   request_body=request.body, started_at=started_wall))
    return response


def install_recorder() -> None:
    """Route every ``requests`` exchange of this process through the recorder (idempotent)."""
    global _installed
    if not _installed:
        requests.Session.send = _recording_send  # type: ignore[method-assign]
        _installed = True


def current_log() -> EvidenceLog | None:
    return _current


def set_current(log: EvidenceLog | None) -> None:
    global _current
    _current = log


@contextmanager
def recording(log: EvidenceLog) -> Iterator[EvidenceLog]:
    install_recorder()
    previous = _current
    set_current(log)
    try:
        yield log
    finally:
        set_current(previous)
