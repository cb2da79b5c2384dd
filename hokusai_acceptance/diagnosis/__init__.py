"""Root-cause diagnosis and the infrastructure report.

:mod:`.sweep` probes the target read-only, :mod:`.rules` turns the evidence into
findings from the catalog (:mod:`.catalog`), :mod:`.report` writes the report.
"""
from __future__ import annotations

from pathlib import Path

from .report import build, write
from .rules import Finding, RunEvidence, ScenarioOutcome, diagnose
from .sweep import run_sweep

__all__ = ["Finding", "RunEvidence", "ScenarioOutcome", "build", "diagnose", "run_sweep", "write", "diagnose_run"]


def diagnose_run(run, scenarios: list[ScenarioOutcome], reports_dir: Path) -> dict:
    """Sweep the target, diagnose the run and write the infrastructure report; returns the report as a dict."""
    settings = run.settings
    auth_url = run.stack.auth_url if run.stack is not None else settings.auth_url
    probes = run_sweep(settings.api_url, run.keys.get("valid"), prefix=run.resources.prefix, auth_url=auth_url,
                       timeout=min(settings.read_timeout, 5.0))
    observers = {}
    if run.stack is not None:
        try:
            observers["auth_rejections"] = run.stack.auth_stats().get("rejections", {})
        except Exception:  # the observer is a bonus; the diagnosis stands without it
            observers = {}
    exchanges = [e for e in run.exchanges if not e.deliberate]
    evidence = RunEvidence(probes=probes, exchanges=exchanges, scenarios=scenarios, observers=observers)
    findings = diagnose(evidence)
    report = build(evidence, findings, target=settings.api_url,
                   target_kind="embedded reference stack" if run.stack is not None else "remote deployment",
                   run_id=settings.run_id, notes=list(settings.notes))
    write(report, reports_dir)
    return report.to_dict()
