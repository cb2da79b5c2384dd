"""The onboarding guide works as written: docs/quickstart.md's Python blocks run exactly as printed, in
order, in a fresh interpreter configured by the two variables the guide sets (plus the switches that keep a
test run quiet and bounded), against the local reference stack; the registry is then read back independently
of the guide's own checks, and what the guide says about errors and tags is checked against the code."""

import os
import re
import secrets
import subprocess
import sys
from importlib.metadata import version

import pytest
import requests
from packaging.requirements import Requirement

from hokusai_acceptance.hokusai_tags import METRICS, readiness_problems

from ..suite_runner import ROOT

pytestmark = pytest.mark.integration
GUIDE = ROOT / "docs" / "quickstart.md"


def blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", GUIDE.read_text(), flags=re.S | re.M)


def test_the_guide_sets_exactly_the_two_variables_the_run_below_provides():
    [shell] = blocks("bash")
    names = re.findall(r"^export (\w+)=", shell, flags=re.M)
    assert names == ["MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_TOKEN"]
    assert "/api/mlflow" in shell


def test_the_printed_requirements_are_met_by_what_the_suite_pins():
    [printed] = blocks("text")
    for line in printed.split("\n"):
        if line.strip():
            requirement = Requirement(line)
            assert version(requirement.name) in requirement.specifier, f"{requirement} is not what runs here"


def test_the_guide_registers_a_hokusai_ready_model_as_printed(stack, tmp_path):
    code = "\n".join(blocks("python"))
    assert code.count("MODEL_NAME = ") == 1
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "HOKUSAI_"))}
    env.update(
        MLFLOW_TRACKING_URI=f"{stack.url}/api/mlflow",
        MLFLOW_TRACKING_TOKEN=stack.keys.valid,
        MLFLOW_HTTP_REQUEST_MAX_RETRIES="0",
        MLFLOW_HTTP_REQUEST_TIMEOUT="60",
        MLFLOW_DISABLE_TELEMETRY="true",
        DO_NOT_TRACK="true",
        AWS_EC2_METADATA_DISABLED="true",
    )
    script = tmp_path / "quickstart.py"
    script.write_text(code)
    run = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240
    )
    assert run.returncode == 0, (run.stdout + run.stderr)[-3000:]
    assert stack.keys.valid not in run.stdout + run.stderr
    assert re.search(r"my-iris-classifier version \d+ is Hokusai-ready", run.stdout), run.stdout
    # read back without the guide's code: the newest version carries three valid Hokusai tags
    headers = {"Authorization": f"Bearer {stack.keys.valid}"}
    try:
        found = requests.get(
            f"{stack.url}/api/mlflow/api/2.0/mlflow/registered-models/get",
            params={"name": "my-iris-classifier"},
            headers=headers,
            timeout=10,
        )
        assert found.status_code == 200, found.text
        newest = max(found.json()["registered_model"]["latest_versions"], key=lambda v: int(v["version"]))
        tags = {t["key"]: t["value"] for t in newest.get("tags", [])}
        assert readiness_problems(tags) == [], tags
    finally:
        requests.delete(
            f"{stack.url}/api/mlflow/api/2.0/mlflow/registered-models/delete",
            json={"name": "my-iris-classifier"},
            headers=headers,
            timeout=10,
        )


def test_what_the_guide_says_about_errors_and_tags_is_what_the_registry_and_the_rules_say(stack):
    guide = GUIDE.read_text()
    for metric in METRICS:
        assert f"`{metric}`" in guide, f"the guide does not list the metric {metric}"
    search = f"{stack.url}/api/mlflow/api/2.0/mlflow/experiments/search?max_results=1"
    assert requests.get(search, timeout=10).json()["detail"] in guide  # no key
    wrong = {"Authorization": "Bearer hk_live_" + "0" * 32}
    assert requests.get(search, headers=wrong, timeout=10).json()["detail"] in guide
    refused = requests.post(
        f"{stack.url}/api/mlflow/api/2.0/mlflow/experiments/create",
        json={"name": "x"},
        headers={"Authorization": f"Bearer {stack.keys.readonly}"},
        timeout=10,
    ).json()
    assert refused["message"].startswith("This operation requires write permissions")
    assert "This operation requires write permissions" in guide and "'model:write' or 'mlflow:write'" in guide
    # another developer's change, and a file above the size limit, as the guide quotes them
    api = f"{stack.url}/api/mlflow/api/2.0/mlflow"
    mine = {"Authorization": f"Bearer {stack.keys.valid}"}
    theirs = {"Authorization": f"Bearer {stack.keys.second}"}
    name = "quickstart-wording-" + secrets.token_hex(3)
    assert requests.post(f"{api}/registered-models/create", json={"name": name}, headers=mine, timeout=10).ok
    try:
        taken = requests.patch(
            f"{api}/registered-models/update", json={"name": name, "description": "x"}, headers=theirs, timeout=10
        )
        assert taken.status_code == 403 and taken.json()["message"].startswith(
            f"Model '{name}' belongs to another developer"
        )
        assert "403 \"Model '...' belongs to another developer\"" in guide
    finally:
        requests.delete(f"{api}/registered-models/delete", json={"name": name}, headers=mine, timeout=10)
    large = requests.put(
        f"{stack.url}/api/mlflow/api/2.0/mlflow-artifacts/artifacts/quickstart/big.bin",
        data=b"\0" * (101 * 2**20),
        headers=mine,
        timeout=60,
    )
    assert large.status_code == 413 and large.json()["message"].startswith(
        "The file is 101 MB; this registry accepts model files of up to"
    )
    assert '413 "The file is ... MB; this registry accepts model files of up to ... MB"' in guide
