"""The Allure report is cleaned of the analytics tag Allure 3 always writes, and a report that
would still load anything from outside the machine is refused."""

from hokusai_acceptance import allure_html

# the shape Allure 3.18 writes at the end of a single-file report
TAIL = """<script src="data:text/javascript;base64,KCk9Pnt9"></script>
    <script async src="https://www.googletagmanager.com/gtag/js?id=G-LNDJ3J7WT0"></script>
    <script>
        window.dataLayer = window.dataLayer || [];
        function gtag(){dataLayer.push(arguments);}
        gtag('js', new Date());
        gtag('config', 'G-LNDJ3J7WT0', {
          "report": "awesome",
          "single_file": "true"
        });
    </script>
    <script async>
        window.allureReportOptions = {"reportName": "Hokusai"};
    </script>
</body></html>"""


def test_the_analytics_tag_and_its_setup_are_removed_and_nothing_else():
    cleaned = allure_html.strip_analytics(TAIL)
    assert "googletagmanager" not in cleaned and "gtag" not in cleaned and "dataLayer" not in cleaned
    assert 'src="data:text/javascript;base64,KCk9Pnt9"' in cleaned and "window.allureReportOptions" in cleaned
    assert allure_html.outside_references(cleaned) == []
    assert allure_html.strip_analytics(cleaned) == cleaned


def test_any_other_outside_address_is_reported():
    assert allure_html.outside_references('<link rel="stylesheet" href="https://fonts.example/x.css">') != []
    assert allure_html.outside_references('<img src="//cdn.example/logo.png">') != []
    assert allure_html.outside_references('<img src="data/logo.png"><a href="https://docs">docs</a>') == []


def test_a_report_is_cleaned_in_place_and_a_missing_one_is_a_problem(tmp_path):
    page = tmp_path / "index.html"
    page.write_text(TAIL)
    assert allure_html.clean_report(tmp_path) == []
    assert "googletagmanager" not in page.read_text()
    assert allure_html.clean_report(tmp_path / "absent") != []


def test_generation_that_cannot_run_is_exit_1(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(allure_html, "ALLURE", tmp_path / "no-allure-here")
    (tmp_path / "reports").mkdir()
    assert allure_html.generate(tmp_path / "reports", tmp_path / "allurerc.mjs") == 1
    assert "could not run" in capsys.readouterr().err
