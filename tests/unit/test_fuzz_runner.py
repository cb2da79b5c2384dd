"""Reading a generated-request run back: failures as evidence, who answered, reproductions, Allure results."""

import base64
import importlib
import json
import subprocess
from pathlib import Path

import pytest

from hokusai_acceptance.classify import AnswerKind
from hokusai_acceptance.exchange import Actor, shell_word
from hokusai_acceptance.fuzz import runner
from hokusai_acceptance.fuzz.confine import Scope
from hokusai_acceptance.redaction import register_secret
from hokusai_acceptance.who import Who

KEY = "hk_live_" + "Fz" * 16
BASE = "http://127.0.0.1:9"


def b64(text):
    return {"$base64": base64.b64encode(text.encode()).decode()}


def interaction(
    method,
    path,
    status,
    body,
    *,
    ctype="application/json",
    server=("uvicorn", "uvicorn"),
    headers=None,
    request_body=None,
):
    request = {"method": method, "uri": BASE + path, "headers": headers or {"Authorization": [f"Bearer {KEY}"]}}
    if request_body is not None:
        request["body"] = b64(request_body)
    return {
        "request": request,
        "timestamp": 1.0,
        "response": {
            "status_code": status,
            "headers": {"content-type": [ctype], "server": list(server)},
            "content": b64(body),
            "elapsed": 0.012,
        },
    }


def scenario(label, cases):
    """cases: {case id: (interaction, [(check name, failure or None)])}"""
    return {
        "ScenarioFinished": {
            "status": "failure",
            "recorder": {
                "label": label,
                "cases": {cid: {"value": {"meta": {"phase": {"name": "coverage"}}}} for cid in cases},
                "interactions": {cid: i for cid, (i, _) in cases.items()},
                "checks": {
                    cid: [
                        {
                            "name": name,
                            "status": "failure" if failure else "success",
                            **({"failure_info": {"failure": failure}} if failure else {}),
                        }
                        for name, failure in checks
                    ]
                    for cid, (_, checks) in cases.items()
                },
            },
        }
    }


def events(*scenarios, finished=True):
    lines = [{"Initialize": {"seed": 42}}, *scenarios]
    if finished:
        lines.append({"EngineFinished": {"running_time": 12.5, "stop_reason": "max_time"}})
    return [json.dumps(line) for line in lines]


SERVER_ERROR = {"type": "ServerError", "title": "Server error", "message": "", "operation": "POST /x"}
FLASK_500 = "<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n<h1>Internal Server Error</h1>"


@pytest.fixture(autouse=True)
def _secret():
    register_secret(KEY)


def test_failed_checks_become_defects_with_their_exchange_counted_once_per_kind():
    log_metric = "/api/mlflow/api/2.0/mlflow/runs/log-metric"
    bad = interaction("POST", log_metric, 500, FLASK_500, ctype="text/html; charset=utf-8", request_body="[]")
    ok = interaction("GET", "/api/mlflow/api/2.0/mlflow/experiments/search", 200, '{"experiments": []}')
    run = runner.read_events(
        events(
            scenario(
                "POST " + log_metric,
                {
                    "a": (bad, [("not_a_server_error", SERVER_ERROR)]),
                    "b": (bad, [("not_a_server_error", SERVER_ERROR)]),
                    "c": (ok, [("not_a_server_error", None)]),
                },
            )
        )
    )
    assert (run.cases, run.operations, run.seed, run.stop_reason) == (3, 1, "42", "max_time")
    [defect] = run.defects
    assert (defect.check, defect.count, defect.component) == ("not_a_server_error", 2, Who.MLFLOW)
    assert defect.exchange.actor == Actor.GENERATED_REQUEST and defect.exchange.request_body_prefix == "[]"
    assert KEY not in json.dumps(defect.exchange.to_dict())
    assert run.found(runner.SERVER_ERRORS) == [defect] and not run.found(runner.CONFORMANCE)


def test_a_request_sent_with_a_method_its_path_does_not_declare_says_so():
    path = "/api/mlflow/api/2.0/mlflow-artifacts/artifacts/1/r/artifacts/f"
    sent = interaction("DELETE", path, 500, '{"error_code": "INTERNAL_ERROR", "message": "x"}')
    declared = interaction("PUT", path, 500, '{"error_code": "INTERNAL_ERROR", "message": "x"}')
    label = "PUT /api/mlflow/api/2.0/mlflow-artifacts/artifacts/{experiment_id}/{run_id}/artifacts/{file}"
    failure = {**SERVER_ERROR, "operation": label}
    [other] = runner.read_events(events(scenario(label, {"a": (sent, [("not_a_server_error", failure)])}))).defects
    [same] = runner.read_events(events(scenario(label, {"a": (declared, [("not_a_server_error", failure)])}))).defects
    assert "sent as DELETE" in other.summary() and "-X DELETE" in other.reproduction()
    assert "sent as" not in same.summary()
    [stateful] = runner.read_events(
        events(scenario("Stateful tests", {"a": (sent, [("not_a_server_error", {**SERVER_ERROR, "operation": ""})])}))
    ).defects
    assert "sent as" not in stateful.summary()
    # both methods on one path are two kinds of failure, each with its own reproduction
    both = runner.read_events(
        events(
            scenario(
                label,
                {"a": (declared, [("not_a_server_error", failure)]), "b": (sent, [("not_a_server_error", failure)])},
            )
        )
    ).defects
    assert sorted(d.exchange.method for d in both) == ["DELETE", "PUT"]


def test_a_read_back_failure_names_the_write_and_shows_the_read_without_calling_it_an_undeclared_method():
    created = "/api/mlflow/api/2.0/mlflow/experiments/create"
    read = interaction(
        "GET",
        "/api/mlflow/api/2.0/mlflow/experiments/get?experiment_id=7",
        404,
        '{"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "No experiment 7"}',
    )
    record = {"operation": f"POST {created}", "problem": "experiment 7: not found (HTTP 404)", "interaction": read}
    [defect] = runner.read_back_defects([json.dumps(record)])
    assert defect.operation == f"POST {created}" and defect.exchange.method == "GET"
    assert "sent as" not in defect.summary()
    # Schemathesis's own stateful checks name the parent operation too (phase "stateful"): the same holds
    stateful_case = {"a": (read, [("ensure_resource_availability", {**SERVER_ERROR, "operation": f"POST {created}"})])}
    event = scenario("Stateful tests", stateful_case)
    event["ScenarioFinished"]["recorder"]["cases"]["a"]["value"]["meta"]["phase"]["name"] = "stateful"
    [parent] = runner.read_events(events(event)).defects
    assert parent.phase == "stateful" and "sent as" not in parent.summary()


def test_a_bare_error_without_the_headers_every_relayed_answer_carries_is_the_apis_own():
    path = "/api/mlflow/api/2.0/mlflow/experiments/get"
    relayed = interaction("GET", path, 404, '{"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "no"}')
    own = interaction("GET", path, 500, "Internal Server Error", ctype="text/plain; charset=utf-8", server=("uvicorn",))
    passed_on = interaction("GET", path, 500, "Internal Server Error", ctype="text/plain; charset=utf-8")
    run = runner.read_events(
        events(
            scenario(
                "GET " + path,
                {
                    "r": (relayed, [("not_a_server_error", None)]),
                    "o": (own, [("not_a_server_error", SERVER_ERROR)]),
                    "p": (passed_on, [("not_a_server_error", SERVER_ERROR)]),
                },
            )
        )
    )
    by_server = {d.exchange.server: d for d in run.defects}
    assert by_server["uvicorn"].exchange.answered_by == AnswerKind.UNRELAYED_ERROR
    assert by_server["uvicorn"].component == Who.API
    assert by_server["uvicorn, uvicorn"].component == Who.MLFLOW


def test_a_report_that_stops_before_the_run_finished_is_a_broken_run():
    with pytest.raises(runner.FuzzRunFailed, match="before the run finished"):
        runner.read_events(events(finished=False))


@pytest.mark.parametrize("text", ["plain", 'it\'s $HOME `x` "q"', "a\x00b\x18c", "ünï\tcode", f"Bearer {KEY}"])
def test_a_reproduction_word_gives_back_exactly_what_was_sent(text):
    from hokusai_acceptance.redaction import redact

    word = shell_word(redact(text))
    out = subprocess.run(
        ["bash", "-c", f"printf '%s' {word}"],
        capture_output=True,
        env={"HOKUSAI_API_KEY": KEY, "PATH": "/usr/bin:/bin"},
        check=True,
    ).stdout
    expected = text.split("\x00")[0]  # a shell word cannot carry a NUL byte; bash stops there
    assert out.decode("utf-8", "surrogateescape") == expected
    assert KEY not in word


def test_the_reproduction_keeps_the_headers_that_were_really_sent():
    i = interaction(
        "GET",
        "/api/mlflow/api/2.0/mlflow/runs/get?run_id=1",
        500,
        "Internal Server Error",
        ctype="text/plain",
        headers={"Authorization": ["oI"], "X-Odd": ["a\tb"]},
    )
    curl = runner.exchange_of(i).exact_curl()
    assert "-H 'Authorization: oI'" in curl and "-H $'X-Odd: a\\x09b'" in curl
    assert "$HOKUSAI_API_KEY" not in curl


def test_the_command_never_carries_the_key_and_a_read_only_run_sends_only_reads(tmp_path):
    options = runner.FuzzOptions(base_url=BASE, key=KEY, max_examples=5, max_seconds=10, seed=7)
    cmd = runner.command(options, tmp_path / "c.toml", tmp_path / "allure", tmp_path / "e.ndjson")
    assert KEY not in " ".join(cmd)
    from schemathesis.checks import CHECKS as KNOWN

    importlib.import_module("schemathesis.cli.commands.run.executor")  # the checks are registered on import
    assert set(cmd[cmd.index("--checks") + 1].split(",")) <= set(KNOWN.get_all_names())
    assert cmd[cmd.index("--include-method") + 1] == "GET" and "stateful" not in cmd[cmd.index("--phases") + 1]
    writes = runner.FuzzOptions(base_url=BASE, key=KEY, writes=True, scope=Scope("p", "1", "r"))
    cmd = runner.command(writes, tmp_path / "c.toml", tmp_path / "allure", tmp_path / "e.ndjson")
    assert "--include-method" not in cmd and "stateful" in cmd[cmd.index("--phases") + 1]


def test_a_read_only_run_never_tries_the_methods_a_path_does_not_declare(tmp_path, monkeypatch):
    from schemathesis.config import SchemathesisConfig

    monkeypatch.setenv("HOKUSAI_FUZZ_KEY", "not-a-key")

    def unexpected(writes):
        directory = tmp_path / str(writes)
        directory.mkdir()
        config = SchemathesisConfig.from_path(runner._config(directory, writes))
        return config.projects.default.phases.coverage.unexpected_methods

    assert unexpected(False) == set()
    assert {"delete", "post", "put", "patch"} <= unexpected(True)


def test_a_run_that_writes_needs_its_scope():
    from hokusai_acceptance.errors import ConfigError

    with pytest.raises(ConfigError, match="scope"):
        runner.FuzzOptions(base_url=BASE, key=KEY, writes=True)


def test_allure_results_written_by_the_run_are_grouped_and_redacted(tmp_path):
    (tmp_path / "behave-result.json").write_text('{"name": "a scenario"}')
    before = {"behave-result.json"}
    (tmp_path / "x-result.json").write_text(
        json.dumps(
            {
                "name": "POST /x",
                "labels": [{"name": "story", "value": "POST /x"}, {"name": "epic", "value": "API"}],
                "steps": [{"name": f"curl -H 'Authorization: Bearer {KEY}'"}],
            }
        )
    )
    (tmp_path / "x-attachment.txt").write_text(f"Bearer {KEY}")
    assert runner.tidy_allure(tmp_path, before) == 1
    data = json.loads((tmp_path / "x-result.json").read_text())
    labels = {(label["name"], label["value"]) for label in data["labels"]}
    assert ("feature", runner.FEATURE) in labels and ("epic", runner.EPIC) in labels and ("story", "POST /x") in labels
    assert ("epic", "API") not in labels
    for path in tmp_path.iterdir():
        assert KEY not in path.read_text()
    assert (tmp_path / "behave-result.json").read_text() == '{"name": "a scenario"}'


def test_only_loopback_targets_count_as_local():
    from hokusai_acceptance.settings import is_loopback

    assert is_loopback("http://127.0.0.1:8000") and is_loopback("http://localhost") and is_loopback("http://[::1]:80")
    assert not is_loopback("https://registry.hokus.ai")


def test_a_write_that_cannot_be_read_back_is_a_defect_of_its_own_with_the_read_that_showed_it():
    record = {
        "operation": "POST /api/mlflow/api/2.0/mlflow/registered-models/create",
        "problem": "model hk-accept-x-fz-m: created, but not readable (HTTP 404)",
        "interaction": interaction(
            "GET",
            "/api/mlflow/api/2.0/mlflow/registered-models/get?name=m",
            404,
            '{"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "no"}',
        ),
    }
    defects = runner.read_back_defects([json.dumps(record), json.dumps(record), ""])
    assert len(defects) == 1 and defects[0].count == 2 and defects[0].check == "read_back"
    assert defects[0].exchange.status == 404 and "created, but not readable" in defects[0].message
    found = runner.FuzzRun(
        writes=True, exit_code=1, seconds=1.0, operations=1, cases=2, stop_reason="done", seed="1", defects=defects
    )
    assert found.found(runner.READ_BACK) == defects and found.found(runner.SERVER_ERRORS) == []


def test_what_the_writes_created_reaches_the_cleanup_even_when_the_run_fails(tmp_path, monkeypatch):
    """A run whose Schemathesis process ends without a report still hands over what its writes created."""
    told = []

    real_popen = subprocess.Popen

    def no_report(_cmd, **kwargs):
        created = json.dumps({"kind": "model", "value": "p-m", "name": "p-m"})
        Path(kwargs["env"]["HOKUSAI_FUZZ_CREATED"]).write_text(created + "\n")
        return real_popen(["sh", "-c", "exit 2"], **kwargs)

    monkeypatch.setattr(runner.subprocess, "Popen", no_report)
    options = runner.FuzzOptions(base_url=BASE, key=KEY, writes=True, scope=Scope("p", "1", "r"), max_seconds=5)
    with pytest.raises(runner.FuzzRunFailed):
        runner.run(options, tmp_path / "allure", on_created=told.extend)
    assert told == [{"kind": "model", "value": "p-m", "name": "p-m"}]
