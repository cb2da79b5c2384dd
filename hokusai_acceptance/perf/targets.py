"""Performance targets: the budgets in behave.ini's ``[behave.userdata]`` (the one place every
budget lives, shared by the ``@performance`` features and ``make bench``), checked against what
a benchmark measured. A target that could not be measured is reported as such, never as met."""

from __future__ import annotations

import configparser
import math
from dataclasses import asdict, dataclass
from pathlib import Path

from ..errors import ConfigError
from ..paths import BEHAVE_INI
from .measure import RECOVERY_WAIT_SECONDS

#: userdata names that are budgets (numbers), by their unit suffix
BUDGET_SUFFIXES = ("_ms", "_seconds", "_ratio", "_mb", "_tolerance", "_examples", "_seed")
#: the budgets the benchmark checks
BENCH_BUDGETS = (
    "perf_overhead_ratio",
    "perf_min_throughput_ratio",
    "perf_agreement_tolerance",
    "perf_max_memory_growth_mb",
    "perf_max_recovery_seconds",
)


def parse_budgets(
    values: dict[str, str], required: tuple[str, ...] = (), where: str = "the budgets"
) -> dict[str, float]:
    """Every budget-named value as a number (one parser for behave's userdata and ``make bench``)."""
    budgets = {}
    for name, value in values.items():
        if name.endswith(BUDGET_SUFFIXES):
            try:
                budgets[name] = float(value)
            except ValueError:
                raise ConfigError(f"budget {name} must be a number, not {value!r} ({where})") from None
    missing = [name for name in required if name not in budgets]
    if missing:
        raise ConfigError(f"{where} lack {', '.join(missing)}")
    return budgets


def read_budgets(path: Path = BEHAVE_INI, overrides: dict[str, str] | None = None) -> dict[str, float]:
    """The budgets in ``[behave.userdata]``, with ``-D name=value`` overrides as behave applies them."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keep the names as written (the documented way)
    if not parser.read(path):
        raise ConfigError(f"cannot read the budgets: {path} is missing")
    if not parser.has_section("behave.userdata"):
        raise ConfigError(f"{path} has no [behave.userdata] section with the performance budgets")
    values = {**dict(parser.items("behave.userdata")), **(overrides or {})}
    return parse_budgets(values, BENCH_BUDGETS, f"{path.name} [behave.userdata]")


@dataclass
class Target:
    name: str
    measured: float | None
    limit: float
    comparison: str  # "<=" or ">="
    unit: str = ""
    shown: str = ""  # how to show the measurement when a number would not read well
    rule: str = ""  # how to show the budget likewise

    @property
    def measurable(self) -> bool:
        return self.measured is not None and not math.isnan(self.measured)

    @property
    def met(self) -> bool:
        if self.measured is None or math.isnan(self.measured):
            return False
        return self.measured <= self.limit if self.comparison == "<=" else self.measured >= self.limit

    @property
    def verdict(self) -> str:
        if not self.measurable:
            return "not measured"
        return "met" if self.met else "missed"

    def measured_text(self) -> str:
        if not self.measurable:
            return "n/a"
        return self.shown or f"{self.measured:g}{self.unit}"

    def rule_text(self) -> str:
        return self.rule or f"{self.comparison} {self.limit:g}{self.unit}"

    def describe(self) -> str:
        return f"{self.name}: {self.measured_text()} (target {self.rule_text()}): {self.verdict}"

    def to_dict(self) -> dict:
        return {
            **asdict(self),
            "met": self.met,
            "verdict": self.verdict,
            "measured_text": self.measured_text(),
            "rule_text": self.rule_text(),
        }


def _number(value) -> float | None:
    return None if value is None else float(value)


def evaluate(results: dict, budgets: dict[str, float]) -> list[Target]:
    """Every target the bench checks: the gateway's latency overhead and throughput share, the suite's agreement
    with Locust (p50 and p95), the gateway's memory growth, the 50 MB round trip, the concurrent developers, and
    the registry's recovery after load."""
    summary = results.get("summary", {})
    agreement = results.get("agreement", {})
    tolerance = budgets["perf_agreement_tolerance"]

    def deviation(name: str) -> float | None:
        ratio = agreement.get(name)
        return None if ratio is None else round(abs(float(ratio) - 1.0), 3)

    large = results.get("large_artifact", {})
    identical = None if not large else bool(large.get("round_trip_identical"))
    users = results.get("concurrent_users", {})
    failed_users = None if not users else float(users.get("users", 0) - users.get("succeeded", 0))
    users_shown = "" if not users else f"{failed_users:g} of {users.get('users', 0)}"
    stuck = summary.get("load_runs_not_recovered", 0)
    recovery = None if stuck else _number(summary.get("slowest_recovery_seconds"))
    recovery_shown = ""
    if stuck:  # a run after which the registry never answered promptly within the bounded wait
        recovery, recovery_shown = float(RECOVERY_WAIT_SECONDS), f"{stuck} run(s) not within {RECOVERY_WAIT_SECONDS} s"
    return [
        Target(
            "gateway overhead on experiment search, p50 through the gateway / direct MLflow",
            _number(summary.get("gateway_overhead_p50_ratio")),
            budgets["perf_overhead_ratio"],
            "<=",
            "x",
        ),
        Target(
            "read throughput at concurrency 32, gateway / direct MLflow",
            _number(summary.get("throughput_ratio_read_c32")),
            budgets["perf_min_throughput_ratio"],
            ">=",
            "x",
        ),
        Target("suite sampler vs Locust, p50 deviation", deviation("p50_ratio"), tolerance, "<="),
        Target("suite sampler vs Locust, p95 deviation", deviation("p95_ratio"), tolerance, "<="),
        Target(
            "gateway memory growth during a 50 MB upload and download",
            _number(large.get("gateway_rss_growth_mb")),
            budgets["perf_max_memory_growth_mb"],
            "<=",
            " MB",
        ),
        Target(
            "50 MB model bytes identical after the round trip",
            None if identical is None else float(identical),
            1.0,
            ">=",
            shown="yes" if identical else "no",
            rule="must be yes",
        ),
        Target(
            "concurrent developers whose registration failed", failed_users, 0.0, "<=", shown=users_shown, rule="none"
        ),
        Target(
            "slowest recovery after a load run (a read answered within 500 ms again)",
            recovery,
            budgets["perf_max_recovery_seconds"],
            "<=",
            " s",
            shown=recovery_shown,
        ),
    ]
