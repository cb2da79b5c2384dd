"""The seven field checks: honest exit codes on a healthy stack, under the faults they exist
to catch, and when nothing answers at all."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from hokusai_acceptance.field_checks import CHECKS

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def run_script(name, *args, env_extra=None, timeout=300):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOKUSAI_")}
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / f"{name}.py"), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def test_every_check_has_a_script():
    assert sorted(p.stem for p in (ROOT / "scripts").glob("*.py")) == sorted(CHECKS)


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_check_passes_on_the_healthy_stack(stack, name):
    proc = run_script(name, "--url", stack.url, "--json", env_extra={"HOKUSAI_API_KEY": stack.keys.valid})
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    result = json.loads(proc.stdout)
    assert result[0]["ok"] is True and result[0]["steps"]
    assert stack.keys.valid not in proc.stdout + proc.stderr


@pytest.mark.parametrize(
    "name,fault,diagnosed",
    [
        ("test_model_registration_simple", "artifacts-disabled", "artifacts-disabled"),
        ("test_auth_registration", "auth-service-id-mismatch", None),
        ("test_correct_registration", "missing-write-scope", "missing-write-scope"),
        ("verify_model_registration", "auth-headers-stripped", "auth-headers-stripped"),
        ("test_endpoint_availability", "alb-api-path-to-mlflow", "alb-api-path-to-mlflow"),
        ("test_mlflow_routing", "artifact-route-hairpin", "artifact-route-hairpin"),
        ("test_health_endpoints", "health-probes-need-key", "health-probes-need-key"),
    ],
)
def test_check_fails_with_the_right_diagnosis_under_its_fault(stack, name, fault, diagnosed):
    stack.set_faults(fault)
    stack.flush_cache()
    try:
        proc = run_script(name, "--url", stack.url, "--json", env_extra={"HOKUSAI_API_KEY": stack.keys.valid})
    finally:
        stack.set_faults()
    assert proc.returncode == 1, proc.stdout[-2000:]
    [result] = json.loads(proc.stdout)
    assert result["ok"] is False
    ids = [f["id"] for f in result["findings"]]
    if diagnosed:
        assert diagnosed in ids, ids
    else:  # a remote-style run has no auth observer: it must not guess which auth mismatch it is
        assert ids and all(f["confidence"] != "high" for f in result["findings"]), result["findings"]


def test_nothing_listening_is_a_failure_not_a_pass():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = run_script(
        "test_endpoint_availability",
        "--url",
        f"http://127.0.0.1:{port}",
        env_extra={"HOKUSAI_API_KEY": "hk_test_" + "x" * 32},
    )
    assert proc.returncode == 1
    assert "FAILS" in proc.stdout or "cannot connect" in proc.stderr


@pytest.mark.parametrize(
    "args,env",
    [
        (["--url", "ftp://nowhere"], {"HOKUSAI_API_KEY": "k" * 10}),
        (["--url", "https://registry.hokus.ai"], {}),
        (["--key-env", "NO_SUCH_VARIABLE"], {}),
    ],
)
def test_usage_errors_exit_2(args, env):
    proc = run_script("test_health_endpoints", *args, env_extra=env)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
