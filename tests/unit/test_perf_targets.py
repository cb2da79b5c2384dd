"""Performance targets: budgets come from behave.ini only, and a target that was not measured
is never reported as met."""

import math

import pytest

from hokusai_acceptance.errors import ConfigError
from hokusai_acceptance.perf import targets
from hokusai_acceptance.perf.bench import summarise, throughput_by_level
from hokusai_acceptance.perf.measure import stats

BUDGETS = {
    "perf_overhead_ratio": 1.2,
    "perf_min_throughput_ratio": 0.8,
    "perf_agreement_tolerance": 0.1,
    "perf_max_memory_growth_mb": 100.0,
    "perf_max_recovery_seconds": 5.0,
}


def good_results():
    return {
        "summary": {
            "gateway_overhead_p50_ratio": 1.1,
            "throughput_ratio_read_c32": 0.95,
            "slowest_recovery_seconds": 0.5,
            "load_runs_not_recovered": 0,
        },
        "agreement": {"p50_ratio": 0.97, "p95_ratio": 1.04},
        "large_artifact": {"gateway_rss_growth_mb": 0.4, "round_trip_identical": True},
        "concurrent_users": {"users": 8, "succeeded": 8},
    }


def test_project_budgets_are_read_from_behave_ini():
    budgets = targets.read_budgets()
    written = {
        "perf_read_p95_ms": 250,
        "perf_overhead_ratio": 1.2,
        "perf_min_throughput_ratio": 0.8,
        "perf_agreement_tolerance": 0.10,
        "perf_max_memory_growth_mb": 100,
        "perf_max_recovery_seconds": 5,
    }
    assert {name: budgets[name] for name in written} == written


def test_missing_or_non_numeric_budget_is_a_configuration_error(tmp_path):
    ini = tmp_path / "behave.ini"
    ini.write_text("[behave.userdata]\nperf_overhead_ratio = 1.2\n")
    with pytest.raises(ConfigError, match="perf_min_throughput_ratio"):
        targets.read_budgets(ini)
    ini.write_text(
        "[behave.userdata]\n"
        + "".join(f"{n} = 1\n" for n in targets.BENCH_BUDGETS).replace(
            "perf_overhead_ratio = 1", "perf_overhead_ratio = fast"
        )
    )
    with pytest.raises(ConfigError, match="must be a number"):
        targets.read_budgets(ini)
    with pytest.raises(ConfigError, match="missing"):
        targets.read_budgets(tmp_path / "absent.ini")


def test_all_targets_met():
    evaluated = targets.evaluate(good_results(), BUDGETS)
    assert [t.verdict for t in evaluated] == ["met"] * 8


@pytest.mark.parametrize(
    "path,value,missed",
    [
        (("summary", "gateway_overhead_p50_ratio"), 1.61, "gateway overhead"),
        (("summary", "throughput_ratio_read_c32"), 0.5, "read throughput"),
        (("agreement", "p95_ratio"), 1.2, "p95 deviation"),
        (("large_artifact", "gateway_rss_growth_mb"), 250.0, "memory growth"),
        (("large_artifact", "round_trip_identical"), False, "identical"),
        (("concurrent_users", "succeeded"), 7, "registration failed"),
        (("summary", "slowest_recovery_seconds"), 25.0, "recovery"),
        (("summary", "load_runs_not_recovered"), 1, "recovery"),
    ],
)
def test_each_target_can_be_missed(path, value, missed):
    results = good_results()
    results[path[0]][path[1]] = value
    evaluated = targets.evaluate(results, BUDGETS)
    assert [t.name for t in evaluated if not t.met] == [t.name for t in evaluated if missed in t.name]
    assert len([t for t in evaluated if not t.met]) == 1


#: the targets measured from the summary and the 50 MB round trip: without them, none is measured
UNMEASURED_WITHOUT_SUMMARY = [
    "50 MB model bytes identical after the round trip",
    "gateway memory growth during a 50 MB upload and download",
    "gateway overhead on experiment search, p50 through the gateway / direct MLflow",
    "read throughput at concurrency 32, gateway / direct MLflow",
    "slowest recovery after a load run (a read answered within 500 ms again)",
]


def test_unmeasured_targets_are_not_met():
    results = good_results()
    results["summary"] = {"gateway_overhead_p50_ratio": math.nan}
    results["large_artifact"] = {}
    evaluated = {t.name: t for t in targets.evaluate(results, BUDGETS)}
    unmeasured = sorted(name for name, t in evaluated.items() if t.verdict == "not measured")
    assert unmeasured == UNMEASURED_WITHOUT_SUMMARY, unmeasured
    for name in unmeasured:
        assert evaluated[name].to_dict()["met"] is False and "n/a" in evaluated[name].describe()


def load_run(target: str, requests_: int, recovery: float | None = 0.0, users: int = 32) -> dict:
    return {
        "target": target,
        "operation": "read",
        "users": users,
        "seconds": 6,
        "requests": requests_,
        "failures": 0,
        "failure_reasons": {},
        "recovery_seconds": recovery,
    }


def test_summary_ratios_come_from_the_measurements():
    results = {
        "latency": {
            "experiment search (gateway)": stats("g", [11.0, 12.0, 13.0]),
            "experiment search (direct MLflow)": stats("d", [9.0, 10.0, 11.0]),
        },
        "throughput": [load_run("gateway", 540), load_run("direct MLflow", 600, recovery=2.5)],
    }
    summary = summarise(results)
    assert summary["gateway_overhead_p50_ratio"] == 1.2
    assert summary["throughput_ratio_read_c32"] == 0.9
    assert "throughput_ratio_write_c32" not in summary
    assert summary["slowest_recovery_seconds"] == 2.5 and summary["load_runs_not_recovered"] == 0
    results["throughput"][0]["recovery_seconds"] = None
    summary = summarise(results)
    assert summary["slowest_recovery_seconds"] == 2.5 and summary["load_runs_not_recovered"] == 1


def test_runs_at_one_level_are_combined_before_the_ratio():
    """Gateway, MLflow, MLflow, gateway: each side's requests over each side's seconds."""
    runs = [
        load_run("gateway", 500),
        load_run("direct MLflow", 640),
        load_run("direct MLflow", 560),
        load_run("gateway", 400),
        load_run("gateway", 300, users=8),
    ]
    levels = throughput_by_level(runs)
    assert levels[("gateway", "read", 32)]["rps"] == 75.0 and levels[("gateway", "read", 32)]["seconds"] == 12
    assert levels[("direct MLflow", "read", 32)]["rps"] == 100.0 and levels[("gateway", "read", 8)]["rps"] == 50.0
    results = {
        "latency": {
            "experiment search (gateway)": stats("g", [12.0]),
            "experiment search (direct MLflow)": stats("d", [10.0]),
        },
        "throughput": runs,
    }
    assert summarise(results)["throughput_ratio_read_c32"] == 0.75


def test_behave_userdata_budgets_must_be_numbers():
    from hokusai_acceptance.perf.targets import parse_budgets

    assert parse_budgets(
        {"perf_read_p95_ms": "250", "perf_max_memory_growth_mb": "100", "AllureFormatter.hide_excluded": "true"}
    ) == {"perf_read_p95_ms": 250.0, "perf_max_memory_growth_mb": 100.0}
    with pytest.raises(ConfigError, match="probe_budget_ms must be a number"):
        parse_budgets({"probe_budget_ms": "fast"})


def test_make_bench_takes_the_same_overrides_as_behave(tmp_path):
    from hokusai_acceptance.perf.targets import read_budgets

    ini = tmp_path / "behave.ini"
    ini.write_text("[behave.userdata]\n" + "\n".join(f"{name} = 1" for name in targets.BENCH_BUDGETS) + "\n")
    assert read_budgets(ini)["perf_overhead_ratio"] == 1.0
    assert read_budgets(ini, {"perf_overhead_ratio": "1.5"})["perf_overhead_ratio"] == 1.5
    ini.write_text("[behave.userdata]\nperf_overhead_ratio = 1\n")
    with pytest.raises(ConfigError, match=r"lack .*perf_max_recovery_seconds"):
        read_budgets(ini)


def test_yes_no_and_counts_read_as_words():
    results = good_results()
    results["concurrent_users"]["succeeded"] = 6
    by_name = {t.name: t for t in targets.evaluate(results, BUDGETS)}
    identical = by_name["50 MB model bytes identical after the round trip"]
    assert identical.describe() == "50 MB model bytes identical after the round trip: yes (target must be yes): met"
    failed = by_name["concurrent developers whose registration failed"]
    assert failed.to_dict()["measured_text"] == "2 of 8" and failed.verdict == "missed"


def test_a_registry_that_never_recovered_misses_the_recovery_target():
    results = good_results()
    results["summary"]["load_runs_not_recovered"] = 2
    [recovery] = [t for t in targets.evaluate(results, BUDGETS) if "recovery" in t.name]
    assert recovery.verdict == "missed"
    assert recovery.measured_text() == "2 run(s) not within 60 s" and recovery.rule_text() == "<= 5 s"
