"""Evidence recorded against deployments the suite was not built against, replayed through the diagnosis.

Each fixture is the evidence of one real run (``tests/fixtures/evidence``): the real Hokusai API of 2025
(commit 647aa28, MLflow 2.9.2 behind it, run with ``shared/real-hokusai``), healthy and with real
outages, and the real API of 2026 (commit f4c4c38, MLflow 3.9 behind it, ``shared/real-hokusai-2026``:
the ``2026-*`` fixtures), with each persona's key and with real outages. ``expected.json`` says which
findings are true of each run, from what was broken; the diagnosis must give exactly those, and none that
the run's evidence refutes."""

import pytest

from hokusai_acceptance.diagnosis import diagnose
from hokusai_acceptance.diagnosis.replay import FIXTURES, expectations, load

CASES = expectations()


def test_there_are_recorded_runs_to_replay():
    assert len(CASES) >= 10, "the recorded field evidence is missing"
    for case in CASES:
        assert (FIXTURES / f"{case}.json.gz").is_file(), case


@pytest.mark.parametrize("case", sorted(CASES))
def test_recorded_run_gives_exactly_its_true_findings(case):
    expected = CASES[case]
    diagnosis = diagnose(load(case))
    named = {f.id for f in diagnosis.findings} | {
        a for f in diagnosis.findings if f.confidence != "high" for a in f.alternatives
    }
    found = diagnosis.ids()
    for true in expected["findings"]:
        alternatives = true.split("|")  # "a|b": causes no client can tell apart; either may lead
        assert any(a in named for a in alternatives), f"{case}: {true} not found in {found}"
    leading = {f.id for f in diagnosis.findings}
    allowed = {a for true in expected["findings"] for a in true.split("|")}
    assert leading <= allowed, f"{case}: findings not true of this run: {sorted(leading - allowed)}"
    ruled_out = {r.id for r in diagnosis.ruled_out}
    assert not ruled_out & leading


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_failing_scenario_of_a_recorded_run_is_explained(case):
    evidence = load(case)
    diagnosis = diagnose(evidence)
    explained = {name for f in diagnosis.findings if f.id != "unrecognised" for name in f.explains}
    failing = {s.name for s in evidence.scenarios if s.status in ("failed", "broken")}
    assert failing <= explained, f"{case}: unexplained {sorted(failing - explained)}"
