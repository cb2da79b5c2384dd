"""The client against real loopback servers that misbehave in the ways the field saw."""

import http.server
import socket
import threading
import time

import pytest

from hokusai_acceptance.classify import AnswerKind
from hokusai_acceptance.client import MAX_BODY, HokusaiClient, KeyForm
from hokusai_acceptance.errors import TargetNotResponding, TargetUnreachable, UnexpectedAnswer
from hokusai_acceptance.evidence import EvidenceLog, recording
from hokusai_acceptance.stack.processes import http_ready
from hokusai_acceptance.transport import add_guard, remove_guard


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        routes = {
            "/json": (200, "application/json", b'{"ok": true}'),
            "/html": (502, "text/html", b"<html><title>502 Bad Gateway</title></html>"),
            "/plain": (404, "text/plain", b"Not Found"),
            "/garbage": (200, "application/json", b"{{{{"),
        }
        if self.path.startswith("/slow-echo/"):
            time.sleep(0.01 * (int(self.path.rsplit("/", 1)[-1]) % 7))  # answers finish out of order
            body = f'{{"caller": {int(self.path.rsplit("/", 1)[-1])}}}'.encode()
            self._send(200, "application/json", body)
        elif self.path.startswith("/echo"):
            body = (
                self.headers.get("Authorization", "") + "|" + self.headers.get("X-API-Key", "") + "|" + self.path
            ).encode()
            self._send(200, "text/plain", body)
        elif self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "https://elsewhere.example/login")
            self.end_headers()
        elif self.path == "/huge":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            chunk = b"x" * 65536
            try:
                for _ in range(MAX_BODY // len(chunk) + 20):
                    self.wfile.write(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass
        else:
            self._send(*routes.get(self.path, (404, "text/plain", b"?")))

    def _send(self, status, ctype, body):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def server():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture
def log():
    evidence = EvidenceLog()
    with recording(evidence):
        yield evidence


def test_json_reply_and_evidence(server, log):
    reply = HokusaiClient(server).get("/json")
    assert reply.json() == {"ok": True}
    assert reply.exchange is log.snapshot()[-1]
    assert reply.exchange.status == 200 and reply.exchange.answered_by == AnswerKind.JSON


@pytest.mark.parametrize("path,kind", [("/html", AnswerKind.LB_HTML), ("/plain", AnswerKind.PLAIN_TEXT)])
@pytest.mark.usefixtures("log")  # every call is recorded, as in a run
def test_non_json_answers_are_typed_not_crashes(server, path, kind):
    reply = HokusaiClient(server).get(path)
    assert reply.answered_by == kind
    with pytest.raises(UnexpectedAnswer):
        reply.json()


@pytest.mark.usefixtures("log")  # every call is recorded, as in a run
def test_invalid_json_is_an_unexpected_answer(server):
    with pytest.raises(UnexpectedAnswer, match="non-JSON"):
        HokusaiClient(server).get("/garbage").json()


@pytest.mark.usefixtures("log")  # every call is recorded, as in a run
def test_redirects_are_not_followed(server):
    reply = HokusaiClient(server).get("/redirect")
    assert reply.status == 302 and "elsewhere.example" in reply.headers["location"]


@pytest.mark.usefixtures("log")  # every call is recorded, as in a run
def test_huge_bodies_are_bounded(server):
    reply = HokusaiClient(server).get("/huge")
    assert reply.truncated and len(reply.body) == MAX_BODY
    with pytest.raises(UnexpectedAnswer, match="larger than"):
        reply.json()


@pytest.mark.parametrize(
    "form,expect",
    [
        (KeyForm.BEARER, "Bearer K123456789||"),
        (KeyForm.APIKEY, "ApiKey K123456789||"),
        (KeyForm.X_API_KEY, "|K123456789|"),
        (KeyForm.QUERY, "api_key=K123456789"),
    ],
)
@pytest.mark.usefixtures("log")  # every call is recorded, as in a run
def test_key_forms(server, form, expect):
    reply = HokusaiClient(server).get("/echo", key="K123456789", key_form=form)
    assert expect in reply.text


def test_key_form_parsing():
    assert KeyForm.parse("Bearer header") is KeyForm.BEARER
    assert KeyForm.parse("x_api_key") is KeyForm.X_API_KEY
    with pytest.raises(ValueError, match="unknown key form 'cookie'"):
        KeyForm.parse("cookie")


def test_refused_port_is_unreachable(log):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(TargetUnreachable, match=r"Connection refused|cannot connect"):
        HokusaiClient(f"http://127.0.0.1:{port}").get("/health")
    assert log.snapshot()[-1].status is None and log.snapshot()[-1].error_kind == "refused"


@pytest.mark.usefixtures("log")  # every call is recorded, as in a run
def test_silent_listener_times_out_quickly():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(5)
        port = sock.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(TargetNotResponding):
            HokusaiClient(f"http://127.0.0.1:{port}", read_timeout=1.0).get("/health")
        assert time.monotonic() - started < 5


def test_fifty_concurrent_calls_each_keep_their_own_body():
    """Streamed answers are completed on the exchange the recorder made for that very call, in the
    caller's own evidence log, whichever thread finishes first."""
    from concurrent.futures import ThreadPoolExecutor

    from hokusai_acceptance.evidence import in_context

    class Server(http.server.ThreadingHTTPServer):
        request_queue_size = 64  # fifty connections at once are queued, not dropped

    httpd = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    log = EvidenceLog(scenario="concurrency")
    try:
        with recording(log):

            def call(i):
                client = HokusaiClient(base)
                try:
                    return i, client.get(f"/slow-echo/{i}")
                finally:
                    client.close()

            with ThreadPoolExecutor(max_workers=50) as pool:
                results = list(pool.map(in_context(call), range(50)))
    finally:
        httpd.shutdown()
    assert len(log.snapshot()) == 50
    for i, reply in results:
        assert reply.exchange is not None and reply.exchange.url.endswith(f"/slow-echo/{i}")
        assert reply.exchange.body_prefix == f'{{"caller": {i}}}', reply.exchange.body_prefix
    assert sorted(e.body_prefix for e in log.snapshot()) == sorted(f'{{"caller": {i}}}' for i in range(50))


def test_the_stacks_own_readiness_polls_are_not_evidence_and_pass_outage_guards(server, log):
    """A readiness poll of a helper process is housekeeping: it must not show up as a call to the target
    (a refused poll once read as 'nothing answers /health/alb') nor be stopped by a pinned outage."""

    def refuse_everything(_request):
        raise RuntimeError("an outage is pinned")

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        refused = f"http://127.0.0.1:{sock.getsockname()[1]}/health/alb"
    add_guard(refuse_everything)
    try:
        assert http_ready(f"{server}/json")() is True
        assert http_ready(refused)() is False
    finally:
        remove_guard(refuse_everything)
    assert log.snapshot() == []
