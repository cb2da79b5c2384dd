"""Latency, throughput and resource measurements (numpy for the statistics, Locust
for concurrent load). Every request goes to 127.0.0.1 only and every loop is
bounded in count and in time."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import numpy as np
import psutil
import urllib3

from ..errors import ConfigError, RegistryCallFailed, StackError
from ..paths import PROJECT_ROOT
from ..ports import free_port
from ..routes import SEARCH_EXPERIMENTS
from ..settings import LOOPBACK_HOSTS


def require_loopback(url: str) -> None:
    """Load only ever goes to this machine, unless the operator names one other host explicitly
    (HOKUSAI_LOAD_ALLOW_HOST: workers on other machines cannot reach this one's 127.0.0.1)."""
    host = urlsplit(url).hostname
    allowed = os.environ.get("HOKUSAI_LOAD_ALLOW_HOST", "").strip()
    if host not in LOOPBACK_HOSTS and not (allowed and host == allowed):
        raise ConfigError(
            f"load and latency runs target 127.0.0.1 only; refusing {host!r} (an operator can allow "
            f"one other host with HOKUSAI_LOAD_ALLOW_HOST)"
        )


class TimingClient:
    """The HTTP client every timed plain-HTTP call of the suite goes through: urllib3's keep-alive
    pool and nothing above it (no retries, redirects, cookies or proxy lookups), so that a timing
    is the registry's and not the client's. ``requests`` adds about a millisecond per call here,
    some 10% of a search; the bench's agreement target compares this client with Locust."""

    class Reply:
        def __init__(self, status: int, body: bytes):
            self.status_code = status
            self.content = body

        def json(self):
            return json.loads(self.content)

        def raise_for_status(self) -> None:
            if self.status_code >= 400:
                raise RegistryCallFailed(f"HTTP {self.status_code} from the registry: {self.content[:300]!r}")

    def __init__(self, timeout: float = 30.0):
        self.timeout = timeout
        self.pool = urllib3.PoolManager(maxsize=4, retries=False, timeout=timeout)

    def request(
        self,
        method: str,
        url: str,
        *,
        headers: dict | None = None,
        body: bytes | None = None,
        json_body: dict | None = None,
        timeout: float | None = None,
    ) -> TimingClient.Reply:
        require_loopback(url)
        headers = dict(headers or {})
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        reply = self.pool.request(
            method, url, headers=headers, body=body, redirect=False, timeout=timeout or self.timeout
        )
        return TimingClient.Reply(reply.status, reply.data)

    def get(self, url: str, headers: dict | None = None, timeout: float | None = None) -> TimingClient.Reply:
        return self.request("GET", url, headers=headers, timeout=timeout)

    def ok(self, url: str, headers: dict | None = None) -> bool:
        """A timed read: True when it answered 200."""
        return self.get(url, headers).status_code == 200

    def close(self) -> None:
        self.pool.clear()


@dataclass
class LatencyStats:
    operation: str
    samples: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    errors: int = 0
    raw_ms: list[float] = field(default_factory=list, repr=False)

    def to_dict(self, with_raw: bool = False) -> dict:
        data = asdict(self)
        if not with_raw:
            data.pop("raw_ms")
        return data


def stats(operation: str, durations_ms: list[float], errors: int = 0) -> LatencyStats:
    values = np.asarray(durations_ms, dtype=float)
    if values.size == 0:
        return LatencyStats(operation, 0, float("nan"), float("nan"), float("nan"), float("nan"), float("nan"), errors)
    p50, p95, p99 = np.percentile(values, [50, 95, 99])
    return LatencyStats(
        operation,
        int(values.size),
        round(float(p50), 3),
        round(float(p95), 3),
        round(float(p99), 3),
        round(float(values.mean()), 3),
        round(float(values.max()), 3),
        errors,
        [round(float(v), 3) for v in values],
    )


def _attempt(action: Callable[[], bool]) -> bool:
    try:
        return bool(action())
    except Exception:  # a timed-out or refused request is a failed sample, not the end of the run
        return False


def _timed(action: Callable[[], bool]) -> tuple[bool, float]:
    started = time.perf_counter()
    ok = _attempt(action)
    return ok, (time.perf_counter() - started) * 1000


def sample(
    operation: str,
    action: Callable[[], bool],
    *,
    count: int,
    max_seconds: float,
    warmup: int = 3,
    before_each: Callable[[], object] | None = None,
) -> LatencyStats:
    """Time ``action`` up to ``count`` times (or until ``max_seconds``); it returns True on success.
    ``before_each`` runs before every timed call and is not timed (emptying a cache, say)."""
    for _ in range(warmup):
        _attempt(action)
    durations, errors = [], 0
    deadline = time.monotonic() + max_seconds
    for _ in range(count):
        if time.monotonic() > deadline:
            break
        if before_each is not None:
            before_each()
        ok, elapsed = _timed(action)
        if ok:
            durations.append(elapsed)
        else:
            errors += 1
    return stats(operation, durations, errors)


def paired(
    first: tuple[str, Callable[[], bool]],
    second: tuple[str, Callable[[], bool]],
    *,
    count: int,
    max_seconds: float,
    warmup: int = 3,
) -> tuple[LatencyStats, LatencyStats]:
    """Time two actions alternately (A, B, B, A, ...), so that both see the same machine: a
    comparison of two paths is not skewed by whatever else the machine did during one of them."""
    (name_a, action_a), (name_b, action_b) = first, second
    for _ in range(warmup):
        _attempt(action_a)
        _attempt(action_b)
    durations: dict[str, list[float]] = {name_a: [], name_b: []}
    errors = {name_a: 0, name_b: 0}
    deadline = time.monotonic() + max_seconds
    for index in range(count):
        if time.monotonic() > deadline:
            break
        order = ((name_a, action_a), (name_b, action_b))
        for name, action in order if index % 2 == 0 else order[::-1]:
            ok, elapsed = _timed(action)
            if ok:
                durations[name].append(elapsed)
            else:
                errors[name] += 1
    return (stats(name_a, durations[name_a], errors[name_a]), stats(name_b, durations[name_b], errors[name_b]))


# ------------------------------------------------------------------ throughput (Locust)


@dataclass
class LoadResult:
    target: str
    operation: str
    users: int
    seconds: float
    requests: int
    failures: int
    rps: float  # requests completed per second of the run (completed / run time)
    locust_rps: float  # Locust's own figure (over the span between its first and last request)
    p50_ms: float
    p95_ms: float
    p99_ms: float
    failure_reasons: dict[str, int] = field(default_factory=dict)  # Locust's error text -> occurrences
    # seconds from the end of the load until a read by the same route answered 200 quickly again
    # (None: not within the bounded wait). Requests still stuck when Locust stops are not failures
    # in its statistics; this is where a stalled registry shows.
    recovery_seconds: float | None = None
    workers: int = 1  # Locust processes that generated the load (1: local mode; more: a master and workers)

    def to_dict(self) -> dict:
        return asdict(self)


def combine_loads(runs: list[dict]) -> dict:
    """Several load runs (``LoadResult.to_dict()``) of one target as one: requests and seconds
    added up, so requests per second stay completed / run time."""
    requests_ = sum(r["requests"] for r in runs)
    seconds = sum(r["seconds"] for r in runs)
    reasons: dict[str, int] = {}
    for run in runs:
        for reason, count in run.get("failure_reasons", {}).items():
            reasons[reason] = reasons.get(reason, 0) + count
    return {
        "requests": requests_,
        "failures": sum(r["failures"] for r in runs),
        "seconds": seconds,
        "rps": round(requests_ / seconds, 2) if seconds else float("nan"),
        "failure_reasons": reasons,
    }


def failure_summary(reasons: dict[str, int], most: int = 3) -> str:
    """The commonest failure reasons, e.g. ``HTTPError('500 ...') x12``."""
    ranked = sorted(reasons.items(), key=lambda item: -item[1])[:most]
    return "; ".join(f"{reason} x{count}" for reason, count in ranked) or "Locust recorded no reason"


def read_failures(path: str) -> dict[str, int]:
    """Locust's ``*_failures.csv`` as {error text: occurrences}; empty when the file is missing."""
    if not os.path.exists(path):
        return {}
    reasons: dict[str, int] = {}
    with open(path, newline="") as handle:
        for row in csv.DictReader(handle):
            reason = (row.get("Error") or "unknown")[:300]
            reasons[reason] = reasons.get(reason, 0) + int(row.get("Occurrences") or 0)
    return reasons


def _locust_env(key: str, mount: str, operation: str, experiment_id: str = "0") -> dict[str, str]:
    """What the locustfile reads, for a Locust process of either kind."""
    return {
        **os.environ,
        "HOKUSAI_LOAD_KEY": key,
        "HOKUSAI_LOAD_MOUNT": mount,
        "HOKUSAI_LOAD_OPERATION": operation,
        "HOKUSAI_LOAD_EXPERIMENT": experiment_id,
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "DO_NOT_TRACK": "true",
    }


#: most load-generator processes a run may start (WORKERS); each is one Python process
MAX_WORKERS = 16
#: how long Locust's master waits for its workers to connect
WORKER_CONNECT_SECONDS = 60


def load_workers(workers: int | None = None) -> int:
    """How many Locust worker processes generate the load: ``workers``, else HOKUSAI_LOAD_WORKERS (make's
    WORKERS=N), else 1 (Locust's local mode: one process)."""
    raw = workers if workers is not None else os.environ.get("HOKUSAI_LOAD_WORKERS") or 1
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"WORKERS (HOKUSAI_LOAD_WORKERS) must be a whole number, not {raw!r}") from None
    if not 1 <= value <= MAX_WORKERS:
        raise ConfigError(f"WORKERS (HOKUSAI_LOAD_WORKERS) must be 1 to {MAX_WORKERS}, not {value}")
    return value


def master_bind_host() -> str:
    """Where a distributed run's master listens for workers: this machine only, unless the operator names an
    address (HOKUSAI_LOAD_MASTER_BIND) so workers on other machines can connect; the load itself still goes
    only to 127.0.0.1."""
    return os.environ.get("HOKUSAI_LOAD_MASTER_BIND", "127.0.0.1")


def _stop_all(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
    for process in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=5)


def _locust_processes(
    command: list[str], env: dict[str, str], workers: int, seconds: float, locustfile: Path
) -> tuple[int, str]:
    """Run Locust headless: in one process, or (``workers`` > 1) as a master and that many worker processes,
    Locust's own distributed mode. Every process is stopped by the deadline; returns the master's exit
    code and output."""
    deadline = seconds + 60 + (WORKER_CONNECT_SECONDS if workers > 1 else 0)
    if workers == 1:
        proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=deadline, check=False)
        return proc.returncode, proc.stderr or proc.stdout
    bind = master_bind_host()
    port = int(os.environ.get("HOKUSAI_LOAD_MASTER_PORT") or free_port())
    remote = int(os.environ.get("HOKUSAI_LOAD_REMOTE_WORKERS") or 0)  # workers started on other machines
    master_cmd = command + [
        "--master",
        "--master-bind-host",
        bind,
        "--master-bind-port",
        str(port),
        "--expect-workers",
        str(workers + remote),
        "--expect-workers-max-wait",
        str(WORKER_CONNECT_SECONDS),
    ]
    local = "127.0.0.1" if bind in ("0.0.0.0", "*", "") else bind
    worker_cmd = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(locustfile),
        "--worker",
        "--master-host",
        local,
        "--master-port",
        str(port),
        "--loglevel",
        "ERROR",
    ]
    if remote:
        print(
            f"load: the Locust master waits {WORKER_CONNECT_SECONDS} s for {remote} remote worker(s) at {bind}:{port}",
            file=sys.stderr,
            flush=True,
        )
    spawned: list[subprocess.Popen] = []
    try:
        master = subprocess.Popen(
            master_cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
        )
        spawned.append(master)
        for _ in range(workers):
            spawned.append(
                subprocess.Popen(
                    worker_cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
                )
            )
        output, _ = master.communicate(timeout=deadline)
        for worker in spawned[1:]:  # a worker quits when its master does
            with contextlib.suppress(subprocess.TimeoutExpired):
                worker.wait(timeout=10)
        return master.returncode, output or ""
    finally:
        _stop_all(spawned)


def run_locust(
    base_url: str,
    *,
    users: int,
    seconds: float,
    operation: str,
    key: str = "",
    mount: str = "/api/mlflow",
    experiment_id: str = "0",
    label: str = "gateway",
    workers: int | None = None,
    recovery: bool = True,
) -> LoadResult:
    """Headless Locust, bounded by ``--run-time``: one process, or Locust's distributed mode with a master and
    ``workers`` worker processes (default: HOKUSAI_LOAD_WORKERS, else 1). Results from its CSV, then the time
    the registry needed to answer a read promptly again."""
    require_loopback(base_url)
    workers = load_workers(workers)
    locustfile = Path(__file__).with_name("locustfile.py")
    with tempfile.TemporaryDirectory(prefix="hokusai-locust-") as tmp:
        prefix = os.path.join(tmp, "run")
        env = _locust_env(key, mount, operation, experiment_id)
        command = [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(locustfile),
            "--headless",
            "--host",
            base_url,
            "-u",
            str(users),
            "-r",
            str(users),
            "--run-time",
            f"{max(1, round(seconds))}s",
            "--csv",
            prefix,
            "--only-summary",
            "--stop-timeout",
            "2",
            "--loglevel",
            "ERROR",
            "--exit-code-on-error",
            "0",
        ]
        returncode, output = _locust_processes(command, env, workers, seconds, locustfile)
        if not os.path.exists(f"{prefix}_stats.csv"):
            raise StackError(
                f"the load generator (Locust, {workers} worker(s)) wrote no statistics; it exited "
                f"{returncode}: {output[-600:]}"
            )
        with open(f"{prefix}_stats.csv", newline="") as handle:
            rows = list(csv.DictReader(handle))
        reasons = read_failures(f"{prefix}_failures.csv")
    recovered = (
        seconds_until_prompt(
            f"{base_url}{mount}{RECOVERY_PROBE}", headers={"Authorization": f"Bearer {key}"} if key else None
        )
        if recovery
        else None
    )
    row = next((r for r in rows if r["Name"] == "Aggregated"), rows[-1])
    requests_ = int(row["Request Count"])

    def number(name: str) -> float:
        value = row.get(name, "N/A")
        return float(value) if value not in ("N/A", "", None) else float("nan")

    return LoadResult(
        target=label,
        operation=operation,
        users=users,
        seconds=seconds,
        requests=requests_,
        failures=int(row["Failure Count"]),
        rps=round(requests_ / seconds, 2),
        locust_rps=round(number("Requests/s"), 2),
        p50_ms=number("50%"),
        p95_ms=number("95%"),
        p99_ms=number("99%"),
        failure_reasons=reasons,
        recovery_seconds=recovered,
        workers=workers,
    )


def gateway_and_mlflow(
    gateway_url: str,
    mlflow_url: str,
    *,
    users: int,
    seconds: float,
    operation: str,
    key: str,
    experiment_id: str = "0",
    announce: Callable[[str], None] | None = None,
) -> list[dict]:
    """The same load through the gateway and straight to MLflow, in the order gateway, MLflow,
    MLflow, gateway, so each side gets an early and a late slot on the machine; the four runs
    (``LoadResult.to_dict()``), labelled "gateway" and "direct MLflow"."""
    runs = []
    for target in ("gateway", "direct MLflow", "direct MLflow", "gateway"):
        if announce:
            announce(target)
        through = target == "gateway"
        runs.append(
            run_locust(
                gateway_url if through else mlflow_url,
                users=users,
                seconds=seconds,
                operation=operation,
                key=key if through else "",
                mount="/api/mlflow" if through else "",
                experiment_id=experiment_id,
                label=target,
            ).to_dict()
        )
    return runs


class LocustWindows:
    """One Locust process (:mod:`.locust_windows`) kept running, asked for load in short windows,
    so that its windows can alternate with the suite's own sampling."""

    def __init__(
        self,
        base_url: str,
        *,
        key: str = "",
        mount: str = "/api/mlflow",
        operation: str = "read",
        start_timeout: float = 60.0,
    ):
        require_loopback(base_url)
        env = _locust_env(key, mount, operation)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "hokusai_acceptance.perf.locust_windows", base_url],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=PROJECT_ROOT,
        )
        try:
            self._read(start_timeout)
        except BaseException:
            self.close()
            raise

    def _pipes(self) -> tuple[IO[str], IO[str]]:
        stdin, stdout = self.proc.stdin, self.proc.stdout
        if stdin is None or stdout is None:  # pragma: no cover - opened with PIPE
            raise StackError("the load generator has no pipes")
        return stdin, stdout

    def _read(self, timeout: float) -> dict[str, Any]:
        stdout = self._pipes()[1]
        ready, _, _ = select.select([stdout], [], [], timeout)
        line = stdout.readline() if ready else ""
        if not line:
            self.proc.kill()
            stderr = self.proc.stderr.read()[-600:] if self.proc.stderr else ""
            raise StackError(f"the load generator (Locust, windowed) did not answer within {timeout:g} s: {stderr}")
        return json.loads(line)

    def window(self, seconds: float, users: int = 1) -> tuple[list[float], int]:
        """Run ``users`` for ``seconds``; the unrounded response times and the failure count."""
        stdin = self._pipes()[0]
        stdin.write(json.dumps({"users": users, "seconds": seconds}) + "\n")
        stdin.flush()
        answer = self._read(seconds + 30)
        return [float(v) for v in answer["raw_ms"]], int(answer["failures"])

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                stdin = self._pipes()[0]
                stdin.write('{"stop": true}\n')
                stdin.flush()
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait(timeout=10)
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream:
                stream.close()

    def __enter__(self) -> LocustWindows:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# ------------------------------------------------------------------ resources


#: the read that tells whether the registry answers again after a load run
@dataclass
class CacheEffect:
    cold: LatencyStats
    warm: LatencyStats
    validations: dict[str, int]  # auth-service validations during the cold and the warm samples


def cache_effect(
    url: str,
    headers: dict[str, str],
    *,
    flush: Callable[[], object],
    validations: Callable[[], int],
    cold_count: int,
    warm_count: int,
    max_seconds: float = 60,
) -> CacheEffect:
    """The same validated read with the validation cache just emptied (the emptying not timed) and with it
    warm, taken in turns (empty, cold read, warm read, ...) so that both see the same machine: a busy moment
    cannot fall on one side only. Each read's auth-service validations are counted around that read alone."""
    client = TimingClient(timeout=10)
    durations: dict[str, list[float]] = {"cold": [], "warm": []}
    errors = {"cold": 0, "warm": 0}
    checked = {"cold": 0, "warm": 0}

    def timed_read(side: str) -> None:
        before = validations()
        ok, elapsed = _timed(lambda: client.ok(url, headers))
        checked[side] += validations() - before
        if ok:
            durations[side].append(elapsed)
        else:
            errors[side] += 1

    try:
        _attempt(lambda: client.ok(url, headers))  # the first connection and validation are not counted
        deadline = time.monotonic() + max_seconds
        for index in range(max(cold_count, warm_count)):
            if time.monotonic() > deadline:
                break
            if index < cold_count:
                flush()
                timed_read("cold")
            if index < warm_count:
                timed_read("warm")
    finally:
        client.close()
    return CacheEffect(
        stats("validated read, cache cold", durations["cold"], errors["cold"]),
        stats("validated read, cache warm", durations["warm"], errors["warm"]),
        checked,
    )


RECOVERY_PROBE = f"{SEARCH_EXPERIMENTS}?max_results=1"
#: how long, at most, to wait for it
RECOVERY_WAIT_SECONDS = 60


def seconds_until_prompt(
    url: str, headers: dict | None = None, max_seconds: float = RECOVERY_WAIT_SECONDS, fast_ms: float = 500.0
) -> float | None:
    """How long after a load run the registry takes to answer a read with 200 within ``fast_ms`` again (its
    recovery), waiting at most ``max_seconds``; None when it did not recover in that time."""
    require_loopback(url)
    client = TimingClient(timeout=10)
    started = time.monotonic()
    try:
        while time.monotonic() - started < max_seconds:
            t0 = time.perf_counter()
            try:
                ok = client.ok(url, headers)
            except (urllib3.exceptions.HTTPError, OSError):
                ok = False
            if ok and (time.perf_counter() - t0) * 1000 < fast_ms:
                return round(time.monotonic() - started, 1)
            time.sleep(0.5)
    finally:
        client.close()
    return None


class ResourceSampler:
    """CPU and RSS of named processes (with their children, except those named in ``alone``),
    sampled in a background thread."""

    def __init__(
        self,
        pids: dict[str, int],
        interval: float = 0.5,
        max_seconds: float = 600.0,
        alone: tuple[str, ...] = ("suite",),
    ):
        self.pids = pids
        self.alone = alone
        self.interval = interval
        self.max_seconds = max_seconds
        self.samples: list[dict] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._procs: dict[str, list[psutil.Process]] = {}

    def _family(self, name: str, pid: int) -> list[psutil.Process]:
        try:
            root = psutil.Process(pid)
            family = [root] if name in self.alone else [root] + root.children(recursive=True)
        except psutil.Error:
            return []
        known = {p.pid: p for p in self._procs.get(name, [])}
        family = [known.get(p.pid, p) for p in family]
        for proc in family:
            if proc.pid not in known:
                with contextlib.suppress(psutil.Error):
                    proc.cpu_percent(None)
        self._procs[name] = family
        return family

    def _run(self) -> None:
        started = time.monotonic()
        for name, pid in self.pids.items():
            self._family(name, pid)
        while not self._stop.wait(self.interval) and time.monotonic() - started < self.max_seconds:
            row: dict[str, Any] = {"t": round(time.monotonic() - started, 2)}
            for name, pid in self.pids.items():
                cpu = rss = 0.0
                for proc in self._family(name, pid):
                    try:
                        cpu += proc.cpu_percent(None)
                        rss += proc.memory_info().rss
                    except psutil.Error:
                        continue
                row[name] = {"cpu_percent": round(cpu, 1), "rss_mb": round(rss / 2**20, 1)}
            self.samples.append(row)

    def __enter__(self) -> ResourceSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def peak(self, name: str, metric: str) -> float:
        values = [s[name][metric] for s in self.samples if name in s]
        return max(values) if values else 0.0
