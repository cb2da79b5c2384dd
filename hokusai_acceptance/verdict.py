"""A finished run's verdict: the diagnostic sweep, the diagnosis, the status block and the infrastructure report.

This is where a run (:class:`~hokusai_acceptance.run.SuiteRun`) meets the diagnosis: it gathers the run's evidence
(the same whether the target is the embedded stack or a remote deployment), hands plain data to
:mod:`hokusai_acceptance.diagnosis`, and writes what the diagnosis found.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from . import status
from .diagnosis import EVIDENCE_FILE, RunEvidence, ScenarioOutcome, build, compare_with_last, diagnose, run_sweep, write
from .reporting import allure_environment, component_versions
from .run import SuiteRun
from .status import Verdict


def collect_evidence(run: SuiteRun, scenarios: list[ScenarioOutcome], leftovers: list[str]) -> RunEvidence:
    """Sweep the target and gather the run's evidence (the same whether the target is embedded or remote)."""
    settings = run.settings
    auth_url = settings.auth_url
    probes, identity = run_sweep(
        settings.target_url,
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
    if run.drift is not None:
        identity["contract_drift"] = run.drift
    return RunEvidence(
        probes=probes,
        exchanges=list(run.exchanges),
        scenarios=scenarios,
        identity=identity,
        client=client,
        leftovers=list(leftovers),
        marks=list(run.marks),
    )


def diagnose_run(
    run: SuiteRun,
    scenarios: list[ScenarioOutcome],
    reports_dir: Path,
    leftovers: list[str],
    not_selected: list[dict[str, Any]] | None = None,
) -> Verdict:
    """Sweep the target, diagnose the run, write the status block and the infrastructure report; returns what
    the Allure results need of them."""
    evidence = collect_evidence(run, scenarios, leftovers)
    evidence.write(reports_dir / EVIDENCE_FILE)
    diagnosis = diagnose(evidence)
    settings = run.settings
    run_status = status.build(
        target=settings.target_url,
        embedded=run.embedded,
        identity=diagnosis.identity,
        findings=diagnosis.findings,
        outcomes=scenarios,
        not_selected=not_selected or [],
        faults=run.stack.fault_names if run.stack is not None else (),
    )
    run_status.write(reports_dir)
    report = build(
        evidence,
        diagnosis,
        target=settings.target_url,
        target_kind=run_status.target_words,
        run_id=settings.run_id,
        notes=list(settings.notes) + [f"{what}: {value}" for what, value in run.measured.items()],
        status=run_status,
    )
    # only a run of the same scenarios can tell what was resolved: a smaller selection finds less, not better
    selected = hashlib.sha1("\n".join(sorted({s.name for s in scenarios})).encode()).hexdigest()[:10]
    report.changes = compare_with_last(reports_dir, f"{run_status.history_key}-{selected}", diagnosis.findings)
    write(report, reports_dir)
    data = report.to_dict()
    return Verdict(
        status=run_status,
        findings=data["findings"],
        identity=data["identity"],
        reports_dir=reports_dir,
        environment=allure_environment(run),
    )
