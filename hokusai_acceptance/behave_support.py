"""What ``environment.py`` wires into behave's hooks.

Run level: resolve the settings (a configuration error stops the run with exit
code 2 and one line), start the embedded stack when no target is configured,
clean up what the run created and stop the stack. Scenario level: a fresh world
and evidence log, skips for scenarios the target cannot support, redaction of
failure messages, and the HTTP exchanges of each step attached to the report.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

from . import allure_results, reporting
from .errors import ConfigError, StackError
from .evidence import EvidenceLog, recording, set_current
from .outages import OutageTracker, Scope
from .perf.targets import parse_budgets
from .personas import PERSONAS
from .redaction import redact
from .settings import load_settings
from .world import RegistryWorld, SuiteRun

EMBEDDED_ONLY = "embedded_only"


def register_parse_types() -> None:
    """Custom parse types the step texts use, registered once: ``{nth:Ordinal}`` ("6th" -> 6),
    ``{form:KeyForm}`` (one of the four places a key can travel) and ``{text:Quoted}`` (what stands
    between double quotes, the empty text included)."""
    import parse
    from behave import register_type

    from .client import KeyForm

    @parse.with_pattern(r"\d+(?:st|nd|rd|th)")
    def ordinal(text: str) -> int:
        return int(text[:-2])

    forms = "|".join(sorted((f.value for f in KeyForm), key=len, reverse=True))

    @parse.with_pattern(forms)
    def key_form(text: str) -> KeyForm:
        return KeyForm.parse(text)

    @parse.with_pattern(r'[^"]*')
    def quoted(text: str) -> str:
        return text

    register_type(Ordinal=ordinal, KeyForm=key_form, Quoted=quoted)


def _stop_with_usage_error(message: str) -> None:
    sys.stdout.flush()
    print(f"hokusai-acceptance: {redact(message)}", file=sys.stderr, flush=True)
    os._exit(2)  # behave would turn any exception here into a traceback and exit 1


def before_all(context) -> None:
    try:
        settings = load_settings()
        budgets = parse_budgets(dict(context.config.userdata), where="behave.ini [behave.userdata] and -D")
    except ConfigError as exc:
        _stop_with_usage_error(f"configuration error: {exc}")
        return
    for note in settings.notes:
        print(f"hokusai-acceptance: note: {note}", file=sys.stderr)
    stack = None
    if settings.embedded:
        from .stack.launcher import EmbeddedStack, StackOptions

        print("hokusai-acceptance: starting the embedded reference stack ...", file=sys.stderr, flush=True)
        faults = tuple(f.strip() for f in os.environ.get("HOKUSAI_STACK_FAULTS", "").split(",") if f.strip())
        try:
            options = StackOptions(faults=faults)
            stack = EmbeddedStack(options, base_dir=None)
        except ValueError as exc:
            _stop_with_usage_error(f"configuration error: HOKUSAI_STACK_FAULTS: {exc}")
            return
        if faults:
            print(f"hokusai-acceptance: injecting field fault(s): {', '.join(faults)}", file=sys.stderr)
        try:
            stack.start()
        except StackError as exc:
            print(f"hokusai-acceptance: the embedded stack did not start: {exc}", file=sys.stderr, flush=True)
            raise
        print(
            f"hokusai-acceptance: embedded stack ready in {stack.start_seconds:.1f} s at {stack.url}",
            file=sys.stderr,
            flush=True,
        )
        issued = {p.role: getattr(stack.keys, p.stack_key, None) for p in PERSONAS}
        settings = settings.with_target(
            stack.url, {role: key for role, key in issued.items() if key}, auth_url=stack.auth_url
        )
    keys: dict[str, str | None] = dict(settings.keys)
    outages = OutageTracker(settings.target_url).install()
    context.suite_run = SuiteRun(settings=settings, keys=keys, stack=stack, budgets=budgets, outages=outages)
    context.suite_started = time.time()
    log = EvidenceLog(scenario="preflight")
    with recording(log):
        down = preflight(settings)
    context.suite_run.exchanges.extend(log.snapshot())
    if down:
        silent = [e.summary() for e in log.snapshot() if e.status is None]
        outages.pin(Scope.TARGET, "the target", "did not answer before the first scenario", silent or [down])
        print(
            f"hokusai-acceptance: the target is not answering ({down}); every check will fail fast instead of waiting",
            file=sys.stderr,
            flush=True,
        )
    install_interrupt_handlers(context.suite_run)
    if _selected(context, {"registration", "writes"}):
        # the developer's interpreter imports MLflow for seconds: let it do so while the first scenarios run
        from . import zygote

        threading.Thread(target=zygote.shared().warm, name="developer-interpreter", daemon=True).start()
    context.suite_run.phase = "scenarios"


def _selected(context, tags: set[str]) -> bool:
    """Whether a scenario carrying all of ``tags`` is in this run's selection."""
    expression = context.config.tag_expression
    for feature in getattr(context._runner, "features", []):
        for scenario in feature.walk_scenarios():
            effective = set(scenario.effective_tags)
            if tags <= effective and expression.check(effective):
                return True
    return False


def preflight(settings) -> str | None:
    """A bounded look at the target before any scenario: None when it answers at all. The look is a keyless
    registry call, which a working API refuses at once; /health is not used, because it checks dependencies
    and some deployments stall while it does."""
    from .client import HokusaiClient
    from .errors import InfrastructureError
    from .routes import PROXIED_SEARCH

    client = HokusaiClient(
        settings.api_url, connect_timeout=settings.connect_timeout, read_timeout=min(settings.read_timeout, 8.0)
    )
    try:
        client.get(PROXIED_SEARCH)
    except InfrastructureError as exc:
        try:  # one more look, at a path without dependencies, before calling the target down
            client.get("/health/alb")
        except InfrastructureError:
            return redact(str(exc))
    finally:
        client.close()
    return None


FUZZ = "fuzz"
NOT_ASKED_FOR_FUZZ = (
    "requests generated from the contract run only when asked for by name (--tags=@fuzz, make fuzz): "
    "they take minutes and hundreds of calls with the key"
)


def asked_for(expression, tag: str, tags: set[str]) -> bool:
    """Whether the run's tag selection asks for ``tag`` itself for a scenario with ``tags``: the scenario is
    selected, and would not be without the tag (``--tags=@fuzz`` does; ``--tags=@readonly`` does not)."""
    return bool(expression.check(tags)) and not expression.check(tags - {tag})


def before_scenario(context, scenario) -> None:
    run: SuiteRun = context.suite_run
    if EMBEDDED_ONLY in scenario.effective_tags and run.stack is None:
        scenario.skip(
            reason="needs the embedded reference stack (fault injection or stack inspection); "
            "the configured target is not the embedded stack"
        )
        return
    tags = {str(t) for t in scenario.effective_tags}
    if FUZZ in tags and not asked_for(context.config.tag_expression, FUZZ, tags):
        scenario.skip(reason=NOT_ASKED_FOR_FUZZ)
        return
    context.world = RegistryWorld(run, skip=scenario.skip, scenario=scenario.name)
    context.world_exchange_mark = 0
    context.world_note_mark = 0
    set_current(context.world.evidence)


def after_step(context, step) -> None:
    world: RegistryWorld | None = getattr(context, "world", None)
    if step.status == "failed" or getattr(step, "exception", None) is not None:
        reporting.redact_step_failure(step)
    if world is None:
        return
    new = world.evidence.exchanges[context.world_exchange_mark :]
    context.world_exchange_mark = len(world.evidence.exchanges)
    if new:
        reporting.attach_exchanges(new)
    notes = world.notes[context.world_note_mark :]
    context.world_note_mark = len(world.notes)
    if notes:
        reporting.attach_notes(notes)


def after_scenario(context) -> None:
    world: RegistryWorld | None = getattr(context, "world", None)
    set_current(None)
    if world is not None:
        context.suite_run.exchanges.extend(world.evidence.exchanges)
        context.suite_run.marks.extend(world.evidence.marks)
        world.close()
        context.world = None


def scenario_outcomes(context) -> tuple[list, list[dict]]:
    """Every scenario that ran or was skipped with a reason, and those the tag selection left out."""
    from .diagnosis import ScenarioOutcome

    outcomes, not_selected = [], []
    given = [str(t) for t in (getattr(context.config, "tags", None) or []) if str(t).strip()]
    selection = " and ".join(f"({t})" if " " in t and len(given) > 1 else t for t in given) or "the default selection"
    for feature in getattr(context._runner, "features", []):
        for scenario in feature.walk_scenarios():
            status = scenario.status.name if hasattr(scenario.status, "name") else str(scenario.status)
            tags = [str(t) for t in scenario.effective_tags]
            if status == "untested" or (status == "skipped" and not scenario.skip_reason):
                # excluded by the tag selection, not skipped by the suite
                not_selected.append({"name": scenario.name, "tags": tags, "selection": selection})
                continue
            message = f"Skipped: {redact(scenario.skip_reason)}" if status == "skipped" else ""
            error_type = ""
            failing = next(
                (s for s in scenario.all_steps if getattr(s.status, "name", "") in ("failed", "error")), None
            )
            if failing is not None:
                exc = failing.exception
                if exc is not None and not isinstance(exc, AssertionError):
                    status = "broken"
                error_type = type(exc).__name__ if exc is not None else ""
                message = redact(f"{type(exc).__name__}: {exc}" if exc is not None else failing.error_message or "")
            elif status in ("error", "hook_error"):
                status = "broken"
            outcomes.append(
                ScenarioOutcome(
                    feature=feature.name,
                    name=scenario.name,
                    status=status,
                    message=message,
                    tags=tags,
                    location=allure_results.scenario_key(scenario),
                    error_type=error_type,
                )
            )
    return outcomes, not_selected


def _diagnose(context, run: SuiteRun, reports_dir: Path, leftovers: list[str]) -> None:
    from .verdict import diagnose_run

    try:
        outcomes, not_selected = scenario_outcomes(context)
        verdict = diagnose_run(run, outcomes, reports_dir, leftovers, not_selected)
    except Exception as exc:  # never lose the run's verdict because the report failed
        print(f"hokusai-acceptance: the infrastructure report could not be written: {redact(exc)}", file=sys.stderr)
        return
    allure_results.hand_over(context.config, verdict)  # the Allure formatter completes its results with it
    print("", file=sys.stderr)
    for line in verdict.status.lines():
        print(f"hokusai-acceptance: {line}", file=sys.stderr)
    print(f"hokusai-acceptance: infrastructure report: {reports_dir / 'infrastructure-report.html'}", file=sys.stderr)


def install_interrupt_handlers(run: SuiteRun) -> None:
    """Ctrl-C (SIGINT) and SIGTERM (what CI sends on cancel) end the run the same way: while scenarios run, the
    run is aborted; the cleanup of the run's registry entries always completes; the exit code is non-zero.
    Installed explicitly, so an inherited "ignore SIGINT" (nohup, some CI runners) does not swallow Ctrl-C."""

    def handle(signum, _frame):  # pragma: no cover - exercised by the integration tests
        run.interrupted = signum
        print(
            f"hokusai-acceptance: {signal.Signals(signum).name} received during {run.phase}: "
            f"{'cleaning up, then stopping' if run.phase != 'done' else 'stopping'}",
            file=sys.stderr,
            flush=True,
        )
        if run.phase == "scenarios":
            raise KeyboardInterrupt  # behave aborts the run; after_all still cleans up
        if run.phase == "done":
            os._exit(128 + signum)  # everything is cleaned up and written already
        # "finishing": the cleanup is under way; it completes, then the run ends non-zero

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, handle)


def _hold_before_cleanup(reports_dir: Path) -> None:
    """For the tests of interrupts: announce the start of the cleanup and hold it for a moment, so a test can
    interrupt the run exactly there (``HOKUSAI_HOLD_BEFORE_CLEANUP=<seconds>``; never set in normal runs)."""
    seconds = float(os.environ.get("HOKUSAI_HOLD_BEFORE_CLEANUP", "0") or 0)
    if seconds > 0:
        reports_dir.mkdir(parents=True, exist_ok=True)
        (reports_dir / ".cleanup-starting").write_text(str(os.getpid()))
        deadline = time.monotonic() + min(seconds, 30)
        while time.monotonic() < deadline:
            time.sleep(0.05)


def after_all(context) -> None:
    run: SuiteRun | None = getattr(context, "suite_run", None)
    if run is None:
        return
    run.phase = "finishing"
    reports_dir = Path(os.environ.get("HOKUSAI_REPORTS_DIR", "reports"))
    from .zygote import stop_shared

    stop_shared()  # no developer's registration may go on writing once the cleanup starts
    _hold_before_cleanup(reports_dir)
    reporting.write_run_info(run, time.time() - getattr(context, "suite_started", time.time()), reports_dir)
    try:
        # cleanup first: what it could not remove, and why, is evidence for the diagnosis
        log = EvidenceLog(scenario="cleanup")
        log.actor = "valid"
        with recording(log):
            leftovers = run.cleanup()
        run.exchanges.extend(log.snapshot())
        for item in leftovers:
            print(f"hokusai-acceptance: cleanup could not remove {item}", file=sys.stderr)
        _diagnose(context, run, reports_dir, leftovers)
    finally:
        if run.outages is not None:
            run.outages.uninstall()
        if run.stack is not None:
            run.stack.stop()
        if run.interrupted:
            print(
                f"hokusai-acceptance: interrupted by {signal.Signals(run.interrupted).name}; the run's entries "
                f"were cleaned up",
                file=sys.stderr,
                flush=True,
            )
            # behave's own abort (the run exits 1); it prints nothing when behave has already aborted the run
            context.abort("interrupted")
        run.phase = "done"
