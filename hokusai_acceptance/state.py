"""What a scenario's steps hand to each other, declared per capability with types.

Each capability has a small state object; the world composes them. A field that no earlier step
has set yet cannot be read: reading it raises :class:`ScenarioOrderError`, which names the step
that sets it -- so a scenario whose steps are reordered fails with a sentence, not an
``AttributeError`` deep inside a check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import SuiteError

if TYPE_CHECKING:  # pragma: no cover
    from .capabilities.isolation import Attempt, Snapshot
    from .client import Reply
    from .developer_view import DeveloperAttempt
    from .fuzz.contract import Drift
    from .fuzz.runner import FuzzRun
    from .perf.measure import LatencyStats
    from .registration import Registration, TrainedModel
    from .rest_api import RestRegistration
    from .size_limits import SizeSearch


class ScenarioOrderError(SuiteError):
    """A step read something that no earlier step of the scenario produced."""


class _Unset:
    def __repr__(self) -> str:
        return "<not set yet>"


UNSET: Any = _Unset()


def needs(step: str) -> Any:
    """A field that starts unset; ``step`` says which Gherkin step sets it."""
    return field(default=UNSET, metadata={"set_by": step})


class StepState:
    def __getattribute__(self, name: str) -> Any:
        value = object.__getattribute__(self, name)
        if value is UNSET:
            declared = getattr(type(self), "__dataclass_fields__", {})
            setter = declared[name].metadata.get("set_by", "") if name in declared else ""
            raise ScenarioOrderError(
                f"this step needs {name.replace('_', ' ')}, which no earlier step of the "
                f"scenario produced; it comes from {setter}"
            )
        return value

    def has(self, name: str) -> bool:
        return object.__getattribute__(self, name) is not UNSET


@dataclass
class CallState(StepState):
    """The registry's latest answers (every capability)."""

    reply: Reply = needs(
        "a step that calls the registry ('When I call the registry and time the answer', "
        "'When monitoring asks the API ...')"
    )
    replies: list[Reply] = needs("a step that calls the registry several times")


@dataclass
class HealthState(StepState):
    probe_path: str = needs("'When monitoring calls the <check> check without a key'")
    probe_replies: dict[str, Reply] = field(default_factory=dict)
    ecs_status: list = needs("'When I read the registry's service status from AWS'")


@dataclass
class ErrorState(StepState):
    call_seconds: float = needs("'When I call the registry and time the answer'")
    client_failure: Exception | None = needs("'When I use the MLflow client against the registry'")
    client_seconds: float = needs("'When I use the MLflow client against the registry'")


@dataclass
class ProxyState(StepState):
    experiment_id: str = needs("'When I create an experiment and a run through the registry'")
    experiment_name: str = needs("'When I create an experiment and a run through the registry'")
    run_id: str = needs("'When I create an experiment and a run through the registry'")
    artifact_bytes: bytes = needs("'When I upload a <size> KB file to the run's artifact store through the registry'")
    artifact_path: str = needs("'When I upload a <size> KB file to the run's artifact store through the registry'")
    model_name: str = needs("'When I create the registered model \"<name>\" through the registry'")
    description: str = needs("'When I change its description to \"<text>\"'")
    forwarded: list[dict] = needs(
        "'When I send a <method> call through an API whose MLflow side records what it receives'"
    )


@dataclass
class RegistrationState(StepState):
    trained: TrainedModel = needs("'Given a scikit-learn classifier trained on a sample data set'")
    registration: Registration = needs("a step that registers the model ('When I register it as model ...')")
    registration_seconds: float = needs("a step that registers the model")
    registrations: list[Registration] = field(default_factory=list)
    sent_tags: dict[str, str] = needs("'When I tag version <n> through plain MLflow with token id ...'")
    rest_registration: RestRegistration = needs("'When I register model \"<name>\" through the REST API ...'")
    concurrent_name: str = needs("'When <n> developers register versions of model \"<name>\" at the same time'")
    concurrent_results: list[tuple[int, str]] = needs("'When <n> developers register versions ... at the same time'")
    downloaded_mb: float = needs("a step that loads the registered model back")
    size_search: SizeSearch = needs(
        "'When I upload model files of growing size, up to <n> MB, until the registry refuses one'"
    )
    developer_attempt: DeveloperAttempt = needs(
        "'When I start registering model \"<name>\" with the plain MLflow client, set up as the quick start says'"
    )


@dataclass
class IsolationState(StepState):
    other_key: str = field(
        default=UNSET, repr=False, metadata={"set_by": "'And another developer with their own Hokusai API key'"}
    )
    before: Snapshot = needs("a step in which the other developer tries a change")
    attempt: Attempt = needs("a step in which the other developer tries a change")
    other_registration: Registration = needs("'And the other developer has registered their own model ...'")


@dataclass
class PerformanceState(StepState):
    latency: LatencyStats = needs("'When I time <n> authenticated reads'")
    overhead: dict = needs("'When I time <n> experiment searches through the API and straight to MLflow'")
    load: dict = needs("a step that puts simulated callers on the registry")
    direct_load: dict = needs("'When <n> simulated callers read the registry ... and straight to MLflow'")
    requested: dict = needs("a step that puts simulated callers on the registry")
    operation_stats: dict = needs("'When I time these registry operations through the API'")
    cache_cold: LatencyStats = needs("'When I time <n> reads with the validation cache just emptied ...'")
    cache_warm: LatencyStats = needs("'When I time <n> reads with the validation cache just emptied ...'")
    cache_validations: dict = needs("'When I time <n> reads with the validation cache just emptied ...'")
    resources: dict = needs("'When <n> simulated callers read the registry ... while resource use is sampled'")


@dataclass
class FuzzState(StepState):
    generated: FuzzRun = needs("'Given requests generated from the contract's ... have been sent to the registry'")
    served: dict = needs("'When I fetch the API's own OpenAPI description'")
    drift: Drift = needs("'And I compare it with the contract'")


@dataclass
class TokenizedState(StepState):
    event: dict = needs("'When I announce the registration to Hokusai with its baseline of <value>'")
