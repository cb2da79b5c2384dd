"""The benchmark's results in the infrastructure report and in Allure."""

import json

from hokusai_acceptance.diagnosis import report as report_mod
from hokusai_acceptance.perf.targets import Target

TARGETS = [
    Target("gateway overhead", 1.61, 1.2, "<=", "x").to_dict(),
    Target("read throughput", 0.97, 0.8, ">=", "x").to_dict(),
    Target("memory growth", None, 100, "<=", " MB").to_dict(),
]


def write_bench(reports, plots=("performance/latency.png",)):
    (reports / "performance").mkdir(parents=True, exist_ok=True)
    for plot in plots:
        if plot.startswith("performance/"):
            (reports / plot).write_bytes(b"\x89PNG\r\n\x1a\n")
    (reports / "performance.json").write_text(
        json.dumps({"measured_at": "2026-11-23T10:00:00Z", "targets": TARGETS, "plots": list(plots)})
    )


def test_no_benchmark_no_section(tmp_path):
    assert report_mod.load_performance(tmp_path) is None
    (tmp_path / "performance.json").write_text("{not json")
    assert report_mod.load_performance(tmp_path) is None
    (tmp_path / "performance.json").write_text(json.dumps({"summary": {}}))
    assert report_mod.load_performance(tmp_path) is None
    (tmp_path / "performance.json").write_text(json.dumps({"targets": [{"name": "from an older bench"}]}))
    assert report_mod.load_performance(tmp_path) is None
    assert report_mod.performance_lines(None) == []


def test_only_plots_under_the_reports_performance_folder_are_linked(tmp_path):
    write_bench(tmp_path, plots=("performance/latency.png", "../../etc/passwd.png", "javascript:alert(1)"))
    assert report_mod.load_performance(tmp_path)["plots"] == ["performance/latency.png"]


def test_section_names_missed_and_unmeasured_targets_and_links_the_plots(tmp_path):
    write_bench(tmp_path)
    lines = "\n".join(report_mod.performance_lines(report_mod.load_performance(tmp_path)))
    assert "**2 of 3 targets not met**" in lines
    assert "| gateway overhead | 1.61x | <= 1.2x | **missed** |" in lines
    assert "| memory growth | n/a | <= 100 MB | **not measured** |" in lines
    assert "[Latency per operation](performance/latency.png)" in lines
    (tmp_path / "performance").mkdir(exist_ok=True)
    (tmp_path / "performance" / "latency.png").write_bytes(b"\x89PNG fake")
    html = report_mod.render_html(empty_report(), report_mod.load_performance(tmp_path), tmp_path)
    assert "data:image/png;base64," in html and "2 of 3 targets not met" in html  # one file, plots inside
    assert "performance/latency.png" not in html.split("<figure>")[-1]


def empty_report():
    from hokusai_acceptance import status
    from hokusai_acceptance.diagnosis import RunEvidence, build, diagnose

    evidence = RunEvidence()
    diagnosis = diagnose(evidence)
    run_status = status.build(
        target="http://127.0.0.1:1",
        embedded=True,
        identity=diagnosis.identity,
        findings=[],
        outcomes=[],
        not_selected=[],
    )
    return build(
        evidence,
        diagnosis,
        target="http://127.0.0.1:1",
        target_kind=run_status.target_words,
        run_id="r1",
        status=run_status,
    )
