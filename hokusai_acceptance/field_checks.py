"""The seven field checks the infra team runs by name, rebuilt on the suite's package.

Each check exercises one thing for real and says whether it works: exit code 0 only
if it does, 1 if it does not, 2 for a usage error. The originals counted 401 and 5xx
answers as "available", always exited 0, or defaulted to a wrong port; these use the
same client, registration flows and diagnosis as the behave suite.

Usage (one check):  python scripts/<check>.py [--url URL] [--key-env VAR] [--json]
Usage (all seven):  python -m hokusai_acceptance.field_checks [--url URL] [--key-env VAR] [--json]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from . import expectations as expect
from . import registration as reg
from .classify import AnswerKind
from .client import HokusaiClient
from .diagnosis import RunEvidence, ScenarioOutcome, diagnose, run_sweep
from .errors import ConfigError, InfrastructureError, SuiteError
from .evidence import EvidenceLog, recording
from .hokusai_tags import readiness_problems, validate
from .redaction import redact
from .reporting import component_versions
from .rest_api import MlflowRest, register_via_rest
from .routes import PROXIED_SEARCH, SEARCH_EXPERIMENTS
from .settings import load_settings
from .who import Who


@dataclass
class Step:
    what: str
    ok: bool
    detail: str = ""


@dataclass
class CheckResult:
    check: str
    target: str
    ok: bool = True
    steps: list[Step] = field(default_factory=list)
    findings: list[dict] = field(default_factory=list)
    seconds: float = 0.0

    def step(self, what: str, ok: bool, detail: str = "") -> bool:
        self.steps.append(Step(what, ok, redact(detail)))
        self.ok = self.ok and ok
        return ok

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Target:
    url: str
    key: str
    prefix: str
    auth_url: str | None = None
    read_timeout: float = 15.0
    mlflow_timeout: float = 30.0

    def client(self) -> HokusaiClient:
        return HokusaiClient(self.url, read_timeout=self.read_timeout)

    def session(self, key: str | None = "") -> reg.MlflowSession:
        return reg.MlflowSession(
            f"{self.url}/api/mlflow", self.key if key == "" else key, timeout=self.mlflow_timeout, retries=0
        )


# ------------------------------------------------------------------ the checks


def _classify(reply, expected: set[int], html_page: str | None = None) -> tuple[bool, str]:
    """An endpoint is available only when the Hokusai API itself answers as expected."""
    kind = reply.answered_by
    if html_page and reply.status in expected and html_page.lower() in reply.text.lower():
        return True, f"HTTP {reply.status} ({html_page} page)"
    answerer = expect.who(reply)
    foreign = (AnswerKind.LB_HTML, AnswerKind.PLAIN_TEXT, AnswerKind.FLASK_HTML_404, AnswerKind.NON_JSON)
    if answerer in (Who.LOAD_BALANCER, Who.NOTHING) or kind in foreign:
        return False, f"HTTP {reply.status} from {answerer}, not the API ({kind})"
    if reply.status in expected:
        return True, f"HTTP {reply.status} ({kind})"
    if reply.status == 401:
        return False, f"HTTP 401 {reply.detail()!r}: needs or rejects the key"
    if reply.status >= 500:
        return False, f"HTTP {reply.status} {reply.detail()!r}: server-side failure"
    return False, f"HTTP {reply.status} {reply.detail()!r}"


def check_model_registration_simple(t: Target, r: CheckResult, created: reg.CreatedResources) -> None:
    session = t.session()
    trained = reg.train_classifier()
    name = created.name("simple")
    registration = reg.register_model(session, created, trained, name, validate("field-check", "accuracy", "0.5"))
    r.step(
        "register a trained model with Hokusai tags through the tracking URI",
        True,
        f"{name} version {registration.version}",
    )
    found = reg.find_registered_model(session, name)
    r.step("find it in the registry", found is not None, "found" if found else "not in the remote registry")
    predicted, _ = reg.load_and_predict(session, registration.model_uri, trained.features)
    r.step(
        "load it back and predict",
        bool(np.array_equal(predicted, trained.predictions)),
        "same predictions" if np.array_equal(predicted, trained.predictions) else "different predictions",
    )


def check_auth_registration(t: Target, r: CheckResult, _created: reg.CreatedResources) -> None:
    session = t.session()
    client = session.client()
    experiments = session.call(
        "searching experiments with the MLflow client", lambda: client.search_experiments(max_results=1)
    )
    r.step("authenticated tracking call with the MLflow client", True, f"{len(experiments)} experiment(s) listed")
    http = t.client()
    try:
        reply = http.get(PROXIED_SEARCH, key=t.key, params={"max_results": 1})
        ok, why = _classify(reply, {200})
        r.step("raw REST request with Authorization: Bearer", ok, why)
        anonymous = http.get(PROXIED_SEARCH, params={"max_results": 1})
        r.step(
            "the same request without a key is refused with 401",
            anonymous.status == 401,
            f"HTTP {anonymous.status} {anonymous.detail()!r}",
        )
    finally:
        http.close()


def check_correct_registration(t: Target, r: CheckResult, created: reg.CreatedResources) -> None:
    session = t.session()
    trained = reg.train_classifier()
    first = reg.register_model(
        session, created, trained, created.name("via-log-model"), validate("field-check", "accuracy", "0.5")
    )
    r.step("registration with log_model(registered_model_name=...)", True, f"version {first.version}")
    name = created.name("via-model-version")
    version = reg.register_model(
        session,
        created,
        trained,
        name,
        validate("field-check", "accuracy", "0.5"),
        experiment_slug="field-checks",
        path=reg.RegistrationPath.EXPLICIT_VERSION,
    ).version
    predicted, _ = reg.load_and_predict(session, f"models:/{name}/{version}", trained.features)
    r.step(
        "registration with create_registered_model + create_model_version (works with MLflow 2.9 servers too)",
        bool(np.array_equal(predicted, trained.predictions)),
        f"version {version} loads and predicts",
    )


def check_verify_model_registration(t: Target, r: CheckResult, created: reg.CreatedResources) -> None:
    http = t.client()
    try:
        rest = MlflowRest(http, t.key)
        name = created.name("rest")
        created.add_model(name)
        metadata = validate("field-check", "accuracy", "0.9")
        result = register_via_rest(rest, created.name("rest-experiment"), name, "accuracy", 0.93, metadata.as_tags())
        created.experiments[created.name("rest-experiment")] = result.experiment_id
        for label, reply in result.steps:
            r.step(f"{label}", 200 <= reply.status < 300, f"HTTP {reply.status}")
        version = rest.get_model_version(name, result.version).json()["model_version"]
        tags = {tag["key"]: tag["value"] for tag in version.get("tags", [])}
        problems = readiness_problems(tags)
        r.step("the registered version is Hokusai-ready", not problems, "; ".join(problems) or "all three tags valid")
    finally:
        http.close()


ENDPOINTS = [  # (path, with key, statuses the contract allows)
    ("/health", False, {200}),
    ("/health/mlflow", False, {200}),
    ("/api/health/mlflow", False, {200}),
    ("/openapi.json", False, {200}),
    ("/ready", False, {200}),
    ("/live", False, {200}),
    ("/version", True, {200}),
    (f"{PROXIED_SEARCH}?max_results=1", True, {200}),
    (f"/mlflow{SEARCH_EXPERIMENTS}?max_results=1", True, {200}),
    ("/api/mlflow/api/2.0/mlflow/registered-models/search?max_results=1", True, {200}),
    ("/api/mlflow/api/2.0/mlflow-artifacts/artifacts", True, {200}),
    (f"{PROXIED_SEARCH}?max_results=1", False, {401}),
]


def check_endpoint_availability(t: Target, r: CheckResult, _created: reg.CreatedResources) -> None:
    http = t.client()
    try:
        ok, why = _classify(http.get("/docs"), {200}, html_page="swagger")
        r.step("/docs without key (expect the interactive API docs)", ok, why)
        for path, with_key, expected in ENDPOINTS:
            reply = http.get(path, key=t.key if with_key else None)
            ok, why = _classify(reply, expected)
            label = f"{path} {'with' if with_key else 'without'} key (expect {'/'.join(map(str, sorted(expected)))})"
            r.step(label, ok, why)
    finally:
        http.close()


def check_mlflow_routing(t: Target, r: CheckResult, created: reg.CreatedResources) -> None:
    http = t.client()
    try:
        for mount in ("/api/mlflow", "/mlflow"):
            reply = MlflowRest(http, t.key, mount=mount).search_experiments(max_results=1)
            ok, why = _classify(reply, {200})
            r.step(f"experiment search under {mount}", ok, why)
        rest = MlflowRest(http, t.key)
        ok, why = _classify(rest.search_registered_models("name LIKE '%'", max_results=1), {200})
        r.step("registry search", ok, why)
        name = created.name("routing")
        made = rest.create_experiment(name)
        if not r.step("write flow: create an experiment", made.status == 200, f"HTTP {made.status}"):
            return
        created.experiments[name] = made.json()["experiment_id"]
        run = rest.create_run(created.experiments[name], "routing-check")
        r.step("write flow: create a run", run.status == 200, f"HTTP {run.status}")
        if run.status == 200:
            metric = rest.log_metric(run.json()["run"]["info"]["run_id"], "routing", 1.0)
            r.step("write flow: log a metric", metric.status == 200, f"HTTP {metric.status}")
        payload = os.urandom(4096)
        path = f"{created.prefix}/routing/blob.bin"
        up = rest.upload_artifact(path, payload)
        ok, why = _classify(up, {200})
        r.step("artifact upload through /api/2.0/mlflow-artifacts", ok, why)
        down = rest.download_artifact(path)
        r.step(
            "artifact download returns the same bytes",
            down.status == 200 and down.body == payload,
            f"HTTP {down.status}, {len(down.body)} bytes",
        )
    finally:
        http.close()


def check_health_endpoints(t: Target, r: CheckResult, _created: reg.CreatedResources) -> None:
    http = t.client()
    try:
        health = http.get("/health")
        ok, why = _classify(health, {200})
        body = health.json_or_none() or {}
        r.step("/health without a key answers 200", ok, why)
        services = body.get("services") or {}
        down = [name for name, state in services.items() if state not in ("healthy", "disabled", "not_configured")]
        r.step(
            "/health reports every dependency healthy",
            body.get("status") == "healthy" and not down,
            f"status {body.get('status')!r}, unhealthy: {down or 'none'}",
        )
        for path in ("/health/mlflow", "/api/health/mlflow", "/ready", "/live"):
            ok, why = _classify(http.get(path), {200})
            r.step(f"{path} without a key (monitoring probes carry none)", ok, why)
            ok, why = _classify(http.get(path, key=t.key), {200})
            r.step(f"{path} with a key", ok, why)
    finally:
        http.close()


CHECKS: dict[str, tuple[Callable, str]] = {
    "test_model_registration_simple": (
        check_model_registration_simple,
        "end-to-end register, find, load and predict through the tracking URI",
    ),
    "test_auth_registration": (check_auth_registration, "authenticated tracking calls and a raw authenticated request"),
    "test_correct_registration": (
        check_correct_registration,
        "registration via log_model and via registered model + model version",
    ),
    "verify_model_registration": (check_verify_model_registration, "the raw-REST registration flow, call by call"),
    "test_endpoint_availability": (
        check_endpoint_availability,
        "known endpoints classified: API JSON vs HTML vs plain text vs 401 vs 5xx",
    ),
    "test_mlflow_routing": (check_mlflow_routing, "both proxy mounts, registry search, artifacts and a write flow"),
    "test_health_endpoints": (check_health_endpoints, "health endpoints with and without a key"),
}


def run_check(name: str, target: Target) -> CheckResult:
    function, _ = CHECKS[name]
    result = CheckResult(check=name, target=target.url)
    created = reg.CreatedResources(prefix=f"{target.prefix}-{name.replace('_', '-')[:20]}")
    log = EvidenceLog(scenario=name)
    log.actor = "valid"
    started = time.monotonic()
    with recording(log):
        try:
            function(target, result, created)
        except Exception as exc:  # a check reports, it never crashes
            result.step(f"{type(exc).__name__}", False, str(exc)[:600])
        finally:
            try:
                for leftover in reg.cleanup(target.session(), created):
                    result.steps.append(Step("cleanup", False, leftover))
            except SuiteError as exc:
                result.steps.append(Step("cleanup", False, redact(str(exc))[:200]))
    result.seconds = round(time.monotonic() - started, 2)
    if not result.ok:
        failing = "; ".join(f"{s.what}: {s.detail}" for s in result.steps if not s.ok)
        probes, identity = run_sweep(
            target.url,
            target.key,
            prefix=target.prefix,
            auth_url=target.auth_url,
            timeout=min(target.read_timeout, 5.0),
        )
        evidence = RunEvidence(
            probes=probes,
            exchanges=log.snapshot(),
            identity=identity,
            client={"mlflow": component_versions().get("mlflow", "")},
            scenarios=[ScenarioOutcome(feature="field check", name=name, status="failed", message=failing)],
        )
        result.findings = [f.to_dict() for f in diagnose(evidence).findings]
    return result


def render(result: CheckResult) -> str:
    lines = [f"{result.check}: {'WORKS' if result.ok else 'FAILS'} against {result.target} ({result.seconds} s)"]
    for step in result.steps:
        lines.append(f"  [{'ok' if step.ok else 'FAIL'}] {step.what}" + (f" - {step.detail}" if step.detail else ""))
    for finding in result.findings:
        lines.append(f"  diagnosis: {finding['id']} ({finding['confidence']}): {finding['title']}")
        lines.append(f"    fix: {finding['recommendation']} (owner: {finding['owner']})")
    return redact("\n".join(lines))


# ------------------------------------------------------------------ command line


def _parser(check: str | None) -> argparse.ArgumentParser:
    description = CHECKS[check][1] if check else "run all seven field checks"
    parser = argparse.ArgumentParser(prog=f"{check}.py" if check else "field_checks", description=description)
    parser.add_argument("--url", help="base URL of the deployment (default: HOKUSAI_API_URL, else the embedded stack)")
    parser.add_argument("--key-env", default="HOKUSAI_API_KEY", help="environment variable holding the key")
    parser.add_argument("--json", action="store_true", help="print a machine-readable result")
    parser.add_argument("--output", type=Path, help="also write the JSON result(s) to this file")
    return parser


def main(check: str | None = None, argv: list[str] | None = None) -> int:
    args = _parser(check).parse_args(argv)
    env = dict(os.environ)
    if args.url:
        env["HOKUSAI_API_URL"] = args.url
    if args.key_env != "HOKUSAI_API_KEY":
        if not env.get(args.key_env):
            print(f"{check or 'field_checks'}: the variable {args.key_env} is not set", file=sys.stderr)
            return 2
        env["HOKUSAI_API_KEY"] = env[args.key_env]
    try:
        settings = load_settings(env, interactive=False)
    except ConfigError as exc:
        print(f"{check or 'field_checks'}: configuration error: {exc}", file=sys.stderr)
        return 2
    names = [check] if check else list(CHECKS)
    stack = None
    try:
        if settings.embedded:
            from .stack.launcher import EmbeddedStack

            print("starting the embedded reference stack ...", file=sys.stderr, flush=True)
            stack = EmbeddedStack().start()
            target = Target(
                url=stack.url, key=stack.keys.valid, prefix=f"hk-field-{settings.run_id}", auth_url=stack.auth_url
            )
        else:
            target = Target(
                url=settings.target_url,
                key=settings.api_key or "",
                prefix=f"hk-field-{settings.run_id}",
                auth_url=settings.auth_url,
                read_timeout=settings.read_timeout,
                mlflow_timeout=settings.mlflow_timeout,
            )
        with contextlib.redirect_stdout(sys.stderr):  # MLflow prints run links; stdout is the result
            results = [run_check(name, target) for name in names]
    except InfrastructureError as exc:
        print(f"{check or 'field_checks'}: {exc}", file=sys.stderr)
        return 1
    finally:
        if stack is not None:
            stack.stop()
    payload = [r.to_dict() for r in results]
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(redact(json.dumps(payload if not check else payload[0], indent=2)))
    if args.json:
        print(redact(json.dumps(payload, indent=2)))
    else:
        print("\n\n".join(render(r) for r in results))
        if not check:
            print("\n" + summary_table(results))
    return 0 if all(r.ok for r in results) else 1


def summary_table(results: list[CheckResult]) -> str:
    lines = ["| check | verdict | failing steps | diagnosis |", "|---|---|---|---|"]
    for r in results:
        failing = sum(1 for s in r.steps if not s.ok)
        diagnosis = ", ".join(f["id"] for f in r.findings) or "-"
        lines.append(f"| {r.check} | {'works' if r.ok else 'FAILS'} | {failing} | {diagnosis} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
