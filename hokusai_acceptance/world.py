"""The scenario world: who is acting, what the scenario saw, and one capability object per part of the contract.

One :class:`RegistryWorld` per scenario. Steps are one-liners into its capabilities
(``context.world.registration.register_model(...)``, ``context.world.auth.check_refused(...)``); each
capability (:mod:`hokusai_acceptance.capabilities`) holds its own typed state and reaches the others
through the world. The world itself only knows who is acting (the key and its role), the scenario's
evidence and notes, and how to undo what the scenario changed in the embedded stack.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from . import registration as reg
from .capabilities.auth import AuthChecks
from .capabilities.errors import ErrorChecks
from .capabilities.fuzzing import FuzzChecks
from .capabilities.health import HealthChecks
from .capabilities.isolation import IsolationChecks
from .capabilities.performance import PerformanceChecks
from .capabilities.proxy import ProxyChecks
from .capabilities.registration import RegistrationChecks
from .capabilities.tokenized import TokenizedChecks
from .client import HokusaiClient
from .errors import ConfigError, StackError
from .evidence import EvidenceLog
from .personas import DESCRIBED, persona
from .redaction import redact, register_secret
from .rest_api import MlflowRest
from .run import SuiteRun
from .stack_control import StackControl
from .state import CallState

__all__ = ["RegistryWorld", "SuiteRun", "never_issued_key"]


def never_issued_key() -> str:
    key = "hk_live_" + "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))
    register_secret(key)
    return key


class RegistryWorld:
    def __init__(self, run: SuiteRun, skip: Callable[[str], None] | None = None, scenario: str = ""):
        self.run = run
        self._skip = skip
        self.evidence = EvidenceLog(scenario=scenario)
        self.client = HokusaiClient(
            run.base_url, connect_timeout=run.settings.connect_timeout, read_timeout=run.settings.read_timeout
        )
        self.key: str | None = None
        self.key_role = "none"
        self.calls = CallState()  # the registry's latest answers, read by every capability
        self.notes: list[str] = []
        self.cleanups: list[Callable[[], object]] = []  # what undoes the scenario's changes (results ignored)
        self.skipped = False
        # the capabilities, one per part of the contract
        self.health = HealthChecks(self)
        self.auth = AuthChecks(self)
        self.registration = RegistrationChecks(self)
        self.isolation = IsolationChecks(self)
        self.proxy = ProxyChecks(self)
        self.errors = ErrorChecks(self)
        self.performance = PerformanceChecks(self)
        self.fuzzing = FuzzChecks(self)
        self.tokenized = TokenizedChecks(self)

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
    def stack(self) -> StackControl:
        if self.run.stack is None:
            raise StackError("this check needs the embedded stack; tag the scenario @embedded_only")
        return self.run.stack

    @property
    def mlflow(self) -> reg.MlflowSession:
        """The plain MLflow client, set up with the acting key."""
        return self.run.session(self.key)

    @property
    def rest(self) -> MlflowRest:
        """MLflow's REST API through the registry, with the acting key."""
        return MlflowRest(self.client, self.key)

    def use_key_described(self, words: str) -> None:
        """Act with the key a developer describes in words (personas.DESCRIBED)."""
        if words not in DESCRIBED:
            raise ConfigError(f"unknown key description {words!r}; known: {', '.join(DESCRIBED)}")
        self.use_key(DESCRIBED[words])

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
                known = persona(role)
                self.skip(known.describe_missing() if known else f"no {role} key is available for this target")
                return
            self.key = key
        self.key_role = role
        self.evidence.actor = role

    @contextmanager
    def acting_as(self, actor: str) -> Iterator[None]:
        """Record the calls made inside as made by ``actor`` (another developer, the run's own key, ...)."""
        before, self.evidence.actor = self.evidence.actor, actor
        try:
            yield
        finally:
            self.evidence.actor = before

    def breaking_on_purpose(self) -> None:
        """Mark what follows as deliberate: the scenario injected the failure it observes."""
        self.evidence.deliberate = True
