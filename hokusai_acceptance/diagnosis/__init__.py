"""Root-cause diagnosis and the infrastructure report.

:mod:`.sweep` probes the target read-only; :mod:`.answers` tells who answered each call;
:mod:`.facts` states what the evidence shows; :mod:`.engine` turns facts into findings
(catalog entries in :mod:`.catalog`, or a localisation when none fits); :mod:`.target`
says what the target is; :mod:`.report` writes the report. Nothing here reads the
embedded stack's internals: a remote run has exactly the same evidence.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from .engine import Diagnosis, Finding, diagnose
from .evidence import RunEvidence, ScenarioOutcome
from .report import build, compare_with_last, write
from .sweep import run_sweep

__all__ = [
    "Diagnosis",
    "Finding",
    "RunEvidence",
    "ScenarioOutcome",
    "build",
    "diagnose",
    "run_sweep",
    "write",
    "diagnose_run",
    "EVIDENCE_FILE",
]

EVIDENCE_FILE = "diagnosis-evidence.json"


def collect_evidence(run, scenarios: list[ScenarioOutcome], leftovers: list[str]) -> RunEvidence:
    """Sweep the target and gather the run's evidence (the same whether the target is embedded or remote)."""
    from ..reporting import component_versions

    settings = run.settings
    auth_url = run.stack.auth_url if run.stack is not None else settings.auth_url
    probes, identity = run_sweep(
        settings.api_url,
        run.keys.get("valid"),
        prefix=run.resources.prefix,
        auth_url=auth_url,
        timeout=min(settings.read_timeout, 8.0),
    )
    client = {
        "mlflow": component_versions().get("mlflow", ""),
        "auth_url_given": bool(auth_url),
        "expected_version": settings.expected_version,
        "expected_commit": settings.expected_commit,
        "pins": [pin.describe() for pin in run.outages.pinned()] if run.outages is not None else [],
    }
    if getattr(run, "drift", None) is not None:
        identity["contract_drift"] = run.drift
    return RunEvidence(
        probes=probes,
        exchanges=list(run.exchanges),
        scenarios=scenarios,
        identity=identity,
        client=client,
        leftovers=list(leftovers),
    )


def diagnose_run(
    run,
    scenarios: list[ScenarioOutcome],
    reports_dir: Path,
    leftovers: list[str],
    not_selected: list[dict] | None = None,
) -> dict:
    """Sweep the target, diagnose the run, write the status block and the infrastructure report; returns the
    report as a dict (with the status block's lines)."""
    from .. import status

    evidence = collect_evidence(run, scenarios, leftovers)
    evidence.write(reports_dir / EVIDENCE_FILE)
    diagnosis = diagnose(evidence)
    settings = run.settings
    run_status = status.build(
        target=settings.api_url,
        embedded=run.stack is not None,
        identity=diagnosis.identity,
        findings=diagnosis.findings,
        outcomes=scenarios,
        not_selected=not_selected or [],
        faults=tuple(f.value for f in run.stack.start_faults) if run.stack is not None else (),
    )
    run_status.write(reports_dir)
    report = build(
        evidence,
        diagnosis,
        target=settings.api_url,
        target_kind=run_status.target_words,
        run_id=settings.run_id,
        notes=list(settings.notes) + [f"{what}: {value}" for what, value in run.measured.items()],
        status=run_status,
    )
    # only a run of the same scenarios can tell what was resolved: a smaller selection finds less, not better
    selected = hashlib.sha1("\n".join(sorted({s.name for s in scenarios})).encode()).hexdigest()[:10]
    report.changes = compare_with_last(reports_dir, f"{run_status.history_key}-{selected}", diagnosis.findings)
    write(report, reports_dir)
    return {**report.to_dict(), "status_lines": run_status.lines()}
