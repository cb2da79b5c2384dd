"""Every fault switch of the embedded stack, diagnosed from the smoke selection.

For each field failure the stack can inject, the suite's smoke run must fail and
the infrastructure report must name exactly that fault with its recommendation;
a healthy stack must give no finding at all."""
import json
import subprocess
from pathlib import Path

import pytest

from hokusai_acceptance.diagnosis.catalog import ENTRIES
from hokusai_acceptance.stack.faults import SWITCHES

from ..suite_runner import run_behave

pytestmark = pytest.mark.integration
#: Faults whose smoke run may still pass: they do not block registration, only monitoring or speed.
NON_BLOCKING = {"health-probes-need-key", "health-lies", "redis-cache-down"}


def smoke_under(fault: str | None, tmp_path: Path) -> tuple[subprocess.CompletedProcess, dict]:
    proc, _ = run_behave(["--tags=@smoke", "-f", "null"], tmp_path,
                         {"HOKUSAI_STACK_FAULTS": fault or "", "HOKUSAI_READ_TIMEOUT": "3",
                          "HOKUSAI_MLFLOW_TIMEOUT": "5"}, timeout=300)
    report = json.loads((tmp_path / "reports" / "infrastructure-report.json").read_text())
    return proc, report


PORTABLE = "A model registered from its training run's files works on every MLflow server generation"
ONE_CALL = "A trained model appears in the registry with its benchmark"


def scenario_statuses(tmp_path: Path) -> dict[str, str]:
    results = (json.loads(p.read_text()) for p in (tmp_path / "reports" / "allure-results").glob("*-result.json"))
    return {r["name"]: r["status"] for r in results}


def test_healthy_stack_has_no_finding(tmp_path):
    proc, report = smoke_under(None, tmp_path)
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert scenario_statuses(tmp_path)[PORTABLE] == "passed"
    assert report["findings"] == [] and report["healthy"] is True
    assert len(report["executive_summary"]) == 1 and "no infrastructure problem" in report["executive_summary"][0]


@pytest.mark.parametrize("fault", sorted(SWITCHES))
def test_fault_is_diagnosed(fault, tmp_path):
    proc, report = smoke_under(fault, tmp_path)
    found = [f["id"] for f in report["findings"]]
    assert found == [fault], f"{fault}: diagnosed {found}\n" + json.dumps(report["findings"], indent=1)[:3000]
    finding = report["findings"][0]
    assert finding["recommendation"] == ENTRIES[fault].recommendation
    assert finding["evidence"], "a finding must show the evidence that decided it"
    if fault not in NON_BLOCKING:
        assert proc.returncode == 1, f"{fault}: the smoke run passed although {fault} was injected"
    assert fault in (tmp_path / "reports" / "infrastructure-report.md").read_text()
    if fault == "mlflow-generation-mismatch":
        # on the real MLflow 2.9 server a model still registers through the run's files; the one-call path breaks
        statuses = scenario_statuses(tmp_path)
        assert statuses[PORTABLE] == "passed" and statuses[ONE_CALL] == "broken", statuses
