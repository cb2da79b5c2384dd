"""Post-run step of ``make report``: prove the outputs hold no secret, and print the verdict.

Usage: ``python -m hokusai_acceptance.finish_report [reports-dir]``. Every output is redacted when it is
written (the Allure formatter redacts each result as data, attachments and reports are redacted before
they are written); this step checks that, over every text file under the reports directory. Anything
shaped like a credential that is still there is masked in place, named on stderr, and the exit code is 1:
a leak is a defect of the suite, never a quiet fix-up. Exit code 0 when the outputs exist and are clean.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from . import status
from .errors import ConfigError
from .redaction import find_leaks, redact, register_secret
from .settings import load_settings

#: files larger than this are data (a model, a recorded body), not text anyone reads
LARGEST_TEXT = 20 * 1024 * 1024


def configured_keys() -> list[str]:
    """The keys this run was configured with (environment and .env), whatever their shape: a key Hokusai did not
    shape like its own is found only by its value."""
    try:
        return [key for key in load_settings(interactive=False).keys.values() if key]
    except ConfigError:  # an embedded-stack run: its keys died with it, and every one of them is key-shaped
        return []


def leaks(root: Path) -> list[Path]:
    """Text files under ``root`` in which a configured key (in any spelling) or something shaped like a credential
    is not masked; each is masked."""
    keys = configured_keys()
    for key in keys:
        register_secret(key)
    found = []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.stat().st_size > LARGEST_TEXT:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        clean = redact(text)
        if clean != text or find_leaks(text, keys):
            path.write_text(clean, encoding="utf-8")
            found.append(path)
    return found


def junit_totals(junit_dir: Path) -> dict[str, int]:
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for path in sorted(junit_dir.glob("*.xml")):
        root = ET.parse(path).getroot()
        suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
        for suite in suites:
            for name in totals:
                totals[name] += int(suite.get(name, 0) or 0)
    return totals


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    reports = Path(args[0] if args else "reports")
    if not (reports / "allure-results").is_dir():
        print(f"finish_report: {reports}/allure-results does not exist: the suite produced no results", file=sys.stderr)
        return 1
    leaked = leaks(reports)
    for path in leaked:
        print(
            f"finish_report: credential-shaped text was written to {path} (now masked): a redaction defect",
            file=sys.stderr,
        )
    run_status = status.read(reports)
    if run_status is not None:
        for line in run_status.lines():
            print(line)
    elif (reports / "junit").is_dir():  # the run ended before its status block was written
        totals = junit_totals(reports / "junit")
        passed = totals["tests"] - totals["failures"] - totals["errors"] - totals["skipped"]
        print(
            f"scenarios: {passed} passed, {totals['failures']} failed, {totals['errors']} broken, "
            f"{totals['skipped']} skipped (the run did not finish: no status block)"
        )
    return 1 if leaked else 0


if __name__ == "__main__":
    sys.exit(main())
