"""Allure results written while the run happens: allure-behave's formatter, and what it cannot do itself.

allure-behave writes one result per scenario as the scenario ends. A reader of this suite's report also
needs what only the end of the run knows: the run's status, one result per finding, and on each failing
scenario the finding that explains it, its owner and the first action. This formatter (named in
``behave.ini``) is allure-behave's own, with two small changes:

* its listener tidies each scenario's labels and, for a scenario that did not run, says why in its
  description (behave's skip reason, or the tag selection);
* its file logger writes containers and attachments at once but holds scenario results until the
  formatter closes, which behave does after ``after_all``. By then ``after_all`` has handed the run's
  verdict to behave's configuration (:func:`hand_over`); each held result is completed from it, matched by
  where its scenario is written (feature file and line, never by name), then every result is redacted, as
  data, and written through allure-commons' own file logger.

The run status and finding results are written by the same logger, as results of their own.
"""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import allure_commons
import attr
from allure_behave.formatter import AllureFormatter as _AllureBehaveFormatter
from allure_behave.listener import AllureListener
from allure_commons.logger import AllureFileLogger
from allure_commons.model2 import Attachment, Label, Parameter, Status, StatusDetails, TestResult, TestStepResult

from . import status as run_status
from .diagnosis.report import PLOT_TITLES, load_performance, named
from .redaction import redact_data
from .status import Verdict

#: labels allure-behave adds that say nothing to a reader
NOISE_LABELS = {"framework", "language", "host", "thread"}
#: the report's severities in Allure's words
SEVERITY = {"critical": "blocker", "high": "critical", "medium": "normal", "low": "minor"}
#: the owner a finding's Allure status follows: the product's own defects fail, the rest could not be exercised
PRODUCT_OWNERS = {"API team"}


def scenario_key(scenario: Any) -> str:
    """What tells one scenario (or outline row) from every other, names aside: where it is written."""
    return f"{scenario.location.filename}:{scenario.location.line}"


def not_run_description(scenario: Any) -> str:
    """Why a scenario did not run: the suite's own reason, or that the tag selection left it out."""
    from .status import NOT_SELECTED_FUZZ, NOT_SELECTED_PERFORMANCE

    if scenario.skip_reason:
        return f"Not run: skipped by the suite: {scenario.skip_reason}."
    tags = {str(t) for t in scenario.effective_tags}
    if "performance" in tags:
        return f"Not run: not selected: performance scenarios {NOT_SELECTED_PERFORMANCE}."
    if "fuzz" in tags:
        return f"Not run: not selected: {NOT_SELECTED_FUZZ}."
    return "Not run: not selected: outside this run's tag selection."


def finding_status(finding: dict[str, Any]) -> str:
    """Failed when the product misbehaves (its code, its contract, its security); broken when something around
    it failed (a service down, a route missing, the configuration)."""
    if finding["kind"] in ("security", "upgrade gap") or finding["owner"] in PRODUCT_OWNERS:
        return Status.FAILED
    return Status.BROKEN


#: the attribute of behave's configuration (one per run) that carries the verdict to the formatter
VERDICT_ATTRIBUTE = "hokusai_verdict"


def hand_over(config: Any, verdict: Verdict) -> None:
    """Give the run's verdict to the Allure formatter, which behave closes after ``after_all``."""
    setattr(config, VERDICT_ATTRIBUTE, verdict)


def _redact_in_place(item: Any) -> Any:
    """Redact every string of an allure-commons model object (and the objects and lists in it) before it is
    serialised: the JSON written stays valid whatever a secret sat next to."""
    if isinstance(item, str):
        return redact_data(item)
    if isinstance(item, list):
        return [_redact_in_place(value) for value in item]
    if attr.has(type(item)):
        for name in attr.fields_dict(type(item)):
            setattr(item, name, _redact_in_place(getattr(item, name)))
    return item


class _HeldResults(AllureFileLogger):
    """allure-commons' file logger: containers and attachments are written at once, scenario results are held
    until the verdict completes them; every result is redacted before it is written."""

    def __init__(self, report_dir: str) -> None:
        super().__init__(report_dir)
        self.directory = Path(report_dir)
        self.held: dict[str, TestResult] = {}

    @allure_commons.hookimpl
    def report_result(self, result: TestResult) -> None:
        self.held[result.uuid] = result

    def write(self, result: TestResult) -> None:
        super().report_result(_redact_in_place(result))

    def attach_file(self, source: Path, title: str, mime: str) -> Attachment | None:
        if not source.is_file():
            return None
        name = f"{uuid.uuid4()}-attachment{source.suffix}"
        self.report_attached_file(source, name)
        return Attachment(name=title, source=name, type=mime)


class _Listener(AllureListener):
    """allure-behave's listener, which also remembers which result is which scenario and tidies its labels."""

    def __init__(self, config: Any, keys: dict[str, str]) -> None:
        super().__init__(config)
        self.keys = keys

    def start_scenario(self, scenario: Any) -> None:
        super().start_scenario(scenario)
        test = self.logger.get_test(self.current_scenario_uuid)
        self.keys[test.uuid] = scenario_key(scenario)
        labels = [label for label in test.labels if label.name not in NOISE_LABELS]
        for label in labels:
            if label.name in ("epic", "story") and "_" in (label.value or ""):
                label.value = label.value.replace("_", " ")  # Gherkin tags cannot hold spaces
        test.labels = labels

    def stop_scenario(self, scenario: Any) -> None:
        test = self.logger.get_test(self.current_scenario_uuid) if self.current_scenario_uuid else None
        super().stop_scenario(scenario)
        status = scenario.status.name if hasattr(scenario.status, "name") else str(scenario.status)
        if test is not None and status in ("skipped", "untested"):
            test.description = not_run_description(scenario)
            test.statusDetails = None


class AllureFormatter(_AllureBehaveFormatter):
    """allure-behave's formatter with the listener and file logger above."""

    listener: Any
    file_logger: Any

    def __init__(self, stream_opener: Any, config: Any) -> None:
        super().__init__(stream_opener, config)
        own: tuple[Any, ...] = (self.listener, self.file_logger)  # allure-behave's: replaced by the two above
        for plugin in own:
            allure_commons.plugin_manager.unregister(plugin)
        self.keys: dict[str, str] = {}
        self.listener = _Listener(config, self.keys)
        self.file_logger = _HeldResults(self.stream_opener.name)
        allure_commons.plugin_manager.register(self.listener)
        allure_commons.plugin_manager.register(self.file_logger)

    def close(self) -> None:
        try:
            complete(self.file_logger, self.keys, getattr(self.config, VERDICT_ATTRIBUTE, None))
        finally:
            super().close()


# ------------------------------------------------------------------ completing the results from the verdict


def complete(logger: _HeldResults, keys: dict[str, str], verdict: Verdict | None) -> None:
    """Point failing scenarios at their findings, add the run status and the findings, write everything held."""
    if verdict is not None:
        failing = {f.location: f for f in verdict.status.failing if f.location}
        for result_uuid, result in logger.held.items():
            explained = failing.get(keys.get(result_uuid, ""))
            if explained is not None and result.status in (Status.FAILED, Status.BROKEN):
                _point_at_finding(result, explained)
        _write_status(logger, verdict)
        for index, finding in enumerate(verdict.findings, 1):
            logger.write(_finding_result(index, finding))
        _write_performance(logger, verdict.reports_dir)
        _write_identity(logger.directory, verdict)
    for result in logger.held.values():
        logger.write(result)
    logger.held.clear()


def _point_at_finding(result: TestResult, failing: run_status.FailingScenario) -> None:
    details = result.statusDetails or StatusDetails(message="")
    message = details.message or ""
    explained = f"Explained by: {failing.finding}. " if failing.finding else ""
    message = f"{message}\n\n{explained}Owner: {failing.owner}. First action: {failing.first_action}"
    if failing.finding_kind == "upgrade gap":
        message = (
            f"Upgrade gap ({failing.finding_id}): the target follows an older contract; the later one adds "
            f"this.\n{message}"
        )
    details.message = message
    result.statusDetails = details
    result.labels = [label for label in result.labels if label.name != "owner"] + [
        Label(name="owner", value=failing.owner)
    ]


def _now() -> int:
    return int(time.time() * 1000)


def _write_status(logger: _HeldResults, verdict: Verdict) -> None:
    block = verdict.status
    description = "\n".join(f"- {line}" for line in block.lines())
    description += (
        f"\n\nAllure's own totals also count the {len(verdict.findings)} finding(s) below (one result each) and "
        f"this summary, besides the scenarios."
    )
    reports = verdict.reports_dir
    attachments = [
        a
        for a in (
            logger.attach_file(reports / "infrastructure-report.html", "Infrastructure report", "text/html"),
            logger.attach_file(reports / run_status.STATUS_FILE, "Status (machine-readable)", "application/json"),
        )
        if a is not None
    ]
    now = _now()
    logger.write(
        TestResult(
            uuid=str(uuid.uuid4()),
            historyId="hokusai-run-status",
            fullName="hokusai.run.status",
            name=f"Run status: {block.verdict_sentence}",
            status=Status.PASSED if block.verdict == "works" else Status.UNKNOWN,  # a summary, not a test
            statusDetails=StatusDetails(message=f"Run status: {block.verdict_sentence}. {block.totals_sentence()}."),
            stage="finished",
            start=now,
            stop=now,
            description=description,
            attachments=attachments,
            labels=[Label(name="epic", value="Run status"), Label(name="suite", value="Run status")],
        )
    )


def _finding_result(index: int, finding: dict[str, Any]) -> TestResult:
    action = run_status.first_action(finding["recommendation"])
    allure_severity = SEVERITY.get(finding["severity"], "normal")
    components = ", ".join(finding["components"]) or "unknown"
    also = f" (the evidence also fits: {named(finding['alternatives'])})" if finding["alternatives"] else ""
    lines = [
        f"**Owner:** {finding['owner']}  ",
        f"**First action:** {finding['recommendation']}  ",
        f"**Severity:** {finding['severity']} (shown as '{allure_severity}' on Allure's own scale)  ",
        f"**Component:** {components}  ",
        f"**Root cause:** {finding['root_cause']}  ",
        f"**A developer sees:** {finding['developer_sees']}  ",
        f"**Confidence:** {finding['confidence']}{also}  ",
        f'**Verify the fix:** `behave --tags="{finding["verify_tags"]}"`',
        "",
    ]
    if finding["explains"]:
        lines += ["**Explains these failing scenarios:**", ""] + [f"- {n}" for n in sorted(set(finding["explains"]))]
        lines.append("")
    lines += ["**Evidence:**", "", "```", *finding["evidence"], "```"]
    if finding["reproduce"]:
        lines += ["", "**Reproduce** (the key comes from your environment):", "", "```", *finding["reproduce"], "```"]
    now = _now()
    return TestResult(
        uuid=str(uuid.uuid4()),
        historyId=f"hokusai-finding-{finding['id']}",
        fullName=f"hokusai.finding.{finding['id']}",
        name=f"Finding {index}: {finding['title']}",
        status=finding_status(finding),
        statusDetails=StatusDetails(
            message=f"Finding: {finding['title']}. Owner: {finding['owner']}. First action: {action}"
        ),
        stage="finished",
        start=now,
        stop=now,
        description="\n".join(lines),
        parameters=[Parameter(name="owner", value=finding["owner"]), Parameter(name="component", value=components)],
        labels=[
            Label(name="epic", value="Findings: what is wrong and who acts"),
            Label(name="feature", value=components),
            Label(name="owner", value=finding["owner"]),
            Label(name="severity", value=allure_severity),
            Label(name="suite", value="Findings"),
        ],
    )


def _write_performance(logger: _HeldResults, reports: Path) -> None:
    """The latest ``make bench`` run as one result whose steps are the performance targets (failed when missed)."""
    performance = load_performance(reports)
    if performance is None:
        return
    attachments = [
        a
        for a in (
            logger.attach_file(reports / relative, PLOT_TITLES.get(Path(relative).name, relative), "image/png")
            for relative in performance["plots"]
        )
        if a is not None
    ]
    data = logger.attach_file(reports / "performance.json", "performance.json (every measurement)", "application/json")
    if data is not None:
        attachments.append(data)
    now = _now()
    targets = performance["targets"]
    steps = [
        TestStepResult(
            name=f"{t['name']}: {t['measured_text']} (target {t['rule_text']})",
            status=Status.PASSED if t.get("met") else Status.FAILED,
            stage="finished",
            start=now,
            stop=now,
        )
        for t in targets
    ]
    missed = [t["name"] for t in targets if not t.get("met")]
    message = (
        f"all {len(targets)} performance targets met"
        if not missed
        else f"{len(missed)} of {len(targets)} performance targets not met: {'; '.join(missed)}"
    )
    logger.write(
        TestResult(
            uuid=str(uuid.uuid4()),
            historyId="hokusai-performance-benchmark",
            name=f"Performance benchmark (make bench, {performance['measured_at']})",
            fullName="hokusai.performance.benchmark",
            status=Status.FAILED if missed else Status.PASSED,
            statusDetails=StatusDetails(message=message),
            stage="finished",
            start=now,
            stop=now,
            steps=steps,
            attachments=attachments,
            description="Measured by `make bench` on the embedded reference stack on this machine, not against "
            "this run's target. Budgets: behave.ini [behave.userdata]. " + message,
            labels=[
                Label(name="epic", value="Performance"),
                Label(name="feature", value="Benchmark"),
                Label(name="suite", value="Performance"),
            ],
        )
    )


def identity_facts(identity: dict[str, Any]) -> dict[str, str]:
    """What the target says it is, in words, for the Allure overview (the same facts head the infra report)."""
    version = identity.get("api_version") or "not reported"
    if identity.get("version_matches") is False:
        version += f" (expected {identity.get('expected_version')})"
    commit = identity.get("api_commit") or "not reported"
    if identity.get("commit_matches") is False:
        commit += f" (expected {identity.get('expected_commit')})"
    generation = {
        "2025": "the 2025 API contract",
        "later": "the later API contract",
        "2026": "the 2026 API contract",
    }.get(identity.get("api_generation", ""), "not settled by the evidence")
    mlflow = identity.get("mlflow_server_version") or "version not reported"
    return {
        "Deployed API version": version,
        "Deployed API commit": commit,
        "Deployed API build": identity.get("api_build") or "not reported",
        "MLflow server": f"{mlflow} ({identity.get('mlflow_generation', 'unknown')})",
        "Contract generation": generation,
    }


def _write_identity(results: Path, verdict: Verdict) -> None:
    """The status block and the target's identity on the Allure overview (run-info.json, read by allurerc.mjs,
    and the environment file)."""
    block = verdict.status
    facts = {
        "Target": block.target_words,
        "Verdict": block.verdict_sentence,
        "Totals": block.totals_sentence()
        + f" (Allure's count adds 1 run status and {len(verdict.findings)} finding result(s))",
        "Not run": "; ".join(f"{i['count']} {i['why']}" for i in block.not_run) or "nothing",
        **identity_facts(verdict.identity),
    }
    info_path = verdict.reports_dir / "run-info.json"
    earlier = json.loads(info_path.read_text()) if info_path.is_file() else {}
    info = {**facts, **{k: v for k, v in earlier.items() if k not in facts}}  # the status block first
    info_path.write_text(json.dumps(redact_data(info), indent=2))
    environment = {**verdict.environment, **{f"target.{k.lower().replace(' ', '_')}": v for k, v in facts.items()}}
    lines = [f"{k}={v}" for k, v in redact_data(environment).items()]
    (results / "environment.properties").write_text("\n".join(lines) + "\n")
