"""Every report format survives hostile values: quotes, backslashes, line breaks, pipes, backticks, markup,
non-ASCII and a key inside a URL. Values are redacted before they are serialised, so each file still parses
(or renders) and no key is in any of them."""

import json
from html.parser import HTMLParser

import pytest

from hokusai_acceptance import status
from hokusai_acceptance.diagnosis import diagnose
from hokusai_acceptance.diagnosis import report as reports
from hokusai_acceptance.diagnosis.evidence import ScenarioOutcome
from hokusai_acceptance.redaction import forget_secrets, register_secret

from .test_diagnosis_rules import SEARCH, evidence, ex, healthy_probes

KEY = "hk_live_" + "Hostile0Key1With2Digits" + "3456789"  # built here: a key-shaped literal is not committed whole
HOSTILE = 'he said "no" \\ back\nslash | pipe `tick` ``two`` <script>alert(1)</script> 東京 ümlaut'
SCENARIO = 'A scenario | named "badly"\nwith a break'


@pytest.fixture
def written(tmp_path):
    register_secret(KEY)
    try:
        answer = ex(
            "x",
            SEARCH + f'?api_key={KEY}\\"&q={HOSTILE[:20]}',
            418,
            json.dumps({"detail": HOSTILE + f" key={KEY}"}),
            keyed=True,
            scenario=SCENARIO,
        )
        version = ex("version", "/version", 200, json.dumps({"version": HOSTILE, "git_commit": "`|\\"}))
        run = evidence(
            healthy_probes(version=version),
            [answer],
            [ScenarioOutcome("Feature | x", SCENARIO, "failed", f"AssertionError: {HOSTILE} {KEY}")],
            leftovers=[f"model {HOSTILE} {KEY}"],
        )
        report, run_status = _report_of(run, target=f'https://registry.example/?api_key={KEY}\\"')
        assert report.diagnosis.findings, "the hostile answer is trouble a finding shows"
        paths = reports.write(report, tmp_path)
        paths["status"] = run_status.write(tmp_path)
        yield {name: path.read_text() for name, path in paths.items()}
    finally:
        forget_secrets()


def test_no_format_holds_the_key(written):
    for name, text in written.items():
        assert KEY not in text and "Hostile0Key" not in text, name


def test_json_reports_parse_and_keep_every_other_character(written):
    data = json.loads(written["json"])
    titles = " ".join(f["title"] + f["root_cause"] for f in data["findings"])
    assert "東京" in titles and '"no"' in titles and "<script>" in titles
    assert json.loads(written["status"])["target"].startswith("https://registry.example/?api_key=***")


def test_markdown_tables_keep_their_columns_and_values_stay_on_their_line(written):
    lines = written["md"].splitlines()
    assert not any(line.startswith(("slash", "with a break")) for line in lines)
    table: list[str] = []
    for line in [*lines, ""]:
        if line.startswith("|"):
            table.append(line)
            continue
        if table:
            widths = {len(row.replace("\\\\", "").replace("\\|", "").split("|")) for row in table}
            assert len(widths) == 1, f"a row of this table lost its columns: {table}"
            table = []


def test_html_escapes_markup_and_parses(written):
    html = written["html"]
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    parser = HTMLParser()
    parser.feed(html)
    parser.close()


def _report_of(run, target="https://registry.example"):
    diagnosis = diagnose(run)
    run_status = status.build(
        target=target,
        embedded=False,
        identity=diagnosis.identity,
        findings=diagnosis.findings,
        outcomes=run.scenarios,
        not_selected=[],
    )
    report = reports.build(
        run, diagnosis, target="https://registry.example", target_kind="remote", run_id="r1", status=run_status
    )
    return report, run_status


def _components_of(run):
    return _report_of(run)[0].components


def test_a_component_is_not_blamed_only_when_another_components_finding_explains_its_failures():
    auth = ScenarioOutcome("Auth", "A valid key is accepted", "failed", "AssertionError: x", tags=["auth"])
    refused = ex(
        "x",
        SEARCH,
        403,
        '{"detail":"Admin access required for the model registry","error":"REGISTRY_ADMIN_REQUIRED"}',
        keyed=True,
        scenario=auth.name,
    )
    closed = _components_of(evidence(exchanges=[refused], scenarios=[auth]))
    assert closed["auth service"]["state"] == "not blamed", closed["auth service"]
    # a failure nothing explains (the catch-all finding) leaves the component "affected"
    unexplained = _components_of(evidence(scenarios=[auth]))
    assert unexplained["auth service"]["state"] == "affected", unexplained["auth service"]
