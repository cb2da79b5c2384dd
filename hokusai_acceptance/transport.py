"""The suite's own HTTP transport: every call to the target goes through :class:`RecordingAdapter`.

A ``requests`` transport adapter (mounted on the suite's client sessions, and on the MLflow client's
session by :mod:`.mlflow_client`) that, for each request:

1. asks the **guards** whether it may be sent (the outage tracker refuses calls to a component pinned
   as down; a refused call is recorded as "not attempted" and raises);
2. sends it with ``requests``' own ``HTTPAdapter`` (timeouts, pooling, retries configured by the caller);
3. records an :class:`~.exchange.Exchange` into the current evidence log, hands it to the response
   (:func:`exchange_of`), and tells the **observers** (the outage tracker) about it.

A streamed answer is recorded when it arrives and completed by whoever reads its body
(:func:`complete_body`), on that very exchange, whatever other threads are doing. Sessions that are
not a client's calls (the embedded stack's readiness polls and control calls) use plain ``requests``
and are never recorded.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from .classify import AnswerKind, classify_answer, transport_error_kind
from .evidence import current_log
from .exchange import REQUEST_BODY_PREFIX, Exchange, text_prefix
from .redaction import redact, redact_headers

KEPT_RESPONSE_HEADERS = (
    "content-type",
    "server",
    "retry-after",
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "location",
    "content-length",
    "content-encoding",
    "transfer-encoding",
    "www-authenticate",
    "via",
)
KEPT_REQUEST_HEADERS = ("content-type", "authorization", "x-api-key", "user-agent", "accept")
CREDENTIAL_HEADERS = ("authorization", "x-api-key")

Guard = Callable[[requests.PreparedRequest], None]
Observer = Callable[[Exchange], None]

_lock = threading.Lock()
#: called with each prepared request before it is sent; may raise to refuse the call (outage guards)
_guards: list[Guard] = []
#: called with each recorded exchange once its answer is known (outage tracking)
_observers: list[Observer] = []
#: set while calls are made that no pinned outage may stop (a probe that tells the outage apart)
_unguarded: contextvars.ContextVar[bool] = contextvars.ContextVar("unguarded", default=False)


@contextmanager
def unguarded() -> Iterator[None]:
    """Calls made inside are sent even when an outage is pinned (they are what tells the outage apart)."""
    token = _unguarded.set(True)
    try:
        yield
    finally:
        _unguarded.reset(token)


def carries_key(request: requests.PreparedRequest) -> bool:
    if any(h.lower() in CREDENTIAL_HEADERS for h in request.headers):
        return True
    return "api_key=" in (urlsplit(request.url or "").query or "")


def _request_headers(request: requests.PreparedRequest) -> dict[str, str]:
    return redact_headers({k: v for k, v in request.headers.items() if k.lower() in KEPT_REQUEST_HEADERS})


def _response_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): redact(v) for k, v in headers.items() if k.lower() in KEPT_RESPONSE_HEADERS}


def _unanswered(request: requests.PreparedRequest, started_at: float, **details: Any) -> Exchange:
    return Exchange(
        method=request.method or "?",
        url=redact(request.url or ""),
        status=None,
        request_headers=_request_headers(request),
        request_body_prefix=text_prefix(request.body, REQUEST_BODY_PREFIX),
        answered_by=AnswerKind.NO_ANSWER,
        started_at=started_at,
        keyed=carries_key(request),
        request_sent_body=bool(request.body),
        **details,
    )


def _answered(
    request: requests.PreparedRequest, response: requests.Response, elapsed_ms: float, body: str, started_at: float
) -> Exchange:
    content_type = response.headers.get("content-type", "")
    return Exchange(
        method=request.method or "?",
        url=redact(request.url or ""),
        status=response.status_code,
        content_type=content_type,
        body_prefix=body,
        request_headers=_request_headers(request),
        request_body_prefix=text_prefix(request.body, REQUEST_BODY_PREFIX),
        response_headers=_response_headers(response.headers),
        elapsed_ms=round(elapsed_ms, 2),
        answered_by=classify_answer(response.status_code, content_type, body),
        started_at=started_at,
        keyed=carries_key(request),
        request_sent_body=bool(request.body),
    )


class RecordingAdapter(HTTPAdapter):
    """``requests``' HTTP adapter, with the suite's guards, evidence and observers around each call."""

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, stream: bool = False, **kwargs: Any
    ) -> requests.Response:
        log = current_log()
        started_at = time.time()
        for guard in [] if _unguarded.get() else list(_guards):
            try:
                guard(request)
            except Exception as exc:
                if log is not None:
                    refused = _unanswered(
                        request, started_at, error=redact(str(exc))[:1500], error_kind="not-attempted"
                    )
                    refused.request_body_prefix, refused.request_sent_body = "", False
                    _notify(log.add(refused))
                raise
        started = time.perf_counter()
        try:
            response = super().send(request, stream=stream, **kwargs)
        except requests.RequestException as exc:
            if log is not None:
                _notify(
                    log.add(
                        _unanswered(
                            request,
                            started_at,
                            elapsed_ms=round((time.perf_counter() - started) * 1000, 2),
                            error=redact(f"{type(exc).__name__}: {exc}")[:500],
                            error_kind=transport_error_kind(exc),
                        )
                    )
                )
            raise
        try:
            body = "" if stream else text_prefix(response.content)
        except requests.RequestException as exc:
            # an answer came (status and headers), but its body broke a promise of HTTP: it ended before its
            # declared length, or did not decode with its declared coding
            if log is not None:
                broken = _answered(request, response, (time.perf_counter() - started) * 1000, "", started_at)
                broken.error = redact(f"{type(exc).__name__}: {exc}")[:500]
                broken.error_kind = transport_error_kind(exc)
                _notify(log.add(broken))
            raise
        if log is None:
            return response
        exchange = log.add(_answered(request, response, (time.perf_counter() - started) * 1000, body, started_at))
        response.hokusai_exchange = exchange  # type: ignore[attr-defined]
        if not stream:
            _notify(exchange)
        return response


def recorded_session() -> requests.Session:
    """A session whose calls go through the recording adapter; it trusts nothing from the environment (no
    proxies, no .netrc credentials)."""
    session = requests.Session()
    session.trust_env = False
    mount_recorder(session)
    return session


def mount_recorder(session: requests.Session) -> requests.Session:
    """Put the recording adapter on ``session`` for http and https, keeping the retry policy of the adapter
    it replaces (idempotent)."""
    for prefix in ("http://", "https://"):
        current = session.get_adapter(prefix)
        if isinstance(current, RecordingAdapter):
            continue
        retries = getattr(current, "max_retries", 0)
        session.mount(prefix, RecordingAdapter(max_retries=retries))
    return session


def exchange_of(response: requests.Response) -> Exchange | None:
    """The exchange the recorder made for this response, if it was recorded."""
    return getattr(response, "hokusai_exchange", None)


def complete_body(exchange: Exchange, body: bytes | str) -> None:
    """Fill in the body of a streamed answer once the caller has read it (observers see it then)."""
    exchange.body_prefix = text_prefix(body)
    exchange.answered_by = classify_answer(exchange.status, exchange.content_type, exchange.body_prefix)
    _notify(exchange)


def _notify(exchange: Exchange) -> None:
    for observer in list(_observers):
        observer(exchange)


def add_guard(guard: Guard) -> None:
    with _lock:
        if guard not in _guards:
            _guards.append(guard)


def remove_guard(guard: Guard) -> None:
    with _lock:
        if guard in _guards:
            _guards.remove(guard)


def add_observer(observer: Observer) -> None:
    with _lock:
        if observer not in _observers:
            _observers.append(observer)


def remove_observer(observer: Observer) -> None:
    with _lock:
        if observer in _observers:
            _observers.remove(observer)
