"""Recorded field evidence: store a run's evidence as a regression fixture, and diagnose it again.

A run writes ``reports/diagnosis-evidence.json``. Recording it keeps that evidence (never
any code of the target) gzip-compressed under ``tests/fixtures/evidence/<case>.json.gz``
with a line in ``expected.json``: the findings that are true of that run, written by the
person who broke the target (from what they broke, not from what the diagnosis said). The
tests replay every fixture through the diagnosis and compare.

Usage::

    python -m hokusai_acceptance.diagnosis.replay record <case> "<what was broken>" <true-finding,...> [evidence.json]
    python -m hokusai_acceptance.diagnosis.replay show <case-or-file>
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path
from typing import Any

from ..paths import EVIDENCE_FIXTURES
from ..redaction import redact
from .engine import diagnose
from .evidence import RunEvidence

FIXTURES = EVIDENCE_FIXTURES
EXPECTED = FIXTURES / "expected.json"


def fixture_path(case: str) -> Path:
    return FIXTURES / f"{case}.json.gz"


def load(case_or_path: str) -> RunEvidence:
    path = Path(case_or_path)
    if not path.exists():
        path = fixture_path(case_or_path)
    raw = path.read_bytes()
    data = json.loads(gzip.decompress(raw) if path.suffix == ".gz" else raw)
    return RunEvidence.from_dict(data)


def expectations() -> dict[str, Any]:
    return json.loads(EXPECTED.read_text()) if EXPECTED.exists() else {}


def record(case: str, what: str, true_findings: list[str], source: Path) -> Path:
    evidence = RunEvidence.read(source)
    FIXTURES.mkdir(parents=True, exist_ok=True)
    payload = redact(json.dumps(evidence.to_dict(), separators=(",", ":"))).encode()
    target = fixture_path(case)
    target.write_bytes(gzip.compress(payload, mtime=0))
    table = expectations()
    table[case] = {"what": what, "findings": sorted(true_findings)}
    EXPECTED.write_text(json.dumps(dict(sorted(table.items())), indent=2) + "\n")
    return target


def show(case_or_path: str) -> str:
    diagnosis = diagnose(load(case_or_path))
    lines = [
        f"{diagnosis.identity.generation_line()}; API {diagnosis.identity.api_version}, MLflow "
        f"{diagnosis.identity.mlflow_server_version}"
    ]
    for f in diagnosis.findings:
        extra = f" (also fits: {', '.join(f.alternatives)})" if f.alternatives else ""
        lines.append(f"  {f.id} [{f.confidence}] {f.title}{extra}; explains {len(set(f.explains))} scenario(s)")
    for r in diagnosis.ruled_out:
        lines.append(f"  ruled out {r.id}: {r.because[:140]}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hokusai-diagnosis", description=(__doc__ or "").split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    keep = commands.add_parser("record", help="keep a run's evidence as a fixture, with its true findings")
    keep.add_argument("case")
    keep.add_argument("what", help="what was broken, in words")
    keep.add_argument("findings", help="the true findings, comma-separated ('a|b' for causes no client can tell apart)")
    keep.add_argument("evidence", nargs="?", type=Path, default=Path("reports") / "diagnosis-evidence.json")
    again = commands.add_parser("show", help="diagnose a fixture or an evidence file again")
    again.add_argument("case_or_path")
    args = parser.parse_args(argv)
    if args.command == "record":
        print(record(args.case, args.what, [x for x in args.findings.split(",") if x], args.evidence))
        print(show(args.case))
    else:
        print(show(args.case_or_path))
    return 0


if __name__ == "__main__":
    sys.exit(main())
