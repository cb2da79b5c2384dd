"""The measuring tools: percentiles, bounded sampling, paired (interleaved) sampling,
loopback-only load and resource sampling."""

import math
import os
import time

import pytest

from hokusai_acceptance.errors import ConfigError, RegistryCallFailed
from hokusai_acceptance.perf import measure


def test_percentiles_of_known_values():
    result = measure.stats("op", [float(v) for v in range(1, 101)], errors=2)
    assert (result.p50_ms, result.p95_ms, result.p99_ms) == (50.5, 95.05, 99.01)
    assert result.samples == 100 and result.errors == 2 and result.max_ms == 100.0
    assert "raw_ms" not in result.to_dict() and len(result.to_dict(with_raw=True)["raw_ms"]) == 100


def test_no_samples_is_not_a_number_not_zero():
    result = measure.stats("op", [], errors=5)
    assert result.samples == 0 and math.isnan(result.p50_ms) and result.errors == 5


def test_failures_and_exceptions_are_counted_not_timed():
    outcomes = iter([True, False, True, "boom", True] * 10)

    def action():
        value = next(outcomes)
        if value == "boom":
            raise ConnectionError("refused")
        return value

    result = measure.sample("op", action, count=10, max_seconds=10, warmup=0)
    assert result.samples + result.errors == 10
    assert result.errors == 4


def test_sampling_stops_at_its_time_limit():
    started = time.monotonic()
    result = measure.sample("slow", lambda: time.sleep(0.05) or True, count=10_000, max_seconds=0.3, warmup=0)
    assert time.monotonic() - started < 1.5
    assert 2 <= result.samples <= 10


def test_paired_sampling_alternates_which_path_goes_first():
    calls = []
    first = ("a", lambda: calls.append("a") or True)
    second = ("b", lambda: calls.append("b") or True)
    a, b = measure.paired(first, second, count=4, max_seconds=10, warmup=0)
    assert calls == ["a", "b", "b", "a", "a", "b", "b", "a"]
    assert (a.operation, a.samples, b.operation, b.samples) == ("a", 4, "b", 4)


def test_paired_sampling_keeps_each_side_apart():
    fast = ("fast", lambda: True)
    slow = ("slow", lambda: time.sleep(0.01) or True)
    failing = ("failing", lambda: False)
    f, s = measure.paired(fast, slow, count=20, max_seconds=10, warmup=1)
    assert f.p50_ms < s.p50_ms and s.p50_ms >= 10
    _, broken = measure.paired(fast, failing, count=5, max_seconds=10, warmup=0)
    assert broken.samples == 0 and broken.errors == 5


@pytest.mark.parametrize("url", ["http://127.0.0.1:5000", "http://localhost:8080/x"])
def test_load_goes_to_loopback(url):
    measure.require_loopback(url)


@pytest.mark.parametrize("url", ["https://registry.hokus.ai", "http://10.0.0.5:5000", "http://0.0.0.0:80"])
def test_load_to_another_machine_is_refused(url):
    with pytest.raises(ConfigError, match=r"127\.0\.0\.1 only"):
        measure.require_loopback(url)


def test_resource_sampler_reads_this_process():
    with measure.ResourceSampler({"suite": os.getpid()}, interval=0.05) as sampler:
        sum(i * i for i in range(200_000))
        time.sleep(0.3)
    assert len(sampler.samples) >= 3
    assert sampler.peak("suite", "rss_mb") > 10
    assert sampler.peak("missing", "rss_mb") == 0.0


def test_every_named_operation_has_an_action_and_load_stays_local():
    from hokusai_acceptance.perf.operations import OPERATIONS, RegistryOperations

    ops = RegistryOperations("http://127.0.0.1:9", "key", "hk-test")
    assert len(OPERATIONS) == 11 and all(callable(ops.action(name)) for name in OPERATIONS)
    with pytest.raises(ValueError, match="unknown operation"):
        ops.action("artifact upload 2 GB")
    ops.close()
    with pytest.raises(ConfigError):
        RegistryOperations("https://registry.hokus.ai", "key", "hk-test")


def test_locust_failure_reasons_are_read_and_ranked(tmp_path):
    failures = tmp_path / "run_failures.csv"
    failures.write_text(
        "Method,Name,Error,Occurrences\n"
        "POST,run create,\"HTTPError('500 Server Error')\",3\n"
        'POST,run create,"ConnectionResetError(104)",9\n'
        "GET,experiment search,\"HTTPError('500 Server Error')\",2\n"
    )
    reasons = measure.read_failures(str(failures))
    assert reasons == {"HTTPError('500 Server Error')": 5, "ConnectionResetError(104)": 9}
    assert measure.failure_summary(reasons) == "ConnectionResetError(104) x9; HTTPError('500 Server Error') x5"
    assert measure.read_failures(str(tmp_path / "absent.csv")) == {}
    assert measure.failure_summary({}) == "Locust recorded no reason"


class _Answers:
    """A loopback HTTP server whose first ``slow`` answers are 503, then 200."""

    def __init__(self, slow: int):
        import http.server
        import threading

        self.calls = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.calls += 1
                self.send_response(503 if outer.calls <= slow else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/probe"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_recovery_is_the_wait_until_a_read_answers_200():
    answers = _Answers(slow=2)
    try:
        waited = measure.seconds_until_prompt(answers.url, max_seconds=10)
        assert waited is not None and 0.9 <= waited < 5 and answers.calls == 3
    finally:
        answers.close()


def test_no_recovery_within_the_bounded_wait_is_none_not_a_number():
    answers = _Answers(slow=10_000)
    try:
        started = time.monotonic()
        assert measure.seconds_until_prompt(answers.url, max_seconds=1.2) is None
        assert time.monotonic() - started < 5
    finally:
        answers.close()


def test_cache_effect_takes_cold_and_warm_reads_in_turns_and_counts_each_reads_validations(monkeypatch):
    """A loopback server that checks the key on a cache miss (counted) and remembers it: each cold read
    follows an emptying and costs one check, each warm read none; the order is empty, cold, warm."""
    answers = _Answers(slow=0)
    cache, checks, events = set(), [0], []

    def flush():
        cache.clear()
        events.append("empty")

    def validations():
        events.append("count")
        return checks[0]

    original = measure.TimingClient.ok

    def ok(client, url, headers=None):
        if "key" not in cache:
            checks[0] += 1
            cache.add("key")
        events.append("read")
        return original(client, url, headers)

    monkeypatch.setattr(measure.TimingClient, "ok", ok)
    try:
        effect = measure.cache_effect(
            answers.url, {}, flush=flush, validations=validations, cold_count=5, warm_count=7, max_seconds=10
        )
    finally:
        answers.close()
    assert (effect.cold.samples, effect.warm.samples) == (5, 7)
    assert effect.validations == {"cold": 5, "warm": 0}
    reads = [e for e in events if e != "count"]
    assert reads[:4] == ["read", "empty", "read", "read"]  # the uncounted first read, then cold and warm in turns
    assert reads.count("empty") == 5 and reads.count("read") == 13


def test_timing_client_reads_posts_and_reports_errors():
    answers = _Answers(slow=1)
    client = measure.TimingClient(timeout=5)
    try:
        first = client.get(answers.url)
        assert first.status_code == 503
        with pytest.raises(RegistryCallFailed, match="HTTP 503"):
            first.raise_for_status()
        assert client.ok(answers.url) and answers.calls == 2
    finally:
        client.close()
        answers.close()
    with pytest.raises(ConfigError, match=r"127\.0\.0\.1 only"):
        client.get("http://example.com/api")


def test_locust_windows_answer_each_window_with_its_own_samples():
    answers = _Answers(slow=0)
    try:
        with measure.LocustWindows(answers.url.removesuffix("/probe"), mount="") as locust:
            first, first_failures = locust.window(1)
            second, second_failures = locust.window(1)
        assert first and second and first_failures == second_failures == 0
        assert all(0 < value < 1000 for value in first + second)
        assert locust.proc.returncode == 0
    finally:
        answers.close()


def test_gateway_and_mlflow_take_turns_early_and_late(monkeypatch):
    calls = []

    def fake_run(base_url, **kwargs):
        calls.append((base_url, kwargs["mount"], kwargs["key"], kwargs["label"]))
        return measure.LoadResult(
            target=kwargs["label"],
            operation=kwargs["operation"],
            users=kwargs["users"],
            seconds=kwargs["seconds"],
            requests=10,
            failures=0,
            rps=1.0,
            locust_rps=1.0,
            p50_ms=1.0,
            p95_ms=2.0,
            p99_ms=3.0,
        )

    monkeypatch.setattr(measure, "run_locust", fake_run)
    announced = []
    runs = measure.gateway_and_mlflow(
        "http://127.0.0.1:1",
        "http://127.0.0.1:2",
        users=32,
        seconds=6,
        operation="read",
        key="k",
        announce=announced.append,
    )
    gateway = ("http://127.0.0.1:1", "/api/mlflow", "k", "gateway")
    direct = ("http://127.0.0.1:2", "", "", "direct MLflow")
    assert calls == [gateway, direct, direct, gateway]
    assert announced == ["gateway", "direct MLflow", "direct MLflow", "gateway"]
    assert [r["target"] for r in runs] == announced


def test_the_number_of_load_generator_workers_is_checked(monkeypatch):
    from hokusai_acceptance.errors import ConfigError
    from hokusai_acceptance.perf.measure import MAX_WORKERS, load_workers

    monkeypatch.delenv("HOKUSAI_LOAD_WORKERS", raising=False)
    assert load_workers() == 1
    monkeypatch.setenv("HOKUSAI_LOAD_WORKERS", "2")
    assert load_workers() == 2 and load_workers(3) == 3
    for bad in ("0", "two", str(MAX_WORKERS + 1)):
        monkeypatch.setenv("HOKUSAI_LOAD_WORKERS", bad)
        with pytest.raises(ConfigError, match="WORKERS"):
            load_workers()


def test_the_master_listens_on_this_machine_unless_an_address_is_named(monkeypatch):
    from hokusai_acceptance.perf.measure import master_bind_host

    monkeypatch.delenv("HOKUSAI_LOAD_MASTER_BIND", raising=False)
    assert master_bind_host() == "127.0.0.1"
    monkeypatch.setenv("HOKUSAI_LOAD_MASTER_BIND", "10.0.0.5")
    assert master_bind_host() == "10.0.0.5"


def test_load_goes_to_another_host_only_when_the_operator_names_it(monkeypatch):
    from hokusai_acceptance.errors import ConfigError
    from hokusai_acceptance.perf.measure import require_loopback

    monkeypatch.delenv("HOKUSAI_LOAD_ALLOW_HOST", raising=False)
    require_loopback("http://127.0.0.1:8000")
    with pytest.raises(ConfigError, match="HOKUSAI_LOAD_ALLOW_HOST"):
        require_loopback("http://10.0.0.7:8000")
    monkeypatch.setenv("HOKUSAI_LOAD_ALLOW_HOST", "10.0.0.7")
    require_loopback("http://10.0.0.7:8000")
    with pytest.raises(ConfigError):
        require_loopback("https://registry.hokus.ai")
