"""A person's view: the generated Allure report and the infrastructure report, opened in
headless Chromium, show the scenarios, the categories and the diagnosis. Screenshots land in
reports/screenshots/ for people to look at."""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from ..suite_runner import ROOT, finish_report, link_project, run_behave

pytestmark = pytest.mark.integration
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = ROOT / "reports" / "screenshots"


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """A real report: the smoke selection under a field fault, so failures and a diagnosis show."""
    work = tmp_path_factory.mktemp("report")
    link_project(work, extra=("allurerc.mjs",))
    run_behave(["--tags=@smoke", "-f", "null"], work, {"HOKUSAI_STACK_FAULTS": "artifacts-disabled"}, timeout=300)
    finish = finish_report(work)
    assert finish.returncode == 0, finish.stderr
    allure = subprocess.run([str(ROOT / "node_modules" / ".bin" / "allure"), "generate", "reports/allure-results",
                             "--config", "allurerc.mjs"], cwd=work, capture_output=True, text=True, timeout=300)
    assert allure.returncode == 0, allure.stdout[-2000:] + allure.stderr[-2000:]
    return work / "reports"


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail("Chromium is not installed; `make test` installs it (apt package chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-quic"])
        yield instance
        instance.close()


def open_page(browser, path: Path, ready_text: str):
    """Open a page and wait (bounded) until the app has rendered ``ready_text``."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(path.as_uri())
    page.get_by_text(ready_text).first.wait_for(timeout=30000)
    return page


def wait_for_text(page, text: str) -> str:
    page.get_by_text(text).first.wait_for(timeout=15000)
    return page.inner_text("body")


def test_allure_report_shows_capabilities_scenarios_and_diagnosis(generated, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = open_page(browser, generated / "allure-report" / "index.html", "Infrastructure report")
    text = page.inner_text("body")
    page.screenshot(path=str(SHOTS / "allure-overview.png"), full_page=True)
    for words in ("Authentication", "Infrastructure health", "Model registration", "Infrastructure report"):
        assert words in text, f"{words!r} is not visible in the Allure report"
    page.get_by_placeholder("Search tests").fill("Infrastructure diagnosis")
    text = wait_for_text(page, "Infrastructure diagnosis: what works")
    page.screenshot(path=str(SHOTS / "allure-diagnosis.png"), full_page=True)
    assert "Infrastructure diagnosis" in text
    page.close()


def test_allure_report_shows_the_categories(generated, browser):
    page = open_page(browser, generated / "allure-report" / "index.html", "Categories")
    page.get_by_text("Categories").first.click()  # the "Categories" tab of the Awesome report
    text = wait_for_text(page, "Infrastructure diagnosis (root causes and recommendations)")
    page.screenshot(path=str(SHOTS / "allure-categories.png"), full_page=True)
    assert "Infrastructure diagnosis (root causes and recommendations)" in text
    page.close()


def test_infrastructure_report_reads_as_a_document(generated, browser):
    page = open_page(browser, generated / "infrastructure-report.html", "Executive summary")
    text = page.inner_text("body")
    page.screenshot(path=str(SHOTS / "infrastructure-report.png"), full_page=True)
    assert "Executive summary" in text and "Fix first" in text and "Components" in text
    assert "artifacts-disabled" in text and "--serve-artifacts" in text
    assert "Follow-up testing plan" in text
    page.close()
