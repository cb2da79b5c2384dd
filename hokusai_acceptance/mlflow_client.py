"""The MLflow client the way a third-party developer uses it, configured through MLflow's own
extension points instead of a process-wide environment that changes per call.

* **The key** travels as ``Authorization: Bearer <key>`` from :class:`KeyHeaderProvider`, an MLflow
  request-header provider (entry point ``mlflow.request_header_provider`` in ``pyproject.toml``). The
  key in use is a ``ContextVar`` set by :func:`using_key`, so concurrent callers in threads each send
  their own. MLflow's own worker threads (parallel artifact downloads) start without the caller's
  context; they get the key of the innermost :func:`using_key` still open, which is the caller's.
* **Retries and timeouts** are MLflow's documented settings (``MLFLOW_HTTP_REQUEST_MAX_RETRIES``,
  ``MLFLOW_HTTP_REQUEST_TIMEOUT``, backoff), set once per process by :func:`configure`: one run has
  one policy.
* **The tracking URI** is set once per target with ``mlflow.set_tracking_uri``.
* **Evidence.** MLflow makes its calls through one ``requests`` session per retry policy
  (``mlflow.utils.request_utils._get_request_session``). That private function is the one patch the
  suite keeps: the session it returns gets the suite's recording transport
  (:class:`~hokusai_acceptance.transport.RecordingAdapter`, keeping MLflow's retry policy), and with
  retries off it no longer raises on the first 5xx (``raise_on_status``), an exception that has lost
  the status line and body the diagnosis needs. ``tests/unit/test_mlflow_client.py`` pins the patch to
  the MLflow version and signature it was written for, so an MLflow upgrade fails the tests instead of
  the evidence.
"""

from __future__ import annotations

import contextvars
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

try:  # the provider base class; MLflow is a pinned dependency, the import stays lazy-safe for tooling
    from mlflow.tracking.request_header.abstract_request_header_provider import RequestHeaderProvider
except ImportError:  # pragma: no cover
    RequestHeaderProvider = object  # type: ignore[assignment,misc]

_NO_SESSION = ("none",)
#: ("key", value) while a session with a key is active, ("anonymous",) for a session without one
_session: contextvars.ContextVar[tuple] = contextvars.ContextVar("hokusai_mlflow_session", default=_NO_SESSION)
_open_sessions: list[tuple] = []  # for MLflow's own worker threads, which do not inherit the context
_lock = threading.Lock()
_configured: dict[str, str] = {}


class KeyHeaderProvider(RequestHeaderProvider):
    """Adds the active session's Hokusai key to every request the MLflow client makes."""

    @staticmethod
    def _current() -> tuple:
        current = _session.get()
        if current is _NO_SESSION:
            with _lock:
                current = _open_sessions[-1] if _open_sessions else _NO_SESSION
        return current

    def in_context(self) -> bool:
        return self._current()[0] == "key"

    def request_headers(self) -> dict[str, str]:
        current = self._current()
        return {"Authorization": f"Bearer {current[1]}"} if current[0] == "key" else {}


@contextmanager
def using_key(key: str | None) -> Iterator[None]:
    """Make MLflow client calls in this context carry ``key`` (or no key at all)."""
    session = ("key", key) if key else ("anonymous",)
    token = _session.set(session)
    with _lock:
        _open_sessions.append(session)
    try:
        yield
    finally:
        with _lock:
            _open_sessions.remove(session)
        _session.reset(token)


def configure(tracking_uri: str, *, timeout: float, retries: int) -> None:
    """The process's MLflow client policy: the target, no token from the environment (the key comes from
    the provider), bounded timeouts and retries. Idempotent; a new target or policy replaces the old one."""
    import mlflow

    wanted = {
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES": str(retries),
        "MLFLOW_HTTP_REQUEST_TIMEOUT": str(int(timeout)),
        "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
        "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER": "0",
    }
    with _lock:
        if _configured.get("uri") != tracking_uri or any(_configured.get(k) != v for k, v in wanted.items()):
            os.environ.update(wanted)
            # a token in the environment would override the provider's header (MLflow applies it last)
            os.environ.pop("MLFLOW_TRACKING_TOKEN", None)
            mlflow.set_tracking_uri(tracking_uri)
            mlflow.set_registry_uri(tracking_uri)
            _configured.update(wanted, uri=tracking_uri)
    keep_server_answers()
    ensure_provider_registered()


def ensure_provider_registered() -> None:
    """The entry point registers the provider when the package is installed (``make`` installs it
    editable). Without it, MLflow would send no key at all: say so instead of failing with 401s."""
    from mlflow.tracking.request_header.registry import _request_header_provider_registry

    if not any(isinstance(p, KeyHeaderProvider) for p in _request_header_provider_registry):
        raise RuntimeError(
            "the package's MLflow request-header provider is not registered: install the project "
            "with `make python-deps` (pip install -e .)"
        )


#: the MLflow release whose private session factory :func:`keep_server_answers` wraps (a test pins it)
PATCHED_FOR_MLFLOW = "3.17.2"


def keep_server_answers() -> None:
    """Record MLflow's calls through the suite's transport, and make the MLflow client hand back the server's
    5xx answer instead of a bare "too many 503 error responses" retry error (see the module docstring)."""
    from mlflow.utils import request_utils

    from .transport import mount_recorder

    original = request_utils._get_request_session
    if getattr(original, "_keeps_server_answers", False):
        return

    def session(max_retries, backoff_factor, backoff_jitter, retry_codes, raise_on_status, *args, **kwargs):  # noqa: ARG001 - MLflow calls it by name
        made = original(max_retries, backoff_factor, backoff_jitter, retry_codes, False, *args, **kwargs)
        return mount_recorder(made)

    session._keeps_server_answers = True  # type: ignore[attr-defined]
    request_utils._get_request_session = session
