"""What finish_report adds to the Allure results: the target's identity, and upgrade gaps named as such."""

import json

from hokusai_acceptance.finish_report import add_identity, identity_facts, mark_upgrade_gaps

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


def test_identity_in_words_with_the_expectation_that_failed():
    facts = identity_facts({"identity": IDENTITY})
    assert facts["Deployed API version"] == "1.0.0 (expected 1.1.0)"
    assert facts["Deployed API commit"] == "not reported"
    assert facts["MLflow server"] == "2.9.2 (2.x)" and facts["Contract generation"] == "the 2025 API contract"


def test_identity_goes_to_the_overview_and_gaps_to_their_category(tmp_path):
    results = tmp_path / "allure-results"
    results.mkdir()
    (tmp_path / "infrastructure-report.json").write_text(
        json.dumps(
            {
                "identity": IDENTITY,
                "findings": [
                    {
                        "id": "health-probes-need-key",
                        "title": "Monitoring probes need an API key",
                        "kind": "upgrade gap",
                        "explains": ["The readiness probe answers"],
                    },
                    {
                        "id": "proxy-drops-delete-body",
                        "title": "x",
                        "kind": "defect",
                        "explains": ["A developer deletes"],
                    },
                ],
            }
        )
    )
    (results / "environment.properties").write_text("target=http://x\n")
    for name, status in (
        ("The readiness probe answers", "failed"),
        ("A developer deletes", "failed"),
        ("Passing", "passed"),
    ):
        (results / f"{name[:3]}-result.json").write_text(
            json.dumps({"name": name, "status": status, "statusDetails": {"message": "expected 200"}})
        )
    assert add_identity(tmp_path) and mark_upgrade_gaps(tmp_path) == 1
    assert json.loads((tmp_path / "run-info.json").read_text())["MLflow server"] == "2.9.2 (2.x)"
    assert "target.contract_generation=the 2025 API contract" in (results / "environment.properties").read_text()
    messages = {
        json.loads(p.read_text())["name"]: json.loads(p.read_text())["statusDetails"]["message"]
        for p in results.glob("*-result.json")
    }
    assert messages["The readiness probe answers"].startswith("Upgrade gap (health-probes-need-key)")
    assert messages["A developer deletes"] == "expected 200"


def test_findings_are_compared_with_the_previous_run_of_the_same_target(tmp_path):
    from types import SimpleNamespace

    from hokusai_acceptance.diagnosis.report import compare_with_last

    def found(*ids):
        return [SimpleNamespace(id=i, title=f"title of {i}") for i in ids]

    assert compare_with_last(tmp_path, "remote-x", found("a", "b")) is None  # no earlier run
    changes = compare_with_last(tmp_path, "remote-x", found("b", "c"))
    assert [x["id"] for x in changes["new"]] == ["c"]
    assert [x["id"] for x in changes["resolved"]] == ["a"]
    assert [x["id"] for x in changes["persisting"]] == ["b"]
    assert compare_with_last(tmp_path, "remote-other", found("a")) is None  # another target has its own history
