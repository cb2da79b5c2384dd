"""behave end to end: the smoke selection passes on the embedded stack, nothing leaks,
and bad configuration stops the run at once with exit code 2."""

import re

import pytest

from hokusai_acceptance.redaction import find_leaks
from hokusai_acceptance.stack.launcher import EmbeddedStack

from ..suite_runner import allure_results, everything_written, finish_report, run_behave

pytestmark = pytest.mark.integration
KEY_SHAPE = re.compile(r"hk_(live|test)_[A-Za-z0-9]{32}")


@pytest.mark.quick
def test_smoke_selection_passes_and_leaks_nothing(tmp_path):
    proc, _ = run_behave(["--tags=@smoke"], tmp_path)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-3000:]
    assert re.search(r"\d+ scenarios? passed, 0 failed", output), output[-2000:]
    results = allure_results(tmp_path)
    assert len(results) >= 6
    written = output + "".join(p.read_text(errors="replace") for p in tmp_path.rglob("*") if p.is_file())
    assert KEY_SHAPE.search(written) is None, "a full API key appears in the outputs"


@pytest.mark.quick
@pytest.mark.parametrize(
    "env,needle",
    [
        ({"HOKUSAI_API_URL": "registry.hokus.ai"}, "must start with http"),
        ({"HOKUSAI_API_URL": "https://registry.hokus.ai"}, "HOKUSAI_API_KEY is not set"),
        ({"HOKUSAI_API_URL": "https://", "HOKUSAI_API_KEY": "x"}, "no host name"),
    ],
)
def test_bad_configuration_is_a_one_line_usage_error(tmp_path, env, needle):
    proc, seconds = run_behave(["--tags=@smoke"], tmp_path, env)
    assert proc.returncode == 2
    assert needle in proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert seconds < 60  # no network wait: what remains is starting Python and behave


def test_remote_target_with_mlflow_killed_is_broken_quickly(tmp_path):
    """The same suite against a URL and key (the remote path), with MLflow dead behind the
    gateway: registration is reported broken -- not failed, not hanging -- well within 60 s."""
    with EmbeddedStack() as stack:
        stack.kill("mlflow")
        proc, seconds = run_behave(
            ["--tags=@registration and @smoke"],
            tmp_path,
            {"HOKUSAI_API_URL": stack.url, "HOKUSAI_API_KEY": stack.keys.valid},
        )
    assert proc.returncode == 1, proc.stdout[-2000:]
    assert seconds < 60
    statuses = [r["status"] for r in allure_results(tmp_path)]
    ran = [s for s in statuses if s != "skipped"]  # the rest were not selected
    # the smoke selection's three registration paths: MLflow client, REST, and the 2026 announcement
    assert len(ran) == 3 and set(ran) == {"broken"}
    assert stack.keys.valid not in proc.stdout + proc.stderr


def test_whole_suite_against_a_url_and_key(tmp_path):
    """The suite pointed at a deployment by URL and key, as infra staff run it: every scenario
    that needs no stack internals passes, the rest are skipped with a stated reason, and the key
    appears in no output in any spelling (raw, URL-encoded, base64, Bearer line)."""
    with EmbeddedStack() as stack:
        proc, _ = run_behave(
            [],
            tmp_path,
            {
                "HOKUSAI_API_URL": stack.url + "/api/mlflow/",
                "HOKUSAI_API_KEY": stack.keys.valid,
                "HOKUSAI_READONLY_API_KEY": stack.keys.readonly,
            },
        )
    assert proc.returncode == 0, proc.stdout[-3000:]
    finish = finish_report(tmp_path)
    assert finish.returncode == 0, finish.stderr
    assert "ended in '/api/mlflow'" in proc.stderr  # the pasted tracking URI was noticed and fixed
    results = allure_results(tmp_path)
    skipped = [r for r in results if r["status"] == "skipped"]
    passed = [r for r in results if r["status"] == "passed"]
    assert len(passed) >= 40 and skipped, (len(passed), len(skipped))
    for result in skipped:
        why = result.get("description", "")
        assert why.startswith("Not run: ") and any(
            reason in why
            for reason in (
                "embedded reference stack",
                "no key of a developer whose key was revoked",
                "the check of the AWS services (ECS) is not configured",
                "performance scenarios run only when asked for",
                "generated requests run only when asked for",
                "set HOKUSAI_SECOND_API_KEY",
                "set HOKUSAI_ROTATED_API_KEY",
                "set HOKUSAI_NOBALANCE_API_KEY",
                "set HOKUSAI_ADMIN_API_KEY",
            )
        ), (result["name"], why)
    written = proc.stdout + proc.stderr + finish.stdout + finish.stderr + everything_written(tmp_path)
    assert find_leaks(written, [stack.keys.valid, stack.keys.readonly]) == []
    assert f"Bearer {stack.keys.valid}" not in written
    assert (tmp_path / "reports" / "junit").is_dir() and (tmp_path / "reports" / "infrastructure-report.md").is_file()
