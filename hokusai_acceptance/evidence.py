"""Evidence: the HTTP exchanges of each scenario, and the typed marks its steps add.

While an :class:`EvidenceLog` is current (a ``ContextVar``, so each thread and each scenario sees its
own), the suite's transport (:mod:`.transport`) records every exchange into it. Steps attach the log to
the report and the diagnosis reads it.

Besides exchanges, a step may leave a :class:`Mark`: a typed statement of something it established
that no single exchange shows ("the registry holds no owner for this model", "MLflow registered the model
with a key that must not write"), with the exchanges that show it. The diagnosis reads marks, never the
text of a step's assertion. A step may also say what it expects of the calls it is about to make
(:func:`expecting`): a 404 from an existence probe is an answer, not trouble.

Nothing here knows about any particular deployment: only what a client can see.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, TypeVar

from .exchange import Actor, Exchange
from .redaction import redact

__all__ = [
    "Actor",
    "EvidenceLog",
    "Exchange",
    "Mark",
    "Marker",
    "current_log",
    "expecting",
    "in_context",
    "recording",
    "set_current",
]

T = TypeVar("T")


class Marker(str, Enum):
    """What a step established that the diagnosis needs and no single exchange shows."""

    #: MLflow, set up with a key that must not write (read-only, revoked), registered a model anyway
    KEY_THAT_MUST_NOT_WRITE_WROTE = "a key that must not write registered a model"
    #: a read-back of a registered model and its versions found no owner recorded
    NO_OWNER_RECORDED = "the registry records no owner"


@dataclass
class Mark:
    kind: Marker
    scenario: str
    note: str = ""
    exchanges: list[Exchange] = field(default_factory=list)


class EvidenceLog:
    """Exchanges of one scenario (or one check), in order, and its marks; safe to add to from many threads."""

    def __init__(self, scenario: str = "") -> None:
        self.exchanges: list[Exchange] = []
        self.marks: list[Mark] = []
        self.actor = "none"
        self.deliberate = False
        self.scenario = scenario
        self._lock = threading.Lock()

    def add(self, exchange: Exchange) -> Exchange:
        exchange.actor = exchange.actor or self.actor
        exchange.deliberate = exchange.deliberate or self.deliberate
        exchange.scenario = exchange.scenario or self.scenario
        if not exchange.expected and not exchange.purpose:
            statuses, purpose = _expected.get()
            exchange.expected, exchange.purpose = list(statuses), purpose
        with self._lock:
            self.exchanges.append(exchange)
        return exchange

    def mark(self, kind: Marker, note: str, exchanges: list[Exchange]) -> Mark:
        made = Mark(kind=kind, scenario=self.scenario, note=redact(note), exchanges=list(exchanges))
        with self._lock:
            self.marks.append(made)
        return made

    def snapshot(self) -> list[Exchange]:
        with self._lock:
            return list(self.exchanges)

    def since(self, count: int) -> list[Exchange]:
        """The exchanges added after the first ``count`` (``count`` from an earlier ``len(log.snapshot())``)."""
        with self._lock:
            return list(self.exchanges[count:])

    def failures(self) -> list[Exchange]:
        return [e for e in self.snapshot() if e.status is None or e.status >= 400]

    def as_text(self) -> str:
        return "\n\n".join(f"--- exchange {i + 1} ---\n{e.as_text()}" for i, e in enumerate(self.snapshot()))


_current: contextvars.ContextVar[EvidenceLog | None] = contextvars.ContextVar("hokusai_evidence_log", default=None)
#: where exchanges go that are made on threads which did not inherit a log (e.g. a library's own pool)
_fallback: EvidenceLog | None = None
#: error statuses the step making the current calls expects as normal answers, and why
_expected: contextvars.ContextVar[tuple[tuple[int, ...], str]] = contextvars.ContextVar(
    "hokusai_expected_answer", default=((), "")
)


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
    token = _current.set(log)
    try:
        yield log
    finally:
        _current.reset(token)


@contextmanager
def expecting(*statuses: int, why: str) -> Iterator[None]:
    """The calls made inside may answer ``statuses`` as a normal outcome, for the reason ``why``
    (``expecting(404, why="is the name still free?")``)."""
    token = _expected.set((tuple(statuses), why))
    try:
        yield
    finally:
        _expected.reset(token)


def in_context(fn: Callable[..., T]) -> Callable[..., T]:
    """Wrap ``fn`` so a worker thread runs it with the caller's evidence log (and other context)."""
    context = contextvars.copy_context()

    def run(*args: Any, **kwargs: Any) -> T:
        return context.copy().run(fn, *args, **kwargs)

    return run
