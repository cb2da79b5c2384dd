"""Post-run step of ``make report``: scrub the outputs and summarise the verdict.

Usage: ``python -m hokusai_acceptance.finish_report [reports-dir]``. Exit code 0
when the outputs were produced and contain no secrets, 1 otherwise.
"""
from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

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


def tidy_allure_labels(results_dir: Path) -> None:
    """Gherkin tags cannot hold spaces: show ``Model_registration`` as ``Model registration``."""
    for path in results_dir.glob("*-result.json"):
        data = json.loads(path.read_text())
        changed = False
        for label in data.get("labels", []):
            if label.get("name") in ("epic", "story") and "_" in label.get("value", ""):
                label["value"] = label["value"].replace("_", " ")
                changed = True
        if changed:
            path.write_text(json.dumps(data))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    reports = Path(args[0] if args else "reports")
    if not (reports / "allure-results").is_dir():
        print(f"finish_report: {reports}/allure-results does not exist: the suite produced no results",
              file=sys.stderr)
        return 1
    tidy_allure_labels(reports / "allure-results")
    apply_skip_reasons(reports)
    scrubbed = scrub_tree(reports)
    if scrubbed:
        print(f"finish_report: masked credential-shaped text in {scrubbed} output file(s)", file=sys.stderr)
    totals = junit_totals(reports / "junit") if (reports / "junit").is_dir() else None
    if totals:
        passed = totals["tests"] - totals["failures"] - totals["errors"] - totals["skipped"]
        print(f"scenarios: {passed} passed, {totals['failures']} failed, {totals['errors']} broken, "
              f"{totals['skipped']} skipped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
