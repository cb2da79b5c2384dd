"""What a developer sees from the plain MLflow client, against loopback servers answering as the field did."""

import http.server
import json
import threading
import time

import pytest

from hokusai_acceptance.developer_view import attempt_registration
from hokusai_acceptance.redaction import register_secret

#: the developer's interpreter comes from a fork server that imports MLflow: seconds, not a unit test's time
pytestmark = pytest.mark.integration
KEY = "hk_live_" + "d" * 32


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.server.mode == "silent":
            time.sleep(30)
            return
        seen = self.headers.get("Authorization", "")
        body = json.dumps({"detail": "Invalid or expired API key", "echo": seen}).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def server(request):
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.mode = getattr(request, "param", "refuse")
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/api/mlflow"
    httpd.shutdown()


def test_the_developer_reads_the_apis_reason_and_never_the_key(server):
    register_secret(KEY)
    attempt = attempt_registration(server, KEY, "m", wait_seconds=60)
    assert not attempt.registered and not attempt.gave_up
    assert "Invalid or expired API key" in attempt.message
    assert KEY not in attempt.message and KEY not in attempt.describe()


@pytest.mark.parametrize("server", ["silent"], indirect=True)
def test_a_registry_that_never_answers_is_reported_as_a_wait_not_a_message(server):
    attempt = attempt_registration(server, KEY, "m", wait_seconds=8)
    assert attempt.gave_up and attempt.seconds >= 8
    assert "still retrying" in attempt.describe()
