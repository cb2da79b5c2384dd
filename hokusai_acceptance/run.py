"""What the scenarios of one run share: settings, the target, keys, what the run created, and findings on the way.

One :class:`SuiteRun` lives for the whole behave run; the scenario world (:mod:`.world`) reads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import registration as reg
from .errors import ConfigError
from .exchange import Exchange
from .settings import Settings
from .stack_control import StackControl

if TYPE_CHECKING:  # pragma: no cover
    from .fuzz.confine import Scope
    from .fuzz.runner import FuzzRun
    from .outages import OutageTracker


@dataclass
class SuiteRun:
    """Everything shared by the scenarios of one run."""

    settings: Settings
    keys: dict[str, str | None] = field(repr=False)
    stack: StackControl | None = None  # the embedded stack, when the suite started one
    resources: reg.CreatedResources = field(default_factory=lambda: reg.CreatedResources(prefix=""))
    budgets: dict[str, float] = field(default_factory=dict)
    exchanges: list[Exchange] = field(default_factory=list)  # every scenario's evidence, for the diagnosis
    marks: list[Any] = field(default_factory=list)  # every scenario's marks (evidence.Mark)
    outages: OutageTracker | None = None  # pinned outages fail calls at once
    phase: str = "starting"  # starting | scenarios | finishing | done
    interrupted: int | None = None  # the signal that interrupted the run, if one did
    measured: dict[str, str] = field(default_factory=dict)  # limits found by scenarios, stated in the reports
    generated: dict[str, FuzzRun] = field(default_factory=dict)  # generated-request runs by kind
    fuzz_scope: Scope | None = None  # where generated writes are confined (made once)
    drift: dict[str, Any] | None = None  # how the target's own description differs from the contract

    def __post_init__(self) -> None:
        if not self.resources.prefix:
            self.resources = reg.CreatedResources(prefix=f"hk-accept-{self.settings.run_id}")

    @property
    def base_url(self) -> str:
        return self.settings.api_url or ""

    @property
    def embedded(self) -> bool:
        return self.stack is not None

    def session(self, key: str | None) -> reg.MlflowSession:
        return reg.MlflowSession(
            self.settings.tracking_uri, key, timeout=self.settings.mlflow_timeout, retries=self.settings.mlflow_retries
        )

    def budget(self, name: str) -> float:
        """A budget from behave.ini's [behave.userdata] (or ``-D name=value``); none is built in."""
        if name not in self.budgets:
            raise ConfigError(f"no budget {name!r}: set it in behave.ini [behave.userdata] or pass -D {name}=...")
        return self.budgets[name]

    def stated_budget(self, name: str, stated: float) -> float:
        """The limit a scenario states in its text. It must agree with behave.ini (which ``make bench`` reads):
        one number, written twice, checked. A ``-D name=value`` on the command line wins over both."""
        from .perf.targets import read_budgets

        configured = self.budget(name)
        in_file = read_budgets().get(name)
        if configured != in_file:
            return configured  # overridden for this run with -D
        if float(stated) != configured:
            raise ConfigError(
                f"the scenario states {stated:g} but behave.ini [behave.userdata] {name} is "
                f"{configured:g}: make the two agree"
            )
        return configured

    def cleanup(self) -> list[str]:
        key = self.keys.get("valid")
        if not (self.resources.models or self.resources.experiments) or not key:
            return []
        return reg.cleanup(self.session(key), self.resources)
