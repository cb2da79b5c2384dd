"""Schemathesis hooks of a generated-request run (loaded by ``st`` through SCHEMATHESIS_HOOKS).

Before each call: a read-only run refuses to send anything but a read; a run that writes confines
the write to this run's names and ids (:mod:`.confine`). After each call: what a generated write
created is remembered (so later writes may use it) and appended to a file the suite reads for the
cleanup. The run's settings come from the environment the suite starts ``st`` with.
"""
from __future__ import annotations

import json
import os
import threading

import schemathesis

from .confine import READ_METHODS, Scope, confine_body, confine_path_parameters, created

WRITES = os.environ.get("HOKUSAI_FUZZ_WRITES") == "1"
SCOPE = Scope.from_json(os.environ["HOKUSAI_FUZZ_SCOPE"]) if os.environ.get("HOKUSAI_FUZZ_SCOPE") else None
CREATED = os.environ.get("HOKUSAI_FUZZ_CREATED", "")
_file_lock = threading.Lock()


class WriteRefused(Exception):
    """A read-only run was about to send a write."""


@schemathesis.hook
def before_call(context, case, kwargs):
    method = case.method.upper()
    if method in READ_METHODS:
        return
    if not WRITES or SCOPE is None:
        raise WriteRefused(f"a read-only run does not send {method} {case.path}")
    case.body = confine_body(case.body, SCOPE)
    case.path_parameters = confine_path_parameters(case.path_parameters, SCOPE)


@schemathesis.hook
def after_call(context, case, response):
    if SCOPE is None or case.method.upper() in READ_METHODS:
        return
    try:
        answer = response.json()
    except ValueError:  # not JSON: it created nothing we can name
        return
    made = created(case.path, response.status_code, answer)
    if made is None:
        return
    kind, value = made
    if kind in ("experiment", "run"):
        SCOPE.remember(kind, value)
    if CREATED:
        with _file_lock, open(CREATED, "a", encoding="utf-8") as out:
            name = case.body.get("name") if isinstance(case.body, dict) else None
            out.write(json.dumps({"kind": kind, "value": value, "name": name}) + "\n")
