"""The suite's own guarantees: bounded time against broken targets, classified failures
for garbage answers, write safety (own names only, cleanup even after failure or Ctrl-C,
zero writes in the read-only selection) and runs that do not collide."""

import http.server
import json
import signal
import socket
import threading
import time

import pytest
import requests

from hokusai_acceptance.stack.launcher import EmbeddedStack

from ..suite_runner import allure_results, run_behave

pytestmark = pytest.mark.integration


class _Garbage(http.server.BaseHTTPRequestHandler):
    mode = "html"
    delay = 0.0

    def log_message(self, *args):
        pass

    def _answer(self):
        time.sleep(self.delay)
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        mode = self.server.mode
        if mode == "redirect":
            self.send_response(302)
            self.send_header("Location", "https://login.example.com/sso")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if mode == "huge":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            try:
                for _ in range(100):
                    self.wfile.write(b"[" * 65536)
            except OSError:
                pass
            return
        status, ctype, body = {
            "html": (200, "text/html", b"<!doctype html><html><body>Welcome to nginx!</body></html>"),
            "plain": (200, "text/plain", b"OK"),
            "badjson": (200, "application/json", b'{"status": "healthy", '),
            "slow504": (504, "text/html", b"<html><head><title>504 Gateway Time-out</title></head></html>"),
        }[mode]
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer


class _Server(http.server.ThreadingHTTPServer):
    request_queue_size = 128  # many callers at once are queued, not refused


def serve(mode, delay=0.0):
    handler = type("Handler", (_Garbage,), {"delay": delay})
    server = _Server(("127.0.0.1", 0), handler)
    server.mode = mode
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def report_of(workdir):
    return json.loads((workdir / "reports" / "infrastructure-report.json").read_text())


@pytest.mark.parametrize("case", ["refused", "silent", "slow"])
def test_broken_target_gives_a_quick_clear_verdict(tmp_path, case):
    key = {"HOKUSAI_API_KEY": "hk_test_" + "b" * 32}
    holder = socket.socket()
    server = None
    try:
        if case == "refused":
            holder.bind(("127.0.0.1", 0))
            url = f"http://127.0.0.1:{holder.getsockname()[1]}"
            holder.close()
        elif case == "silent":
            holder.bind(("127.0.0.1", 0))
            holder.listen(50)  # accepts connections, never answers
            url = f"http://127.0.0.1:{holder.getsockname()[1]}"
        else:
            server = serve("slow504", delay=2.0)
            url = f"http://127.0.0.1:{server.server_address[1]}"
        proc, seconds = run_behave(
            ["--tags=@smoke", "-f", "null"], tmp_path, {"HOKUSAI_API_URL": url, **key}, timeout=120
        )
    finally:
        holder.close()
        if server:
            server.shutdown()
    assert proc.returncode == 1
    limit = 90 if case == "slow" else 60  # every one of the slow target's answers takes 2 s, the sweep included
    assert seconds <= limit, f"{case}: {seconds:.0f} s to a verdict"
    findings = [f["id"] for f in report_of(tmp_path)["findings"]]
    # a gateway's 504 page after a wait is its upstream not answering in time, as a silent target is
    expected = {"refused": "target-unreachable", "silent": "alb-to-api-blocked", "slow": "alb-to-api-blocked"}[case]
    assert findings == [expected], findings


@pytest.mark.parametrize("mode", ["html", "plain", "badjson", "redirect", "huge"])
def test_garbage_answers_are_classified_not_crashes(tmp_path, mode):
    server = serve(mode)
    try:
        proc, seconds = run_behave(
            ["--tags=@smoke", "-f", "null"],
            tmp_path,
            {
                "HOKUSAI_API_URL": f"http://127.0.0.1:{server.server_address[1]}",
                "HOKUSAI_API_KEY": "hk_test_" + "g" * 32,
            },
            timeout=120,
        )
    finally:
        server.shutdown()
    assert proc.returncode == 1, proc.stdout[-1500:]
    assert seconds <= 60
    report = report_of(tmp_path)
    assert report["healthy"] is False and report["findings"]
    results = allure_results(tmp_path)
    ran = [r for r in results if r["status"] != "skipped"]  # the rest were not selected
    assert ran and all(r["status"] in ("failed", "broken") for r in ran)


def _registered_names(stack):
    reply = requests.get(
        f"{stack.url}/api/mlflow/api/2.0/mlflow/registered-models/search",
        params={"max_results": 1000},
        headers={"Authorization": f"Bearer {stack.keys.valid}"},
        timeout=10,
    )
    return {m["name"] for m in reply.json().get("registered_models", [])}


def test_writes_use_the_run_prefix_and_leave_other_entries_alone(tmp_path):
    with EmbeddedStack() as stack:
        headers = {"Authorization": f"Bearer {stack.keys.valid}"}
        api = f"{stack.url}/api/mlflow/api/2.0/mlflow"
        requests.post(
            f"{api}/registered-models/create", json={"name": "team-production-model"}, headers=headers, timeout=10
        ).raise_for_status()
        requests.post(
            f"{api}/experiments/create", json={"name": "team-experiment"}, headers=headers, timeout=10
        ).raise_for_status()
        proc, _ = run_behave(
            ["--tags=@writes and not @slow", "-f", "null"],
            tmp_path,
            {
                "HOKUSAI_API_URL": stack.url,
                "HOKUSAI_API_KEY": stack.keys.valid,
                "HOKUSAI_READONLY_API_KEY": stack.keys.readonly,
                "HOKUSAI_RUN_ID": "writesafety1",
            },
        )
        assert proc.returncode == 0, proc.stdout[-2000:]
        names = _registered_names(stack)
        assert "team-production-model" in names
        assert not [n for n in names if n.startswith("hk-accept-")], names
        experiments = requests.post(
            f"{api}/experiments/search", json={"max_results": 1000}, headers=headers, timeout=10
        ).json()["experiments"]
        assert "team-experiment" in {e["name"] for e in experiments}
        created = [e for e in stack.access_log() if e["write"] and e["status"] == 200 and "create" in e["path"]]
        assert created, "the @writes selection made no write at all"


@pytest.mark.parametrize(
    "sig,moment,inherited_ignore",
    [
        (signal.SIGINT, "scenarios", False),
        (signal.SIGTERM, "scenarios", False),
        (signal.SIGINT, "cleanup", False),
        (signal.SIGTERM, "cleanup", False),
        (signal.SIGINT, "scenarios", True),  # a parent that ignores SIGINT (nohup, some CI runners)
    ],
)
def test_an_interrupt_cleans_up_and_exits_non_zero(tmp_path, sig, moment, inherited_ignore):
    """Ctrl-C or SIGTERM while scenarios run, or while the cleanup runs: the run's registry entries are removed
    and the exit code is non-zero. The moment is fixed, not raced: scenarios are interrupted once they have
    registered something; the cleanup is held (HOKUSAI_HOLD_BEFORE_CLEANUP) and interrupted while held."""
    run_id = f"intr{sig.value}{moment[0]}{int(inherited_ignore)}x"
    with EmbeddedStack() as stack:
        env = {
            "HOKUSAI_API_URL": stack.url,
            "HOKUSAI_API_KEY": stack.keys.valid,
            "HOKUSAI_RUN_ID": run_id,
            "HOKUSAI_HOLD_BEFORE_CLEANUP": "20" if moment == "cleanup" else "0",
        }
        # the cleanup is reached after every selected scenario: the smoke selection's registrations get there soonest
        selection = "@registration and @writes and not @slow" if moment == "scenarios" else "@smoke and @writes"
        proc = run_behave(
            [f"--tags={selection}", "-f", "null"],
            tmp_path,
            env,
            background=True,
            ignore_sigint=inherited_ignore,
        )
        # the cleanup starts only after every selected scenario: on a busy machine that takes minutes
        deadline = time.monotonic() + (120 if moment == "scenarios" else 300)
        prefix = f"hk-accept-{run_id}"
        marker = tmp_path / "reports" / ".cleanup-starting"
        while time.monotonic() < deadline:
            if moment == "scenarios" and any(n.startswith(prefix) for n in _registered_names(stack)):
                break
            if moment == "cleanup" and marker.exists():
                break
            assert proc.poll() is None, "the run ended before it could be interrupted"
            time.sleep(0.2)
        else:
            pytest.fail(f"the run never reached the {moment}")
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode != 0, (out + err)[-2000:]
        assert signal.Signals(sig).name in err
        assert not [n for n in _registered_names(stack) if n.startswith(prefix)]


def test_readonly_selection_makes_no_write_call(tmp_path):
    with EmbeddedStack() as stack:
        stack.clear_access_log()
        proc, _ = run_behave(
            ["--tags=@readonly and not @embedded_only", "-f", "null"],
            tmp_path,
            {"HOKUSAI_API_URL": stack.url, "HOKUSAI_API_KEY": stack.keys.valid},
        )
        assert proc.returncode == 0, proc.stdout[-2000:]
        log = stack.access_log()
        assert len(log) > 30
        writes = [e for e in log if e["write"]]
        assert writes == [], writes[:5]


def test_two_runs_at_once_do_not_collide(tmp_path):
    first = run_behave(["--tags=@smoke", "-f", "null"], tmp_path / "a", background=True)
    second = run_behave(["--tags=@smoke", "-f", "null"], tmp_path / "b", background=True)
    for proc in (first, second):
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, (out + err)[-2000:]


def test_registration_traffic_really_goes_through_the_gateway(tmp_path):
    with EmbeddedStack() as stack:
        stack.clear_access_log()
        proc, _ = run_behave(
            ["--tags=@registration and @smoke", "-f", "null"],
            tmp_path,
            {"HOKUSAI_API_URL": stack.url, "HOKUSAI_API_KEY": stack.keys.valid},
        )
        assert proc.returncode == 0
        paths = [e["path"] for e in stack.access_log() if e["key_id"] == "key-rw"]
        assert any("mlflow-artifacts/artifacts" in p for p in paths), "model files did not pass the gateway"
        assert any("model-versions" in p or "registered-models" in p for p in paths)
