"""The fault matrix again, on a deployment the diagnosis was not written against.

The stack answers in its **variant** dialect (``hokusai_acceptance/stack/dialect.py``): the API words every
situation differently and answers a failing dependency with other statuses (502/504 instead of 401/503, 503
instead of 502), drops its error codes and names its server differently; the load balancer is another kind of
edge proxy (plain-text pages with their own statuses, an empty 404, a 4 s connect limit); the API's time limits
differ (3 s towards the auth service, 12 s towards MLflow). Every switch still breaks the same component, and
the report must blame the same component with the same cause: the rules may not depend on the words, statuses
or time limits of the deployment they were written against.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hokusai_acceptance.stack.faults import Fault
from hokusai_acceptance.stack.launcher import EmbeddedStack, StackOptions

from .test_fault_matrix import EXPECTED, check_diagnosis, record_time_to_verdict, remote_smoke, wait_until_serving

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("fault-variants")]

VARIANT = StackOptions(dialect="variant", auth_timeout=3.0, upstream_timeout=12.0)


@pytest.fixture(scope="module")
def variant_stack():
    with EmbeddedStack(VARIANT) as stack:
        yield stack


def test_the_variant_speaks_differently_and_a_healthy_run_has_no_infrastructure_finding(variant_stack, tmp_path):
    """Nothing is broken: the only finding is that the deployment words its refusals otherwise than the contract
    (for the suite maintainers), and the scenarios that check those words are its only failures."""
    proc, report = remote_smoke(variant_stack, tmp_path)
    assert proc.returncode == 1, "the scenarios that check the contract's words fail on a deployment worded otherwise"
    [differs] = report["findings"]
    assert differs["id"] == "differs-from-contract" and differs["owner"] == "suite maintainers", differs
    failing = {s["name"] for s in report["scenarios"] if s["status"] in ("failed", "broken")}
    assert failing == set(differs["explains"]) and all(
        s["error_type"] == "ContractDiffers" for s in report["scenarios"] if s["name"] in failing
    )
    assert all(state["state"] != "failing" for state in report["components"].values())
    sweep = {e["label"]: e for e in report_probes(tmp_path)}
    refusal = sweep["read_without_key"]
    assert refusal["status"] == 401 and "API key required" not in refusal["body_prefix"]
    assert "uvicorn" not in json.dumps(refusal["response_headers"])


def report_probes(tmp_path: Path) -> list[dict]:
    evidence = json.loads((tmp_path / "reports" / "diagnosis-evidence.json").read_text())
    return list(evidence["probes"].values())


@pytest.mark.parametrize("fault", [f for f in Fault if not f.at_start_only], ids=lambda f: f.value)
def test_a_variant_of_each_fault_is_diagnosed_to_the_same_component_and_cause(fault, variant_stack, tmp_path):
    variant_stack.set_faults(fault.value)
    try:
        proc, report = remote_smoke(variant_stack, tmp_path, EXPECTED[fault].story)
    finally:
        variant_stack.set_faults()
        variant_stack.flush_cache()
        wait_until_serving(variant_stack)
    record_time_to_verdict("variant", fault.value, report)
    check_diagnosis(fault, proc, report, tmp_path, worded_otherwise=True)


@pytest.mark.parametrize("fault", [f for f in Fault if f.at_start_only], ids=lambda f: f.value)
def test_a_variant_of_each_fault_chosen_at_start_is_diagnosed(fault, tmp_path):
    options = StackOptions(**{**VARIANT.__dict__, "faults": (fault.value,)})
    with EmbeddedStack(options) as stack:
        proc, report = remote_smoke(stack, tmp_path, EXPECTED[fault].story)
    record_time_to_verdict("variant", fault.value, report)
    check_diagnosis(fault, proc, report, tmp_path, worded_otherwise=True)
