"""Naming an answer: which situation of the contract (``contract/answers.yaml``) it is, per generation.

The table is data: no deployment's wording is written in the suite's code. An answer that matches no situation
is still placed on the path by who answered it, its status and its timing (:mod:`.diagnosis.facts`); naming it
only adds what the answer's words say (which dependency failed, how).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from .exchange import Exchange, detail, error_code, json_body, message
from .paths import CONTRACT_ANSWERS
from .routes import PROBES, PROXY_MOUNTS, is_write
from .who import Who

#: who answered, as the table writes it
WHO = {"api": (Who.API,), "mlflow": (Who.MLFLOW, Who.MLFLOW_VIA_API), "load_balancer": (Who.LOAD_BALANCER,)}


#: situations in which the API says a dependency behind it failed
DEPENDENCY_SITUATIONS = {
    "auth_service_error",
    "auth_service_unavailable",
    "auth_service_timeout",
    "mlflow_unreachable",
    "mlflow_timeout",
    "proxy_internal_error",
}


@dataclass(frozen=True)
class Situation:
    name: str
    who: tuple[str, ...] = ()
    status: tuple[int, ...] = ()
    detail: tuple[str, ...] = ()
    detail_prefix: tuple[str, ...] = ()
    error: tuple[str, ...] = ()
    error_code: tuple[str, ...] = ()
    message_prefix: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()

    def matches(self, exchange: Exchange, answered_by: str) -> bool:
        if self.who and answered_by not in self.who:
            return False
        if self.status and exchange.status not in self.status:
            return False
        said = detail(exchange)
        code = error_code(exchange)
        checks = [
            (self.detail, said in self.detail),
            (self.detail_prefix, said.startswith(self.detail_prefix)),
            (self.error, code in self.error),
            (self.error_code, code in self.error_code),
            (self.message_prefix, message(exchange).startswith(self.message_prefix)),
            (self.fields, _has_fields(exchange, self.fields)),
        ]
        return all(held for wanted, held in checks if wanted)


def _has_fields(exchange: Exchange, names: tuple[str, ...]) -> bool:
    data = json_body(exchange)
    return isinstance(data, dict) and all(name in data for name in names)


@dataclass(frozen=True)
class Routine:
    error_code: str
    calls: str  # reads | creates


@dataclass(frozen=True)
class Answers:
    situations: tuple[Situation, ...]
    routine: tuple[Routine, ...] = field(default=())
    #: milliseconds one call of each kind may take (see :func:`operation`)
    budgets: dict[str, float] = field(default_factory=dict)
    slow_factor: float = 3.0

    def too_slow(self, exchange: Exchange) -> bool:
        """Whether a call took more than ``slow_factor`` times its kind's budget (and at least a second)."""
        kind = operation(exchange)
        budget = self.budgets.get(kind or "")
        return budget is not None and exchange.elapsed_ms >= max(1000.0, self.slow_factor * budget)

    def name(self, exchange: Exchange, answered_by: str) -> str | None:
        """The situation an answer is, or None when no generation answers so."""
        if exchange.status is None:
            return None
        return next((s.name for s in self.situations if s.matches(exchange, answered_by)), None)

    def is_named(self, exchange: Exchange, name: str, answered_by: str = "") -> bool:
        """Whether an answer is the named situation (who answered is not checked when not given)."""
        shapes = [s for s in self.situations if s.name == name]
        if not shapes:
            raise KeyError(f"no situation {name!r} in {CONTRACT_ANSWERS.name}")
        return exchange.status is not None and any(
            shape.matches(exchange, answered_by or (shape.who or ("",))[0]) for shape in shapes
        )

    def names_a_dependency(self, exchange: Exchange) -> bool:
        """Whether the API's answer says a dependency behind it failed (its auth service, MLflow)."""
        return self.name(exchange, Who.API) in DEPENDENCY_SITUATIONS

    def is_routine(self, exchange: Exchange, answered_by: str) -> bool:
        """An answer MLflow's clients meet in their ordinary flows (an absent name looked up, a create of what
        exists), given by MLflow itself."""
        if answered_by != Who.MLFLOW or exchange.status is None:
            return False
        code = error_code(exchange)
        for rule in self.routine:
            if code != rule.error_code:
                continue
            if rule.calls == "reads" and not is_write(exchange.method, exchange.route):
                return True
            if rule.calls == "creates" and exchange.route.rstrip("/").endswith("/create"):
                return True
        return False


def operation(exchange: Exchange) -> str | None:
    """The kind of call an exchange is, for its time budget: refusal, probe, read, write, auth_direct, or None
    (artifact transfers take as long as their size; other calls have no budget)."""
    route = exchange.route
    if route.endswith("/keys/validate"):
        return "auth_direct"
    if "mlflow-artifacts" in route:
        return None
    if route in PROBES or route == "/openapi.json":
        return "probe"
    if not exchange.keyed:
        return "refusal" if exchange.status in (401, 403) else None
    if route.startswith(PROXY_MOUNTS) and exchange.status is not None and exchange.status < 400:
        return "write" if is_write(exchange.method, route) else "read"
    return None


def _tuple(value: Any) -> tuple[Any, ...]:
    if value is None:
        return ()
    return tuple(value) if isinstance(value, list) else (value,)


def _situation(name: str, spec: dict[str, Any]) -> Situation:
    who = tuple(w for key in _tuple(spec.get("who")) for w in WHO[key])
    return Situation(
        name=name,
        who=who,
        status=_tuple(spec.get("status")),
        detail=_tuple(spec.get("detail")),
        detail_prefix=_tuple(spec.get("detail_prefix")),
        error=_tuple(spec.get("error")),
        error_code=_tuple(spec.get("error_code")),
        message_prefix=_tuple(spec.get("message_prefix")),
        fields=_tuple(spec.get("fields")),
    )


@cache
def load(path: Path = CONTRACT_ANSWERS) -> Answers:
    data = yaml.safe_load(path.read_text())
    situations = []
    for name, specs in (data.get("situations") or {}).items():
        for spec in specs if isinstance(specs, list) else [specs]:
            situations.append(_situation(name, spec))
    routine = tuple(Routine(r["error_code"], r["calls"]) for r in data.get("routine") or [])
    budgets = {str(k): float(v) for k, v in (data.get("budgets") or {}).items()}
    return Answers(tuple(situations), routine, budgets, float(data.get("slow_factor", 3.0)))
