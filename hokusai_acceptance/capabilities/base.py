"""What every capability of the world shares: the world it belongs to, and short ways to what it holds."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import registration as reg
from ..client import HokusaiClient
from ..evidence import EvidenceLog
from ..rest_api import MlflowRest
from ..run import SuiteRun
from ..stack_control import StackControl
from ..state import CallState

if TYPE_CHECKING:  # pragma: no cover
    from ..world import RegistryWorld


class Capability:
    """One room of the scenario world: actions that exercise one part of the contract, and checks that raise
    ``AssertionError`` when the target breaks it or a typed error when it could not be exercised."""

    def __init__(self, world: RegistryWorld) -> None:
        self.world = world

    @property
    def run(self) -> SuiteRun:
        return self.world.run

    @property
    def client(self) -> HokusaiClient:
        return self.world.client

    @property
    def calls(self) -> CallState:
        return self.world.calls

    @property
    def evidence(self) -> EvidenceLog:
        return self.world.evidence

    @property
    def key(self) -> str | None:
        return self.world.key

    @property
    def key_role(self) -> str:
        return self.world.key_role

    @property
    def stack(self) -> StackControl:
        return self.world.stack

    @property
    def rest(self) -> MlflowRest:
        return self.world.rest

    @property
    def mlflow(self) -> reg.MlflowSession:
        return self.world.mlflow

    def note(self, text: str) -> None:
        self.world.note(text)

    def skip(self, reason: str) -> None:
        self.world.skip(reason)
