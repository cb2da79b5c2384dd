"""Evidence: every HTTP exchange the suite makes, recorded and redacted.

Both the suite's own client and the MLflow client go through ``requests``. While
an :class:`EvidenceLog` is current (a ``ContextVar``, so each thread and each
scenario sees its own), each exchange is recorded with its redacted URL, status,
content type, a body prefix, selected headers, timing, how the transport failed
and a guess of what kind of answer it was. The recorder hands the exchange it
created to whoever made the call (:func:`exchange_of`), so a streamed body is
completed on exactly that exchange, whatever other threads are doing.

Steps attach the log to the report and the diagnosis reads it. Nothing here
knows about any particular deployment: only what a client can see.
"""

from __future__ import annotations

import contextvars
import json
import shlex
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields
from typing import Any
from urllib.parse import urlsplit

import requests

from .redaction import MASK, redact, redact_headers

BODY_PREFIX = 600
KEPT_RESPONSE_HEADERS = (
    "content-type",
    "server",
    "retry-after",
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "location",
    "content-length",
    "www-authenticate",
    "via",
)
KEPT_REQUEST_HEADERS = ("content-type", "authorization", "x-api-key", "user-agent", "accept")
CREDENTIAL_HEADERS = ("authorization", "x-api-key")


#: the actor of calls one developer makes on another developer's model, run or experiment
ON_ANOTHERS_MODEL = "another developer, on the first developer's model"
#: the actor of a developer's tag write that puts another developer's token id on their own version
CLAIMING_ANOTHERS_TOKEN = "another developer, claiming the first developer's token id"
#: the actor of requests generated from the contract document (Schemathesis), made with the run's key
GENERATED_REQUEST = "a generated request"
#: how the developer's-view check says that MLflow, set up with a key that must not write, wrote anyway
DEVELOPER_KEY_WROTE = "MLflow registered the model with the"
#: how a read-back that found no owner on a registered model or version says so
NO_OWNER_RECORDED = "the registry does not record who registered"


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


def transport_error_kind(exc: BaseException) -> str:
    """How a call failed before any answer: refused, dns, connect-timeout, read-timeout, reset or other."""
    if isinstance(exc, requests.ConnectTimeout):
        return "connect-timeout"
    if isinstance(exc, requests.ReadTimeout):
        return "read-timeout"
    text = str(exc)
    if any(
        m in text
        for m in (
            "Name or service not known",
            "nodename nor servname",
            "Temporary failure in name",
            "getaddrinfo failed",
            "No address associated",
        )
    ):
        return "dns"
    if "Connection refused" in text:
        return "refused"
    if any(m in text for m in ("Connection reset", "RemoteDisconnected", "Connection aborted", "BadStatusLine")):
        return "reset"
    if "timed out" in text.lower():
        return "read-timeout"
    return "other"


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
    error_kind: str = ""  # refused | dns | connect-timeout | read-timeout | reset | not-attempted | other
    answered_by: str = ""
    label: str = ""  # a sweep probe's name, when the exchange is one
    started_at: float = 0.0
    actor: str = ""  # which key role made the call (valid, read-only, never issued, none, ...)
    keyed: bool = False  # a credential travelled with the request (header or api_key query)
    deliberate: bool = False  # made while the scenario itself broke something on purpose
    scenario: str = ""  # the scenario (or "sweep", "cleanup") that made the call
    request_sent_body: bool = False  # the request carried a body

    @property
    def path(self) -> str:
        """Path and query, without scheme and host."""
        parts = urlsplit(self.url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    @property
    def route(self) -> str:
        return urlsplit(self.url).path

    @property
    def answered(self) -> bool:
        return self.status is not None

    @property
    def server(self) -> str:
        return self.response_headers.get("server") or self.response_headers.get("Server") or ""

    def summary(self) -> str:
        key = " (with key)" if self.keyed else " (no key)"
        if self.status is None:
            return f"{self.method} {self.url}{key} -> no answer ({self.error}) after {self.elapsed_ms:.0f} ms"
        body = " ".join(self.body_prefix.split())[:160]
        server = f", server {self.server}" if self.server else ""
        return (
            f"{self.method} {self.url}{key} -> HTTP {self.status} {self.content_type or '(no content type)'}"
            f"{server} [{self.answered_by}] in {self.elapsed_ms:.0f} ms: {body}"
        )

    def curl(self) -> str:
        """The call as a command a person can paste: the key comes from their own environment (double quotes,
        so the shell fills it in); a body that is not plain text is left out rather than pasted as garbage."""
        if self.actor == GENERATED_REQUEST:
            return self.exact_curl()
        header = ' -H "Authorization: Bearer $HOKUSAI_API_KEY"' if self.keyed else ""
        method = "" if self.method == "GET" else f" -X {self.method}"
        body = ""
        text = self.request_body_prefix
        if text and _printable_lines(text):
            quoted = text.replace("'", "'\\''")
            body = f" -H 'Content-Type: application/json' --data '{quoted}'"
        elif text:
            body = " --data-binary @YOUR_FILE"
        if "api_key=***" in self.url:
            url = '"' + self.url.replace("api_key=***", "api_key=$HOKUSAI_API_KEY") + '"'
        else:
            url = f"'{self.url}'"
        return f"curl -sS -i --max-time 10{method}{header}{body} {url}"

    def exact_curl(self) -> str:
        """The request exactly as it was sent, every recorded header and the body included (generated requests:
        what broke the server may be any of them); the run's key comes from the person's own environment."""
        parts = ["curl -sS -i --max-time 10"] + ([f"-X {self.method}"] if self.method != "GET" else [])
        parts += ["-H " + shell_word(f"{name}: {value}") for name, value in self.request_headers.items()]
        if self.request_body_prefix:
            parts.append("--data-binary " + shell_word(self.request_body_prefix))
        return " ".join(parts + [shell_word(self.url)])

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Exchange:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

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

    def complete_body(self, body: bytes | str) -> None:
        """Fill in the body of a streamed answer once the caller has read it (observers see it then)."""
        self.body_prefix = _text_prefix(body)
        self.answered_by = classify_answer(self.status, self.content_type, self.body_prefix)
        _notify(self)


def shell_word(text: str) -> str:
    """One shell word: the run's key (masked in the evidence) becomes $HOKUSAI_API_KEY; anything that is not
    printable is written with bash's $'...' escapes, so what is pasted is what was sent."""
    if MASK in text:
        escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$").replace("`", "\\`")
        return '"' + escaped.replace(MASK, "$HOKUSAI_API_KEY") + '"'
    if text.isprintable():
        return shlex.quote(text)
    escaped = "".join(
        c
        if c.isprintable() and c not in "\\'"
        else ("\\" + c if c in "\\'" else "".join(f"\\x{b:02x}" for b in c.encode("utf-8", "surrogatepass")))
        for c in text
    )
    return f"$'{escaped}'"


def _printable_lines(text: str) -> bool:
    """Text a person can paste into a shell: not a placeholder, no undecodable bytes, no control characters."""
    return not text.startswith("<") and "\ufffd" not in text and all(line.isprintable() for line in text.splitlines())


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


def carries_key(request: requests.PreparedRequest) -> bool:
    if any(h.lower() in CREDENTIAL_HEADERS for h in request.headers):
        return True
    return "api_key=" in (urlsplit(request.url or "").query or "")


def _request_headers(request: requests.PreparedRequest) -> dict[str, str]:
    return redact_headers({k: v for k, v in request.headers.items() if k.lower() in KEPT_REQUEST_HEADERS})


def exchange_from_response(
    response: requests.Response,
    elapsed_ms: float,
    streamed: bool,
    request_body: bytes | str | None = None,
    started_at: float = 0.0,
) -> Exchange:
    request = response.request
    content_type = response.headers.get("content-type", "")
    body = "" if streamed else _text_prefix(response.content)
    return Exchange(
        method=request.method or "?",
        url=redact(request.url),
        status=response.status_code,
        content_type=content_type,
        body_prefix=body,
        request_headers=_request_headers(request),
        request_body_prefix=_text_prefix(request_body, 300),
        response_headers={
            k.lower(): redact(v) for k, v in response.headers.items() if k.lower() in KEPT_RESPONSE_HEADERS
        },
        elapsed_ms=round(elapsed_ms, 2),
        answered_by=classify_answer(response.status_code, content_type, body),
        started_at=started_at,
        keyed=carries_key(request),
        request_sent_body=bool(request_body),
    )


class EvidenceLog:
    """Exchanges of one scenario (or one check), in order; safe to add to from many threads."""

    def __init__(self, scenario: str = "") -> None:
        self.exchanges: list[Exchange] = []
        self.actor = "none"
        self.deliberate = False
        self.scenario = scenario
        self._lock = threading.Lock()

    def add(self, exchange: Exchange) -> Exchange:
        exchange.actor = exchange.actor or self.actor
        exchange.deliberate = exchange.deliberate or self.deliberate
        exchange.scenario = exchange.scenario or self.scenario
        with self._lock:
            self.exchanges.append(exchange)
        return exchange

    def snapshot(self) -> list[Exchange]:
        with self._lock:
            return list(self.exchanges)

    def failures(self) -> list[Exchange]:
        return [e for e in self.snapshot() if e.status is None or e.status >= 400]

    def as_text(self) -> str:
        return "\n\n".join(f"--- exchange {i + 1} ---\n{e.as_text()}" for i, e in enumerate(self.snapshot()))


# ------------------------------------------------------------------ recording

_current: contextvars.ContextVar[EvidenceLog | None] = contextvars.ContextVar("hokusai_evidence_log", default=None)
#: where exchanges go that are made on threads which did not inherit a log (e.g. a library's own pool)
_fallback: EvidenceLog | None = None
_original_send = requests.Session.send
_installed = False
#: called with each prepared request before it is sent; may raise to refuse the call (outage guards)
_guards: list[Callable[[requests.PreparedRequest], None]] = []
#: called with each recorded exchange (outage tracking)
_observers: list[Callable[[Exchange], None]] = []


def _recording_send(self, request, **kwargs):  # type: ignore[no-untyped-def]
    if getattr(self, "hokusai_unrecorded", False):  # the stack's own housekeeping, not a client's call
        return _original_send(self, request, **kwargs)
    log = _current.get() or _fallback
    started_wall = time.time()
    for guard in list(_guards):
        try:
            guard(request)
        except Exception as exc:
            if log is not None:
                _notify(
                    log.add(
                        Exchange(
                            method=request.method or "?",
                            url=redact(request.url),
                            status=None,
                            request_headers=_request_headers(request),
                            error=redact(str(exc))[:1500],
                            error_kind="not-attempted",
                            answered_by=AnswerKind.NO_ANSWER,
                            started_at=started_wall,
                            keyed=carries_key(request),
                        )
                    )
                )
            raise
    if log is None:
        return _original_send(self, request, **kwargs)
    started = time.perf_counter()
    try:
        response = _original_send(self, request, **kwargs)
    except requests.RequestException as exc:
        exchange = log.add(
            Exchange(
                method=request.method or "?",
                url=redact(request.url),
                status=None,
                request_headers=_request_headers(request),
                request_body_prefix=_text_prefix(request.body, 300),
                elapsed_ms=round((time.perf_counter() - started) * 1000, 2),
                error=redact(f"{type(exc).__name__}: {exc}")[:500],
                error_kind=transport_error_kind(exc),
                answered_by=AnswerKind.NO_ANSWER,
                started_at=started_wall,
                keyed=carries_key(request),
                request_sent_body=bool(request.body),
            )
        )
        _notify(exchange)
        raise
    elapsed = (time.perf_counter() - started) * 1000
    streamed = bool(kwargs.get("stream"))
    exchange = log.add(
        exchange_from_response(response, elapsed, streamed=streamed, request_body=request.body, started_at=started_wall)
    )
    response.hokusai_exchange = exchange  # the caller completes a streamed body on this very exchange
    if not streamed:
        _notify(exchange)
    return response


def unrecorded_session() -> requests.Session:
    """A session whose calls are neither recorded as evidence nor stopped by outage guards: for the embedded
    stack's readiness polls and control calls, which say nothing about the target a client sees."""
    session = requests.Session()
    session.hokusai_unrecorded = True  # type: ignore[attr-defined]
    return session


def _notify(exchange: Exchange) -> None:
    for observer in list(_observers):
        observer(exchange)


def exchange_of(response: requests.Response) -> Exchange | None:
    """The exchange the recorder made for this response, if it was recorded."""
    return getattr(response, "hokusai_exchange", None)


def install_recorder() -> None:
    """Route every ``requests`` exchange of this process through the recorder (idempotent)."""
    global _installed
    if not _installed:
        requests.Session.send = _recording_send  # type: ignore[method-assign]
        _installed = True


def add_guard(guard: Callable[[requests.PreparedRequest], None]) -> None:
    install_recorder()
    if guard not in _guards:
        _guards.append(guard)


def remove_guard(guard: Callable[[requests.PreparedRequest], None]) -> None:
    if guard in _guards:
        _guards.remove(guard)


def add_observer(observer: Callable[[Exchange], None]) -> None:
    install_recorder()
    if observer not in _observers:
        _observers.append(observer)


def remove_observer(observer: Callable[[Exchange], None]) -> None:
    if observer in _observers:
        _observers.remove(observer)


def current_log() -> EvidenceLog | None:
    return _current.get() or _fallback


def set_current(log: EvidenceLog | None) -> None:
    """Make ``log`` current for this context and the fallback for threads started without one."""
    global _fallback
    _current.set(log)
    _fallback = log


@contextmanager
def recording(log: EvidenceLog) -> Iterator[EvidenceLog]:
    """Record into ``log`` in this context (and in threads started with :func:`in_context`)."""
    install_recorder()
    token = _current.set(log)
    try:
        yield log
    finally:
        _current.reset(token)


def in_context(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap ``fn`` so a worker thread runs it with the caller's evidence log (and other context)."""
    context = contextvars.copy_context()

    def run(*args: Any, **kwargs: Any) -> Any:
        return context.copy().run(fn, *args, **kwargs)

    return run
