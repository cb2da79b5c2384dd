"""Verdicts in bounded time: once a component is pinned as down or hanging, stop waiting for it.

The tracker watches every exchange with the target (deliberate ones excluded: a scenario
that breaks something on purpose waits for it on purpose). When the same slow failure
repeats -- calls that time out, the API waiting out its 5 s auth-service limit, the API's
30 s MLflow limit, the load balancer waiting on its target -- the tracker *pins* the
outage for the calls that need that component. Pinned calls are not sent: they fail at
once with :class:`ComponentDown` (Allure: broken), which names the component and quotes
the calls that pinned it, so the remaining scenarios reach their verdict in seconds
instead of each waiting out its own timeout.

Only what a client observes is used: status, who answered, the contract's name for the answer, and
time. Answers that succeed but each take many times their budget pin the registry as too slow.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests

from . import situations
from .classify import who_answered
from .errors import InfrastructureError
from .exchange import Exchange
from .routes import OPEN_PATHS, PROBES, PROXY_MOUNTS
from .transport import add_guard, add_observer, carries_key, remove_guard, remove_observer
from .who import Who

#: a slow failure: at least this long (ms) before the failure arrived
SLOW_MS = 3000
#: a very slow failure: two in a row pin the outage; three slow ones are needed otherwise
VERY_SLOW_MS = 9000
#: answers that arrive, but each many times over its budget: this many in a row pin the registry as too slow
SLOW_ANSWERS_IN_A_ROW = 5


class Scope:
    TARGET = "calls to the target"
    REGISTRY = "calls made with a key"


class ComponentDown(InfrastructureError):
    """Not attempted: the component this call needs was pinned as down or hanging earlier in the run."""

    component = "pinned"


@dataclass
class Pin:
    scope: str
    component: str
    reason: str
    evidence: list[str] = field(default_factory=list)
    since: float = field(default_factory=time.time)

    def describe(self) -> str:
        calls = f"{len(self.evidence)} call{'s' if len(self.evidence) != 1 else ''} in a row"
        return (
            f"not attempted: {self.component} {self.reason} ({calls}), so the remaining {self.scope} are "
            f"reported at once; the infrastructure report names the cause. "
            f"Last of them: {self.evidence[-1] if self.evidence else 'n/a'}"
        )


def _dependency_check(exchange: Exchange) -> bool:
    """A call of one of the API's probes that check its dependencies, answered by the API or not at all."""
    if exchange.route not in PROBES or exchange.route == "/health":
        return False
    return exchange.status is None or who_answered(exchange) == Who.API


def _slow_signature(exchange: Exchange) -> tuple[str, str, str] | None:
    """(scope, component, reason) of a slow failure, or None for anything else. Judged by who answered, its
    status and the contract's name for the answer (``contract/answers.yaml``), never by one deployment's words."""
    route = exchange.route
    on_proxy = route.startswith(PROXY_MOUNTS)
    elapsed = exchange.elapsed_ms
    if exchange.status is None:
        if exchange.error_kind not in ("connect-timeout", "read-timeout"):
            return None
        if exchange.keyed and on_proxy:
            return (
                Scope.REGISTRY,
                "the registry (the API, or what is behind it)",
                f"did not answer within {elapsed / 1000:.0f} s",
            )
        if on_proxy or route not in OPEN_PATHS:
            return (Scope.TARGET, "the target", f"did not answer within {elapsed / 1000:.0f} s")
        return None
    if elapsed < SLOW_MS or (exchange.status < 500 and exchange.status != 401):
        return None
    who = who_answered(exchange)
    named = situations.load().name(exchange, who)
    if named == "auth_service_timeout" and exchange.keyed:
        return (
            Scope.REGISTRY,
            "the auth service",
            f"made the API wait out its validation limit ({elapsed / 1000:.1f} s, HTTP {exchange.status})",
        )
    if exchange.status == 504 and who == Who.API and exchange.keyed and on_proxy:
        return (
            Scope.REGISTRY,
            "what is behind the API (MLflow)",
            f"did not answer the API in time ({elapsed / 1000:.0f} s, HTTP 504 from the API)",
        )
    if who == Who.API and exchange.keyed and exchange.status >= 500:
        return (
            Scope.REGISTRY,
            "a dependency of the API",
            f"made the API wait before it failed ({elapsed / 1000:.0f} s, HTTP {exchange.status})",
        )
    if exchange.status in (502, 503, 504) and who not in (Who.API, Who.MLFLOW, Who.MLFLOW_VIA_API):
        return (
            Scope.TARGET,
            "the load balancer's target",
            f"kept the load balancer waiting ({elapsed / 1000:.0f} s, HTTP {exchange.status})",
        )
    return None


class OutageTracker:
    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.pins: dict[str, Pin] = {}
        self._streaks: dict[str, list[Exchange]] = {}
        self._slow_answers: dict[str, list[Exchange]] = {}
        self._answered = False  # whether the target has answered any call yet
        self._lock = threading.Lock()

    # -- wiring
    def install(self) -> OutageTracker:
        add_guard(self.guard)
        add_observer(self.observe)
        return self

    def uninstall(self) -> None:
        remove_guard(self.guard)
        remove_observer(self.observe)

    # -- state
    def _targets_us(self, url: str) -> bool:
        return url.startswith(self.origin + "/") or url == self.origin

    def pin(self, scope: str, component: str, reason: str, evidence: list[str]) -> Pin:
        with self._lock:
            pin = self.pins.setdefault(scope, Pin(scope, component, reason, evidence))
        return pin

    def pinned(self) -> list[Pin]:
        with self._lock:
            return list(self.pins.values())

    def observe(self, exchange: Exchange) -> None:
        if exchange.deliberate or exchange.error_kind == "not-attempted" or not self._targets_us(exchange.url):
            return
        signature = _slow_signature(exchange)
        if signature is not None and self._answered and _dependency_check(exchange):
            # the API's check that waits on a dependency says nothing of how a target that answers other calls
            # answers them (a load balancer's page on the probe path still does)
            signature = None
        if exchange.status is not None:
            self._answered = True
        with self._lock:
            self._watch_speed(exchange)
            if signature is None:
                if exchange.status is not None and exchange.elapsed_ms < SLOW_MS:
                    # a prompt answer in a scope ends its streak (the component works after all)
                    scope = (
                        Scope.REGISTRY if exchange.keyed and exchange.route.startswith(PROXY_MOUNTS) else Scope.TARGET
                    )  # (keyed calls elsewhere may skip the component: not a sign either way)
                    self._streaks.pop(scope, None)
                    if scope == Scope.REGISTRY:
                        self._streaks.pop(Scope.TARGET, None)
                return
            scope, component, reason = signature
            streak = self._streaks.setdefault(scope, [])
            streak.append(exchange)
            # the client's own time limit ran out, or the failure took very long: two in a row are enough
            very = all(e.elapsed_ms >= VERY_SLOW_MS or e.error_kind == "read-timeout" for e in streak[-2:])
            needed = 2 if very else 3
            if len(streak) >= needed and scope not in self.pins:
                self.pins[scope] = Pin(scope, component, reason, [e.summary() for e in streak[-needed:]])

    def _watch_speed(self, exchange: Exchange) -> None:
        """Registry calls that succeed, each many times over its budget: a run against such a deployment
        would take many times as long as it should, so once the slowness is plain the rest is not waited for."""
        kind = situations.operation(exchange)
        if kind not in ("read", "write") or exchange.status is None or exchange.status >= 400:
            return
        # each kind keeps its own streak: a store that commits slowly makes every write slow and no read
        streak = self._slow_answers.setdefault(kind, [])
        if not situations.load().too_slow(exchange):
            streak.clear()
            return
        last = streak[-1] if streak else None
        if last is not None and exchange.started_at < last.started_at + last.elapsed_ms / 1000 - 0.05:
            return  # calls made at once wait for each other: only calls one after another show the hop's speed
        streak.append(exchange)
        if len(streak) >= SLOW_ANSWERS_IN_A_ROW and Scope.REGISTRY not in self.pins:
            budget = max(situations.load().budgets.get(situations.operation(e) or "", 0.0) for e in streak)
            typical = sorted(e.elapsed_ms for e in streak)[len(streak) // 2]
            self.pins[Scope.REGISTRY] = Pin(
                Scope.REGISTRY,
                "the registry",
                f"answers too slowly (about {typical / 1000:.1f} s a call, against a budget of {budget / 1000:.1f} s)",
                [e.summary() for e in streak[-SLOW_ANSWERS_IN_A_ROW:]],
            )

    def covering(self, url: str, keyed: bool) -> Pin | None:
        if not self._targets_us(url):
            return None
        route = urlsplit(url).path
        with self._lock:
            target = self.pins.get(Scope.TARGET)
            if target is not None:
                return target
            registry = self.pins.get(Scope.REGISTRY)
            if registry is not None and keyed and route not in OPEN_PATHS:
                return registry
        return None

    def guard(self, request: requests.PreparedRequest) -> None:
        pin = self.covering(request.url or "", carries_key(request))
        if pin is not None:
            raise ComponentDown(pin.describe())

    def clear(self) -> None:
        with self._lock:
            self.pins.clear()
            self._streaks.clear()
            self._slow_answers.clear()
