"""Report extras: Allure attachments and environment, redaction of failures,
and a final scrub of everything written under ``reports/``."""

from __future__ import annotations

import platform
from collections.abc import Iterable
from pathlib import Path

from .exchange import Exchange
from .redaction import redact
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
        try:
            exc.args = tuple(redact(a) if isinstance(a, str) else a for a in exc.args) or (redact(str(exc)),)
        except (AttributeError, TypeError):
            pass
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


def write_allure_environment(run, results_dir: Path | None) -> None:
    if results_dir is None:
        return
    results_dir.mkdir(parents=True, exist_ok=True)
    settings = run.settings
    props = {
        "target": settings.api_url,
        "tracking_uri": settings.tracking_uri,
        "target_kind": "local reference stack (a test copy on this machine)"
        if run.stack is not None
        else "deployment on this machine"
        if is_loopback(settings.api_url)
        else "remote deployment",
        "run_id": settings.run_id,
        **{f"client.{k}": v for k, v in component_versions().items()},
    }
    if run.stack is not None:
        props["stack.profile"] = run.stack.options.profile
        props["stack.start_seconds"] = f"{run.stack.start_seconds:.1f}"
    lines = [f"{k}={redact(v)}" for k, v in props.items()]
    (results_dir / "environment.properties").write_text("\n".join(lines) + "\n")


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


def write_skip_reasons(reasons: list[dict], reports_dir: Path) -> None:
    import json

    reports_dir.mkdir(parents=True, exist_ok=True)
    (reports_dir / "skip-reasons.json").write_text(json.dumps(reasons, indent=2))


def apply_skip_reasons(reports_dir: Path) -> int:
    """Say why each scenario that did not run did not run, in its description (allure-behave drops the reason,
    and a message would show as an error box): skipped by the suite with its reason, or not selected."""
    import json

    from .status import NOT_SELECTED_FUZZ, NOT_SELECTED_PERFORMANCE

    source = reports_dir / "skip-reasons.json"
    reasons = {
        (r["feature"], r["scenario"]): r["reason"] for r in (json.loads(source.read_text()) if source.is_file() else [])
    }
    patched = 0
    for path in (reports_dir / "allure-results").glob("*-result.json"):
        data = json.loads(path.read_text())
        if data.get("status") != "skipped" or data.get("fullName", "").startswith("hokusai."):
            continue
        labels = data.get("labels", [])
        feature = next((label["value"] for label in labels if label.get("name") == "feature"), None)
        tags = {label["value"] for label in labels if label.get("name") == "tag"}
        reason = reasons.get((feature, data.get("name")))
        if reason:
            why = f"Not run: skipped by the suite: {reason}."
        elif "performance" in tags:
            why = f"Not run: not selected: performance scenarios {NOT_SELECTED_PERFORMANCE}."
        elif "fuzz" in tags:
            why = f"Not run: not selected: {NOT_SELECTED_FUZZ}."
        else:
            why = "Not run: not selected: outside this run's tag selection."
        data["description"] = why
        data.pop("statusDetails", None)
        path.write_text(json.dumps(data))
        patched += 1
    return patched


def scrub_tree(root: Path) -> int:
    """Redact every text file under ``root`` in place; returns how many files changed."""
    changed = 0
    for path in root.rglob("*"):
        if not path.is_file() or path.stat().st_size > 20 * 1024 * 1024:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        clean = redact(text)
        if clean != text:
            path.write_text(clean, encoding="utf-8")
            changed += 1
    return changed


def attach_text(name: str, text: str) -> None:
    allure = _allure()
    if allure is None:
        return
    allure.attach(redact(text), name=name, attachment_type=allure.attachment_type.TEXT)
