"""``make monitor``: keep watching a target, and say when something broke or recovered.

Every ``--interval`` minutes a cycle runs a tag selection (default ``@smoke and @readonly``) exactly as
``make report`` does: behave with the run's settings, redaction and bounded timeouts, then the reports.
Each cycle's reports join the Allure history of the target (its trend shows when a scenario or
finding appeared) and the infrastructure report's "Changed since the last run" section. The outcome
is exposed as Prometheus metrics, with the official ``prometheus-client``: an HTTP ``/metrics`` endpoint
(127.0.0.1 unless ``--listen`` names another address) and, with ``--textfile``, the text-file format a
node exporter's textfile collector reads. A finding that appears or resolves is posted as JSON to
``--webhook`` (the key is never in it). The monitor stops after ``--cycles`` cycles, or on Ctrl-C/SIGTERM.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import requests
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info, start_http_server, write_to_textfile

from .diagnosis.catalog import CATALOG
from .errors import ConfigError
from .paths import PROJECT_ROOT
from .redaction import redact

DEFAULT_SELECTION = "@smoke and @readonly"
#: a cycle that takes longer is stopped (the selection is short; a hung target is reported, not waited for)
CYCLE_TIMEOUT = 20 * 60
WEBHOOK_TIMEOUT = 5.0
#: what a cycle's reports are read from; removed before each cycle
CYCLE_FILES = ("infrastructure-report.json", "diagnosis-evidence.json", "status.json")
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


@dataclass
class Cycle:
    number: int
    started: float
    seconds: float
    exit_code: int
    verdict: str = ""
    scenarios: list[dict] = field(default_factory=list)  # name, feature, status, seconds
    findings: dict[str, dict] = field(default_factory=dict)  # id -> title, severity, owner
    version: str = ""
    commit: str = ""
    latencies: list[tuple[str, str, float]] = field(default_factory=list)  # method, endpoint, seconds

    @property
    def complete(self) -> bool:
        """The cycle ran to its report (a crash, a configuration error or an interruption leaves none)."""
        return self.exit_code in (0, 1) and self.verdict != "no report"

    @property
    def green(self) -> bool:
        return (
            self.exit_code == 0
            and not self.findings
            and all(s["status"] in ("passed", "skipped") for s in self.scenarios)
        )


#: the API's own paths a call may be labelled with; anything else is "other" (labels never carry names or ids)
OWN_PATHS = (
    "/health",
    "/health/alb",
    "/health/mlflow",
    "/api/health/mlflow",
    "/",
    "/ready",
    "/live",
    "/version",
    "/metrics",
    "/openapi.json",
    "/docs",
)


def endpoint_of(route: str) -> str:
    """A bounded label for a registry call: the MLflow endpoint or one of the API's own paths."""
    if "/api/2.0/mlflow-artifacts/" in route:
        return "mlflow-artifacts/artifacts"
    for marker in ("/api/2.0/mlflow/", "/api/3.0/mlflow/"):
        if marker in route:
            return "/".join(route.split(marker, 1)[1].split("/")[:2])
    return route if route in OWN_PATHS else "other"


def read_cycle(reports: Path, number: int, started: float, seconds: float, exit_code: int) -> Cycle:
    """What a finished cycle's reports say (the same files make report writes)."""
    cycle = Cycle(number=number, started=started, seconds=seconds, exit_code=exit_code)
    try:
        report = json.loads((reports / "infrastructure-report.json").read_text())
    except (OSError, ValueError):
        report = {}
    status = report.get("status") or {}
    cycle.verdict = str(status.get("verdict", "no report"))
    cycle.findings = {
        f["id"]: {"title": f.get("title", ""), "severity": f.get("severity", ""), "owner": f.get("owner", "")}
        for f in report.get("findings", [])
    }
    identity = report.get("identity") or {}
    cycle.version, cycle.commit = str(identity.get("api_version") or ""), str(identity.get("api_commit") or "")
    for scenario in report.get("scenarios", []):
        cycle.scenarios.append(
            {
                "name": scenario.get("name", ""),
                "feature": scenario.get("feature", ""),
                "status": scenario.get("status", ""),
                "seconds": None,
            }
        )
    durations = {}
    for path in (reports / "allure-results").glob("*-result.json"):
        try:
            data = json.loads(path.read_text())
        except ValueError:
            continue
        if data.get("start") and data.get("stop"):
            durations[data.get("name", "")] = (data["stop"] - data["start"]) / 1000
    for scenario in cycle.scenarios:
        scenario["seconds"] = durations.get(scenario["name"])
    try:
        evidence = json.loads((reports / "diagnosis-evidence.json").read_text())
    except (OSError, ValueError):
        evidence = {}
    for exchange in evidence.get("exchanges", []):
        if exchange.get("status") is not None and exchange.get("elapsed_ms") is not None:
            route = urlsplit(exchange.get("url", "")).path
            cycle.latencies.append((exchange.get("method", "?"), endpoint_of(route), exchange["elapsed_ms"] / 1000))
    return cycle


class Metrics:
    """The monitor's Prometheus metrics, in a registry of their own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.scenario_passed = Gauge(
            "hokusai_scenario_passed",
            "1 when the scenario passed in the last cycle, 0 when it failed or could not be exercised",
            ["feature", "scenario"],
            registry=r,
        )
        self.scenario_seconds = Gauge(
            "hokusai_scenario_duration_seconds",
            "how long the scenario took in the last cycle",
            ["feature", "scenario"],
            registry=r,
        )
        self.finding = Gauge(
            "hokusai_finding_present",
            "1 when the diagnosis found this cause in the last cycle",
            ["finding", "severity", "owner"],
            registry=r,
        )
        self.deployed = Info("hokusai_deployed", "the API version and commit the target reports", registry=r)
        self.latency = Histogram(
            "hokusai_registry_call_seconds",
            "time of each call the scenarios made",
            ["method", "endpoint"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.last_green = Gauge(
            "hokusai_last_green_run_timestamp_seconds",
            "when a cycle last passed with no finding (0: not yet)",
            registry=r,
        )
        self.last_cycle = Gauge("hokusai_last_cycle_timestamp_seconds", "when the last cycle ended", registry=r)
        self.cycle_seconds = Gauge("hokusai_cycle_duration_seconds", "how long the last cycle took", registry=r)
        self.cycles = Counter("hokusai_monitor_cycles", "cycles run, by outcome", ["outcome"], registry=r)
        for entry in CATALOG:  # every known cause is a series from the start: absent is 0, not missing
            self.finding.labels(entry.id, entry.severity, entry.owner).set(0)

    def update(self, cycle: Cycle) -> None:
        if not cycle.complete:  # what it did not find says nothing: keep the last complete cycle's state
            self.cycles.labels("incomplete").inc()
            return
        severities = {e.id: (e.severity, e.owner) for e in CATALOG}
        for labels in list(self.finding._metrics):
            self.finding.labels(*labels).set(0)
        for fid, info in cycle.findings.items():
            severity, owner = severities.get(fid, (info["severity"], info["owner"]))
            self.finding.labels(fid, severity, owner).set(1)
        for scenario in cycle.scenarios:
            if scenario["status"] == "skipped":
                continue
            labels = (scenario["feature"], scenario["name"])
            self.scenario_passed.labels(*labels).set(1 if scenario["status"] == "passed" else 0)
            if scenario["seconds"] is not None:
                self.scenario_seconds.labels(*labels).set(scenario["seconds"])
        self.deployed.info({"version": cycle.version or "unknown", "commit": cycle.commit or "unknown"})
        for method, endpoint, seconds in cycle.latencies:
            self.latency.labels(method, endpoint).observe(seconds)
        end = cycle.started + cycle.seconds
        if cycle.green:
            self.last_green.set(end)
        self.last_cycle.set(end)
        self.cycle_seconds.set(cycle.seconds)
        self.cycles.labels("green" if cycle.green else "not green").inc()


def changes(before: dict[str, dict], after: dict[str, dict]) -> list[dict]:
    """Findings that appeared or resolved between two cycles."""
    events = [{"event": "appeared", "finding": fid, **after[fid]} for fid in sorted(set(after) - set(before))]
    events += [{"event": "resolved", "finding": fid, **before[fid]} for fid in sorted(set(before) - set(after))]
    return events


def post_webhook(url: str, payload: dict) -> str | None:
    """Post one event; returns why it failed, if it did (a webhook that is down must not stop monitoring)."""
    try:
        reply = requests.post(
            url, data=redact(json.dumps(payload)), timeout=WEBHOOK_TIMEOUT, headers={"Content-Type": "application/json"}
        )
        return None if reply.status_code < 300 else f"HTTP {reply.status_code}"
    except requests.RequestException as exc:
        return type(exc).__name__  # its text names the URL, which for some webhooks is itself a secret


class Monitor:
    def __init__(
        self,
        *,
        selection: str = DEFAULT_SELECTION,
        workdir: Path = PROJECT_ROOT,
        webhook: str | None = None,
        textfile: Path | None = None,
        env: dict[str, str] | None = None,
        target: str = "",
    ) -> None:
        self.selection = selection
        self.workdir = workdir
        self.reports = workdir / "reports"
        self.webhook = webhook
        self.textfile = textfile
        self.env = env if env is not None else dict(os.environ)
        self.target = target or self.env.get("HOKUSAI_API_URL", "") or "the embedded stack"
        self.metrics = Metrics()
        self.previous: dict[str, dict] | None = None
        self.sent: list[dict] = []
        self.stopping = threading.Event()

    def run_cycle(self, number: int) -> Cycle:
        started = time.time()
        for stale in CYCLE_FILES:  # a cycle that ends without its report must not be read as the last one's
            (self.reports / stale).unlink(missing_ok=True)
        exit_code = run_report(self.selection, self.workdir, self.env, self.stopping)
        cycle = read_cycle(self.reports, number, started, time.time() - started, exit_code)
        if self.stopping.is_set():
            cycle.exit_code = -1  # interrupted: its report is partial
        self.metrics.update(cycle)
        if self.textfile is not None:
            self.textfile.parent.mkdir(parents=True, exist_ok=True)
            write_to_textfile(str(self.textfile), self.metrics.registry)
        if not cycle.complete:
            return cycle
        if self.previous is not None:
            for event in changes(self.previous, cycle.findings):
                payload = {
                    **event,
                    "target": redact(self.target),
                    "cycle": number,
                    "verdict": cycle.verdict,
                    "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                }
                self.sent.append(payload)
                if self.webhook:
                    failed = post_webhook(self.webhook, payload)
                    if failed:
                        print(
                            f"monitor: the webhook did not take the '{event['event']}' event of "
                            f"{event['finding']}: {failed}",
                            file=sys.stderr,
                            flush=True,
                        )
        self.previous = cycle.findings
        return cycle

    def run(self, *, cycles: int | None, interval: float, between=None) -> list[Cycle]:
        """Cycles every ``interval`` seconds (measured from each cycle's start) until ``cycles`` have run or
        the monitor is stopped; ``between(number)`` runs before each cycle after the first (tests use it)."""
        done: list[Cycle] = []
        number = 0
        while not self.stopping.is_set() and (cycles is None or number < cycles):
            number += 1
            if between is not None and number > 1:
                between(number)
            started = time.monotonic()
            cycle = self.run_cycle(number)
            done.append(cycle)
            print(
                f"monitor: cycle {number} ({cycle.seconds:.0f} s): {cycle.verdict}; findings: "
                f"{', '.join(cycle.findings) or 'none'}",
                flush=True,
            )
            if cycles is not None and number >= cycles:
                break
            self.stopping.wait(max(0.0, interval - (time.monotonic() - started)))
        return done


def run_report(selection: str, workdir: Path, env: dict[str, str], stopping: threading.Event) -> int:
    """One ``make report`` of the selection in ``workdir`` (behave as behave.ini configures it, then the two
    report steps), bounded in time; returns the suite's exit code."""
    python = sys.executable
    reports = workdir / "reports"
    env = {**env, "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true", "AWS_EC2_METADATA_DISABLED": "true"}
    for name in ("allure-results", "junit", "allure-report"):
        shutil.rmtree(reports / name, ignore_errors=True)
    reports.mkdir(parents=True, exist_ok=True)
    suite = _bounded([python, "-m", "behave", f"--tags={selection}"], workdir, env, stopping)
    if suite == 2:
        return 2
    for module in ("hokusai_acceptance.finish_report", "hokusai_acceptance.allure_html"):
        if _bounded([python, "-m", module, str(reports)], workdir, env, stopping) != 0:
            suite = suite or 1
    return suite


def _bounded(command: list[str], cwd: Path, env: dict[str, str], stopping: threading.Event) -> int:
    with tempfile.TemporaryFile(mode="w+") as errors:
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=errors, text=True, start_new_session=True
        )
        deadline = time.monotonic() + CYCLE_TIMEOUT
        while process.poll() is None:
            if stopping.is_set() or time.monotonic() > deadline:
                os.killpg(process.pid, signal.SIGINT)  # the suite cleans up and exits non-zero
                try:
                    process.wait(timeout=60)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
                break
            time.sleep(0.2)
        if process.returncode not in (0, 1):
            errors.seek(0)
            print(redact(errors.read()[-1500:]), file=sys.stderr, flush=True)
    return process.returncode


def listen_address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError(f"--listen takes HOST:PORT, not {text!r}")
    return host, int(port)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make monitor", description=__doc__)
    parser.add_argument("--tags", default=DEFAULT_SELECTION, help=f"the selection (default: {DEFAULT_SELECTION})")
    parser.add_argument("--interval", type=float, default=15.0, help="minutes from one cycle's start to the next")
    parser.add_argument("--cycles", type=int, default=None, help="stop after this many cycles (default: never)")
    parser.add_argument(
        "--listen", default="127.0.0.1:9464", help="where /metrics is served (HOST:PORT; 'off' for none)"
    )
    parser.add_argument(
        "--textfile",
        type=Path,
        default=None,
        help="also write the metrics here, for a node exporter's textfile collector (a .prom file)",
    )
    parser.add_argument(
        "--webhook",
        default=os.environ.get("HOKUSAI_MONITOR_WEBHOOK") or None,
        help="post appearing and resolving findings as JSON here (HOKUSAI_MONITOR_WEBHOOK)",
    )
    args = parser.parse_args(argv)
    try:
        if args.interval <= 0 or (args.cycles is not None and args.cycles < 1):
            raise ConfigError("--interval must be above 0 minutes and --cycles at least 1")
        monitor = Monitor(selection=args.tags, webhook=args.webhook, textfile=args.textfile)
        if args.listen != "off":
            host, port = listen_address(args.listen)
            start_http_server(port, addr=host, registry=monitor.metrics.registry)
            print(f"monitor: metrics at http://{host}:{port}/metrics", flush=True)
    except (ConfigError, OSError) as exc:
        print(f"make monitor: {exc}", file=sys.stderr)
        return 2
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: monitor.stopping.set())
    done = monitor.run(cycles=args.cycles, interval=args.interval * 60)
    return 0 if done and done[-1].green else 1


if __name__ == "__main__":
    sys.exit(main())
