"""The infrastructure report: what the target is, what works, what fails, why, who
fixes it and how to check the fix -- written for the infra team on every run."""

from __future__ import annotations

import json
import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..exchange import Exchange, json_body
from ..redaction import redact, redact_data
from ..status import RunStatus, registration_blocked
from .catalog import COMPONENTS, DIFFERS, ENTRIES, NATURE, UNRECOGNISED, Kind
from .engine import Diagnosis, Finding
from .evidence import RunEvidence, ScenarioOutcome

#: Which sweep probes speak for which component.
COMPONENT_PROBES = {
    "load balancer": ("health", "read_without_key"),
    "Hokusai API": ("health", "read_without_key", "ready", "version"),
    "auth service": ("read_with_key", "auth_direct"),
    "validation cache": ("health",),
    "MLflow server": ("health_mlflow", "read_with_key", "mlflow_mount", "mlflow_version"),
    "model registry": ("registry_read",),
    "artifact storage": ("artifact_list",),
    "API database": ("health",),
    "message queue": ("health",),
    "suite configuration": (),
}
#: components a call can be seen to reach (the others speak only through health documents)
REACHABLE = ("load balancer", "Hokusai API", "auth service", "MLflow server", "model registry", "artifact storage")
#: Which capabilities' scenarios speak for which component.
COMPONENT_CAPABILITIES = {
    "load balancer": ("health",),
    "Hokusai API": ("health", "proxy", "errors"),
    "auth service": ("auth",),
    "validation cache": ("auth",),
    "MLflow server": ("proxy",),
    "model registry": ("registration",),
    "artifact storage": ("registration", "proxy"),
    "API database": (),
    "message queue": (),
    "suite configuration": (),
}


@dataclass
class Report:
    target: str
    target_kind: str
    run_id: str
    generated: str
    scenarios: list[ScenarioOutcome]
    diagnosis: Diagnosis
    evidence: RunEvidence
    components: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: seconds from the run's first call that went wrong to this report (None when nothing went wrong)
    time_to_verdict_s: float | None = None
    notes: list[str] = field(default_factory=list)
    #: findings new, resolved and persisting since the previous run against the same target (None: first run)
    changes: dict[str, Any] | None = None
    status: RunStatus | None = None

    @property
    def findings(self) -> list[Finding]:
        return self.diagnosis.findings

    @property
    def counts(self) -> Counter[str]:
        return Counter(s.status for s in self.scenarios)

    @property
    def healthy(self) -> bool:
        counts = self.counts
        return not self.findings and counts.get("failed", 0) == 0 and counts.get("broken", 0) == 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "target_kind": self.target_kind,
            "run_id": self.run_id,
            "generated": self.generated,
            "healthy": self.healthy,
            "executive_summary": executive_summary(self),
            "identity": self.diagnosis.identity.to_dict(),
            "scenario_counts": dict(self.counts),
            "components": self.components,
            "findings": [f.to_dict() for f in self.findings],
            "ruled_out": [r.__dict__ for r in self.diagnosis.ruled_out],
            "fix_priority": fix_priority(self),
            "follow_up": follow_up(self),
            "probes": {k: v.to_dict() for k, v in self.evidence.probes.items()},
            "leftovers": self.evidence.leftovers,
            "scenarios": [s.__dict__ for s in self.scenarios],
            "notes": self.notes,
            "changes_since_last_run": self.changes,
            "status": self.status.to_dict() if self.status is not None else None,
            "time_to_verdict_s": self.time_to_verdict_s,
        }


def capability_of(outcome: ScenarioOutcome) -> str:
    for tag in outcome.tags:
        if tag in ("health", "auth", "registration", "proxy", "errors", "performance", "field"):
            return tag
    return "other"


def assess_components(report: Report) -> dict[str, dict[str, Any]]:
    by_capability: dict[str, Counter[str]] = defaultdict(Counter)
    for outcome in report.scenarios:
        by_capability[capability_of(outcome)][outcome.status] += 1
    probes = report.evidence.probes
    table = {}
    reached = report.diagnosis.reached
    for component in COMPONENTS:
        # a finding blames one component (its first); the others it names are where it shows
        blamed = [f for f in report.findings if f.components[:1] == [component] and f.kind != Kind.POLICY]
        decided = [f for f in report.findings if f.components[:1] == [component] and f.kind == Kind.POLICY]
        answered = [
            probes[n]
            for n in COMPONENT_PROBES[component]
            if n in probes and probes[n].status is not None and _speaks_for(probes[n], component)
        ]
        counts: Counter[str] = Counter()
        for capability in COMPONENT_CAPABILITIES[component]:
            counts.update(by_capability.get(capability, Counter()))
        ran = counts.get("passed", 0) + counts.get("failed", 0) + counts.get("broken", 0)
        bad = counts.get("failed", 0) + counts.get("broken", 0)
        if blamed:
            state = "failing"
            why = "; ".join(f"{f.title} ({f.id})" for f in blamed)
        elif decided:
            state = "closed by policy"
            why = "; ".join(f"{f.title} ({f.id}): {NATURE[Kind.POLICY]}" for f in decided)
        elif not answered and not ran:
            if component == "suite configuration":
                state, why = "working", "the target answered as a Hokusai deployment"
            else:
                state, why = "not checked", "no probe or scenario exercised it in this run"
        elif bad and component in REACHABLE and component not in reached:
            state = "not reached"
            why = (
                f"{bad} scenario(s) that need it did not pass, but no call of this run got as far as it, so "
                f"nothing is known of it"
            )
        elif bad:
            mine = [
                s
                for s in report.scenarios
                if s.status in ("failed", "broken") and capability_of(s) in COMPONENT_CAPABILITIES[component]
            ]
            # a cause elsewhere: a finding that blames another component (not the catch-alls, which blame none)
            # (an answer that only differs from the suite's contract blames no component)
            elsewhere = [
                f
                for f in report.findings
                if f.id == DIFFERS
                or (
                    f.components[:1] and f.components[0] != component and f.id != UNRECOGNISED and f.confidence != "low"
                )
            ]
            explained = {name for f in elsewhere for name in f.explains}
            causes = sorted({f.title for f in report.findings for s in mine if s.name in f.explains})
            if causes and all(s.name in explained for s in mine):
                # every failure through it has a cause found in another component: nothing points at this one
                state = "not blamed"
                why = (
                    f"{bad} scenario(s) through it did not pass, {counts.get('passed', 0)} passed; each failure "
                    f"has its cause elsewhere: {'; '.join(causes)}"
                )
            else:
                state = "affected"
                why = f"{bad} scenario(s) failed or broken, {counts.get('passed', 0)} passed; " + (
                    f"affected by: {'; '.join(causes)}" if causes else "no finding names a cause"
                )
        else:
            # only what a scenario exercised is "working"; a component known only from a health report is not tested
            state = "working" if ran else "reported healthy"
            parts = [f"{counts.get('passed', 0)} scenario(s) that go through it passed"] if ran else []
            parts += [_probe_words(p) for p in answered][:2]
            if not ran:
                parts.append("no scenario exercises it directly")
            why = "; ".join(parts) or "probes answered as expected"
        table[component] = {"state": state, "evidence": redact(why)}
    return table


#: the words a health document uses for the components only it speaks for
HEALTH_NAMES = {
    "validation cache": ("redis", "cache"),
    "API database": ("postgres", "database", "db"),
    "message queue": ("queue",),
}


def _speaks_for(probe: Exchange, component: str) -> bool:
    """Whether a probe's answer says anything of the component: a health document only of what it names."""
    names = HEALTH_NAMES.get(component)
    if names is None or probe.route != "/health":
        return True
    data = json_body(probe)
    services = data.get("services") if isinstance(data, dict) else None
    return isinstance(services, dict) and any(n in str(k).lower() for k in services for n in names)


def _probe_words(probe: Exchange) -> str:
    if probe.status in (401, 403) and not probe.keyed:
        return f"{probe.route} refused a call without a key (HTTP {probe.status}), as it should"
    if probe.route.startswith("/health") and probe.status == 200:
        return f"{probe.route} reports it healthy (HTTP 200)"
    return f"{probe.route} answered HTTP {probe.status}"


def executive_summary(report: Report) -> list[str]:
    counts = report.counts
    ran = sum(counts.values()) - counts.get("skipped", 0)
    identity = report.diagnosis.identity
    who = (
        f"{report.target} ({identity.generation_line()}"
        + (f", API version {identity.api_version}" if identity.api_version else "")
        + ")"
    )
    if report.healthy:
        return [f"All {ran} scenarios that ran against {who} passed; no infrastructure problem was found."]
    failing = [c for c, v in report.components.items() if v["state"] == "failing"]
    top = report.findings[0] if report.findings else None
    bad = counts.get("failed", 0) + counts.get("broken", 0)
    if bad:
        state = "blocked" if _blocked(report) else "impaired"
        first = (
            f"Third-party model registration through {who} is {state}: {bad} of the {ran} scenarios that ran "
            f"did not pass" + (f"; failing components: {', '.join(failing)}." if failing else ".")
        )
    else:
        first = (
            f"All {ran} scenarios that ran against {who} passed, but the diagnosis found {len(report.findings)} "
            f"problem(s)" + (f" in {', '.join(failing)}." if failing else ".")
        )
    if top is not None and top.id != UNRECOGNISED:
        second = (
            f"Most urgent: {top.title} ({top.id}, confidence {top.confidence}). "
            f"{top.root_cause.split('. ')[0].rstrip('.')}."
        )
        action = top.recommendation[0].lower() + top.recommendation[1:].rstrip(".")
        third = f'Next step: the {top.owner} should {action}, then re-run `behave --tags="{top.verify_tags}"`.'
    else:
        second = (
            "The failures could not be localised from the evidence; the scenarios' messages are the starting point."
        )
        third = "Next step: the suite maintainers and the infra team read the unrecognised evidence together."
    return [first, second, third]


def _blocked(report: Report) -> bool:
    if report.status is not None:
        return report.status.verdict == "blocked"
    return registration_blocked(report.scenarios)


def fix_priority(report: Report) -> list[dict[str, Any]]:
    return [
        {
            "priority": i + 1,
            "fault": f.id,
            "what": f.title,
            "owner": f.owner,
            "fix": f.recommendation,
            "verify": f'behave --tags="{f.verify_tags}"',
        }
        for i, f in enumerate(report.findings)
    ]


def follow_up(report: Report) -> list[str]:
    if report.healthy:
        return [
            'Re-run `make report` after every infrastructure change; `behave --tags="@smoke and @readonly"` is '
            "safe against production."
        ]
    plan = [
        f'After fixing {f.id}: `behave --tags="{f.verify_tags}"`, then the full `make report`.'
        for f in report.findings
        if f.id != UNRECOGNISED
    ]
    plan.append("When every finding is gone: `make report` against the target and confirm the report says healthy.")
    return plan


#: the settings' note on a key of an unusual shape: moot once the target accepted the key
KEY_SHAPE_NOTE = "HOKUSAI_API_KEY does not look like"


def _key_accepted(evidence: RunEvidence) -> bool:
    """The target accepted the run's own key: some call with it got past the key check (not a 401)."""
    return any(
        e.keyed and e.actor == "valid" and e.status is not None and e.status != 401 and e.status < 500
        for e in evidence.all_exchanges()
    )


def build(
    evidence: RunEvidence,
    diagnosis: Diagnosis,
    *,
    target: str,
    target_kind: str,
    run_id: str,
    notes: list[str] | None = None,
    status: RunStatus | None = None,
) -> Report:
    report = Report(
        target=redact(target),
        target_kind=target_kind,
        run_id=run_id,
        generated=time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()),
        scenarios=evidence.scenarios,
        diagnosis=diagnosis,
        evidence=evidence,
        notes=[n for n in notes or [] if not (n.startswith(KEY_SHAPE_NOTE) and _key_accepted(evidence))],
        status=status,
    )
    report.components = assess_components(report)
    if diagnosis.first_trouble_at is not None:
        report.time_to_verdict_s = round(max(0.0, time.time() - diagnosis.first_trouble_at), 1)
    return report


# ------------------------------------------------------------------ rendering


def load_performance(reports_dir: Path) -> dict[str, Any] | None:
    """The latest ``make bench`` results (targets and plots), when there are any."""
    path = reports_dir / "performance.json"
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("targets"), list):
        return None
    if not all(isinstance(t, dict) and set(t) >= TARGET_FIELDS for t in data["targets"]):
        return None  # not written by this version of the bench
    return {
        "measured_at": data.get("measured_at", "unknown time"),
        "targets": data["targets"],
        "plots": [p for p in data.get("plots", []) if isinstance(p, str) and PLOT_PATH.fullmatch(p)],
    }


#: what each target in performance.json carries (see perf/targets.py Target.to_dict)
TARGET_FIELDS = {"name", "met", "verdict", "measured_text", "rule_text"}
PLOT_PATH = re.compile(r"performance/[\w.-]+\.png")
PLOT_TITLES = {
    "latency.png": "Latency per operation",
    "throughput.png": "Throughput vs concurrency",
    "resources.png": "Resource use over time",
}


def performance_lines(performance: dict[str, Any] | None) -> list[str]:
    if not performance:
        return []
    targets = performance["targets"]
    missed = [t for t in targets if not t.get("met")]
    verdict = (
        f"all {len(targets)} targets met" if not missed else f"**{len(missed)} of {len(targets)} targets not met**"
    )
    lines = [
        "## Performance",
        "",
        f"From `make bench` at {performance['measured_at']}, on the embedded reference stack on this machine "
        f"(not against the target above): {verdict}. Budgets live in `behave.ini` [behave.userdata].",
        "",
        "| target | measured | budget | verdict |",
        "|---|---|---|---|",
    ]
    for t in targets:
        verdict_cell = t["verdict"] if t.get("met") else f"**{t['verdict']}**"
        lines.append(f"| {t['name']} | {t['measured_text']} | {t['rule_text']} | {verdict_cell} |")
    links = [f"[{PLOT_TITLES.get(Path(p).name, Path(p).name)}]({p})" for p in performance["plots"]]
    lines += ["", "Data: [performance.json](performance.json)" + (f"; plots: {', '.join(links)}" if links else ""), ""]
    lines += [f"![{PLOT_TITLES.get(Path(p).name, Path(p).name)}]({p})" for p in performance["plots"]]
    return lines + [""]


def identity_lines(report: Report) -> list[str]:
    identity = report.diagnosis.identity
    version = _cell(identity.api_version or "not reported")
    if identity.version_matches is False:
        version += f" (**expected {_cell(identity.expected_version)}**)"
    elif identity.version_matches:
        version += " (as expected)"
    commit = _cell(identity.api_commit or "not reported")
    if identity.commit_matches is False:
        commit += f" (**expected {_cell(identity.expected_commit)}**)"
    elif identity.commit_matches:
        commit += " (as expected)"
    lines = [
        "| | |",
        "|---|---|",
        f"| Target | {_code(report.target)} ({report.target_kind}) |",
        f"| Deployed API | {_cell(identity.api_title or 'name not reported')}, version {version}, commit {commit}, "
        f"build {_cell(identity.api_build or 'not reported')} |",
        f"| MLflow server | {_cell(identity.mlflow_server_version or 'version not reported')} "
        f"({identity.mlflow_generation}) |",
        f"| Contract generation | {identity.generation_line()} |",
        f"| Run | `{report.run_id}`, {report.generated} |",
        "",
    ]
    if identity.api_generation_evidence or identity.mlflow_generation_evidence:
        lines.append(
            "Generation evidence: "
            + _line("; ".join(identity.api_generation_evidence + identity.mlflow_generation_evidence))
            + "."
        )
        lines.append("")
    return lines


def named(causes: list[str] | tuple[str, ...]) -> str:
    """Causes by their titles, each with its id: an id alone means nothing to a reader."""
    return ", ".join(f"{ENTRIES[c].title} ({c})" if c in ENTRIES else c for c in causes)


def _line(text: object) -> str:
    """A value on one line of Markdown: secrets masked, line breaks folded (a value never starts a block)."""
    return " ".join(redact(text).split())


def _cell(text: object) -> str:
    """A value inside a Markdown table cell: one line, and its pipes escaped so the row keeps its columns."""
    return _line(text).replace("\\", "\\\\").replace("|", "\\|")


def _code(text: object) -> str:
    """A value as inline code, whatever backticks it holds (the fence is longer than any run inside)."""
    value = _line(text)
    longest = max((len(run) for run in re.findall(r"`+", value)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if value.startswith("`") or value.endswith("`") or longest else ""
    return f"{fence}{pad}{value}{pad}{fence}"


def _finding_lines(i: int, f: Finding) -> list[str]:
    component = f.components[0] if f.components else "unknown"
    shows = f" (shows in {', '.join(f.components[1:])})" if len(f.components) > 1 else ""
    lines = [
        f"### {i}. {_line(f.title)}",
        "",
        f"{_code(f.id)} - {f.kind}, severity {f.severity}, confidence {f.confidence} - component: "
        f"**{component}**{shows} - owner: **{f.owner}**",
        "",
        f"- **Policy or defect:** {NATURE.get(f.kind, f.kind)}",
        f"- **Root cause:** {_line(f.root_cause)}",
        f"- **Recommendation:** {_line(f.recommendation)}",
        f"- **A third-party developer sees:** {_line(f.developer_sees)}",
    ]
    if f.decisive:
        lines.append("- **Decided by:** " + _line("; ".join(f.decisive)))
    if f.alternatives:
        lines.append(f"- **The evidence also fits:** {_line(named(f.alternatives))}")
    if f.cannot_separate:
        lines += ["- **What the evidence cannot separate:**"] + [f"  - {_line(x)}" for x in f.cannot_separate]
    if f.also_explains:
        lines.append(f"- **Also explains:** {_line(named(f.also_explains))}")
    if f.explains:
        scenarios = "; ".join(sorted(set(f.explains)))
        lines.append(f"- **Explains {len(set(f.explains))} failing scenario(s):** {_line(scenarios)}")
    if f.evidence:
        lines += ["- **Evidence:**"] + [f"  - {_code(e)}" for e in f.evidence]
    if f.reproduce:
        lines += ["- **Reproduce** (the key comes from your environment):"] + [f"  - {_code(c)}" for c in f.reproduce]
    return lines + [""]


def to_markdown(report: Report, performance: dict[str, Any] | None = None) -> str:
    counts = report.counts
    lines = ["# Hokusai registry - infrastructure report", ""]
    if report.status is not None:
        lines += [f"- {_line(line)}" for line in report.status.lines()] + [""]
    lines += identity_lines(report)
    lines += ["## Executive summary", ""] + [_line(x) for x in executive_summary(report)] + [""]
    lines += _change_lines(report)
    if report.healthy:
        lines += _component_table(report) + _gap_lines(report) + performance_lines(performance) + _drift_lines(report)
        lines += _note_lines(report)
        return redact("\n".join(lines) + "\n")
    lines += ["## Fix first", "", "| # | problem | owner | fix | verify with |", "|---|---|---|---|---|"]
    for row in fix_priority(report):
        lines.append(
            f"| {row['priority']} | **{_cell(row['what'])}** ({_code(row['fault'])}) | {row['owner']} | "
            f"{_cell(row['fix'])} | {_code(row['verify'])} |"
        )
    lines += [""] + _component_table(report)
    lines += ["## Findings, most severe first", ""]
    for i, f in enumerate(report.findings, 1):
        lines += _finding_lines(i, f)
    if report.diagnosis.ruled_out:
        lines += ["## Explanations ruled out by this run's evidence", ""]
        lines += [f"- {_code(r.id)} ({_line(r.title)}): {_line(r.because)}" for r in report.diagnosis.ruled_out]
        lines += [""]
    lines += _gap_lines(report) + _differs_lines(report)
    lines += ["## What a third-party developer sees", ""]
    lines += [f"- {_line(f.developer_sees)} ({f.id})" for f in report.findings] + [""]
    failing = [s for s in report.scenarios if s.status in ("failed", "broken")]
    lines += [
        "## Scenarios that did not pass",
        "",
        f"{counts.get('failed', 0)} failed (the registry answered, but not as the contract says) and "
        f"{counts.get('broken', 0)} could not be exercised (a call got no usable answer).",
        "",
    ]
    if failing:
        lines += ["| status | capability | scenario |", "|---|---|---|"]
        lines += [
            f"| {'failed' if s.status == 'failed' else 'not exercised'} | {capability_of(s)} | {_cell(s.name)} |"
            for s in failing[:40]
        ] + ([f"(the first 40 of {len(failing)})", ""] if len(failing) > 40 else [""])
    if report.evidence.leftovers:
        lines += [
            "## Left in the registry",
            "",
            "Cleanup could not remove these (they carry the run's prefix); an entry the registry would not even "
            "let the cleanup look up says so, and may never have been created:",
            "",
        ]
        lines += [f"- {_line(x)}" for x in report.evidence.leftovers[:40]] + [""]
    lines += performance_lines(performance)
    lines += _drift_lines(report)
    lines += ["## Follow-up testing plan", ""] + [f"- {_line(p)}" for p in follow_up(report)] + [""]
    lines += _note_lines(report)
    return redact("\n".join(lines) + "\n")


HISTORY_DIR = "history"


def compare_with_last(reports_dir: Path, history_key: str, findings: list[Any]) -> dict[str, Any] | None:
    """New, resolved and persisting findings against the previous run with the same ``history_key`` (the
    target, its faults and the scenarios selected); then this run becomes the previous one. None when there
    was no previous run."""
    path = reports_dir / HISTORY_DIR / f"findings-{history_key}.json"
    current = {f.id: f.title for f in findings}
    try:
        last = json.loads(path.read_text())
    except (OSError, ValueError):
        last = None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps({"at": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), "findings": current}, indent=1)
    )
    if not isinstance(last, dict):
        return None
    before = last.get("findings") or {}
    return {
        "since": last.get("at", "an earlier run"),
        "new": [{"id": i, "title": t} for i, t in current.items() if i not in before],
        "resolved": [{"id": i, "title": t} for i, t in before.items() if i not in current],
        "persisting": [{"id": i, "title": t} for i, t in current.items() if i in before],
    }


def _change_lines(report: Report) -> list[str]:
    changes = report.changes
    if changes is None:
        return []
    lines = [
        "## Changed since the last run",
        "",
        f"Compared with the previous run of the same scenarios against this target ({changes['since']}).",
        "",
    ]
    for title, key in (("New", "new"), ("Resolved", "resolved"), ("Persisting", "persisting")):
        items = changes[key]
        lines.append(
            f"- **{title}** ({len(items)}): "
            + (", ".join(f"{_line(x['title'])} ({_code(x['id'])})" for x in items) if items else "none")
        )
    return lines + [""]


def drift_of(report: Report) -> dict[str, Any] | None:
    return report.evidence.identity.get("contract_drift")


def _drift_lines(report: Report) -> list[str]:
    """How the target's own /openapi.json differs from the contract: documentation, stated, never a failure."""
    drift = drift_of(report)
    if not drift:
        return []
    lines = [
        "## Contract drift (the target's own description against the contract)",
        "",
        f"Compared `/openapi.json` ({_line(drift.get('served_title') or 'untitled')}) with "
        "`contract/hokusai-registration.openapi.yaml`. Differences in a description are not failures: they "
        "say where the documentation and the contract part ways.",
        "",
    ]
    for title, key in (
        ("Added (the target describes them; the contract does not)", "added"),
        ("Removed (in the contract; the target does not describe them)", "removed"),
        ("Changed", "changed"),
        ("Described only by a catch-all route", "covered_by_catch_all"),
    ):
        items = drift.get(key) or []
        if items:
            lines += [f"**{title}: {len(items)}**", ""] + [f"- {_code(x)}" for x in items[:60]]
            lines += [f"- ... and {len(items) - 60} more"] if len(items) > 60 else []
            lines.append("")
    if not drift.get("auth_declared", True):
        lines += [
            "The target's description declares no authentication at all: keys are enforced without being described.",
            "",
        ]
    if not any(drift.get(k) for k in ("added", "removed", "changed")):
        lines += ["No operation was added, removed or changed.", ""]
    return lines


def _differs_lines(report: Report) -> list[str]:
    """The scenarios the suite maintainers must look at: the deployment differs from the contract in detail."""
    differing = [f for f in report.findings if f.kind == Kind.CONTRACT]
    if not differing:
        return []
    lines = [
        "## Differs from this suite's contract (for the suite maintainers)",
        "",
        "These scenarios got the answer the contract describes in substance, in other words or another shape. "
        "They are not defects of the deployment: the suite must be updated, or the difference given to the API "
        "team.",
        "",
    ]
    return lines + [f"- {_line(name)}" for f in differing for name in sorted(set(f.explains))] + [""]


def _note_lines(report: Report) -> list[str]:
    """Notes on the settings, and limits the scenarios measured (the largest model file accepted, ...)."""
    return ["## Notes", ""] + [f"- {_line(n)}" for n in report.notes] + [""] if report.notes else []


def _gap_lines(report: Report) -> list[str]:
    identity = report.diagnosis.identity
    missing = [g for g in identity.gaps if g.status == "missing"]
    if not missing:  # nothing an upgrade would bring: the section would only restate the contract
        return []
    lines = [
        "## Upgrade gaps: what the later contract adds",
        "",
        f"The target follows {identity.generation_line()}. These are not defects of that generation; they are "
        f"what an upgrade brings" + (f" ({len(missing)} missing)." if missing else "."),
        "",
        "| the later contract | on this target | evidence |",
        "|---|---|---|",
    ]
    for gap in identity.gaps:
        lines.append(f"| {gap.item} | {gap.status} | {_cell(gap.evidence[:160]) if gap.evidence else ''} |")
    return lines + [""]


def _component_table(report: Report) -> list[str]:
    lines = ["## Components", "", "| component | state | evidence |", "|---|---|---|"]
    marks = {
        "working": "working",
        "failing": "**FAILING**",
        "affected": "affected",
        "not blamed": "not blamed (failures caused elsewhere)",
        "not checked": "not checked",
        "reported healthy": "reported healthy (not tested)",
        "not reached": "not reached",
        "closed by policy": "**closed by policy**",
    }
    for name, row in report.components.items():
        lines.append(f"| {name} | {marks[row['state']]} | {_cell(row['evidence'])} |")
    return lines + [""]


def render_html(report: Report, performance: dict[str, Any] | None, reports_dir: Path) -> str:
    """The report as one self-contained page (inline style, plots embedded), from the Jinja2 template."""
    import base64

    import jinja2

    from ..glossary import TAGS, TERMS
    from ..status import first_action

    plots = []
    for relative in (performance or {}).get("plots", []):
        path = reports_dir / relative
        if path.is_file():
            plots.append(
                {
                    "title": PLOT_TITLES.get(path.name, path.name),
                    "data": "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode(),
                }
            )
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined,
        # every value is redacted as a value, before it is escaped into the page
        finalize=lambda value: redact(value) if isinstance(value, str) else value,
    )
    env.filters["named"] = named
    status = report.status
    verdict_class = (
        {"works": "works", "works, with findings": "findings"}.get(status.verdict, status.verdict)
        if status is not None
        else "works"
    )
    html = env.get_template("report.html.j2").render(
        run_id=report.run_id,
        generated=report.generated,
        status=status,
        verdict_class=verdict_class,
        identity=report.diagnosis.identity,
        findings=report.findings,
        components=report.components,
        ruled_out=report.diagnosis.ruled_out,
        performance=performance,
        plots=plots,
        missed=[t for t in (performance or {}).get("targets", []) if not t.get("met")],
        leftovers=report.evidence.leftovers,
        follow_up=follow_up(report),
        notes=report.notes,
        terms=TERMS,
        drift=drift_of(report),
        changes=report.changes,
        tags=TAGS,
        first_action=first_action,
        nature=NATURE,
    )
    return html


def write(report: Report, reports_dir: Path) -> dict[str, Path]:
    reports_dir.mkdir(parents=True, exist_ok=True)
    performance = load_performance(reports_dir)
    markdown_text = to_markdown(report, performance)
    paths = {
        "md": reports_dir / "infrastructure-report.md",
        "json": reports_dir / "infrastructure-report.json",
        "html": reports_dir / "infrastructure-report.html",
    }
    paths["md"].write_text(markdown_text)
    paths["json"].write_text(json.dumps(redact_data({**report.to_dict(), "performance": performance}), indent=2))
    paths["html"].write_text(render_html(report, performance, reports_dir))
    return paths
