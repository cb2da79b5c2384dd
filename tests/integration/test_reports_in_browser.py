"""A person's view: the reports of a failing run (a field fault injected), opened in headless
Chromium, show what ran and what did not, what is broken, who must act and what to do first,
without opening an attachment. Screenshots land in reports/screenshots/ for people to look at."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ..suite_runner import ROOT, finish_report, link_project, run_behave

pytestmark = pytest.mark.integration
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = ROOT / "reports" / "screenshots"


def bench_results(reports: Path) -> None:
    """What `make bench` leaves behind (one target missed), with a real plot, for the reports to pick up."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    (reports / "performance").mkdir(parents=True)
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.plot([1, 8, 32, 64], [60, 58, 50, 48], marker="o")
    ax.set_title("Throughput vs concurrency")
    fig.savefig(reports / "performance" / "throughput.png", dpi=80)
    plt.close(fig)
    from hokusai_acceptance.perf.targets import Target

    targets = [
        Target("gateway overhead on experiment search", 1.31, 1.2, "<=", "x").to_dict(),
        Target("read throughput at concurrency 32", 1.04, 0.8, ">=", "x").to_dict(),
    ]
    (reports / "performance.json").write_text(
        json.dumps({"measured_at": "2026-11-23T10:00:00Z", "targets": targets, "plots": ["performance/throughput.png"]})
    )


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """A real report: the smoke selection under a field fault, so failures and a diagnosis show,
    after a benchmark that missed one target."""
    work = tmp_path_factory.mktemp("report")
    link_project(work, extra=("allurerc.mjs",))
    bench_results(work / "reports")
    run_behave(["--tags=@smoke", "-f", "null"], work, {"HOKUSAI_STACK_FAULTS": "artifacts-disabled"}, timeout=300)
    finish = finish_report(work)
    assert finish.returncode == 0, finish.stderr
    allure = subprocess.run(
        [
            sys.executable,
            "-m",
            "hokusai_acceptance.allure_html",
            str(work / "reports"),
            "--config",
            str(work / "allurerc.mjs"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=330,
    )
    assert allure.returncode == 0, (
        allure.stderr[-2000:] + (work / "reports" / "allure-generate.log").read_text()[-2000:]
    )
    return work / "reports"


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail("Chromium is not installed; `make test` installs it (apt package chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield instance
        instance.close()


def open_page(browser, path: Path, ready_text: str):
    """Open a page and wait (bounded) until the app has rendered ``ready_text``; the page may load
    nothing from outside this machine."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    outside: list[str] = []
    page.on(
        "request",
        lambda request: (
            outside.append(request.url) if not request.url.startswith(("file:", "data:", "blob:", "about:")) else None
        ),
    )
    page.goto(path.as_uri())
    page.get_by_text(ready_text).first.wait_for(timeout=30000)
    assert outside == [], f"{path.name} loads from outside this machine: {outside}"
    return page


def wait_for_text(page, text: str) -> str:
    page.get_by_text(text).first.wait_for(timeout=15000)
    return page.inner_text("body")


def top_of(page) -> None:
    page.evaluate(
        "document.querySelectorAll('*').forEach(e => { if (e.scrollTop) e.scrollTop = 0 }); window.scrollTo(0, 0)"
    )


def test_allure_overview_says_what_ran_what_did_not_and_the_verdict(generated, browser):
    """A reader of the overview alone sees the target in words, the verdict and the totals, and that the
    local stack is not a deployment, without opening anything."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = open_page(browser, generated / "allure-report" / "index.html", "Run status")
    top_of(page)
    page.screenshot(path=str(SHOTS / "allure-overview.png"), full_page=False)
    text = page.inner_text("body")
    for words in (
        "Verdict",
        "third-party model registration does not work",
        "Totals",
        "scenarios in the features",
        "Not run",
        "not a Hokusai deployment",
        "Authentication",
        "Model registration",
        "Findings: what is wrong and who acts",
    ):
        assert words in text, f"{words!r} is not visible on the Allure overview"
    page.close()


def test_allure_finding_names_component_owner_and_first_action(generated, browser):
    page = open_page(browser, generated / "allure-report" / "index.html", "Run status")
    page.get_by_placeholder("Search tests").fill("Artifact storage is switched off")
    page.get_by_text("Finding 1: Artifact storage is switched off").first.click()
    # Allure shows a result's description in a frame of its own
    page.frame_locator("iframe").first.get_by_text("Explains these failing scenarios").first.wait_for(timeout=15000)
    text = "\n".join(frame.inner_text("body") for frame in page.frames)
    page.screenshot(path=str(SHOTS / "allure-finding.png"), full_page=False)
    for words in (
        "Owner: infra team",
        "artifact storage",
        "--serve-artifacts",
        "Explains these failing scenarios",
        "A trained model appears in the registry with its benchmark",
    ):
        assert words in text, f"{words!r} is not on the finding's page"
    page.close()


def test_allure_failed_scenario_points_at_its_finding_and_owner(generated, browser):
    page = open_page(browser, generated / "allure-report" / "index.html", "Run status")
    page.get_by_placeholder("Search tests").fill("A trained model appears")
    page.get_by_text("A trained model appears in the registry with its benchmark").first.click()
    text = wait_for_text(page, "Explained by")
    page.screenshot(path=str(SHOTS / "allure-failed-scenario.png"), full_page=False)
    assert "Artifact storage is switched off" in text and "Owner: infra team" in text
    assert "First action: Deploy MLflow with --serve-artifacts" in text
    page.close()


def test_allure_categories_put_status_and_findings_first(generated, browser):
    page = open_page(browser, generated / "allure-report" / "index.html", "Categories")
    page.get_by_text("Categories").first.click()  # the "Categories" tab of the Awesome report
    text = wait_for_text(page, "Findings: what is wrong, who acts, and what to do first")
    page.screenshot(path=str(SHOTS / "allure-categories.png"), full_page=True)
    assert text.index("Run status") < text.index("Findings: what is wrong, who acts")
    page.close()


def test_infrastructure_report_shows_the_failing_component_owner_and_first_action(generated, browser):
    page = open_page(browser, generated / "infrastructure-report.html", "Verdict")
    page.screenshot(path=str(SHOTS / "infrastructure-report.png"), full_page=True)
    visible = page.inner_text("body")  # collapsed evidence is not visible text
    for words in (
        "Verdict: third-party model registration does not work",
        "not a Hokusai deployment",
        "Who acts first",
        "Artifact storage is switched off",
        "infra team",
        "Deploy MLflow with --serve-artifacts",
        "Components",
        "failing",
        "Failing scenarios and who acts",
        "How to read this report",
    ):
        assert words in visible, f"{words!r} is not visible in the infrastructure report"
    assert "Upgrade gaps" not in visible  # the target follows the later contract: an upgrade brings nothing
    assert page.locator("details").count() >= 1 and "ARTIFACTS_DISABLED" in page.content()
    colours = page.evaluate("getComputedStyle(document.querySelector('.pill.failing')).backgroundColor")
    assert colours == "rgb(207, 34, 46)", colours
    page.close()


def test_benchmark_shows_in_both_reports(generated, browser):
    page = open_page(browser, generated / "allure-report" / "index.html", "Run status")
    page.get_by_placeholder("Search tests").fill("Performance benchmark")
    text = wait_for_text(page, "Performance benchmark (make bench")
    page.get_by_text("Performance benchmark (make bench").first.click()
    text = wait_for_text(page, "gateway overhead on experiment search: 1.31x (target <= 1.2x)")
    page.screenshot(path=str(SHOTS / "allure-performance.png"), full_page=True)
    assert "Throughput vs concurrency" in text  # the plot, attached
    assert "Category: Performance: a budget or a benchmark target was missed" in text
    page.close()
    page = open_page(browser, generated / "infrastructure-report.html", "Performance")
    text = page.inner_text("body")
    assert "1 of 2 targets not met" in text and "performance/throughput.png" not in page.content()
    widths = page.evaluate("Array.from(document.images).map(i => i.naturalWidth)")
    assert widths and all(w > 0 for w in widths), "a plot does not load in the infrastructure report"
    page.close()
