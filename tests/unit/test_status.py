"""The status block: one account of a run, the same in every report."""

from hokusai_acceptance import status
from hokusai_acceptance.diagnosis import RunEvidence, ScenarioOutcome, diagnose
from hokusai_acceptance.diagnosis.engine import Finding


def finding(**kw):
    base = dict(
        id="auth-service-down",
        title="The auth service is failing",
        kind="defect",
        severity="critical",
        confidence="high",
        components=["auth service"],
        owner="auth service team",
        root_cause="x",
        recommendation="Restart or scale the auth service and alarm on it; check the ARNs",
        developer_sees="y",
        verify_tags="@auth",
        impact=1,
        explains=["A key is accepted"],
    )
    base.update(kw)
    return Finding(**base)


def test_totals_agree_and_say_what_did_not_run_and_who_acts():
    outcomes = [
        ScenarioOutcome("Auth", "A key is accepted", "broken", "DependencyFailed", ["auth", "smoke"]),
        ScenarioOutcome("Auth", "No key is refused", "passed", "", ["auth"]),
        ScenarioOutcome(
            "Auth",
            "An expired key is refused",
            "skipped",
            "Skipped: needs the embedded reference stack",
            ["auth", "embedded_only"],
        ),
        ScenarioOutcome("Registration", "A model registers", "failed", "AssertionError", ["registration", "writes"]),
        ScenarioOutcome("Registration", "A read-only key cannot register", "passed", "", ["registration", "readonly"]),
    ]
    not_selected = [{"name": "Reads are fast", "tags": ["performance"], "selection": "not @performance"}]
    identity = diagnose(RunEvidence()).identity
    run = status.build(
        target="https://registry.example",
        embedded=False,
        identity=identity,
        findings=[finding()],
        outcomes=outcomes,
        not_selected=not_selected,
    )
    assert run.totals == {"in_features": 6, "passed": 2, "failed": 1, "broken": 1, "skipped": 1, "not_selected": 1}
    assert run.totals_sentence() == (
        "6 scenarios in the features: 4 ran (2 passed, 1 failed, 1 could not be exercised), 2 did not run"
    )
    # a refusal that passes is not a registration: no model got through, so registration is blocked
    assert run.verdict == "blocked" and run.target_words == "the remote deployment at https://registry.example"
    assert "on this machine" in status.target_in_words("http://127.0.0.1:8000", False)
    assert run.verdict_sentence == (
        "third-party model registration does not work (no model could be registered): "
        "2 scenario(s) failed or could not be exercised"
    )
    lines = run.lines()
    assert any(line.startswith("Not run: 1 - skipped: needs the embedded reference stack") for line in lines)
    assert any("performance scenarios run only when asked for" in line for line in lines)
    assert (
        "To act: auth service team - The auth service is failing: Restart or scale the auth service and alarm "
        "on it." in lines
    )
    [explained, unexplained] = run.failing
    assert explained.owner == "auth service team" and "auth-service-down" in explained.finding
    assert unexplained.owner == "suite maintainers" and unexplained.finding == ""


def test_the_local_stack_is_never_mistaken_for_a_deployment(tmp_path):
    run = status.build(
        target="http://127.0.0.1:9",
        embedded=True,
        identity=diagnose(RunEvidence()).identity,
        findings=[],
        outcomes=[ScenarioOutcome("F", "s", "passed", "", [])],
        not_selected=[],
    )
    assert "test copy running on this machine, not a Hokusai deployment" in run.target_words
    assert "switched on deliberately" not in run.target_words
    assert run.verdict == "works" and any(
        line.startswith("To act: nobody - no problem in this test copy. It says nothing about a Hokusai deployment")
        for line in run.lines()
    )
    faulty = status.build(
        target="http://127.0.0.1:9",
        embedded=True,
        identity=diagnose(RunEvidence()).identity,
        findings=[],
        outcomes=[],
        not_selected=[],
        faults=("missing-write-scope",),
    )
    assert "known field failure switched on deliberately (missing-write-scope)" in faulty.target_words
    run.write(tmp_path)
    assert status.read(tmp_path).lines() == run.lines()


def test_runs_with_a_fault_on_purpose_keep_a_history_of_their_own():
    assert status.history_key("http://127.0.0.1:4321", True) == "local-stack"
    assert status.history_key("http://127.0.0.1:5555", True, ("redis-cache-down",)) == "local-stack-redis-cache-down"
    assert status.history_key("https://Registry.Hokus.ai:443/api", False) == "remote-registry.hokus.ai"


def test_a_deliberate_fault_that_nothing_noticed_is_the_suite_maintainers_business():
    run = status.build(
        target="http://127.0.0.1:9",
        embedded=True,
        identity=diagnose(RunEvidence()).identity,
        findings=[],
        outcomes=[ScenarioOutcome("F", "s", "passed", "", [])],
        not_selected=[],
        faults=("artifacts-disabled",),
    )
    assert (
        "To act: suite maintainers - a known failure was switched on deliberately, yet nothing failed and no "
        "finding names it." in run.lines()
    )


def test_a_passing_refusal_is_no_sign_that_registration_works():
    outcomes = [
        ScenarioOutcome("R", "a model registers", "broken", "x", ["registration", "writes"]),
        ScenarioOutcome("R", "a wrong key is refused", "passed", "", ["registration", "writes", "refusal"]),
    ]
    run = status.build(
        target="https://registry.example",
        embedded=False,
        identity=diagnose(RunEvidence()).identity,
        findings=[],
        outcomes=outcomes,
        not_selected=[],
    )
    assert run.verdict == "blocked"
