"""behave end to end: the smoke selection passes on the embedded stack, nothing leaks,
and bad configuration stops the run at once with exit code 2."""
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
BEHAVE = [sys.executable, "-m", "behave"]
KEY_SHAPE = re.compile(r"hk_(live|test)_[A-Za-z0-9]{32}")


def run_behave(args, tmp_path, env_extra=None, timeout=600):
    """Run behave as a user would (behave.ini included) in a scratch directory whose
    reports/ and .env are its own."""
    for name in ("features", "steps", "environment.py", "behave.ini"):
        link = tmp_path / name
        if not link.exists():
            link.symlink_to(ROOT / name)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOKUSAI_")}
    env.update(CI="true", PYTHONPATH=str(ROOT), **(env_extra or {}))
    started = time.monotonic()
    proc = subprocess.run(BEHAVE + args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)
    return proc, time.monotonic() - started


def test_smoke_selection_passes_and_leaks_nothing(tmp_path):
    proc, _ = run_behave(["--tags=@smoke"], tmp_path)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-3000:]
    assert re.search(r"\d+ scenarios? passed, 0 failed", output), output[-2000:]
    results = list((tmp_path / "reports" / "allure-results").glob("*-result.json"))
    assert len(results) >= 6
    written = output + "".join(p.read_text(errors="replace") for p in tmp_path.rglob("*") if p.is_file())
    assert KEY_SHAPE.search(written) is None, "a full API key appears in the outputs"


@pytest.mark.parametrize("env,needle", [
    ({"HOKUSAI_API_URL": "registry.hokus.ai"}, "must start with http"),
    ({"HOKUSAI_API_URL": "https://registry.hokus.ai"}, "HOKUSAI_API_KEY is not set"),
    ({"HOKUSAI_API_URL": "https://", "HOKUSAI_API_KEY": "x"}, "no host name"),
])
def test_bad_configuration_is_a_one_line_usage_error(tmp_path, env, needle):
    proc, seconds = run_behave(["--tags=@smoke"], tmp_path, env)
    assert proc.returncode == 2
    assert needle in proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert seconds < 20


def test_remote_target_with_mlflow_killed_is_broken_quickly(tmp_path):
    """The same suite against a URL and key (the remote path), with MLflow dead behind the
    gateway: registration is reported broken -- not failed, not hanging -- well within 60 s."""
    import json

    from hokusai_acceptance.stack.launcher import EmbeddedStack

    with EmbeddedStack() as stack:
        stack.kill("mlflow")
        proc, seconds = run_behave(["--tags=@registration and @smoke"], tmp_path,
                                   {"HOKUSAI_API_URL": stack.url, "HOKUSAI_API_KEY": stack.keys.valid})
    assert proc.returncode == 1, proc.stdout[-2000:]
    assert seconds < 60
    statuses = [json.loads(p.read_text())["status"]
                for p in (tmp_path / "reports" / "allure-results").glob("*-result.json")]
    assert statuses == ["broken"]
    assert stack.keys.valid not in proc.stdout + proc.stderr


def test_whole_suite_against_a_url_and_key(tmp_path):
    """The suite pointed at a deployment by URL and key, as infra staff run it: every scenario
    that needs no stack internals passes, and the rest are skipped with a stated reason."""
    import json

    from hokusai_acceptance.stack.launcher import EmbeddedStack

    with EmbeddedStack() as stack:
        proc, _ = run_behave([], tmp_path, {"HOKUSAI_API_URL": stack.url + "/api/mlflow/",
                                            "HOKUSAI_API_KEY": stack.keys.valid,
                                            "HOKUSAI_READONLY_API_KEY": stack.keys.readonly})
    assert proc.returncode == 0, proc.stdout[-3000:]
    finish = subprocess.run([sys.executable, "-m", "hokusai_acceptance.finish_report", str(tmp_path / "reports")],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert finish.returncode == 0, finish.stderr
    assert "ended in '/api/mlflow'" in proc.stderr  # the pasted tracking URI was noticed and fixed
    results = [json.loads(p.read_text()) for p in (tmp_path / "reports" / "allure-results").glob("*-result.json")]
    skipped = [r for r in results if r["status"] == "skipped"]
    passed = [r for r in results if r["status"] == "passed"]
    assert len(passed) >= 40 and skipped, (len(passed), len(skipped))
    for result in skipped:
        message = result.get("statusDetails", {}).get("message", "")
        assert "embedded reference stack" in message or "no revoked key" in message, (result["name"], message)
