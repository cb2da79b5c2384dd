"""The infrastructure report: what works, what fails, why, who fixes it and how to
check the fix -- written for the infra team and their managers, on every run."""
from __future__ import annotations

import html
import json
import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ..redaction import redact
from .catalog import COMPONENTS
from .rules import Finding, RunEvidence, ScenarioOutcome
from .sweep import Probe

#: Which sweep probes speak for which component.
COMPONENT_PROBES = {
    "routing / load balancer": ("health", "read_without_key"),
    "API service": ("health", "read_without_key", "ready"),
    "auth service": ("read_with_key", "auth_direct"),
    "validation cache": ("health",),
    "MLflow tracking": ("health_mlflow", "read_with_key", "mlflow_mount"),
    "model registry": (),
    "artifact storage": ("artifact_list", "api_health_mlflow"),
}
#: Which capabilities' scenarios speak for which component.
COMPONENT_CAPABILITIES = {
    "routing / load balancer": ("health",), "API service": ("health", "proxy", "errors"),
    "auth service": ("auth",), "validation cache": ("auth", "health"), "MLflow tracking": ("proxy",),
    "model registry": ("registration",), "artifact storage": ("registration", "proxy"),
}


@dataclass
class Report:
    target: str
    target_kind: str
    run_id: str
    generated: str
    scenarios: list[ScenarioOutcome]
    findings: list[Finding]
    components: dict[str, dict] = field(default_factory=dict)
    probes: dict[str, Probe] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def counts(self) -> Counter:
        return Counter(s.status for s in self.scenarios)

    @property
    def healthy(self) -> bool:
        counts = self.counts
        return not self.findings and counts.get("failed", 0) == 0 and counts.get("broken", 0) == 0

    def to_dict(self) -> dict:
        return {"target": self.target, "target_kind": self.target_kind, "run_id": self.run_id,
                "generated": self.generated, "healthy": self.healthy, "executive_summary": executive_summary(self),
                "scenario_counts": dict(self.counts), "components": self.components,
                "findings": [f.to_dict() for f in self.findings],
                "fix_priority": fix_priority(self), "follow_up": follow_up(self),
                "probes": {k: v.to_dict() for k, v in self.probes.items()},
                "scenarios": [s.__dict__ for s in self.scenarios], "notes": self.notes}


def capability_of(outcome: ScenarioOutcome) -> str:
    for tag in outcome.tags:
        if tag in ("health", "auth", "registration", "proxy", "errors", "performance", "field"):
            return tag
    return "other"


def assess_components(evidence: RunEvidence, findings: list[Finding],
                      scenarios: list[ScenarioOutcome]) -> dict[str, dict]:
    by_capability: dict[str, Counter] = defaultdict(Counter)
    for outcome in scenarios:
        by_capability[capability_of(outcome)][outcome.status] += 1
    table = {}
    for component in COMPONENTS:
        blamed = [f for f in findings if component in f.components]
        probes = [evidence.probes[n] for n in COMPONENT_PROBES[component] if n in evidence.probes]
        counts = Counter()
        for capability in COMPONENT_CAPABILITIES[component]:
            counts.update(by_capability.get(capability, Counter()))
        checked = bool(probes) or counts.get("passed", 0) + counts.get("failed", 0) + counts.get("broken", 0) > 0
        if blamed:
            state = "failing"
            why = "; ".join(f"{f.id}: {f.title}" for f in blamed)
        elif not checked:
            state, why = "not checked", "no probe or scenario exercised it in this run"
        elif counts.get("failed", 0) + counts.get("broken", 0):
            state = "affected"
            why = (f"{counts.get('failed', 0) + counts.get('broken', 0)} scenario(s) failed or broken, "
                   f"{counts.get('passed', 0)} passed; no finding names this component as the cause")
        else:
            state = "working"
            parts = [f"{counts.get('passed', 0)} scenario(s) passed"] if counts else []
            parts += [f"{p.name} HTTP {p.status}" for p in probes if p.status is not None][:2]
            why = ", ".join(parts) or "probes answered as expected"
        table[component] = {"state": state, "evidence": redact(why)}
    return table


def executive_summary(report: Report) -> list[str]:
    counts = report.counts
    total = sum(counts.values())
    ran = total - counts.get("skipped", 0)
    if report.healthy:
        return [f"All {ran} checks that ran against {report.target} passed; no infrastructure problem was found."]
    failing = [c for c, v in report.components.items() if v["state"] == "failing"]
    top = report.findings[0] if report.findings else None
    first = (f"Third-party model registration through {report.target} is {'blocked' if _blocked(report) else 'impaired'}: "
             f"{counts.get('failed', 0) + counts.get('broken', 0)} of {ran} checks failed"
             + (f", in {', '.join(failing)}." if failing else "."))
    if top is not None and top.id != "unrecognised":
        second = f"Most urgent root cause: {top.title.lower()} ({top.id}) - {top.root_cause.split('. ')[0].rstrip('.')}."
        third = f"Next step: {top.owner} should {top.recommendation[0].lower() + top.recommendation[1:].rstrip('.')}, " \
                f"then re-run `behave --tags=\"{top.verify_tags}\"`."
    else:
        second = "The failures match no known infrastructure fault; the evidence below is the starting point."
        third = "Next step: the suite maintainers and the infra team read the unrecognised evidence together."
    return [first, second, third]


def _blocked(report: Report) -> bool:
    registration = [s for s in report.scenarios if capability_of(s) == "registration" and s.status != "skipped"]
    return bool(registration) and not any(s.status == "passed" for s in registration)


def fix_priority(report: Report) -> list[dict]:
    return [{"priority": i + 1, "fault": f.id, "what": f.title, "owner": f.owner, "fix": f.recommendation,
             "verify": f"behave --tags=\"{f.verify_tags}\""} for i, f in enumerate(report.findings)]


def follow_up(report: Report) -> list[str]:
    if report.healthy:
        return ["Re-run `make report` after every infrastructure change; `behave --tags=\"@smoke and @readonly\"` is "
                "safe against production."]
    plan = [f"After fixing {f.id}: `behave --tags=\"{f.verify_tags}\"`, then the full `make report`."
            for f in report.findings if f.id != "unrecognised"]
    plan.append("When every finding is gone: `make report` against the target and confirm the report says healthy.")
    return plan


def build(evidence: RunEvidence, findings: list[Finding], *, target: str, target_kind: str, run_id: str,
          notes: list[str] | None = None) -> Report:
    report = Report(target=redact(target), target_kind=target_kind, run_id=run_id,
                    generated=time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), scenarios=evidence.scenarios,
                    findings=findings, probes=evidence.probes, notes=notes or [])
    report.components = assess_components(evidence, findings, evidence.scenarios)
    return report


# ------------------------------------------------------------------ rendering

def load_performance(reports_dir: Path) -> dict | None:
    """The latest ``make bench`` results (targets and plots), when there are any."""
    path = reports_dir / "performance.json"
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("targets"), list):
        return None
    if not all(isinstance(t, dict) and TARGET_FIELDS <= set(t) for t in data["targets"]):
        return None  # not written by this version of the bench
    return {"measured_at": data.get("measured_at", "unknown time"), "targets": data["targets"],
            "plots": [p for p in data.get("plots", []) if isinstance(p, str) and PLOT_PATH.fullmatch(p)]}


#: what each target in performance.json carries (see perf/targets.py Target.to_dict)
TARGET_FIELDS = {"name", "met", "verdict", "measured_text", "rule_text"}
PLOT_PATH = re.compile(r"performance/[\w.-]+\.png")
PLOT_TITLES = {"latency.png": "Latency per operation", "throughput.png": "Throughput vs concurrency",
               "resources.png": "Resource use over time"}


def performance_lines(performance: dict | None) -> list[str]:
    if not performance:
        return []
    targets = performance["targets"]
    missed = [t for t in targets if not t.get("met")]
    verdict = (f"all {len(targets)} targets met" if not missed else
               f"**{len(missed)} of {len(targets)} targets not met**")
    lines = ["## Performance", "",
             f"From `make bench` at {performance['measured_at']}, on the embedded reference stack on this machine "
             f"(not against the target above): {verdict}. Budgets live in `behave.ini` [behave.userdata].", "",
             "| target | measured | budget | verdict |", "|---|---|---|---|"]
    for t in targets:
        verdict_cell = t["verdict"] if t.get("met") else f"**{t['verdict']}**"
        lines.append(f"| {t['name']} | {t['measured_text']} | {t['rule_text']} | {verdict_cell} |")
    links = [f"[{PLOT_TITLES.get(Path(p).name, Path(p).name)}]({p})" for p in performance["plots"]]
    lines += ["", "Data: [performance.json](performance.json)" + (f"; plots: {', '.join(links)}" if links else ""),
              ""]
    lines += [f"![{PLOT_TITLES.get(Path(p).name, Path(p).name)}]({p})" for p in performance["plots"]]
    return lines + [""]


def to_markdown(report: Report, performance: dict | None = None) -> str:
    counts = report.counts
    lines = ["# Hokusai registry - infrastructure report", "",
             f"Target: `{report.target}` ({report.target_kind}) - run `{report.run_id}` - {report.generated}", ""]
    lines += ["## Executive summary", ""] + [f"{s}" for s in executive_summary(report)] + [""]
    if report.healthy:
        lines += [f"Checks: {counts.get('passed', 0)} passed, {counts.get('skipped', 0)} skipped.", ""]
        lines += _component_table(report) + performance_lines(performance)
        return redact("\n".join(lines) + "\n")
    lines += ["## Fix first", "", "| # | problem | owner | fix | verify with |", "|---|---|---|---|---|"]
    for row in fix_priority(report):
        lines.append(f"| {row['priority']} | **{row['what']}** (`{row['fault']}`) | {row['owner']} | {row['fix']} | "
                     f"`{row['verify']}` |")
    lines += [""] + _component_table(report)
    lines += ["## Root causes, most severe first", ""]
    for i, f in enumerate(report.findings, 1):
        lines += [f"### {i}. {f.title} (`{f.id}`, confidence {f.confidence})", "",
                  f"- **Root cause:** {f.root_cause}", f"- **Recommendation:** {f.recommendation}",
                  f"- **Owner:** {f.owner}", f"- **Components:** {', '.join(f.components) or 'unknown'}",
                  f"- **A third-party developer sees:** {f.developer_sees}"]
        if f.alternatives:
            lines.append(f"- **Also possible:** {', '.join(f.alternatives)}")
        lines += ["- **Evidence:**"] + [f"  - `{e}`" for e in f.evidence[:8]]
        if f.reproduce:
            lines += ["- **Reproduce** (the key comes from your environment):"] + [f"  - `{c}`" for c in f.reproduce]
        lines.append("")
    lines += ["## What a third-party developer sees", ""]
    lines += [f"- {f.developer_sees} ({f.id})" for f in report.findings] + [""]
    lines += ["## Checks", "", f"{counts.get('passed', 0)} passed, {counts.get('failed', 0)} failed (product "
              f"defects), {counts.get('broken', 0)} broken (could not be exercised), {counts.get('skipped', 0)} "
              f"skipped.", ""]
    failing = [s for s in report.scenarios if s.status in ("failed", "broken")]
    if failing:
        lines += ["| status | capability | scenario |", "|---|---|---|"]
        lines += [f"| {s.status} | {capability_of(s)} | {s.name} |" for s in failing[:40]] + [""]
    lines += performance_lines(performance)
    lines += ["## Follow-up testing plan", ""] + [f"- {p}" for p in follow_up(report)] + [""]
    if report.notes:
        lines += ["## Notes", ""] + [f"- {n}" for n in report.notes] + [""]
    return redact("\n".join(lines) + "\n")


def _component_table(report: Report) -> list[str]:
    lines = ["## Components", "", "| component | state | evidence |", "|---|---|---|"]
    marks = {"working": "working", "failing": "**FAILING**", "affected": "affected", "not checked": "not checked"}
    for name, row in report.components.items():
        lines.append(f"| {name} | {marks[row['state']]} | {row['evidence']} |")
    return lines + [""]


def to_html(markdown_text: str) -> str:
    """A small, dependency-free rendering of the report's markdown for browsers and Allure."""
    out = ["<!doctype html><html><head><meta charset='utf-8'><title>Hokusai infrastructure report</title>",
           "<style>body{font-family:system-ui,sans-serif;max-width:70em;margin:2em auto;line-height:1.45}"
           "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em;vertical-align:top}"
           "code{background:#f3f3f3;padding:0 .2em}h1{font-size:1.6em}</style></head><body>"]
    in_table = in_list = False
    for raw in markdown_text.splitlines():
        line = html.escape(raw)
        line = _inline(line)
        if raw.startswith("|"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            if set(raw.replace("|", "").strip()) <= {"-"}:
                continue
            if not in_table:
                out.append("<table>")
                in_table = True
                out.append("<tr>" + "".join(f"<th>{c}</th>" for c in cells) + "</tr>")
                continue
            out.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
            continue
        if in_table:
            out.append("</table>")
            in_table = False
        if raw.lstrip().startswith("- "):
            if not in_list:
                out.append("<ul>")
                in_list = True
            out.append(f"<li>{line.lstrip()[2:]}</li>")
            continue
        if in_list:
            out.append("</ul>")
            in_list = False
        if raw.startswith("### "):
            out.append(f"<h3>{line[4:]}</h3>")
        elif raw.startswith("## "):
            out.append(f"<h2>{line[3:]}</h2>")
        elif raw.startswith("# "):
            out.append(f"<h1>{line[2:]}</h1>")
        elif raw.startswith("!["):
            out.append(f"<p>{line}</p>")
        elif raw.strip():
            out.append(f"<p>{line}</p>")
    if in_table:
        out.append("</table>")
    if in_list:
        out.append("</ul>")
    out.append("</body></html>")
    return "\n".join(out)


def _inline(text: str) -> str:
    text = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", text)
    text = re.sub(r"!\[([^\]]*)\]\(([^)\s]+)\)", r"<img src='\2' alt='\1' style='max-width:100%'>", text)
    text = re.sub(r"\[([^\]]+)\]\(([^)\s]+)\)", r"<a href='\2'>\1</a>", text)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", text)


def write(report: Report, reports_dir: Path) -> dict[str, Path]:
    reports_dir.mkdir(parents=True, exist_ok=True)
    performance = load_performance(reports_dir)
    markdown_text = to_markdown(report, performance)
    paths = {"md": reports_dir / "infrastructure-report.md", "json": reports_dir / "infrastructure-report.json",
             "html": reports_dir / "infrastructure-report.html"}
    paths["md"].write_text(markdown_text)
    paths["json"].write_text(redact(json.dumps({**report.to_dict(), "performance": performance}, indent=2)))
    paths["html"].write_text(to_html(markdown_text))
    return paths
