"""Performance on the embedded stack: ``make bench`` (its quick form) measures every operation
the issue names and reports the targets honestly, and the ``@performance`` scenarios turn a
budget that is not met into a failed scenario (a product verdict), never a broken one.

Timing itself is not asserted here (the machine is shared): what is asserted is that every
measurement exists, that the load tests did their work correctly, and that the verdicts and
the exit code follow from the numbers."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from ..suite_runner import ROOT, allure_results, finish_report, run_behave

pytestmark = pytest.mark.integration

OPERATIONS = {
    "authenticated read",
    "experiment search (gateway)",
    "experiment search (direct MLflow)",
    "run create + metric log",
    "model-version create",
    "artifact upload 1 KB",
    "artifact download 1 KB",
    "artifact upload 1 MB",
    "artifact download 1 MB",
    "artifact upload 50 MB",
    "artifact download 50 MB",
    "register and load",
}


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    reports = tmp_path_factory.mktemp("bench") / "reports"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOKUSAI_")}
    proc = subprocess.run(
        [sys.executable, "-m", "hokusai_acceptance.perf.bench", "--quick", "--reports", str(reports)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=480,
        stdin=subprocess.DEVNULL,
    )
    assert (reports / "performance.json").is_file(), proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc, reports, json.loads((reports / "performance.json").read_text())


def test_every_operation_is_measured_without_errors(bench):
    _, _, data = bench
    latency = data["latency"]
    assert set(latency) == OPERATIONS
    for name, row in latency.items():
        assert row["samples"] > 0 and row["errors"] == 0, (name, row)
        assert 0 < row["p50_ms"] <= row["p95_ms"] <= row["p99_ms"] <= row["max_ms"], (name, row)
    assert data["cache"]["cold"]["samples"] > 0 and data["cache"]["warm"]["samples"] > 0


def test_load_runs_cover_each_concurrency_level_for_reads_and_writes(bench):
    _, _, data = bench
    seen = {(r["target"], r["operation"], r["users"]) for r in data["throughput"]}
    for operation in ("read", "write"):
        for users in (1, 8, 32):
            assert ("gateway", operation, users) in seen
        for users in (1, 32):
            assert ("direct MLflow", operation, users) in seen
    for run in data["throughput"]:
        assert run["requests"] > 0 and run["failures"] == 0, run
        # the run's rate counts its whole time; Locust's own counts only the span between its first and last
        # request, which the run's time contains: a wrong run time (too short) shows as the first exceeding it
        assert 0 < run["rps"] <= run["locust_rps"] * 1.01, run


def test_correctness_under_load_and_with_a_large_model(bench):
    _, _, data = bench
    assert data["large_artifact"]["bytes"] == 50 * 2**20 and data["large_artifact"]["round_trip_identical"]
    assert data["concurrent_users"]["users"] == data["concurrent_users"]["succeeded"] == 8
    peaks = data["resources"]["peak_rss_mb"]
    assert set(peaks) == {"redis", "auth", "mlflow", "gateway", "balancer", "suite"}
    assert all(v > 0 for v in peaks.values())


def test_targets_verdicts_and_exit_code_follow_the_numbers(bench):
    proc, reports, data = bench
    targets = data["targets"]
    assert len(targets) == 8
    summary = data["summary"]
    overhead = next(t for t in targets if t["name"].startswith("gateway overhead"))
    assert overhead["limit"] == 1.2 and overhead["comparison"] == "<="  # behave.ini's perf_overhead_ratio
    gateway, direct = (
        data["latency"][f"experiment search ({side})"]["p50_ms"] for side in ("gateway", "direct MLflow")
    )
    assert summary["gateway_overhead_p50_ratio"] > 0 and gateway > 0 and direct > 0
    for plot in data["plots"]:
        assert (reports / plot).stat().st_size > 10_000
    verdict_lines = [line for line in proc.stdout.splitlines() if line.startswith("  [")]
    assert len(verdict_lines) == 8
    missed = [line for line in verdict_lines if "[    met     ]" not in line]
    assert proc.returncode == (1 if missed else 0), proc.stdout[-2000:]  # what it printed is what it exits with


def test_benchmark_reaches_the_infrastructure_report_and_allure(bench, tmp_path):
    _, bench_reports, _ = bench
    workdir = tmp_path / "run"
    (workdir / "reports").mkdir(parents=True)
    shutil.copyfile(bench_reports / "performance.json", workdir / "reports" / "performance.json")
    shutil.copytree(bench_reports / "performance", workdir / "reports" / "performance")
    proc, _ = run_behave(["--tags=@health and @smoke"], workdir, {"HOKUSAI_REPORTS_DIR": str(workdir / "reports")})
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    markdown = (workdir / "reports" / "infrastructure-report.md").read_text()
    assert "## Performance" in markdown and "(performance/latency.png)" in markdown
    assert "data:image/png;base64," in (workdir / "reports" / "infrastructure-report.html").read_text()
    assert finish_report(workdir).returncode == 0
    results = allure_results(workdir, scenarios_only=False)
    [benchmark] = [r for r in results if r["fullName"] == "hokusai.performance.benchmark"]
    assert sum(a["type"] == "image/png" for a in benchmark["attachments"]) == 3


@pytest.mark.serial  # one of its scenarios compares timings: it runs alone
def test_budgets_decide_the_performance_scenarios(tmp_path):
    """Every @performance scenario runs; an impossible read budget fails its scenario (failed, not
    broken), and with generous budgets every other one passes. The one comparison without a budget (warm
    cache reads faster than cold ones) takes its samples in turns, so a busy machine slows both sides."""
    proc, _ = run_behave(
        [
            "--tags=@performance",
            "-D",
            "perf_read_p95_ms=0.01",
            "-D",
            "perf_overhead_ratio=50",
            "-D",
            "perf_min_throughput_ratio=0.01",
            "-D",
            "perf_max_recovery_seconds=60",
        ],
        tmp_path,
        timeout=900,
    )
    assert proc.returncode == 1, proc.stdout[-3000:]
    results = allure_results(tmp_path)
    results = [r for r in results if r["status"] != "skipped"]  # the other features: not selected
    statuses = {r["name"]: (r["status"], r.get("statusDetails", {}).get("message", "")) for r in results}
    assert len(results) == 14, sorted(statuses)
    status, message = statuses.pop("Authenticated reads answer within 250 milliseconds, 95 times out of 100")
    assert status == "failed" and "the budget is 0 ms" in message
    assert {name: status for name, (status, _) in statuses.items() if status != "passed"} == {}
    for name in (
        "The API adds at most a fifth to MLflow's own answer time",
        "Every registry operation a developer uses is timed",
        "A read the validation cache answers is faster than one the auth service must check",
    ):
        assert name in statuses


def test_distributed_locust_runs_a_master_and_its_workers_and_leaves_none_behind():
    import psutil

    from hokusai_acceptance.perf.generators import fixed_latency_server, measure

    with fixed_latency_server(delay_ms=10) as url:
        results = measure(url, seconds=3, levels=(16,), workers=(1, 2), agreement_users=4, target="/x")
    runs = {run["workers"]: run for run in results["runs"]}
    assert set(runs) == {1, 2} and results["target"] == "/x"
    assert all(run["p50_ms"] >= 10 for run in runs.values())  # the target's fixed delay is in every answer
    assert all(run["requests"] > 0 and run["failures"] == 0 for run in runs.values())
    assert results["agreement"]["distributed"]["workers"] == 2
    left = [p.pid for p in psutil.Process().children(recursive=True) if "locust" in " ".join(p.cmdline())]
    assert left == []
