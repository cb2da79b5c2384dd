"""The 2026 registration story: a tokenized model is registered, then announced to Hokusai.

After the model is in the registry (through the plain MLflow client, as every registration), the developer's
tooling posts a *tokenized registration event* to the API: which model version backs which token, for which
proposal, and the baseline its benchmark must beat. Hokusai answers whether the event was emitted; the API's
own model routes then show the version. Only the HTTP surface is used, the one the product's SDK calls.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from .. import expectations as expect
from ..errors import ContractDiffers
from ..evidence import expecting
from ..hokusai_tags import TOKEN_ID_TAG
from ..state import TokenizedState
from ..who import Who
from .base import Capability

if TYPE_CHECKING:  # pragma: no cover
    from ..world import RegistryWorld

EVENTS = "/api/models/tokenized-registration-events"
MODELS = "/api/models"


class TokenizedChecks(Capability):
    def __init__(self, world: RegistryWorld) -> None:
        super().__init__(world)
        self.state = TokenizedState()

    def require_events(self) -> None:
        """Skip, saying so, on a deployment that has no registration events (the 2025 generation): an empty
        event is refused as malformed where the route exists, and answered 404 by the API where it does not."""
        with expecting(400, 401, 402, 403, 404, 405, 422, why="does this deployment take registration events?"):
            reply = self.client.post(EVENTS, key=self.key, json_body={})
        if reply.status in (404, 405) and expect.who(reply) == Who.API:
            self.skip(
                "this deployment takes no tokenized registration events (the 2025 generation has none): "
                "nothing to check"
            )

    def _event(self, baseline: float | None) -> dict[str, str | float]:
        registration = self.world.registration.latest()
        metadata = registration.metadata
        event: dict[str, str | float] = {
            "model_name": registration.name,
            "version": registration.version,
            "token_id": metadata.token_id if metadata else "",
            "proposal_identifier": f"{self.run.resources.prefix}-proposal",
            "metric_name": metadata.benchmark_metric if metadata else "accuracy",
            "mlflow_run_id": registration.run_id,
        }
        if baseline is not None:
            event["baseline_value"] = baseline
        return event

    def announce(self, baseline: float) -> None:
        self.state.event = self._event(baseline)
        self.calls.reply = self.client.post(EVENTS, key=self.key, json_body=self.state.event)

    def announce_without_baseline(self) -> None:
        self.state.event = self._event(None)
        with expecting(422, why="an event without its baseline is malformed"):
            self.calls.reply = self.client.post(EVENTS, key=self.key, json_body=self.state.event)

    def check_confirmed(self) -> None:
        body = expect.expect_success(self.calls.reply, "the registration event")
        event = self.state.event
        expect.expect_equal(body.get("event_emitted"), True, "whether Hokusai emitted the registration event")
        wanted = f"{event['model_name']}/{event['version']}/{event['token_id']}"
        expect.expect_equal(body.get("model_id"), wanted, "the model id Hokusai gives the registration")

    def check_model_route_shows_version(self) -> None:
        """The API's own model route knows the version and its token id (read with the run's key)."""
        registration = self.world.registration.latest()
        path = f"{MODELS}/{quote(registration.name, safe='')}/{quote(registration.version, safe='')}"
        body = expect.expect_success(self.client.get(path, key=self.key), "the API's model route")
        expect.expect_equal(body.get("name"), registration.name, "the model the API's route shows")
        expect.expect_equal(str(body.get("version")), registration.version, "the version the API's route shows")
        tags = body.get("tags") if isinstance(body.get("tags"), dict) else {}
        token = registration.metadata.token_id if registration.metadata else ""
        expect.expect_equal(tags.get(TOKEN_ID_TAG), token, "the token id the API's route shows")

    def check_refused_as_malformed(self) -> None:
        expect.expect_status(self.calls.reply, 422, "an event without its baseline")
        body = self.calls.reply.json_or_none()
        detail = body.get("detail") if isinstance(body, dict) else None
        if "baseline_value" not in str(detail):
            raise ContractDiffers(
                f"the event is refused as malformed, but the refusal does not name the missing baseline_value: "
                f"{str(detail)[:300]}"
            )

    def list_models(self) -> None:
        with expecting(402, why="a key without balance is refused outside the registry"):
            self.calls.reply = self.client.get(f"{MODELS}/", key=self.key)

    def check_refused_for_balance(self) -> None:
        expect.expect_status(self.calls.reply, 402, "a call with a key whose balance is used up")
        body = self.calls.reply.json_or_none()
        said = str(body.get("detail") if isinstance(body, dict) else body)
        if "balance" not in said.lower():
            raise ContractDiffers(f"the 402 does not tell the developer their balance is used up: {said[:300]}")
