"""Every fault switch, caused for real, diagnosed the way a remote run diagnoses it.

For each switch a stack is started with the fault in place; the suite then runs its smoke
selection against the stack's public URL and key exactly as against a remote deployment
(``HOKUSAI_API_URL``, no stack object inside the run, no stand-in logs). The report must
name the fault, with its recommendation and evidence, and nothing the evidence does not
support; a healthy stack must give no finding at all."""

import json
import subprocess
from pathlib import Path

import pytest

from hokusai_acceptance.diagnosis.catalog import ENTRIES
from hokusai_acceptance.stack.faults import Fault
from hokusai_acceptance.stack.launcher import EmbeddedStack, StackOptions

from ..suite_runner import run_behave

pytestmark = pytest.mark.integration
#: Faults whose smoke run may still pass: they do not block registration, only monitoring or speed.
NON_BLOCKING = {Fault.HEALTH_PROBES_NEED_KEY, Fault.HEALTH_LIES, Fault.REDIS_CACHE_DOWN, Fault.PROXY_DROPS_DELETE_BODY}
#: Causes no client can tell apart: the finding names one and the other as its alternative (medium).
TWINS = {
    Fault.AUTH_CONTRACT_MISMATCH: "auth-service-id-mismatch",
    Fault.AUTH_SERVICE_ID_MISMATCH: "auth-contract-mismatch",
    # MLflow unreachable while /health reports the database down: a wrong database password, or MLflow
    # unreachable for another reason while the API's database is down too
    Fault.MLFLOW_DB_AUTH: "mlflow-dns-failure",
}
#: Faults whose symptom only the scenarios of one story show: the selection run besides the smoke scenarios.
STORY = {Fault.DEVELOPERS_NOT_ISOLATED: "@security"}
#: Other findings that are true of the stack a switch leaves (and are reported for that reason).
ALSO_TRUE = {
    # the queue's URL has the wrong scheme: the dependency the lying health endpoint hides
    Fault.HEALTH_LIES: {"message-queue-unhealthy"},
    # the 2025 API checks neither owners nor token ids: a second model may claim a token id too
    Fault.DEVELOPERS_NOT_ISOLATED: {"token-id-not-unique"},
}


def remote_smoke(
    stack: EmbeddedStack, tmp_path: Path, story: str | None = None
) -> tuple[subprocess.CompletedProcess, dict]:
    selection = "@smoke" if story is None else f"@smoke or {story}"
    proc, _ = run_behave(
        [f"--tags={selection}", "-f", "null"],
        tmp_path,
        {
            "HOKUSAI_API_URL": stack.url,
            "HOKUSAI_API_KEY": stack.keys.valid,
            "HOKUSAI_READONLY_API_KEY": stack.keys.readonly,
            "HOKUSAI_REVOKED_API_KEY": stack.keys.revoked,
            "HOKUSAI_AUTH_URL": stack.auth_url,
            "HOKUSAI_SECOND_API_KEY": stack.keys.second,
            "HOKUSAI_ROTATED_API_KEY": stack.keys.rotated,
            "HOKUSAI_READ_TIMEOUT": "8",
            "HOKUSAI_MLFLOW_TIMEOUT": "10",
        },
        timeout=300,
    )
    report = json.loads((tmp_path / "reports" / "infrastructure-report.json").read_text())
    return proc, report


PORTABLE = "A model registered from its training run's files appears in the registry"
ONE_CALL = "A trained model appears in the registry with its benchmark"


def scenario_statuses(tmp_path: Path) -> dict[str, str]:
    results = (json.loads(p.read_text()) for p in (tmp_path / "reports" / "allure-results").glob("*-result.json"))
    return {r["name"]: r["status"] for r in results}


def test_healthy_stack_has_no_finding(tmp_path):
    with EmbeddedStack() as stack:
        proc, report = remote_smoke(stack, tmp_path)
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert scenario_statuses(tmp_path)[PORTABLE] == "passed"
    assert report["findings"] == [] and report["healthy"] is True
    assert report["identity"]["api_generation"] == "later" and report["identity"]["mlflow_generation"] == "3.x"
    assert len(report["executive_summary"]) == 1 and "no infrastructure problem" in report["executive_summary"][0]


@pytest.mark.parametrize("fault", list(Fault), ids=[f.value for f in Fault])
def test_fault_is_diagnosed(fault, tmp_path):
    with EmbeddedStack(StackOptions(faults=(fault.value,))) as stack:
        proc, report = remote_smoke(stack, tmp_path, STORY.get(fault))
    findings = {f["id"]: f for f in report["findings"]}
    named = next((f for f in report["findings"] if f["id"] == fault.value or fault.value in f["alternatives"]), None)
    assert named is not None, f"{fault.value}: diagnosed {list(findings)}\n" + json.dumps(report["findings"])[:3000]
    if fault in TWINS:
        assert named["confidence"] == "medium" and TWINS[fault] in [named["id"], *named["alternatives"]]
        assert named["recommendation"] in (ENTRIES[fault.value].recommendation, ENTRIES[TWINS[fault]].recommendation)
    else:
        assert named["id"] == fault.value and named["confidence"] == "high", named
        assert named["recommendation"] == ENTRIES[fault.value].recommendation
    assert named["evidence"] and named["decisive"], "a finding shows the evidence that decided it"
    others = set(findings) - {named["id"]} - ALSO_TRUE.get(fault, set())
    assert not others, f"{fault.value}: also reported {others}\n" + json.dumps(report["findings"])[:3000]
    if fault not in NON_BLOCKING:
        assert proc.returncode == 1, f"{fault.value}: the smoke run passed although {fault.value} was injected"
        failing = [s["name"] for s in report["scenarios"] if s["status"] in ("failed", "broken")]
        explained = set(named["explains"]) | {
            name for f in report["findings"] if f["id"] in ALSO_TRUE.get(fault, ()) for name in f["explains"]
        }
        assert set(failing) <= explained, f"unexplained failing scenarios: {sorted(set(failing) - explained)}"
    assert fault.value in (tmp_path / "reports" / "infrastructure-report.md").read_text()
    if fault is Fault.MLFLOW_GENERATION_MISMATCH:
        # on the real MLflow 2.9 server a model still registers through the run's files; the one-call path breaks
        statuses = scenario_statuses(tmp_path)
        assert statuses[PORTABLE] == "passed" and statuses[ONE_CALL] == "broken", statuses
