"""Report extras: Allure attachments and environment, redaction of failures,
and a final scrub of everything written under ``reports/``."""

from __future__ import annotations

import contextlib
import platform
from collections.abc import Iterable
from pathlib import Path

from .exchange import Exchange
from .redaction import redact
from .run import SuiteRun
from .settings import is_loopback


def _allure():
    try:
        import allure

        return allure
    except ImportError:  # pragma: no cover - allure-behave is a pinned dependency
        return None


def attach_exchanges(exchanges: Iterable[Exchange]) -> None:
    allure = _allure()
    if allure is None:
        return
    exchanges = list(exchanges)
    text = "\n\n".join(f"--- exchange {i + 1} of {len(exchanges)} ---\n{e.as_text()}" for i, e in enumerate(exchanges))
    title = f"HTTP: {exchanges[0].method} {exchanges[0].url.split('?')[0].split('/', 3)[-1]}"
    if len(exchanges) > 1:
        title += f" (+{len(exchanges) - 1} more)"
    allure.attach(redact(text), name=title, attachment_type=allure.attachment_type.TEXT)


def attach_notes(notes: list[str]) -> None:
    allure = _allure()
    if allure is None:
        return
    allure.attach(redact("\n".join(notes)), name="Observed", attachment_type=allure.attachment_type.TEXT)


def redact_step_failure(step) -> None:
    """Mask secrets in a failed step's message before any formatter sees it."""
    exc = getattr(step, "exception", None)
    if exc is not None:
        with contextlib.suppress(AttributeError, TypeError):
            exc.args = tuple(redact(a) if isinstance(a, str) else a for a in exc.args) or (redact(str(exc)),)
    if getattr(step, "error_message", None):
        step.error_message = redact(step.error_message)


def component_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for module in ("mlflow", "sklearn", "behave"):
        try:
            versions[module] = __import__(module).__version__
        except Exception:  # pragma: no cover - informative only
            versions[module] = "unknown"
    return versions


def allure_environment(run: SuiteRun) -> dict[str, str]:
    """What ran against what: the environment block of the Allure overview."""
    settings = run.settings
    props = {
        "target": settings.target_url,
        "tracking_uri": settings.tracking_uri,
        "target_kind": "local reference stack (a test copy on this machine)"
        if run.stack is not None
        else "deployment on this machine"
        if is_loopback(settings.target_url)
        else "remote deployment",
        "run_id": settings.run_id,
        **{f"client.{k}": v for k, v in component_versions().items()},
    }
    if run.stack is not None:
        props["stack.profile"] = run.stack.profile
        props["stack.start_seconds"] = f"{run.stack.start_seconds:.1f}"
    return props


def write_run_info(run, seconds: float, reports_dir: Path) -> None:
    """Facts about the run shown in the Allure report header (read by allurerc.mjs)."""
    import json

    reports_dir.mkdir(parents=True, exist_ok=True)
    info = {
        "Target": run.settings.api_url or "",
        "Run id": run.settings.run_id,
        "Suite seconds": f"{seconds:.1f}",
        "MLflow client": component_versions().get("mlflow", ""),
    }
    (reports_dir / "run-info.json").write_text(redact(json.dumps(info, indent=2)))


def attach_text(name: str, text: str) -> None:
    allure = _allure()
    if allure is None:
        return
    allure.attach(redact(text), name=name, attachment_type=allure.attachment_type.TEXT)
