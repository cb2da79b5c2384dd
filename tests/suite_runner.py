"""Run behave as a user would (behave.ini included), in a scratch directory with its own reports/."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BEHAVE_FILES = ("features", "steps", "environment.py", "behave.ini")


def link_project(workdir: Path, extra: tuple[str, ...] = ()) -> None:
    """Make ``workdir`` look like the project to behave, with reports/ and .env of its own."""
    workdir.mkdir(parents=True, exist_ok=True)
    for name in BEHAVE_FILES + extra:
        link = workdir / name
        if not link.exists():
            link.symlink_to(ROOT / name)


def run_behave(args, workdir: Path, env_extra=None, timeout=600, background=False, ignore_sigint=False):
    link_project(workdir)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOKUSAI_", "PYTEST_"))}
    env.update(CI="true", **(env_extra or {}))
    command = [sys.executable, "-m", "behave", *args]
    if ignore_sigint:  # start the run the way a parent that ignores SIGINT does: the child inherits it
        command = ["sh", "-c", 'trap \'\' INT; exec "$0" "$@"', *command]
    if background:
        return subprocess.Popen(
            command,
            cwd=workdir,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            stdin=subprocess.DEVNULL,
        )
    started = time.monotonic()
    proc = subprocess.run(
        command, cwd=workdir, env=env, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
    )
    return proc, time.monotonic() - started


def finish_report(workdir: Path):
    return subprocess.run(
        [sys.executable, "-m", "hokusai_acceptance.finish_report", str(workdir / "reports")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def everything_written(workdir: Path) -> str:
    reports = workdir / "reports"
    return "".join(p.read_text(errors="replace") for p in reports.rglob("*") if p.is_file())


def allure_results(workdir: Path, *, scenarios_only: bool = True) -> list[dict]:
    """The Allure results a run wrote; by default only the scenarios' (not the run status, findings, benchmark)."""
    found = [json.loads(p.read_text()) for p in (workdir / "reports" / "allure-results").glob("*-result.json")]
    return [r for r in found if not (scenarios_only and r.get("fullName", "").startswith("hokusai."))]
