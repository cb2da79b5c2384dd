"""Monitoring mode's pieces: cycle reading, metrics, changes between cycles, the webhook, the alert rules."""

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml
from prometheus_client import generate_latest

from hokusai_acceptance.errors import ConfigError
from hokusai_acceptance.monitor import Cycle, Metrics, changes, endpoint_of, listen_address, post_webhook, read_cycle
from hokusai_acceptance.redaction import register_secret

ROOT = Path(__file__).resolve().parents[2]
KEY = "hk_live_" + "Mo" * 16


@pytest.mark.parametrize(
    "route,endpoint",
    [
        ("/api/mlflow/api/2.0/mlflow/experiments/search", "experiments/search"),
        ("/api/mlflow/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts/model.pkl", "mlflow-artifacts/artifacts"),
        ("/api/mlflow/api/2.0/mlflow/registered-models/get", "registered-models/get"),
        ("/health", "/health"),
        ("/api/health/mlflow", "/api/health/mlflow"),
        ("/models/my-private-model/1", "other"),
    ],
)
def test_calls_are_labelled_by_endpoint_never_by_id(route, endpoint):
    assert endpoint_of(route) == endpoint


def test_a_cycle_is_read_from_the_reports_make_report_writes(tmp_path):
    (tmp_path / "allure-results").mkdir()
    (tmp_path / "infrastructure-report.json").write_text(
        json.dumps(
            {
                "status": {"verdict": "works in part"},
                "identity": {"api_version": "1.2.3", "api_commit": "abc"},
                "findings": [{"id": "health-lies", "title": "t", "severity": "high", "owner": "API team"}],
                "scenarios": [
                    {"name": "S1", "feature": "F", "status": "failed"},
                    {"name": "S2", "feature": "F", "status": "passed"},
                ],
            }
        )
    )
    (tmp_path / "allure-results" / "a-result.json").write_text(json.dumps({"name": "S1", "start": 1000, "stop": 3500}))
    (tmp_path / "diagnosis-evidence.json").write_text(
        json.dumps(
            {
                "exchanges": [
                    {
                        "method": "GET",
                        "url": "http://t/api/mlflow/api/2.0/mlflow/experiments/search?x=1",
                        "status": 200,
                        "elapsed_ms": 12.0,
                    },
                    {"method": "GET", "url": "http://t/health", "status": None, "elapsed_ms": 3000.0},
                ]
            }
        )
    )
    cycle = read_cycle(tmp_path, 1, 100.0, 20.0, 1)
    assert (cycle.verdict, cycle.version, cycle.commit) == ("works in part", "1.2.3", "abc")
    assert list(cycle.findings) == ["health-lies"] and not cycle.green
    assert cycle.scenarios[0]["seconds"] == 2.5 and cycle.scenarios[1]["seconds"] is None
    assert cycle.latencies == [("GET", "experiments/search", 0.012)]  # a call without an answer is not timed


def test_metrics_follow_the_latest_cycle_and_every_known_cause_is_a_series():
    metrics = Metrics()
    bad = Cycle(
        1,
        100.0,
        10.0,
        1,
        findings={"health-lies": {"title": "t", "severity": "high", "owner": "o"}},
        scenarios=[{"name": "S", "feature": "F", "status": "failed", "seconds": 1.5}],
    )
    bad.verdict = "works in part"
    metrics.update(bad)
    text = generate_latest(metrics.registry).decode()
    assert re.search(r'hokusai_finding_present\{finding="health-lies",[^}]*\} 1\.0', text)
    assert re.search(r'hokusai_finding_present\{finding="target-unreachable",[^}]*\} 0\.0', text)
    assert 'hokusai_scenario_passed{feature="F",scenario="S"} 0.0' in text
    assert "hokusai_last_green_run_timestamp_seconds 0.0" in text
    metrics.update(
        Cycle(
            2,
            200.0,
            10.0,
            0,
            verdict="works",
            scenarios=[{"name": "S", "feature": "F", "status": "passed", "seconds": 1.0}],
        )
    )
    text = generate_latest(metrics.registry).decode()
    assert re.search(r'hokusai_finding_present\{finding="health-lies",[^}]*\} 0\.0', text)
    assert "hokusai_last_green_run_timestamp_seconds 210.0" in text
    assert 'hokusai_monitor_cycles_total{outcome="green"} 1.0' in text


def test_a_cycle_without_its_report_changes_no_state():
    metrics = Metrics()
    metrics.update(
        Cycle(
            1,
            100.0,
            10.0,
            1,
            verdict="works",
            findings={"health-lies": {"title": "t", "severity": "high", "owner": "o"}},
        )
    )
    metrics.update(Cycle(2, 200.0, 10.0, 2, verdict="no report"))
    text = generate_latest(metrics.registry).decode()
    assert re.search(r'hokusai_finding_present\{finding="health-lies",[^}]*\} 1\.0', text)
    assert 'hokusai_monitor_cycles_total{outcome="incomplete"} 1.0' in text


def test_appearing_and_resolving_findings_are_the_changes():
    before = {"a": {"title": "A"}, "b": {"title": "B"}}
    after = {"b": {"title": "B"}, "c": {"title": "C"}}
    assert changes(before, after) == [
        {"event": "appeared", "finding": "c", "title": "C"},
        {"event": "resolved", "finding": "a", "title": "A"},
    ]


def test_the_webhook_gets_json_without_the_key_and_a_dead_one_is_a_reason_not_a_crash():
    register_secret(KEY)
    bodies = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            bodies.append(self.rfile.read(int(self.headers["Content-Length"])).decode())
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    assert post_webhook(url, {"event": "appeared", "finding": "x", "target": f"https://h/?api_key={KEY}"}) is None
    server.shutdown()
    assert json.loads(bodies[0])["event"] == "appeared" and KEY not in bodies[0]
    assert post_webhook(url, {"event": "resolved"}) is not None  # nothing listens any more


def test_the_metrics_address_is_host_and_port():
    assert listen_address("127.0.0.1:9464") == ("127.0.0.1", 9464)
    with pytest.raises(ConfigError):
        listen_address("9464")


def test_the_example_alert_rules_are_well_formed_and_use_only_metrics_the_monitor_exports():
    rules = yaml.safe_load((ROOT / "docs" / "prometheus-alerts.yml").read_text())
    exported = {m.name for m in Metrics().registry.collect()}
    exported |= {f"{name}_total" for name in exported} | {f"{name}_info" for name in exported}
    names = []
    for group in rules["groups"]:
        assert group["name"] and group["rules"]
        for rule in group["rules"]:
            assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"} and rule["alert"], rule
            assert re.fullmatch(r"\d+[smhd]", rule.get("for", "0s")), rule
            expr = rule["expr"]
            assert expr.count("(") == expr.count(")") and expr.count("{") == expr.count("}"), expr
            used = set(re.findall(r"\bhokusai_[a-z_]+", expr))
            assert used and used <= exported, used - exported
            names.append(rule["alert"])
    assert len(names) == len(set(names)) >= 3
