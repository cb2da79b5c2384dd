"""Requests nobody wrote down: generated from the contract document, and the target's own description.

One generated run of each kind (reads only; reads and writes) serves every scenario of a behave run
that asks for it; each scenario reads the part of the outcome it speaks for. A run that writes does so
only on a loopback target unless HOKUSAI_FUZZ_WRITES=1, inside a scratch experiment and run named with
the run's prefix, and everything it creates is deleted by the run's cleanup.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from .. import expectations as expect
from ..errors import ConfigError
from ..fuzz import contract, runner
from ..fuzz.confine import Scope
from ..reporting import attach_text
from ..rest_api import MlflowRest
from ..settings import is_loopback
from ..state import FuzzState
from .base import Capability

if TYPE_CHECKING:  # pragma: no cover
    from ..world import RegistryWorld


#: how many failures of one kind an assertion lists (all of them are attached)
LISTED = 8
KINDS = {"reads": False, "operations": True}


def reports_dir() -> Path:
    return Path(os.environ.get("HOKUSAI_REPORTS_DIR", "reports"))


class FuzzChecks(Capability):
    def __init__(self, world: RegistryWorld) -> None:
        super().__init__(world)
        self.state = FuzzState()

    def send_generated_requests(self, kind: str) -> None:
        """Send (once per behave run) the requests generated from the contract: ``reads`` or ``operations``."""
        if kind not in KINDS:
            raise ConfigError(f"unknown kind of generated run {kind!r}; known: {', '.join(KINDS)}")
        writes = KINDS[kind]
        if writes and not (is_loopback(self.run.base_url) or self.run.settings.fuzz_writes):
            self.skip("generated writes go only to a loopback target unless HOKUSAI_FUZZ_WRITES=1 allows them")
            return
        if not self.run.keys.get("valid"):
            self.skip("no valid key is available for this target (set HOKUSAI_API_KEY)")
            return
        done = self.run.generated.get(kind)
        if done is None:
            done = self._generate(writes)
            self.run.generated[kind] = done
        self.state.generated = done
        self.note(done.describe())

    def _generate(self, writes: bool) -> runner.FuzzRun:
        key = self.run.keys.get("valid")
        if not key:
            raise ConfigError("generated requests need the run's valid key (HOKUSAI_API_KEY)")
        scope = self._scratch_scope(key) if writes else None
        options = runner.FuzzOptions(
            base_url=self.run.base_url,
            key=key,
            writes=writes,
            max_examples=int(self.run.budget("fuzz_max_examples")),
            max_seconds=int(self.run.budget("fuzz_write_seconds" if writes else "fuzz_read_seconds")),
            seed=int(self.run.budget("fuzz_seed")),
            rate_limit=None if is_loopback(self.run.base_url) else "10/s",
            scope=scope,
        )
        return runner.run(options, reports_dir() / "allure-results", on_created=self._track_created)

    def _track_created(self, created: list[dict]) -> None:
        """What generated writes created joins the run's cleanup (told even when the generated run failed)."""
        resources = self.run.resources
        for item in created:
            name = item.get("name") or item.get("value")
            if not isinstance(name, str) or not resources.owns(name):
                continue
            if item["kind"] == "model":
                resources.add_model(name)
            elif item["kind"] == "experiment":
                resources.experiments[name] = item["value"]

    def _scratch_scope(self, key: str) -> Scope:
        """The experiment and run that generated writes naming someone else's are redirected to (made once)."""
        if self.run.fuzz_scope is not None:
            return self.run.fuzz_scope
        resources = self.run.resources
        name = resources.name("fz-scratch")
        rest = MlflowRest(self.client, key)
        made = rest.create_experiment(name)
        experiment_id = expect.expect_success(made, "creating the generated writes' scratch experiment")[
            "experiment_id"
        ]
        resources.experiments[name] = experiment_id
        run = expect.expect_success(
            rest.create_run(experiment_id, "fz-scratch"), "starting the generated writes' scratch run"
        )
        scope = Scope(prefix=resources.name("fz"), experiment_id=experiment_id, run_id=run["run"]["info"]["run_id"])
        self.run.fuzz_scope = scope
        return scope

    # ------------------------------------------------------------------ what the generated run found

    def _expect_none(self, found: list[runner.Defect], what: str) -> None:
        if not found:
            return
        for defect in found:  # the scenario that reports a failure carries its evidence, for the diagnosis
            self.evidence.add(replace(defect.exchange, scenario=""))
        lines = [f"{d.summary()}\n    reproduce: {d.reproduction()}" for d in found]
        attach_text(f"{what} ({len(found)} kinds)", "\n\n".join(lines))
        shown = "\n".join(f"- {line}" for line in lines[:LISTED])
        more = f"\n(and {len(found) - LISTED} more kinds, attached)" if len(found) > LISTED else ""
        raise AssertionError(f"{len(found)} kinds of {what}:\n{shown}{more}")

    def check_no_server_errors(self) -> None:
        self._expect_none(
            self.state.generated.found(runner.SERVER_ERRORS), "generated request answered with a server error"
        )

    def check_answers_documented(self) -> None:
        found = [
            d for d in self.state.generated.found(runner.CONFORMANCE) if not (d.exchange.status or 0) >= 500
        ]  # a server error is the other story's
        self._expect_none(found, "answer that the contract does not document")

    def check_writes_read_back(self) -> None:
        self._expect_none(
            self.state.generated.found(runner.READ_BACK),
            "write that could not be read back (or could be read after it was deleted)",
        )

    def check_own_endpoints_clean(self) -> None:
        self._expect_none(
            self.state.generated.found(runner.SERVER_ERRORS + runner.CONFORMANCE, own_endpoints=True),
            "answer of the API's own endpoints that the contract does not document",
        )

    # ------------------------------------------------------------------ contract drift

    def fetch_served_description(self) -> None:
        reply = self.client.get("/openapi.json")
        if reply.status == 404:
            self.skip("the target does not serve its own description (/openapi.json answers 404)")
            return
        body = expect.expect_success(reply, "GET /openapi.json")
        expect.expect_json_keys(body, ["openapi", "paths"], "the API's own OpenAPI description")
        self.state.served = body

    def compare_with_contract(self) -> None:
        self.state.drift = contract.drift(contract.load(), self.state.served)

    def check_served_description_valid(self) -> None:
        """A description that is not valid OpenAPI breaks the clients and SDK generators that read it."""
        if self.state.drift.invalid:
            raise AssertionError(
                f"the API's own description (/openapi.json) is not valid OpenAPI: {self.state.drift.invalid}"
            )

    def state_drift(self) -> None:
        drift = self.state.drift
        self.run.drift = drift.to_dict()  # the infrastructure report's drift section
        attach_text("Contract drift", "\n".join(drift.lines()))
        self.run.measured["contract drift"] = (
            f"{len(drift.added)} operations added, {len(drift.removed)} removed, {len(drift.changed)} changed, "
            f"{len(drift.covered)} described only by a catch-all route (see the infrastructure report)"
        )
