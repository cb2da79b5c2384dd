"""Generated requests: one bounded Schemathesis run against a target, read back as evidence.

Schemathesis (``st``) draws requests from the contract document: valid ones, ones that break one
rule each, and (when the run may write) create -> read -> delete sequences along the document's
links. The suite starts it as a separate process with a deadline, hands it the run's key through
the environment (never on a command line), writes its Allure results into the suite's own results
folder (one result per operation, each failure with a curl reproduction) and reads its event
stream back: every failed check becomes a :class:`Defect` carrying the exchange as the suite's
evidence records any other call, so the diagnosis tells an MLflow failure from the gateway's and
from the load balancer's by the same rules.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from ..classify import MLFLOW_DOCUMENT_KEYS, AnswerKind, classify_answer, who_answered
from ..errors import ConfigError, InfrastructureError
from ..exchange import BODY_PREFIX, Actor, Exchange
from ..redaction import redact
from ..routes import PROXY_MOUNTS
from .confine import Scope
from .contract import CONTRACT

SERVER_ERRORS = ("not_a_server_error",)
CONFORMANCE = ("status_code_conformance", "content_type_conformance", "response_schema_conformance")
#: "read_back" is the suite's own check (hooks.read_back): MLflow's create/get/delete paths are not what
#: Schemathesis's own two read-back checks recognise, so they alone could never fail here
READ_BACK = ("read_back", "ensure_resource_availability", "use_after_free")
#: what the shared generated run has Schemathesis check; each scenario reads the part it speaks for
CHECKS = SERVER_ERRORS + CONFORMANCE + tuple(c for c in READ_BACK if c != "read_back")
HTTP_METHODS = ("GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE", "TRACE", "QUERY")
#: where the generated run's results sit in the Allure report: beside the @fuzz feature's own scenarios
EPIC, FEATURE = "Requests nobody wrote down", "Generated requests, one result per operation (Schemathesis)"
PROBE_PATHS = (
    "/health",
    "/health/alb",
    "/health/mlflow",
    "/api/health/mlflow",
    "/",
    "/ready",
    "/live",
    "/version",
    "/metrics",
)


class FuzzRunFailed(InfrastructureError):
    """The generated-request run itself could not be carried out (it did not start, finish or report)."""

    component = "suite"


@dataclass
class FuzzOptions:
    base_url: str
    key: str | None = field(repr=False)
    writes: bool = False
    max_examples: int = 20
    max_seconds: int = 60
    seed: int | None = None
    request_timeout: float = 10.0
    rate_limit: str | None = None  # e.g. "20/s" against a remote target
    scope: Scope | None = None  # what generated writes may touch (needed when writes is on)

    def __post_init__(self) -> None:
        if self.writes and self.scope is None:
            raise ConfigError(
                "a generated run that writes needs a scope (the run's prefix, scratch experiment and run)"
            )


@dataclass
class Defect:
    """One kind of failed check, with the first exchange that showed it and how often it was seen."""

    check: str
    title: str
    message: str
    operation: str
    phase: str
    exchange: Exchange
    count: int = 1

    @property
    def component(self) -> str:
        return who_answered(self.exchange)

    @property
    def own_endpoint(self) -> bool:
        """A failure on the API's own endpoints (probes), not on the MLflow it forwards to."""
        path = urlsplit(self.exchange.url).path
        if "/api/mlflow/" in path or "/mlflow/" in path:
            return False
        return path in PROBE_PATHS or path.endswith(tuple(p for p in PROBE_PATHS if p != "/"))

    def reproduction(self) -> str:
        """The request as a command a person can paste: the run's key comes from their own environment."""
        return self.exchange.exact_curl()

    def summary(self) -> str:
        status = self.exchange.status if self.exchange.status is not None else "no answer"
        text = f"{self.operation}: {self.title} (HTTP {status}, answered by {self.component})"
        declared, sent = self.operation.split(" ", 1)[0].upper(), self.exchange.method.upper()
        # the coverage phase also tries each path with methods it does not declare; in the read-back checks the
        # operation is the write and the exchange the read that followed it, which is not such a case
        if self.phase == "coverage" and declared in HTTP_METHODS and sent != declared:
            text += f", sent as {sent}, a method the contract does not declare for this path"
        if self.message:
            text += f": {' '.join(self.message.split())[:200]}"
        return text + (f" [{self.count} times]" if self.count > 1 else "")


@dataclass
class FuzzRun:
    writes: bool
    exit_code: int
    seconds: float
    operations: int
    cases: int
    stop_reason: str
    seed: str
    defects: list[Defect] = field(default_factory=list)
    created: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    allure_results: int = 0

    def found(self, checks: tuple[str, ...], own_endpoints: bool | None = None) -> list[Defect]:
        return [
            d for d in self.defects if d.check in checks and (own_endpoints is None or d.own_endpoint == own_endpoints)
        ]

    def describe(self) -> str:
        mode = "reads and writes" if self.writes else "reads only"
        return (
            f"{self.cases} generated requests to {self.operations} operations ({mode}) in {self.seconds:.0f} s, "
            f"seed {self.seed}, stopped by {self.stop_reason}; {len(self.defects)} kinds of failure"
        )


def _config(directory: Path, writes: bool) -> Path:
    path = directory / "schemathesis.toml"
    # Schemathesis's own masking hides every value whose name looks sensitive (a page token, a mutated
    # Authorization header), which makes failures impossible to reproduce. It is turned off; the suite's
    # redaction masks the run's key in everything the run leaves behind (:func:`tidy_allure`, the evidence).
    text = (
        "# written by the suite for one generated-request run\n"
        "[output.sanitization]\n"
        "enabled = false\n"
        "[auth.openapi.bearer]\n"
        'bearer = "${HOKUSAI_FUZZ_KEY}"\n'
    )
    if not writes:
        # The coverage phase also sends each path the methods it does not declare (DELETE, POST, PUT ... to a
        # GET route) to see them refused. In a read-only run those would be writes: the hooks refuse to send
        # them, and every read operation would end as a broken result. A read-only run sends only its reads.
        text += "[phases.coverage]\nunexpected-methods = []\n"
    path.write_text(text)
    return path


def command(options: FuzzOptions, config: Path, allure_dir: Path, events: Path) -> list[str]:
    st = Path(sys.executable).with_name("st")
    # no "examples" phase: the document has no examples, and that phase would report every operation as broken
    phases = "coverage,fuzzing,stateful" if options.writes else "coverage,fuzzing"
    cmd = [
        str(st),
        "--no-color",
        "--config-file",
        str(config),
        "run",
        str(CONTRACT),
        "--url",
        options.base_url,
        "--max-examples",
        str(options.max_examples),
        "--phases",
        phases,
        "--checks",
        ",".join(CHECKS),
        "--request-timeout",
        str(options.request_timeout),
        "--report",
        "allure,ndjson",
        "--report-allure-path",
        str(allure_dir),
        "--report-ndjson-path",
        str(events),
        "--suppress-health-check",
        "all",
        "--warnings",
        "off",
    ]
    if not options.writes:
        cmd += ["--include-method", "GET"]
    if options.seed is not None:
        cmd += ["--seed", str(options.seed)]
    if options.rate_limit:
        cmd += ["--rate-limit", options.rate_limit]
    return cmd


def run(options: FuzzOptions, allure_dir: Path, on_created: Callable[[list[dict]], None] | None = None) -> FuzzRun:
    """Carry out one generated-request run; its Allure results land in ``allure_dir``. ``on_created`` is told
    what the run's writes created, even when the run itself fails, so the cleanup can remove it."""
    allure_dir = allure_dir.resolve()  # Schemathesis runs in a folder of its own
    allure_dir.mkdir(parents=True, exist_ok=True)
    before = set(os.listdir(allure_dir))
    work = Path(tempfile.mkdtemp(prefix="hokusai-fuzz-"))
    try:
        events, created_file, read_back_file = work / "events.ndjson", work / "created.jsonl", work / "read-back.jsonl"
        env = {
            **os.environ,
            "HOKUSAI_FUZZ_KEY": options.key or "",
            "SCHEMATHESIS_HOOKS": "hokusai_acceptance.fuzz.hooks",
            "HOKUSAI_FUZZ_WRITES": "1" if options.writes else "0",
            "HOKUSAI_FUZZ_CREATED": str(created_file),
            "HOKUSAI_FUZZ_READ_BACK": str(read_back_file),
            "HOKUSAI_FUZZ_BASE": options.base_url,
            "MLFLOW_DISABLE_TELEMETRY": "true",
            "DO_NOT_TRACK": "true",
            "SCHEMATHESIS_TELEMETRY": "false",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        if options.scope is not None:
            env["HOKUSAI_FUZZ_SCOPE"] = options.scope.to_json()
        cmd = command(options, _config(work, options.writes), allure_dir, events)
        started = time.monotonic()
        process = subprocess.Popen(
            cmd,
            cwd=work,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            text=True,
            errors="replace",
        )
        output, stopped = _wait(process, options.max_seconds)
        seconds = time.monotonic() - started
        if (process.returncode not in (0, 1) and not stopped) or not events.is_file():
            tail = redact("\n".join(output.splitlines()[-15:]))
            raise FuzzRunFailed(f"Schemathesis ended with exit code {process.returncode} and no report:\n{tail}")
        result = read_events(events.read_text(encoding="utf-8", errors="replace").splitlines())
        result.exit_code, result.writes = process.returncode, options.writes
        if stopped:
            result.stop_reason = f"its time limit ({options.max_seconds} s; the operations not reached are not tested)"
        result.seconds = result.seconds or seconds
        if read_back_file.is_file():
            result.defects += read_back_defects(read_back_file.read_text().splitlines())
        result.created = _created(created_file)
        result.allure_results = tidy_allure(allure_dir, before)
        return result
    finally:
        tidy_allure(allure_dir, before)  # whatever happened, nothing it wrote keeps the key
        if on_created is not None:
            on_created(_created(created_file))
        shutil.rmtree(work, ignore_errors=True)


def _created(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


#: how long an interrupted run may take to write its reports before it is killed
GRACE_SECONDS = 30


def _wait(process: subprocess.Popen, limit: float) -> tuple[str, bool]:
    """Wait for the run: bounded by the number of test cases, and stopped (as Ctrl-C would) at ``limit``
    seconds, so it still writes what it found. Returns its output and whether the limit stopped it."""
    try:
        output, _ = process.communicate(timeout=limit)
        return output, False
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGINT)
    except BaseException:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise
    try:
        output, _ = process.communicate(timeout=GRACE_SECONDS)
        return output, True
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise FuzzRunFailed(
            f"the generated-request run was stopped at its limit of {limit:.0f} s and did not "
            f"finish writing its report within {GRACE_SECONDS} s"
        ) from None


def _decoded(content: dict | None) -> str:
    if not content:
        return ""
    if "$base64" in content:
        raw = base64.b64decode(content["$base64"])
        if b"\x00" in raw[:BODY_PREFIX]:
            return f"<{len(raw)} bytes of binary data>"
        return raw[:BODY_PREFIX].decode("utf-8", errors="replace")
    return str(content.get("string", ""))[:BODY_PREFIX]


def _first(values: object) -> str:
    if isinstance(values, list):
        return str(values[0]) if values else ""
    return str(values or "")


def _joined(values: object) -> str:
    """A repeated header as an HTTP client shows it (``requests`` joins the values with a comma)."""
    return ", ".join(str(v) for v in values) if isinstance(values, list) else str(values or "")


def exchange_of(interaction: dict) -> Exchange:
    """A Schemathesis interaction as the suite's evidence records any exchange."""
    request, response = interaction.get("request") or {}, interaction.get("response") or None
    request_headers = {k: _first(v) for k, v in (request.get("headers") or {}).items()}
    keyed = any(k.lower() in ("authorization", "x-api-key") for k in request_headers) or "api_key=" in (
        urlsplit(request.get("uri", "")).query or ""
    )
    # a generated credential header is kept as sent (it is made up); the run's own key is masked wherever it is
    kept = {
        k: redact(v)
        for k, v in request_headers.items()
        if k.lower()
        not in ("content-length", "user-agent", "accept", "accept-encoding", "connection", "x-schemathesis-testcaseid")
    }
    body = _decoded(request.get("body"))
    if response is None:
        return Exchange(
            method=request.get("method", "?"),
            url=redact(request.get("uri", "")),
            status=None,
            request_headers=kept,
            request_body_prefix=redact(body[:300]),
            error="no answer",
            error_kind="other",
            actor=Actor.GENERATED_REQUEST,
            keyed=keyed,
            started_at=float(interaction.get("timestamp") or 0.0),
        )
    headers = {k.lower(): redact(_joined(v)) for k, v in (response.get("headers") or {}).items()}
    content_type = headers.get("content-type", "")
    answer = redact(_decoded(response.get("content")))
    status = int(response.get("status_code") or 0)
    return Exchange(
        method=request.get("method", "?"),
        url=redact(request.get("uri", "")),
        status=status,
        content_type=content_type,
        body_prefix=answer,
        request_headers=kept,
        request_body_prefix=redact(body[:300]),
        response_headers={
            k: v for k, v in headers.items() if k in ("content-type", "server", "retry-after", "content-length", "via")
        },
        elapsed_ms=round(float(response.get("elapsed") or 0.0) * 1000, 2),
        answered_by=classify_answer(status, content_type, answer),
        actor=Actor.GENERATED_REQUEST,
        keyed=keyed,
        started_at=float(interaction.get("timestamp") or 0.0),
        request_sent_body=bool(body),
    )


def read_events(lines: list[str]) -> FuzzRun:
    """The run's outcome from Schemathesis's event stream (NDJSON, one event per line)."""
    result = FuzzRun(writes=False, exit_code=0, seconds=0.0, operations=0, cases=0, stop_reason="unknown", seed="")
    seen: dict[tuple, Defect] = {}
    counts: Counter = Counter()
    relayed: Counter = Counter()
    operations: set[str] = set()
    finished = False
    for line in lines:
        if not line.strip():
            continue
        event = json.loads(line)
        kind, data = next(iter(event.items()))
        if kind == "Initialize":
            result.seed = str(data.get("seed", ""))
        elif kind == "EngineFinished":
            finished = True
            result.seconds = float(data.get("running_time") or 0.0)
            result.stop_reason = str(data.get("stop_reason") or "completed")
        elif kind == "NonFatalError":
            result.warnings.append(redact(str(data.get("info", {}).get("message") or data.get("value") or data))[:300])
        elif kind == "ScenarioFinished":
            recorder = data.get("recorder") or {}
            label = recorder.get("label", "")
            if label and label != "Stateful tests":
                operations.add(label)
            cases = recorder.get("cases") or {}
            interactions = recorder.get("interactions") or {}
            result.cases += len(interactions)
            for interaction in interactions.values():
                signature = relayed_signature(interaction)
                if signature is not None:
                    relayed[signature] += 1
            for case_id, checks in (recorder.get("checks") or {}).items():
                for check in checks:
                    if check.get("status") == "success":
                        continue
                    interaction = interactions.get(case_id)
                    failure = (check.get("failure_info") or {}).get("failure") or {}
                    if interaction is None:
                        continue
                    exchange = exchange_of(interaction)
                    operation = failure.get("operation") or label
                    phase = (((cases.get(case_id) or {}).get("value") or {}).get("meta") or {}).get("phase", {})
                    key = (
                        check.get("name"),
                        operation,
                        exchange.method,
                        exchange.status,
                        exchange.answered_by,
                        exchange.server,
                        _answer_shape(exchange),
                    )
                    counts[key] += 1
                    if key not in seen:
                        seen[key] = Defect(
                            check=str(check.get("name")),
                            title=str(failure.get("title", "")),
                            message=redact(str(failure.get("message") or "")),
                            operation=str(operation),
                            phase=str(phase.get("name", "")),
                            exchange=exchange,
                        )
    if not finished:
        raise FuzzRunFailed("the generated-request run's report ends before the run finished")
    mark_unrelayed(list(seen.values()), relayed)
    for key, defect in seen.items():
        defect.count = counts[key]
    result.defects = sorted(seen.values(), key=lambda d: (d.check, d.operation))
    result.operations = len(operations)
    return result


def _answer_shape(exchange: Exchange) -> str:
    """What makes two answers the same kind: MLflow's error code (its messages repeat the generated values), or
    the start of any other body."""
    try:
        data = json.loads(exchange.body_prefix)
    except ValueError:
        data = None
    if isinstance(data, dict) and "error_code" in data:
        return str(data["error_code"])
    return " ".join(exchange.body_prefix.split())[:60]


def read_back_defects(lines: list[str]) -> list[Defect]:
    """The suite's own read-back failures (written by the hooks), one defect per kind of problem."""
    found: dict[tuple[str, str], Defect] = {}
    for line in lines:
        if not line.strip():
            continue
        record = json.loads(line)
        problem = record["problem"].split(": ", 1)[-1]
        key = (record["operation"], problem.split(" (HTTP")[0])
        if key in found:
            found[key].count += 1
            continue
        found[key] = Defect(
            check="read_back",
            title="Write not read back",
            message=redact(record["problem"]),
            operation=record["operation"],
            phase="stateful",
            exchange=exchange_of(record["interaction"]),
        )
    return list(found.values())


def relayed_signature(interaction: dict) -> str | None:
    """The ``server`` header of an answer that MLflow certainly gave (its JSON, through the MLflow mount)."""
    response = interaction.get("response") or {}
    uri = (interaction.get("request") or {}).get("uri", "")
    if not response or not urlsplit(uri).path.startswith(PROXY_MOUNTS):
        return None
    try:
        data = json.loads(_decoded(response.get("content")) or "null")
    except ValueError:
        return None
    if not isinstance(data, dict) or not ("error_code" in data or MLFLOW_DOCUMENT_KEYS & set(data)):
        return None
    headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    return _joined(headers.get("server", "")).lower()


def mark_unrelayed(defects: list[Defect], relayed: Counter) -> None:
    """A bare error on the MLflow mount (plain text, empty, not JSON) whose ``server`` header differs from
    the one every answer MLflow certainly gave carries was not relayed from MLflow: the API answered it."""
    if not relayed:
        return
    signature, _ = relayed.most_common(1)[0]
    for defect in defects:
        e = defect.exchange
        if (
            (e.status or 0) >= 500
            and e.answered_by in (AnswerKind.PLAIN_TEXT, AnswerKind.EMPTY, AnswerKind.NON_JSON)
            and e.route.startswith(PROXY_MOUNTS)
            and e.server.lower() != signature
        ):
            e.answered_by = AnswerKind.UNRELAYED_ERROR


def tidy_allure(allure_dir: Path, before: set[str]) -> int:
    """Schemathesis's results join the suite's: grouped as a feature beside the @fuzz scenarios, the key redacted
    from every file it wrote. Returns how many results it wrote."""
    results = 0
    for name in sorted(set(os.listdir(allure_dir)) - before):
        path = allure_dir / name
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        if name.endswith("-result.json"):
            data = json.loads(text)
            labels = [
                label
                for label in data.get("labels", [])
                if label.get("name") not in ("feature", "epic", "parentSuite", "suite")
                and label != {"name": "tag", "value": "fuzz"}
            ]
            labels += [
                {"name": "epic", "value": EPIC},
                {"name": "feature", "value": FEATURE},
                {"name": "tag", "value": "fuzz"},
            ]
            data["labels"] = labels
            text = json.dumps(data)
            results += 1
        path.write_text(redact(text), encoding="utf-8")
    return results
