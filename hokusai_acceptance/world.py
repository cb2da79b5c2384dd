"""The scenario world: the domain actions and checks the step definitions call.

One :class:`SuiteRun` lives for the whole run (settings, target, keys, what the
run created); one :class:`RegistryWorld` per scenario holds what the scenario
did and saw. Steps are one-liners into these methods; the methods themselves
live in :mod:`hokusai_acceptance.capabilities`, one module per capability.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import registration as reg
from .capabilities.auth import AuthChecks
from .capabilities.errors import ErrorChecks
from .capabilities.fuzzing import FuzzChecks
from .capabilities.health import HealthChecks
from .capabilities.isolation import IsolationChecks
from .capabilities.performance import PerformanceChecks
from .capabilities.proxy import ProxyChecks
from .capabilities.registration import RegistrationChecks
from .client import HokusaiClient
from .errors import ConfigError, StackError
from .evidence import EvidenceLog
from .redaction import redact, register_secret
from .rest_api import MlflowRest
from .settings import Settings
from .state import (
    CallState,
    ErrorState,
    FuzzState,
    HealthState,
    IsolationState,
    PerformanceState,
    ProxyState,
    RegistrationState,
)

#: How a feature names the key a developer set up, and the role it stands for.
KEY_WORDS = {
    "no key at all": "none",
    "my key with one character mistyped": "mistyped",
    "a revoked key": "revoked",
    "a read-only key": "read-only",
}

#: Key roles a scenario can act with, and the variable that configures each on a remote target.
KEY_VARIABLES = {
    "valid": "HOKUSAI_API_KEY",
    "read-only": "HOKUSAI_READONLY_API_KEY",
    "revoked": "HOKUSAI_REVOKED_API_KEY",
    "second developer": "HOKUSAI_SECOND_API_KEY",
    "rotated": "HOKUSAI_ROTATED_API_KEY",
}


@dataclass
class SuiteRun:
    """Everything shared by the scenarios of one run."""

    settings: Settings
    keys: dict[str, str | None] = field(repr=False)
    stack: Any = None  # EmbeddedStack when the suite started one
    resources: reg.CreatedResources | None = None
    budgets: dict[str, float] = field(default_factory=dict)
    skip_reasons: list[dict] = field(default_factory=list)
    exchanges: list = field(default_factory=list)  # every scenario's evidence, for the diagnosis
    outages: Any = None  # OutageTracker: pinned outages fail calls at once
    phase: str = "starting"  # starting | scenarios | finishing | done
    interrupted: int | None = None  # the signal that interrupted the run, if one did
    measured: dict[str, str] = field(default_factory=dict)  # limits found by scenarios, stated in the reports
    generated: dict[str, Any] = field(default_factory=dict)  # generated-request runs (FuzzRun) by kind; "scope"
    drift: dict | None = None  # how the target's own description differs from the contract

    def __post_init__(self) -> None:
        if self.resources is None:
            self.resources = reg.CreatedResources(prefix=f"hk-accept-{self.settings.run_id}")

    @property
    def base_url(self) -> str:
        return self.settings.api_url or ""

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


def never_issued_key() -> str:
    key = "hk_live_" + "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))
    register_secret(key)
    return key


class RegistryWorld(
    HealthChecks,
    AuthChecks,
    RegistrationChecks,
    IsolationChecks,
    ProxyChecks,
    ErrorChecks,
    PerformanceChecks,
    FuzzChecks,
):
    def __init__(self, run: SuiteRun, skip: Callable[[str], None] | None = None, scenario: str = ""):
        self.run = run
        self._skip = skip
        self.evidence = EvidenceLog(scenario=scenario)
        self.client = HokusaiClient(
            run.base_url, connect_timeout=run.settings.connect_timeout, read_timeout=run.settings.read_timeout
        )
        self.key: str | None = None
        self.key_role = "none"
        # what the steps hand to each other, one typed state object per capability
        self.calls = CallState()
        self.health = HealthState()
        self.timing = ErrorState()
        self.tracking = ProxyState()
        self.registering = RegistrationState()
        self.isolation = IsolationState()
        self.perf = PerformanceState()
        self.fuzzing = FuzzState()
        self.notes: list[str] = []
        self.cleanups: list[Callable[[], None]] = []
        self.skipped = False

    def close(self) -> None:
        """Undo what the scenario changed in the stack (faults, delays), newest first."""
        errors = []
        for undo in reversed(self.cleanups):
            try:
                undo()
            except Exception as exc:  # keep undoing the rest
                errors.append(redact(str(exc)))
        self.cleanups.clear()
        self.client.close()
        if errors:
            raise StackError("could not restore the stack after the scenario: " + "; ".join(errors))

    def note(self, text: str) -> None:
        """A fact worth showing in the report (a measured time, a window, a version)."""
        self.notes.append(redact(text))

    def skip(self, reason: str) -> None:
        self.skipped = True
        if self._skip is not None:
            self._skip(reason)

    @property
    def stack(self):
        if self.run.stack is None:
            raise StackError("this check needs the embedded stack; tag the scenario @embedded_only")
        return self.run.stack

    @property
    def mlflow(self) -> reg.MlflowSession:
        return self.run.session(self.key)

    @property
    def rest(self) -> MlflowRest:
        return MlflowRest(self.client, self.key)

    def use_key_described(self, words: str) -> None:
        """Act with the key a developer describes in words (see KEY_WORDS)."""
        if words not in KEY_WORDS:
            raise ConfigError(f"unknown key description {words!r}; known: {', '.join(KEY_WORDS)}")
        self.use_key(KEY_WORDS[words])

    def use_key(self, role: str) -> None:
        """Act with a key of the given role: valid, read-only, revoked, expired, revocable,
        rate-limited, never issued, mistyped (the valid key with one character changed), or none.
        A role the target has no key for skips the scenario."""
        if role == "never issued":
            self.key = never_issued_key()
        elif role == "mistyped":
            valid = self.run.keys.get("valid") or never_issued_key()
            self.key = valid[:-1] + ("x" if valid[-1] != "x" else "y")
            register_secret(self.key)
        elif role == "none":
            self.key = None
        else:
            key = self.run.keys.get(role)
            if not key:
                variable = KEY_VARIABLES.get(role)
                how = f"set {variable} to run it" if variable else "only the embedded stack has one"
                self.skip(f"no {role} key is available for this target ({how})")
                return
            self.key = key
        self.key_role = role
        self.evidence.actor = role

    def breaking_on_purpose(self) -> None:
        """Mark what follows as deliberate: the scenario injected the failure it observes."""
        self.evidence.deliberate = True
