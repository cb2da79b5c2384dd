"""Schemathesis hooks of a generated-request run (loaded by ``st`` through SCHEMATHESIS_HOOKS).

Before each call: a read-only run refuses to send anything but a read; a run that writes confines
the write to this run's names and ids (:mod:`.confine`). After each call: what a generated write
created is remembered (so later writes may use it) and appended to a file the suite reads for the
cleanup. The run's settings come from the environment the suite starts ``st`` with.
"""

from __future__ import annotations

import base64
import json
import os
import threading

import requests
import schemathesis

from .confine import READ_METHODS, Scope, confine_body, confine_path_parameters, created

WRITES = os.environ.get("HOKUSAI_FUZZ_WRITES") == "1"
SCOPE = Scope.from_json(os.environ["HOKUSAI_FUZZ_SCOPE"]) if os.environ.get("HOKUSAI_FUZZ_SCOPE") else None
CREATED = os.environ.get("HOKUSAI_FUZZ_CREATED", "")
READ_BACK = os.environ.get("HOKUSAI_FUZZ_READ_BACK", "")
BASE = os.environ.get("HOKUSAI_FUZZ_BASE", "").rstrip("/")
#: how each kind of created thing is read back through the registry, and the parameter naming it
READS = {
    "experiment": ("experiments/get", "experiment_id"),
    "run": ("runs/get", "run_id"),
    "model": ("registered-models/get", "name"),
}
_file_lock = threading.Lock()
_session = requests.Session()


class WriteRefused(Exception):
    """A read-only run was about to send a write."""


@schemathesis.hook
def before_call(context, case, kwargs):  # noqa: ARG001 - Schemathesis's hook signature
    method = case.method.upper()
    if method in READ_METHODS:
        return
    if not WRITES or SCOPE is None:
        raise WriteRefused(f"a read-only run does not send {method} {case.path}")
    case.body = confine_body(case.body, SCOPE)
    case.path_parameters = confine_path_parameters(case.path_parameters, SCOPE)


@schemathesis.hook
def after_call(context, case, response):  # noqa: ARG001 - Schemathesis's hook signature
    if SCOPE is None or case.method.upper() in READ_METHODS:
        return
    try:
        answer = response.json()
    except ValueError:  # not JSON: it created nothing we can name
        return
    if (
        case.path.endswith("/registered-models/delete")
        and response.status_code == 200
        and isinstance(case.body, dict)
        and isinstance(case.body.get("name"), str)
    ):
        read_back(case, "model", case.body["name"], expect_gone=True)
    made = created(case.path, response.status_code, answer)
    if made is None:
        return
    kind, value = made
    read_back(case, kind, value, expect_gone=False)
    if kind in ("experiment", "run"):
        SCOPE.remember(kind, value)
    if CREATED:
        with _file_lock, open(CREATED, "a", encoding="utf-8") as out:
            body = case.body
            if isinstance(body, str):  # a JSON-string body MLflow decoded again (confined as its object)
                try:
                    body = json.loads(body)
                except ValueError:
                    body = None
            name = body.get("name") if isinstance(body, dict) else None
            out.write(json.dumps({"kind": kind, "value": value, "name": name}) + "\n")


def read_back(case, kind: str, value: str, *, expect_gone: bool) -> None:
    """Read what a generated write created (it must be there) or deleted (it must be gone), through the registry
    with the run's key; a read that disagrees is written down for the suite as a failed check."""
    if not (BASE and READ_BACK):
        return
    endpoint, parameter = READS[kind]
    url = f"{BASE}/api/mlflow/api/2.0/mlflow/{endpoint}"
    headers = {"Authorization": f"Bearer {os.environ.get('HOKUSAI_FUZZ_KEY', '')}"}
    problem: str | None
    try:
        reply = _session.get(url, params={parameter: value}, headers=headers, timeout=10)
    except requests.RequestException as exc:
        problem, status, content, reply_headers, elapsed = f"no answer: {type(exc).__name__}", None, b"", {}, 0.0
    else:
        status, content, reply_headers = reply.status_code, reply.content, dict(reply.headers)
        elapsed = reply.elapsed.total_seconds()
        if expect_gone:
            problem = None if status == 404 else f"still readable after it was deleted (HTTP {status})"
        else:
            problem = None if status == 200 else f"created, but not readable (HTTP {status})"
    if problem is None:
        return
    record = {
        "operation": f"{case.method.upper()} {case.operation.path}",
        "problem": f"{kind} {value}: {problem}",
        "interaction": {
            "timestamp": 0.0,
            "request": {
                "method": "GET",
                "uri": reply.url if status is not None else url,
                "headers": {"Authorization": [headers["Authorization"]]},
            },
            "response": None
            if status is None
            else {
                "status_code": status,
                "headers": {k: [v] for k, v in reply_headers.items()},
                "content": {"$base64": base64.b64encode(content[:2000]).decode()},
                "elapsed": elapsed,
            },
        },
    }
    with _file_lock, open(READ_BACK, "a", encoding="utf-8") as out:
        out.write(json.dumps(record) + "\n")
