"""What the suite's Allure formatter writes once the run's verdict is known: each failing scenario points at its
finding (matched by where the scenario is written, not by its name), the run status and every finding become
results of their own, the benchmark too, and nothing is written unredacted."""

import json

from allure_commons import model2
from allure_commons.model2 import Label, Status, StatusDetails

from hokusai_acceptance import allure_results
from hokusai_acceptance.perf.targets import Target
from hokusai_acceptance.redaction import register_secret
from hokusai_acceptance.status import FailingScenario, RunStatus, Verdict

IDENTITY = {
    "api_version": "1.0.0",
    "api_commit": None,
    "api_build": "2025-01-01",
    "mlflow_server_version": "2.9.2",
    "mlflow_generation": "2.x",
    "api_generation": "2025",
    "expected_version": "1.1.0",
    "version_matches": False,
    "commit_matches": None,
}
FINDING = {
    "id": "health-probes-need-key",
    "title": "Monitoring probes need an API key",
    "kind": "upgrade gap",
    "severity": "medium",
    "confidence": "high",
    "components": ["Hokusai API"],
    "owner": "API team",
    "root_cause": "the auth middleware excludes only /health",
    "recommendation": "Exclude the probe paths from authentication. Then re-run.",
    "developer_sees": "nothing directly",
    "verify_tags": "@health",
    "alternatives": [],
    "explains": ["The readiness probe answers"],
    "evidence": ["GET /ready -> 401"],
    "reproduce": ["curl -sS /ready"],
}


def run_status(failing):
    return RunStatus(
        target="http://t",
        target_words="the remote deployment at http://t",
        generation="the 2025 API contract",
        version="1.0.0",
        verdict="impaired",
        verdict_sentence="third-party model registration works in part",
        totals={"in_features": 3, "passed": 1, "failed": 2, "broken": 0, "skipped": 0, "not_selected": 0},
        failing=failing,
    )


def held(logger, key, name, status, message):
    result = model2.TestResult(uuid=name, name=name, status=status, statusDetails=StatusDetails(message=message))
    result.labels = [Label(name="owner", value="nobody")]
    logger.held[result.uuid] = result
    return key


def written(results):
    return {data["name"]: data for data in (json.loads(p.read_text()) for p in results.glob("*-result.json"))}


def test_a_failing_scenario_points_at_its_finding_by_where_it_is_written(tmp_path):
    results = tmp_path / "allure-results"
    logger = allure_results._HeldResults(str(results))
    keys = {}
    # two scenarios with the same name in two feature files: only the one the diagnosis linked is pointed
    keys["a"] = held(logger, "features/health/probes.feature:12", "a", Status.FAILED, "expected 200")
    keys["b"] = held(logger, "features/other.feature:40", "b", Status.FAILED, "expected 201")
    logger.held["a"].name = logger.held["b"].name = "The readiness probe answers"
    failing = FailingScenario(
        name="The readiness probe answers",
        feature="f",
        status="failed",
        owner="API team",
        finding="Monitoring probes need an API key (health-probes-need-key)",
        first_action="Exclude the probe paths from authentication.",
        location="features/health/probes.feature:12",
        finding_id="health-probes-need-key",
        finding_kind="upgrade gap",
    )
    verdict = Verdict(run_status([failing]), [FINDING], IDENTITY, tmp_path)
    allure_results.complete(logger, keys, verdict)
    results_by_message = {
        d["statusDetails"]["message"].split("\n")[-1]: d
        for d in (json.loads(p.read_text()) for p in results.glob("*-result.json"))
        if d["name"] == "The readiness probe answers"
    }
    pointed = next(d for m, d in results_by_message.items() if "Owner: API team" in m)
    assert pointed["statusDetails"]["message"].startswith("Upgrade gap (health-probes-need-key)")
    assert "expected 200" in pointed["statusDetails"]["message"]
    assert [label["value"] for label in pointed["labels"] if label["name"] == "owner"] == ["API team"]
    untouched = [d for d in results_by_message.values() if d is not pointed]
    assert [d["statusDetails"]["message"] for d in untouched] == ["expected 201"]
    by_name = written(results)
    assert by_name["Finding 1: Monitoring probes need an API key"]["status"] == "failed"  # the API's own defect
    assert by_name["Run status: third-party model registration works in part"]["status"] == "unknown"
    assert not logger.held


def test_the_overview_carries_the_target_identity_in_words(tmp_path):
    results = tmp_path / "allure-results"
    logger = allure_results._HeldResults(str(results))
    (results / "environment.properties").write_text("target=http://x\ntarget.old=stale\n")
    allure_results.complete(logger, {}, Verdict(run_status([]), [], IDENTITY, tmp_path))
    facts = allure_results.identity_facts(IDENTITY)
    assert facts["Deployed API version"] == "1.0.0 (expected 1.1.0)"
    assert facts["Deployed API commit"] == "not reported"
    assert facts["MLflow server"] == "2.9.2 (2.x)" and facts["Contract generation"] == "the 2025 API contract"
    environment = (results / "environment.properties").read_text()
    assert "target.contract_generation=the 2025 API contract" in environment and "target.old" not in environment
    assert json.loads((tmp_path / "run-info.json").read_text())["MLflow server"] == "2.9.2 (2.x)"


def test_a_run_that_ended_without_a_verdict_still_writes_what_it_held(tmp_path):
    results = tmp_path / "allure-results"
    logger = allure_results._HeldResults(str(results))
    held(logger, "x:1", "interrupted", Status.BROKEN, "KeyboardInterrupt")
    allure_results.complete(logger, {}, None)
    assert list(written(results)) == ["interrupted"]


def test_results_are_redacted_as_data_and_stay_valid_json(tmp_path):
    key = "hk_live_" + "Q" * 32
    register_secret(key)
    results = tmp_path / "allure-results"
    logger = allure_results._HeldResults(str(results))
    hostile = f'GET /x?api_key={key}\\" -> "quoted" \\ back\nslash, non-ASCII: 東京'
    held(logger, "x:1", "hostile", Status.FAILED, hostile)
    allure_results.complete(logger, {}, None)
    [path] = results.glob("*-result.json")
    text = path.read_text()
    assert key not in text
    message = json.loads(text)["statusDetails"]["message"]
    assert "東京" in message and '"quoted"' in message and "***" in message


TARGETS = [
    Target("gateway overhead", 1.61, 1.2, "<=", "x").to_dict(),
    Target("read throughput", 0.97, 0.8, ">=", "x").to_dict(),
    Target("memory growth", None, 100, "<=", " MB").to_dict(),
]


def test_the_benchmark_becomes_one_result_with_its_plots(tmp_path):
    (tmp_path / "performance").mkdir()
    (tmp_path / "performance" / "latency.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (tmp_path / "performance.json").write_text(
        json.dumps({"measured_at": "2026-11-23T10:00:00Z", "targets": TARGETS, "plots": ["performance/latency.png"]})
    )
    results = tmp_path / "allure-results"
    logger = allure_results._HeldResults(str(results))
    allure_results.complete(logger, {}, Verdict(run_status([]), [], {}, tmp_path))
    [result] = [d for d in written(results).values() if d["name"].startswith("Performance benchmark")]
    assert result["status"] == "failed" and "2 of 3 performance targets not met" in result["statusDetails"]["message"]
    assert [s["status"] for s in result["steps"]] == ["failed", "passed", "failed"]
    assert sorted(a["type"] for a in result["attachments"]) == ["application/json", "image/png"]
    for attachment in result["attachments"]:
        assert (results / attachment["source"]).is_file()


def test_the_post_run_check_masks_and_reports_a_leak_instead_of_hiding_it(tmp_path):
    from hokusai_acceptance import finish_report

    (tmp_path / "allure-results").mkdir()
    clean = tmp_path / "allure-results" / "clean.json"
    clean.write_text('{"curl": "curl -H \\"Authorization: Bearer $HOKUSAI_API_KEY\\""}')
    leaked = tmp_path / "junit.xml"
    leaked.write_text("<failure>Authorization: Bearer hk_live_" + "L" * 32 + "</failure>")
    assert finish_report.leaks(tmp_path) == [leaked]
    assert "hk_live_LLLL" not in leaked.read_text() and finish_report.main([str(tmp_path)]) == 0
    leaked.write_text("token hk_test_" + "Z" * 32)
    assert finish_report.main([str(tmp_path)]) == 1


def test_a_configured_key_that_does_not_look_like_one_is_still_found(tmp_path, monkeypatch):
    from hokusai_acceptance import finish_report

    odd = "sk-the-registrys-own-format-0123456789"  # not shaped like a Hokusai key: no pattern masks it
    monkeypatch.setenv("HOKUSAI_API_URL", "https://registry.example")
    monkeypatch.setenv("HOKUSAI_API_KEY", odd)
    (tmp_path / "allure-results").mkdir()
    leaked = tmp_path / "report.md"
    leaked.write_text(f"a step said {odd} aloud")
    assert finish_report.leaks(tmp_path) == [leaked] and odd not in leaked.read_text()
