"""Build the Allure HTML report from ``allure-results`` and keep it on the machine.

Allure 3 writes a Google Analytics tag into every report it generates and, unlike Allure 2, has no
switch to leave it out (allure-framework/allure3#476). Opened by a person, or by the browser checks
with no network, the page would try to reach www.googletagmanager.com. The tag and its inline
``gtag`` set-up are removed after generation, and a report that still names an outside address is
an error.

Usage: ``python -m hokusai_acceptance.allure_html REPORTS_DIR [--config allurerc.mjs]`` (exit 0, or 1
when the report could not be built or cleaned; ``allure generate``'s output goes to
``REPORTS_DIR/allure-generate.log``).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

from .paths import ALLURE
from .paths import PROJECT_ROOT as ROOT

#: the external tag loader, then the inline script that sets up ``dataLayer``/``gtag``
ANALYTICS = re.compile(
    r"<script[^>]*\bsrc=\"https://www\.googletagmanager\.com/[^\"]*\"[^>]*>\s*</script>"
    r"(\s*<script>\s*window\.dataLayer\b.*?</script>)?",
    re.DOTALL,
)
OUTSIDE = re.compile(r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)=\"(?:https?:)?//", re.IGNORECASE)


def strip_analytics(html: str) -> str:
    """The report without the analytics tag; everything else unchanged."""
    return ANALYTICS.sub("", html)


def outside_references(html: str) -> list[str]:
    """Tags that would load something from another machine."""
    return [match.group(0)[:160] for match in OUTSIDE.finditer(html)]


def clean_report(report_dir: Path) -> list[str]:
    """Strip analytics from every HTML page of a generated report; the problems left, if any."""
    problems = []
    pages = sorted(report_dir.rglob("*.html"))
    if not pages:
        return [f"no HTML page in {report_dir}"]
    for page in pages:
        html = page.read_text(encoding="utf-8")
        cleaned = strip_analytics(html)
        if cleaned != html:
            page.write_text(cleaned, encoding="utf-8")
        problems += [f"{page.name}: {tag}" for tag in outside_references(cleaned)]
    return problems


def generate(reports: Path, config: Path, timeout: float = 300.0) -> int:
    reports = reports.resolve()  # the config's own paths (run info, history) are relative to its parent
    results, report = reports / "allure-results", reports / "allure-report"
    log = reports / "allure-generate.log"
    try:
        with open(log, "w") as out:
            proc = subprocess.run(
                [str(ALLURE), "generate", str(results), "--config", str(config), "--output", str(report)],
                cwd=reports.parent,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                check=False,
            )
    except (OSError, subprocess.TimeoutExpired) as exc:
        print(f"allure generate could not run: {exc}", file=sys.stderr)
        return 1
    if proc.returncode != 0:
        print(f"allure generate failed (exit {proc.returncode}); see {log}", file=sys.stderr)
        return 1
    problems = clean_report(report)
    if problems:
        print("the Allure report would load from outside this machine:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m hokusai_acceptance.allure_html", description=__doc__.split("\n")[0]
    )
    parser.add_argument("reports", type=Path)
    parser.add_argument("--config", type=Path, default=ROOT / "allurerc.mjs")
    args = parser.parse_args(argv)
    return generate(args.reports, args.config.resolve())


if __name__ == "__main__":
    sys.exit(main())
