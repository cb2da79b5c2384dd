"""Root-cause diagnosis and the infrastructure report.

:mod:`.sweep` probes the target read-only; :mod:`hokusai_acceptance.classify` tells who answered each call;
:mod:`.facts` states what the evidence shows; :mod:`.engine` turns facts into findings
(catalog entries in :mod:`.catalog`, or a localisation when none fits); :mod:`.target`
says what the target is; :mod:`.report` writes the report. Nothing here reads the
embedded stack's internals, nor the text of a step's assertion: a remote run has exactly the same
evidence, and a step says what it established with a typed mark (:mod:`hokusai_acceptance.evidence`).
"""

from __future__ import annotations

from .engine import Diagnosis, Finding, diagnose
from .evidence import RunEvidence, ScenarioOutcome
from .report import build, compare_with_last, write
from .sweep import run_sweep

__all__ = [
    "EVIDENCE_FILE",
    "Diagnosis",
    "Finding",
    "RunEvidence",
    "ScenarioOutcome",
    "build",
    "compare_with_last",
    "diagnose",
    "run_sweep",
    "write",
]

EVIDENCE_FILE = "diagnosis-evidence.json"
