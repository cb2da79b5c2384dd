"""Post-run step of ``make report``: scrub the outputs and summarise the verdict.

Usage: ``python -m hokusai_acceptance.finish_report [reports-dir]``. Exit code 0
when the outputs were produced and contain no secrets, 1 otherwise.
"""
from __future__ import annotations

import json
import shutil
import sys
import time
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

from .diagnosis.report import PLOT_TITLES, load_performance
from .reporting import apply_skip_reasons, scrub_tree


def junit_totals(junit_dir: Path) -> dict[str, int]:
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for path in sorted(junit_dir.glob("*.xml")):
        root = ET.parse(path).getroot()
        suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
        for suite in suites:
            for name in totals:
                totals[name] += int(suite.get(name, 0) or 0)
    return totals


def tidy_allure_labels(results_dir: Path) -> None:
    """Gherkin tags cannot hold spaces: show ``Model_registration`` as ``Model registration``."""
    for path in results_dir.glob("*-result.json"):
        data = json.loads(path.read_text())
        changed = False
        for label in data.get("labels", []):
            if label.get("name") in ("epic", "story") and "_" in label.get("value", ""):
                label["value"] = label["value"].replace("_", " ")
                changed = True
        if changed:
            path.write_text(json.dumps(data))


def _write_result(results: Path, result: dict) -> None:
    """Write a result made here, replacing the one an earlier finishing step made (run twice, one stays)."""
    for path in results.glob("*-result.json"):
        try:
            earlier = json.loads(path.read_text()).get("fullName")
        except ValueError:
            continue
        if earlier == result["fullName"]:
            path.unlink()
    (results / f"{result['uuid']}-result.json").write_text(json.dumps(result))


def add_infrastructure_result(reports: Path) -> bool:
    """Put the infrastructure report into the Allure report as its own result, with the
    findings as steps and the report attached (Markdown and HTML)."""
    source = reports / "infrastructure-report.json"
    if not source.is_file():
        return False
    data = json.loads(source.read_text())
    results = reports / "allure-results"
    now = int(time.time() * 1000)
    attachments = []
    for suffix, mime in (("html", "text/html"), ("md", "text/markdown")):
        path = reports / f"infrastructure-report.{suffix}"
        if path.is_file():
            name = f"{uuid.uuid4()}-attachment.{suffix}"
            shutil.copyfile(path, results / name)
            attachments.append({"name": f"Infrastructure report ({suffix.upper()})", "source": name, "type": mime})
    steps = [{"name": f"#{i + 1} {f['id']}: {f['title']} (owner: {f['owner']})", "status": "failed",
              "stage": "finished", "start": now, "stop": now,
              "statusDetails": {"message": f"{f['root_cause']}\nRecommendation: {f['recommendation']}"}}
             for i, f in enumerate(data["findings"])]
    summary = " ".join(data["executive_summary"])
    result = {
        "uuid": str(uuid.uuid4()), "historyId": "hokusai-infrastructure-diagnosis",
        "name": "Infrastructure diagnosis: what works, what fails and why",
        "fullName": "hokusai.infrastructure.diagnosis", "status": "passed" if data["healthy"] else "broken",
        "statusDetails": {"message": f"Infrastructure diagnosis: {summary}"}, "stage": "finished",
        "start": now, "stop": now, "steps": steps, "attachments": attachments,
        "description": summary,
        "labels": [{"name": "epic", "value": "Infrastructure report"}, {"name": "feature", "value": "Diagnosis"},
                   {"name": "severity", "value": "critical"}, {"name": "suite", "value": "Infrastructure report"}],
    }
    _write_result(results, result)
    return True


def identity_facts(report: dict) -> dict[str, str]:
    """What the target says it is, in words, for the Allure overview (the same facts head the infra report)."""
    identity = report.get("identity") or {}
    version = identity.get("api_version") or "not reported"
    if identity.get("version_matches") is False:
        version += f" (expected {identity.get('expected_version')})"
    commit = identity.get("api_commit") or "not reported"
    if identity.get("commit_matches") is False:
        commit += f" (expected {identity.get('expected_commit')})"
    generation = {"2025": "the 2025 API contract", "later": "the later API contract"}.get(
        identity.get("api_generation"), "not settled by the evidence")
    mlflow = identity.get("mlflow_server_version") or "version not reported"
    return {"Deployed API version": version, "Deployed API commit": commit,
            "Deployed API build": identity.get("api_build") or "not reported",
            "MLflow server": f"{mlflow} ({identity.get('mlflow_generation', 'unknown')})",
            "Contract generation": generation}


def add_identity(reports: Path) -> bool:
    """Put the target's version, commit, MLflow server and contract generation on the Allure overview."""
    source = reports / "infrastructure-report.json"
    if not source.is_file():
        return False
    facts = identity_facts(json.loads(source.read_text()))
    info_path = reports / "run-info.json"
    info = json.loads(info_path.read_text()) if info_path.is_file() else {}
    info.update(facts)
    info_path.write_text(json.dumps(info, indent=2))
    environment = reports / "allure-results" / "environment.properties"
    lines = environment.read_text().splitlines() if environment.is_file() else []
    lines = [line for line in lines if not line.startswith("target.")]
    lines += [f"target.{k.lower().replace(' ', '_')}={v}" for k, v in facts.items()]
    environment.write_text("\n".join(lines) + "\n")
    return True


def mark_upgrade_gaps(reports: Path) -> int:
    """A scenario that fails only because the target follows an older contract is an upgrade gap, not a
    defect of that generation: say so in its result, where the Allure category picks it up."""
    source = reports / "infrastructure-report.json"
    if not source.is_file():
        return 0
    data = json.loads(source.read_text())
    gaps = {name: f for f in data.get("findings", []) if f.get("kind") == "upgrade gap" for name in f["explains"]}
    marked = 0
    for path in (reports / "allure-results").glob("*-result.json"):
        result = json.loads(path.read_text())
        finding = gaps.get(result.get("name"))
        if finding is None or result.get("status") not in ("failed", "broken"):
            continue
        details = result.setdefault("statusDetails", {})
        message = details.get("message", "")
        if not message.startswith("Upgrade gap"):
            details["message"] = (f"Upgrade gap ({finding['id']}): {finding['title']}. The target follows an older "
                                  f"contract; the later one adds this.\n{message}")
            path.write_text(json.dumps(result))
            marked += 1
    return marked


def add_performance_result(reports: Path) -> bool:
    """Put the latest ``make bench`` run into the Allure report: one result whose steps are the
    performance targets (failed when missed), with the plots and performance.json attached."""
    performance = load_performance(reports)
    if performance is None:
        return False
    results = reports / "allure-results"
    now = int(time.time() * 1000)
    attachments = []
    for relative in performance["plots"]:
        path = reports / relative
        if path.is_file():
            name = f"{uuid.uuid4()}-attachment.png"
            shutil.copyfile(path, results / name)
            attachments.append({"name": PLOT_TITLES.get(path.name, path.name), "source": name, "type": "image/png"})
    name = f"{uuid.uuid4()}-attachment.json"
    shutil.copyfile(reports / "performance.json", results / name)
    attachments.append({"name": "performance.json (every measurement)", "source": name,
                        "type": "application/json"})
    targets = performance["targets"]
    steps = [{"name": f"{t['name']}: {t['measured_text']} (target {t['rule_text']})",
              "status": "passed" if t.get("met") else "failed", "stage": "finished", "start": now, "stop": now}
             for t in targets]
    missed = [t["name"] for t in targets if not t.get("met")]
    message = (f"all {len(targets)} performance targets met" if not missed else
               f"{len(missed)} of {len(targets)} performance targets not met: {'; '.join(missed)}")
    result = {
        "uuid": str(uuid.uuid4()), "historyId": "hokusai-performance-benchmark",
        "name": f"Performance benchmark (make bench, {performance['measured_at']})",
        "fullName": "hokusai.performance.benchmark", "status": "failed" if missed else "passed",
        "statusDetails": {"message": message}, "stage": "finished", "start": now, "stop": now,
        "steps": steps, "attachments": attachments,
        "description": "Measured by `make bench` on the embedded reference stack on this machine, not against "
                       "this run's target. Budgets: behave.ini [behave.userdata]. " + message,
        "labels": [{"name": "epic", "value": "Performance"}, {"name": "feature", "value": "Benchmark"},
                   {"name": "suite", "value": "Performance"}],
    }
    _write_result(results, result)
    return True


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    reports = Path(args[0] if args else "reports")
    if not (reports / "allure-results").is_dir():
        print(f"finish_report: {reports}/allure-results does not exist: the suite produced no results",
              file=sys.stderr)
        return 1
    tidy_allure_labels(reports / "allure-results")
    add_identity(reports)
    mark_upgrade_gaps(reports)
    add_infrastructure_result(reports)
    add_performance_result(reports)
    apply_skip_reasons(reports)
    scrubbed = scrub_tree(reports)
    if scrubbed:
        print(f"finish_report: masked credential-shaped text in {scrubbed} output file(s)", file=sys.stderr)
    totals = junit_totals(reports / "junit") if (reports / "junit").is_dir() else None
    if totals:
        passed = totals["tests"] - totals["failures"] - totals["errors"] - totals["skipped"]
        print(f"scenarios: {passed} passed, {totals['failures']} failed, {totals['errors']} broken, "
              f"{totals['skipped']} skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
