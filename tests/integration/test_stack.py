"""The embedded reference stack honours the registry contract (sections 3-5)."""

import json
import os
import time

import psutil
import pytest
import requests

from hokusai_acceptance.stack.launcher import EmbeddedStack, StackOptions

pytestmark = pytest.mark.integration
SEARCH = "/api/mlflow/api/2.0/mlflow/experiments/search?max_results=1"


def get(stack, path, **headers):
    return requests.get(stack.url + path, headers=headers, timeout=10)


def test_every_service_listens_on_loopback_only(stack):
    for name, pid in stack.pids().items():
        process = psutil.Process(pid)
        family = [process] + process.children(recursive=True)
        addresses = {c.laddr.ip for p in family for c in p.net_connections(kind="tcp") if c.status == "LISTEN"}
        assert addresses and addresses <= {"127.0.0.1"}, (name, addresses)


def test_health_needs_no_key(stack):
    reply = get(stack, "/health")
    assert reply.status_code == 200
    body = reply.json()
    assert body["status"] == "healthy"
    assert set(body["services"]) >= {"mlflow", "redis", "message_queue", "postgres", "external_api"}


@pytest.mark.parametrize(
    "header,value", [("Authorization", "Bearer {k}"), ("Authorization", "ApiKey {k}"), ("X-API-Key", "{k}")]
)
def test_header_key_forms_are_accepted(stack, header, value):
    assert get(stack, SEARCH, **{header: value.format(k=stack.keys.valid)}).status_code == 200


def test_query_key_form_is_accepted(stack):
    reply = requests.get(stack.url + SEARCH + "&api_key=" + stack.keys.valid, timeout=10)
    assert reply.status_code == 200


def test_bearer_scheme_is_case_sensitive(stack):
    reply = get(stack, SEARCH, Authorization=f"bearer {stack.keys.valid}")
    assert (reply.status_code, reply.json()) == (401, {"detail": "API key required"})


@pytest.mark.parametrize("key", ["%18", "%13%C2%B0r2", "hk_live_%00x", "%C3%BCber"])
def test_a_key_no_header_can_carry_is_refused_as_invalid_not_with_a_server_error(stack, key):
    reply = requests.get(stack.url + SEARCH + "&api_key=" + key, timeout=10)
    assert (reply.status_code, reply.json()) == (401, {"detail": "Invalid or expired API key"})


def test_a_json_string_body_mlflow_would_decode_again_is_refused_before_the_owner_check_could_be_skipped(stack):
    inner = '{"name": "hk-accept-string-body"}'
    reply = requests.post(
        stack.url + "/api/mlflow/api/2.0/mlflow/registered-models/create",
        timeout=10,
        data=json.dumps(inner),
        headers={"Authorization": f"Bearer {stack.keys.valid}", "Content-Type": "application/json"},
    )
    assert reply.status_code == 400 and reply.json()["error"] == "BODY_NOT_AN_OBJECT"


def test_a_create_whose_tags_are_not_a_list_is_refused_before_it_reaches_mlflow(stack):
    reply = requests.post(
        stack.url + "/api/mlflow/api/2.0/mlflow/registered-models/create",
        timeout=10,
        json={"name": "hk-accept-tags-not-a-list", "tags": 5},
        headers={"Authorization": f"Bearer {stack.keys.valid}"},
    )
    assert reply.status_code == 400 and reply.json()["error"] == "INVALID_TAGS"


@pytest.mark.parametrize("role", ["revoked", "expired"])
def test_revoked_and_expired_keys_are_refused(stack, role):
    reply = get(stack, SEARCH, Authorization=f"Bearer {getattr(stack.keys, role)}")
    assert (reply.status_code, reply.json()) == (401, {"detail": "Invalid or expired API key"})


def test_read_only_key_cannot_write(stack):
    reply = requests.post(
        stack.url + "/api/mlflow/api/2.0/mlflow/experiments/create",
        json={"name": "nope"},
        headers={"Authorization": f"Bearer {stack.keys.readonly}"},
        timeout=10,
    )
    assert reply.status_code == 403 and reply.json()["error"] == "FORBIDDEN"


def test_validation_is_cached(stack):
    stack.flush_cache()
    stack.set_auth_state(reset_counts=True)
    for _ in range(3):
        assert get(stack, SEARCH, Authorization=f"Bearer {stack.keys.valid}").status_code == 200
    assert stack.auth_stats()["calls"].get("key-rw") == 1


def test_html_404_becomes_json(stack):
    reply = get(stack, "/api/mlflow/no/such/page", Authorization=f"Bearer {stack.keys.valid}")
    assert reply.status_code == 404
    assert reply.json()["error_code"] == "RESOURCE_NOT_FOUND"


def test_control_api_needs_the_secret_and_is_not_public(stack):
    assert requests.get(stack.api_url + "/__control/access-log", timeout=5).status_code == 403
    assert (
        requests.get(
            stack.api_url + "/__control/access-log", headers={"X-Stack-Control": "guess"}, timeout=5
        ).status_code
        == 403
    )
    # through the public load balancer, even the right secret is refused
    assert (
        requests.get(
            stack.url + "/__control/access-log", headers={"X-Stack-Control": stack.control_secret}, timeout=5
        ).status_code
        == 403
    )


def test_the_load_balancer_is_a_layer_of_its_own(stack):
    """Its own pages come from its own process: with the API stopped it answers 502, and recovers."""
    stack.processes["gateway"].stop()
    try:
        reply = get(stack, "/health")
        assert reply.status_code == 502 and reply.headers["server"] == "awselb/2.0"
        assert "<center><h1>502 Bad Gateway</h1></center>" in reply.text
    finally:
        stack.processes["gateway"].start()
        stack.processes["gateway"].wait_ready(time.monotonic() + 30)
    assert get(stack, "/health").status_code == 200


def test_stack_stops_without_leftovers():
    stack = EmbeddedStack().start()
    try:
        family = []
        for pid in stack.pids().values():
            process = psutil.Process(pid)
            family += [process] + process.children(recursive=True)
        rss_mb = sum(p.memory_info().rss for p in family) / 2**20
        assert rss_mb < 1024, f"stack uses {rss_mb:.0f} MB"
    finally:
        stack.stop()
    _, alive = psutil.wait_procs(family, timeout=10)
    assert [p.pid for p in alive if _running(p)] == []
    assert not os.path.exists(stack.dir)


def test_mlflow_down_gives_502_quickly():
    with EmbeddedStack() as stack:
        stack.kill("mlflow")
        started = time.monotonic()
        reply = get(stack, SEARCH, Authorization=f"Bearer {stack.keys.valid}")
        assert reply.status_code == 502
        assert reply.json()["detail"].startswith("Failed to connect to MLflow server at")
        assert time.monotonic() - started < 10


def test_a_scenario_that_injects_a_fault_leaves_the_runs_own_fault_on():
    """`make report FAULT=...` must stay under its fault after a scenario switches another one on and off
    (a reset to 'no fault' once turned the rest of such a run into a clean bill of health)."""
    with EmbeddedStack(StackOptions(faults=("redis-cache-down",))) as stack:
        assert not stack.processes["redis"].alive()
        stack.add_fault("auth-service-down")
        assert not stack.processes["auth"].alive() and not stack.processes["redis"].alive()
        stack.restore_start_faults()
        assert stack.processes["auth"].alive() and not stack.processes["redis"].alive()
        assert [f.value for f in stack.active_faults] == ["redis-cache-down"]


HOST_SCRIPT = """
import json, sys, time
from hokusai_acceptance.stack.launcher import EmbeddedStack, StackOptions
base = sys.argv[1] if len(sys.argv) > 1 else None
stack = EmbeddedStack(base_dir=base).start()
print(json.dumps({"dir": str(stack.dir), "pids": list(stack.pids().values())}), flush=True)
time.sleep(120)
"""


def _host_a_stack(base_dir=None):
    import json
    import subprocess
    import sys

    extra = [str(base_dir)] if base_dir else []
    host = subprocess.Popen([sys.executable, "-c", HOST_SCRIPT, *extra], stdout=subprocess.PIPE, text=True)
    line = host.stdout.readline()
    assert line, "the host process printed nothing: the stack did not start"
    return host, json.loads(line)


def _running(process) -> bool:
    """Alive and not a zombie (a psutil.Process or a pid); a process that ends while asked is not running."""
    try:
        if isinstance(process, int):
            process = psutil.Process(process)
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _gone(pids, within=10.0):
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        alive = [pid for pid in pids if _running(pid)]
        if not alive:
            return []
        time.sleep(0.2)
    return alive


def test_sigterm_stops_the_stack_and_ends_its_host_as_the_signal_would():
    import signal

    host, started = _host_a_stack()
    host.send_signal(signal.SIGTERM)
    assert host.wait(timeout=30) == -signal.SIGTERM
    assert _gone(started["pids"]) == []
    assert not os.path.exists(started["dir"])


def test_after_sigkill_the_processes_die_with_their_host_and_the_next_stack_reclaims_the_directory(tmp_path):
    import signal

    # a directory of its own: no stack of another test worker reclaims what this test watches
    host, started = _host_a_stack(tmp_path)
    host.send_signal(signal.SIGKILL)
    host.wait(timeout=10)
    assert _gone(started["pids"]) == []
    assert os.path.exists(started["dir"])  # nothing can clean up at SIGKILL time
    stack = EmbeddedStack(base_dir=tmp_path)
    try:
        assert not os.path.exists(started["dir"])
    finally:
        stack.stop()
