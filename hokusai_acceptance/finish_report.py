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

from . import status
from .diagnosis.catalog import Owner
from .diagnosis.report import PLOT_TITLES, load_performance, named
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


#: labels allure-behave adds that say nothing to a reader
NOISE_LABELS = {"framework", "language", "host", "thread"}
#: the report's severities in Allure's words
SEVERITY = {"critical": "blocker", "high": "critical", "medium": "normal", "low": "minor"}


def tidy_allure_labels(results_dir: Path) -> None:
    """Gherkin tags cannot hold spaces: show ``Model_registration`` as ``Model registration``; drop labels that only
    name the tooling."""
    for path in results_dir.glob("*-result.json"):
        data = json.loads(path.read_text())
        labels = [label for label in data.get("labels", []) if label.get("name") not in NOISE_LABELS]
        for label in labels:
            if label.get("name") in ("epic", "story") and "_" in label.get("value", ""):
                label["value"] = label["value"].replace("_", " ")
        if labels != data.get("labels", []):
            data["labels"] = labels
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


def _attach(reports: Path, results: Path, files: list[tuple[str, str, str]]) -> list[dict]:
    attachments = []
    for filename, title, mime in files:
        path = reports / filename
        if path.is_file():
            name = f"{uuid.uuid4()}-attachment{Path(filename).suffix}"
            shutil.copyfile(path, results / name)
            attachments.append({"name": title, "source": name, "type": mime})
    return attachments


def finding_status(finding: dict) -> str:
    """Failed when the product misbehaves (its code, its contract, its security); broken when something around
    it failed (a service down, a route missing, the configuration)."""
    if finding["kind"] in ("security", "upgrade gap") or finding["owner"] == Owner.API:
        return "failed"
    return "broken"


def add_status_and_findings(reports: Path) -> int:
    """The run's status block as the "Run status" result, and each finding as a result of its own (severity,
    owner, evidence and reproduction in the description, no attachment to open), in the findings category."""
    source = reports / "infrastructure-report.json"
    run_status = status.read(reports)
    if not source.is_file() or run_status is None:
        return 0
    data = json.loads(source.read_text())
    results = reports / "allure-results"
    now = int(time.time() * 1000)
    findings = data.get("findings", [])
    description = "\n".join(f"- {line}" for line in run_status.lines())
    description += (
        f"\n\nAllure's own totals also count the {len(findings)} finding(s) below (one result each) and "
        f"this summary, besides the scenarios."
    )
    _write_result(
        results,
        {
            "uuid": str(uuid.uuid4()),
            "historyId": "hokusai-run-status",
            "fullName": "hokusai.run.status",
            "name": f"Run status: {run_status.verdict_sentence}",
            "status": "passed" if run_status.verdict == "works" else "unknown",  # a summary, not a test
            "statusDetails": {"message": f"Run status: {run_status.verdict_sentence}. {run_status.totals_sentence()}."},
            "stage": "finished",
            "start": now,
            "stop": now,
            "description": description,
            "attachments": _attach(
                reports,
                results,
                [
                    ("infrastructure-report.html", "Infrastructure report", "text/html"),
                    ("status.json", "Status (machine-readable)", "application/json"),
                ],
            ),
            "labels": [{"name": "epic", "value": "Run status"}, {"name": "suite", "value": "Run status"}],
        },
    )
    for old in results.glob("*-result.json"):  # findings of an earlier finishing step
        if json.loads(old.read_text()).get("fullName", "").startswith("hokusai.finding."):
            old.unlink()
    for index, finding in enumerate(findings, 1):
        action = status.first_action(finding["recommendation"])
        allure_severity = SEVERITY.get(finding["severity"], "normal")
        lines = [
            f"**Owner:** {finding['owner']}  ",
            f"**First action:** {finding['recommendation']}  ",
            f"**Severity:** {finding['severity']} (shown as '{allure_severity}' on Allure's own scale)  ",
            f"**Component:** {', '.join(finding['components']) or 'unknown'}  ",
            f"**Root cause:** {finding['root_cause']}  ",
            f"**A developer sees:** {finding['developer_sees']}  ",
            f"**Confidence:** {finding['confidence']}"
            + (f" (the evidence also fits: {named(finding['alternatives'])})" if finding["alternatives"] else "")
            + "  ",
            f'**Verify the fix:** `behave --tags="{finding["verify_tags"]}"`',
            "",
        ]
        if finding["explains"]:
            explained = sorted(set(finding["explains"]))
            lines += ["**Explains these failing scenarios:**", ""] + [f"- {n}" for n in explained]
            lines.append("")
        lines += ["**Evidence:**", "", "```"] + finding["evidence"] + ["```"]
        if finding["reproduce"]:
            lines += ["", "**Reproduce** (the key comes from your environment):", "", "```"]
            lines += finding["reproduce"] + ["```"]
        _write_result(
            results,
            {
                "uuid": str(uuid.uuid4()),
                "historyId": f"hokusai-finding-{finding['id']}",
                "fullName": f"hokusai.finding.{finding['id']}",
                "name": f"Finding {index}: {finding['title']}",
                "status": finding_status(finding),
                "statusDetails": {
                    "message": f"Finding: {finding['title']}. Owner: {finding['owner']}. First action: {action}"
                },
                "stage": "finished",
                "start": now,
                "stop": now,
                "description": "\n".join(lines),
                "parameters": [
                    {"name": "owner", "value": finding["owner"]},
                    {"name": "component", "value": ", ".join(finding["components"]) or "unknown"},
                ],
                "labels": [
                    {"name": "epic", "value": "Findings: what is wrong and who acts"},
                    {"name": "feature", "value": ", ".join(finding["components"]) or "unknown"},
                    {"name": "owner", "value": finding["owner"]},
                    {"name": "severity", "value": allure_severity},
                    {"name": "suite", "value": "Findings"},
                ],
            },
        )
    return len(findings)


def point_failures_at_findings(reports: Path) -> int:
    """Each failing scenario names its owner and the finding that explains it, in its own message."""
    run_status = status.read(reports)
    if run_status is None:
        return 0
    by_name = {f.name: f for f in run_status.failing}
    pointed = 0
    for path in (reports / "allure-results").glob("*-result.json"):
        result = json.loads(path.read_text())
        failing = by_name.get(result.get("name"))
        if (
            failing is None
            or result.get("status") not in ("failed", "broken")
            or result.get("fullName", "").startswith("hokusai.")
        ):
            continue
        details = result.setdefault("statusDetails", {})
        message = details.get("message", "")
        if "Owner: " not in message:
            explained = f"Explained by: {failing.finding}. " if failing.finding else ""
            details["message"] = f"{message}\n\n{explained}Owner: {failing.owner}. First action: {failing.first_action}"
        labels = [label for label in result.get("labels", []) if label.get("name") != "owner"]
        result["labels"] = labels + [{"name": "owner", "value": failing.owner}]
        path.write_text(json.dumps(result))
        pointed += 1
    return pointed


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
        identity.get("api_generation"), "not settled by the evidence"
    )
    mlflow = identity.get("mlflow_server_version") or "version not reported"
    return {
        "Deployed API version": version,
        "Deployed API commit": commit,
        "Deployed API build": identity.get("api_build") or "not reported",
        "MLflow server": f"{mlflow} ({identity.get('mlflow_generation', 'unknown')})",
        "Contract generation": generation,
    }


def add_identity(reports: Path) -> bool:
    """Put the target's version, commit, MLflow server and contract generation on the Allure overview."""
    source = reports / "infrastructure-report.json"
    if not source.is_file():
        return False
    facts = identity_facts(json.loads(source.read_text()))
    run_status = status.read(reports)
    if run_status is not None:
        findings = len(json.loads(source.read_text()).get("findings", []))
        facts = {
            "Target": run_status.target_words,
            "Verdict": run_status.verdict_sentence,
            "Totals": run_status.totals_sentence()
            + f" (Allure's count adds 1 run status and {findings} finding result(s))",
            "Not run": "; ".join(f"{i['count']} {i['why']}" for i in run_status.not_run) or "nothing",
            **facts,
        }
    info_path = reports / "run-info.json"
    earlier = json.loads(info_path.read_text()) if info_path.is_file() else {}
    info = {**facts, **{k: v for k, v in earlier.items() if k not in facts}}  # the status block first
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
            details["message"] = (
                f"Upgrade gap ({finding['id']}): {finding['title']}. The target follows an older "
                f"contract; the later one adds this.\n{message}"
            )
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
    attachments.append({"name": "performance.json (every measurement)", "source": name, "type": "application/json"})
    targets = performance["targets"]
    steps = [
        {
            "name": f"{t['name']}: {t['measured_text']} (target {t['rule_text']})",
            "status": "passed" if t.get("met") else "failed",
            "stage": "finished",
            "start": now,
            "stop": now,
        }
        for t in targets
    ]
    missed = [t["name"] for t in targets if not t.get("met")]
    message = (
        f"all {len(targets)} performance targets met"
        if not missed
        else f"{len(missed)} of {len(targets)} performance targets not met: {'; '.join(missed)}"
    )
    result = {
        "uuid": str(uuid.uuid4()),
        "historyId": "hokusai-performance-benchmark",
        "name": f"Performance benchmark (make bench, {performance['measured_at']})",
        "fullName": "hokusai.performance.benchmark",
        "status": "failed" if missed else "passed",
        "statusDetails": {"message": message},
        "stage": "finished",
        "start": now,
        "stop": now,
        "steps": steps,
        "attachments": attachments,
        "description": "Measured by `make bench` on the embedded reference stack on this machine, not against "
        "this run's target. Budgets: behave.ini [behave.userdata]. " + message,
        "labels": [
            {"name": "epic", "value": "Performance"},
            {"name": "feature", "value": "Benchmark"},
            {"name": "suite", "value": "Performance"},
        ],
    }
    _write_result(results, result)
    return True


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    reports = Path(args[0] if args else "reports")
    if not (reports / "allure-results").is_dir():
        print(f"finish_report: {reports}/allure-results does not exist: the suite produced no results", file=sys.stderr)
        return 1
    tidy_allure_labels(reports / "allure-results")
    add_identity(reports)
    mark_upgrade_gaps(reports)
    add_status_and_findings(reports)
    point_failures_at_findings(reports)
    add_performance_result(reports)
    apply_skip_reasons(reports)
    scrubbed = scrub_tree(reports)
    if scrubbed:
        print(f"finish_report: masked credential-shaped text in {scrubbed} output file(s)", file=sys.stderr)
    run_status = status.read(reports)
    if run_status is not None:
        for line in run_status.lines():
            print(line)
    elif (reports / "junit").is_dir():  # the run ended before its status block was written
        totals = junit_totals(reports / "junit")
        passed = totals["tests"] - totals["failures"] - totals["errors"] - totals["skipped"]
        print(
            f"scenarios: {passed} passed, {totals['failures']} failed, {totals['errors']} broken, "
            f"{totals['skipped']} skipped (the run did not finish: no status block)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
