"""Monitoring mode, three cycles against the embedded stack: a fault switched on in the second cycle and off in
the third shows the finding appear and resolve in the metrics, the Allure history and a webhook receiver."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
import requests
from prometheus_client import generate_latest, start_http_server

from hokusai_acceptance.monitor import Monitor
from hokusai_acceptance.stack.launcher import EmbeddedStack
from tests.suite_runner import link_project

pytestmark = pytest.mark.integration
FAULT = "artifacts-disabled"


class Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list] = []
    bodies: ClassVar[list] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        Receiver.bodies.append(body)
        Receiver.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def test_three_cycles_show_a_finding_appear_and_resolve(tmp_path):
    link_project(tmp_path, extra=("allurerc.mjs", "node_modules"))
    receiver = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    with EmbeddedStack() as stack:
        env = {"HOKUSAI_API_URL": stack.url, "HOKUSAI_API_KEY": stack.keys.valid, "CI": "true", "PATH": "/usr/bin:/bin"}
        monitor = Monitor(
            workdir=tmp_path,
            env=env,
            textfile=tmp_path / "metrics" / "hokusai.prom",
            webhook=f"http://127.0.0.1:{receiver.server_address[1]}/hook",
            target=stack.url,
        )
        server, _thread = start_http_server(0, addr="127.0.0.1", registry=monitor.metrics.registry)
        seen = []

        def between(number):
            seen.append(generate_latest(monitor.metrics.registry).decode())
            stack.set_faults(FAULT) if number == 2 else stack.set_faults()

        cycles = monitor.run(cycles=3, interval=1, between=between)
        served = requests.get(f"http://127.0.0.1:{server.server_port}/metrics", timeout=10).text
        server.shutdown()
    receiver.shutdown()
    assert [FAULT in c.findings for c in cycles] == [False, True, False], [list(c.findings) for c in cycles]
    line = f'hokusai_finding_present{{finding="{FAULT}"'
    after_first, after_second = seen
    assert f"{line}" in after_first and _value(after_first, line) == 0.0
    assert _value(after_second, line) == 1.0 and _value(served, line) == 0.0
    assert _value(served, "hokusai_last_green_run_timestamp_seconds") > 0
    assert "hokusai_registry_call_seconds_bucket" in served and "hokusai_deployed_info{" in served
    assert (tmp_path / "metrics" / "hokusai.prom").read_text().count("hokusai_finding_present") > 10
    events = [(e["event"], e["finding"], e["cycle"]) for e in Receiver.received]
    assert (("appeared", FAULT, 2) in events) and (("resolved", FAULT, 3) in events), events
    assert not any(stack.keys.valid in body for body in Receiver.bodies)
    history = list((tmp_path / "reports" / "history").glob("*.jsonl"))
    assert history and len(history[0].read_text().splitlines()) == 3  # each cycle appended to the trend
    report = json.loads((tmp_path / "reports" / "infrastructure-report.json").read_text())
    assert [x["id"] for x in report["changes_since_last_run"]["resolved"]] == [FAULT]


def _value(text: str, prefix: str) -> float:
    for line in text.splitlines():
        if line.startswith(prefix):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"no {prefix} in the metrics")
