"""The run's status block: one account of a run, the same wherever it is read.

The console's last lines, the top of the infrastructure report and the Allure report's overview
and "Run status" result are all written from this block: what the target is (in words), the
verdict, one set of totals, what was not run and why, and who acts on each failure.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .redaction import redact, redact_data
from .settings import is_loopback

if TYPE_CHECKING:  # pragma: no cover
    from .diagnosis.engine import Finding
    from .diagnosis.evidence import ScenarioOutcome
    from .diagnosis.target import TargetIdentity

STATUS_FILE = "status.json"
NOT_SELECTED_PERFORMANCE = (
    "run only when asked for (--tags=@performance): timing on a shared machine is not a verdict on the product"
)
NOT_SELECTED_FUZZ = "generated requests run only when asked for (--tags=@fuzz, make fuzz): they take minutes"


@dataclass
class FailingScenario:
    name: str
    feature: str
    status: str
    owner: str
    finding: str  # the finding that explains it ("" when none does)
    first_action: str
    location: str = ""  # where the scenario is written (feature file and line)
    finding_id: str = ""
    finding_kind: str = ""


@dataclass
class RunStatus:
    target: str  # the URL
    target_words: str  # what the target is, in words
    generation: str
    version: str | None
    verdict: str  # works | works, with findings | impaired | blocked
    verdict_sentence: str
    totals: dict[str, int]
    not_run: list[dict[str, Any]] = field(default_factory=list)  # {"count", "why"}
    failing: list[FailingScenario] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)  # {"id", "title", "owner", "severity", "first_action"}
    history_key: str = "history"  # runs of one target (and one injected fault) share an Allure history

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunStatus:
        data = dict(data)
        data["failing"] = [FailingScenario(**f) for f in data.get("failing", [])]
        return cls(**data)

    def totals_sentence(self) -> str:
        t = self.totals
        ran = t["passed"] + t["failed"] + t["broken"]
        return (
            f"{t['in_features']} scenarios in the features: {ran} ran ({t['passed']} passed, {t['failed']} failed, "
            f"{t['broken']} could not be exercised), {t['skipped'] + t['not_selected']} did not run"
        )

    def lines(self) -> list[str]:
        """The block as plain text lines (the console, and the head of every report)."""
        out = [
            f"Target: {self.target_words}",
            f"Contract: {self.generation}" + (f"; deployed API version {self.version}" if self.version else ""),
            f"Verdict: {self.verdict_sentence}",
            f"Totals: {self.totals_sentence()}.",
        ]
        for item in self.not_run:
            out.append(f"Not run: {item['count']} - {item['why']}")
        for finding in self.findings[:6]:
            out.append(f"To act: {finding['owner']} - {finding['title']}: {finding['first_action']}")
        if not self.findings and not self.failing and self.history_key.startswith("local-stack-"):
            out.append(
                "To act: suite maintainers - a known failure was switched on deliberately, yet nothing failed "
                "and no finding names it."
            )
        elif not self.findings and not self.failing:
            out.append(
                "To act: nobody - no action is needed."
                if not self.history_key.startswith("local-stack")
                else "To act: nobody - no problem in this test copy. It says nothing about a Hokusai deployment: "
                "set HOKUSAI_API_URL and HOKUSAI_API_KEY to check one."
            )
        elif not self.findings:
            owners = sorted({f.owner for f in self.failing})
            out.append(f"To act: {', '.join(owners)} - read the failing scenarios' messages; no finding explains them.")
        return out

    def write(self, reports_dir: Path) -> Path:
        reports_dir.mkdir(parents=True, exist_ok=True)
        path = reports_dir / STATUS_FILE
        path.write_text(json.dumps(redact_data(self.to_dict()), indent=2))
        return path


@dataclass
class Verdict:
    """What the end of a run knows: its status block, the findings, what the target says it is, and where the
    reports went. ``after_all`` hands it to the Allure formatter, which behave closes after it."""

    status: RunStatus
    findings: list[dict[str, Any]] = field(default_factory=list)
    identity: dict[str, Any] = field(default_factory=dict)
    reports_dir: Path = Path("reports")
    environment: dict[str, str] = field(default_factory=dict)  # what ran against what (Allure's overview)


def read(reports_dir: Path) -> RunStatus | None:
    try:
        return RunStatus.from_dict(json.loads((reports_dir / STATUS_FILE).read_text()))
    except (OSError, ValueError, TypeError):
        return None


def target_in_words(url: str, embedded: bool, faults: tuple[str, ...] = ()) -> str:
    if embedded:
        words = f"the local reference stack at {url}: a test copy running on this machine, not a Hokusai deployment"
        if faults:
            words += (
                f", with a known field failure switched on deliberately ({', '.join(faults)}) to show how the "
                f"suite reports it"
            )
        return words
    if is_loopback(url):
        return f"the deployment at {url}, on this machine but not the suite's local reference stack"
    return f"the remote deployment at {url}"


def first_action(recommendation: str) -> str:
    """The recommendation's first sentence (or clause): what to do first."""
    first = recommendation.split(". ")[0].split("; ")[0].strip().rstrip(".")
    return first + "."


def build(
    *,
    target: str,
    embedded: bool,
    identity: TargetIdentity,
    findings: list[Finding],
    outcomes: list[ScenarioOutcome],
    not_selected: list[dict[str, Any]],
    faults: tuple[str, ...] = (),
) -> RunStatus:
    """``outcomes``: every scenario that ran or was skipped with a reason; ``not_selected``: scenarios the tag
    selection left out, each {"name", "tags", "selection"}."""
    counts = Counter(o.status for o in outcomes)
    explained_by: dict[str, Finding] = {}
    for finding in findings:
        for name in finding.explains:
            explained_by.setdefault(name, finding)
    failing = []
    for outcome in outcomes:
        if outcome.status not in ("failed", "broken"):
            continue
        explaining = explained_by.get(outcome.name)
        failing.append(
            FailingScenario(
                name=outcome.name,
                feature=outcome.feature,
                status=outcome.status,
                owner=explaining.owner if explaining is not None else "suite maintainers",
                finding=f"{explaining.title} ({explaining.id})" if explaining is not None else "",
                first_action=first_action(explaining.recommendation)
                if explaining is not None
                else "Read the scenario's message and its HTTP exchanges.",
                location=outcome.location,
                finding_id=explaining.id if explaining is not None else "",
                finding_kind=explaining.kind if explaining is not None else "",
            )
        )
    skipped = [o for o in outcomes if o.status == "skipped"]
    not_run = []
    for why, count in Counter(_skip_reason(o) for o in skipped).most_common():
        not_run.append({"count": count, "why": f"skipped: {why}"})
    for why, count in Counter(_not_selected_reason(n) for n in not_selected).most_common():
        not_run.append({"count": count, "why": f"not selected: {why}"})
    totals = {
        "in_features": len(outcomes) + len(not_selected),
        "passed": counts.get("passed", 0),
        "failed": counts.get("failed", 0),
        "broken": counts.get("broken", 0),
        "skipped": len(skipped),
        "not_selected": len(not_selected),
    }
    blocked = registration_blocked(outcomes)
    bad = totals["failed"] + totals["broken"]
    did_not_pass = f"{bad} scenario(s) failed or could not be exercised"
    if bad and blocked:
        verdict, sentence = (
            "blocked",
            f"third-party model registration does not work (no model could be registered): {did_not_pass}"
            + ("; a registry admin's key did register and announce a model" if admin_registered(outcomes) else ""),
        )
    elif bad:
        verdict, sentence = "impaired", f"third-party model registration works in part: {did_not_pass}"
    elif findings:
        verdict, sentence = (
            "works, with findings",
            f"every scenario that ran passed, but the diagnosis found {len(findings)} problem(s)",
        )
    else:
        verdict, sentence = "works", "every scenario that ran passed and the diagnosis found no problem"
    return RunStatus(
        target=redact(target),
        target_words=redact(target_in_words(target, embedded, faults)),
        generation=identity.generation_line(),
        version=identity.api_version,
        verdict=verdict,
        verdict_sentence=sentence,
        totals=totals,
        not_run=not_run,
        failing=failing,
        findings=[
            {
                "id": f.id,
                "title": f.title,
                "owner": f.owner,
                "severity": f.severity,
                "first_action": first_action(f.recommendation),
            }
            for f in findings
        ],
        history_key=history_key(target, embedded, faults),
    )


def history_key(target: str, embedded: bool, faults: tuple[str, ...] = ()) -> str:
    """Which Allure history a run joins: a run with a fault injected on purpose must not make the scenarios of
    healthy runs look flaky, nor one deployment's results another's."""
    if embedded:
        return "local-stack" + "".join(f"-{f}" for f in sorted(faults))
    host = urlsplit(target).hostname or "remote"
    return "remote-" + re.sub(r"[^a-z0-9.-]+", "-", host.lower())


def registration_blocked(outcomes: list[ScenarioOutcome]) -> bool:
    """No scenario that registers a model got through (a refusal that passes does not count)."""
    registering = [
        o
        for o in outcomes
        if {"registration", "writes"} <= set(o.tags)
        and "refusal" not in o.tags
        and "admin" not in o.tags  # a registry admin's key is not a third-party developer's
        and o.status != "skipped"
    ]
    return bool(registering) and not any(o.status == "passed" for o in registering)


def admin_registered(outcomes: list[ScenarioOutcome]) -> bool:
    return any({"registration", "admin"} <= set(o.tags) and o.status == "passed" for o in outcomes)


def _skip_reason(outcome: ScenarioOutcome) -> str:
    message = outcome.message or ""
    return message.split("Skipped: ", 1)[-1] or "no reason given"


def _not_selected_reason(item: dict[str, Any]) -> str:
    if "performance" in item.get("tags", ()):
        return f"performance scenarios {NOT_SELECTED_PERFORMANCE}"
    if "fuzz" in item.get("tags", ()) and not item.get("selection", "").count("fuzz"):
        return NOT_SELECTED_FUZZ
    return f"outside the tag selection ({item.get('selection') or 'the default selection'})"
