"""The contract document agrees with the embedded stack: its own description, and its answers to generated requests."""

from pathlib import Path

import pytest
import requests

from hokusai_acceptance.fuzz import contract, runner
from hokusai_acceptance.redaction import register_secret
from hokusai_acceptance.who import Who

pytestmark = pytest.mark.integration


def test_the_gateways_own_description_has_every_contract_operation_and_nothing_else(stack):
    served = requests.get(stack.url + "/openapi.json", timeout=10).json()
    contract.validate(served)
    drift = contract.drift(contract.load(), served)
    assert drift.removed == [], drift.lines()
    # what it describes beyond the contract is the proxy's catch-all routes (the /mlflow mount, PATCH) and the
    # 2026 generation's own model routes (contract/generations.md), which the contract document leaves out
    generation_2026 = {
        "GET /api/models/",
        "GET /api/models/{model_name}/{version}",
        "POST /api/models/tokenized-registration-events",
    }
    beyond = [line for line in drift.added if not line.endswith("/{path}")]
    assert set(beyond) <= generation_2026, drift.lines()
    mlflow_calls = [k for k in contract.operations(contract.load()) if k[1].startswith("/api/mlflow/")]
    assert len(drift.covered) == len(mlflow_calls)  # the proxy is described as a catch-all route, like Hokusai's
    assert "/__control/state" not in served["paths"]  # the stack's own control routes are not the product's


def test_generated_reads_meet_the_contract_and_only_mlflow_fails_on_any(stack, tmp_path, monkeypatch):
    register_secret(stack.keys.valid)
    options = runner.FuzzOptions(base_url=stack.url, key=stack.keys.valid, max_examples=10, max_seconds=180, seed=1)
    monkeypatch.chdir(tmp_path)  # the results folder is given as the suite gives it: relative to where it runs
    done = runner.run(options, Path("allure-results"))
    assert done.operations >= 20 and done.cases >= 100, done.describe()
    undocumented = [d.summary() for d in done.found(runner.CONFORMANCE) if (d.exchange.status or 0) < 500]
    assert undocumented == [], "\n".join(undocumented)  # every answer of the stack is one the contract documents
    own = [d.summary() for d in done.found(runner.SERVER_ERRORS) if d.component != Who.MLFLOW]
    assert own == [], "\n".join(own)  # the gateway, its probes and the load balancer answer every one cleanly
    assert done.allure_results >= 20
    for path in (tmp_path / "allure-results").iterdir():
        assert stack.keys.valid not in path.read_text(errors="replace")
