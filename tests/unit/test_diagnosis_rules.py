"""The diagnosis on synthetic evidence: localisation, consistency, confidence from what is left."""

import json

import pytest

from hokusai_acceptance.classify import classify_answer, who_answered
from hokusai_acceptance.diagnosis import RunEvidence, ScenarioOutcome, diagnose
from hokusai_acceptance.diagnosis.catalog import CATALOG
from hokusai_acceptance.diagnosis.facts import FACTS
from hokusai_acceptance.exchange import Exchange
from hokusai_acceptance.who import Who

BASE = "http://t"
SEARCH = "/api/mlflow/api/2.0/mlflow/experiments/search?max_results=1"
HEALTHY = {
    "status": "healthy",
    "version": "1.0.0",
    "services": {"mlflow": "healthy", "redis": "healthy", "postgres": "healthy", "message_queue": "healthy"},
}
EXPERIMENTS = '{"experiments": [{"experiment_id": "0", "name": "Default"}]}'
LB_PAGE = (
    "<html>\r\n<head><title>{s} {t}</title></head>\r\n<body>\r\n<center><h1>{s} {t}</h1></center>\r\n</body>"
    "\r\n</html>\r\n"
)


def ex(
    name,
    path,
    status,
    body="",
    *,
    keyed=False,
    ctype="application/json",
    method="GET",
    server="uvicorn",
    elapsed=12.0,
    error_kind="",
    scenario="sweep",
    actor=None,
    request_body="",
):
    return Exchange(
        method=method,
        url=BASE + path,
        status=status,
        content_type=ctype if status else "",
        body_prefix=body,
        response_headers={"server": server} if status else {},
        answered_by=classify_answer(status, ctype, body),
        elapsed_ms=elapsed,
        error_kind=error_kind,
        label=name if scenario == "sweep" else "",
        keyed=keyed,
        actor=actor or ("valid" if keyed else "none"),
        scenario=scenario,
        request_body_prefix=request_body,
        request_sent_body=bool(request_body),
        error=None if status else error_kind,
    )


def healthy_probes(**overrides):
    probes = {
        "health": ex("health", "/health", 200, json.dumps(HEALTHY)),
        "health_alb": ex("health_alb", "/health/alb", 200, '{"status":"healthy"}'),
        "health_mlflow": ex(
            "health_mlflow", "/health/mlflow", 200, '{"circuit_breaker_state":"CLOSED","connected":true}'
        ),
        "ready": ex("ready", "/ready", 200, '{"ready":true}'),
        "version": ex("version", "/version", 200, '{"version":"1.2.3","git_commit":"abc1234"}'),
        "read_without_key": ex("read_without_key", SEARCH, 401, '{"detail":"API key required"}'),
        "read_with_key": ex("read_with_key", SEARCH, 200, EXPERIMENTS, keyed=True, server="uvicorn, uvicorn"),
        "mount_without_key": ex(
            "mount_without_key", "/mlflow/api/2.0/mlflow/experiments/search", 401, '{"detail":"API key required"}'
        ),
        "mlflow_mount": ex("mlflow_mount", "/mlflow/api/2.0/mlflow/experiments/search", 200, EXPERIMENTS, keyed=True),
        "ui_without_key": ex("ui_without_key", "/mlflow/", 401, '{"detail":"API key required"}'),
        "registry_read": ex(
            "registry_read",
            "/api/mlflow/api/2.0/mlflow/registered-models/search",
            200,
            '{"registered_models": []}',
            keyed=True,
        ),
        "artifact_list": ex(
            "artifact_list", "/api/mlflow/api/2.0/mlflow-artifacts/artifacts?path=x", 200, '{"files": []}', keyed=True
        ),
        "server_info": ex(
            "server_info", "/api/mlflow/api/3.0/mlflow/server-info", 200, '{"store_type":"SqlStore"}', keyed=True
        ),
        "mlflow_version": ex(
            "mlflow_version", "/api/mlflow/version", 200, "3.17.2", keyed=True, ctype="text/html; charset=utf-8"
        ),
    }
    probes.update(overrides)
    return probes


def every_keyed_probe(status, body, **overrides):
    """The sweep's probes with every keyed one answered the same way (a key refused, MLflow unreachable, ...)."""
    probes = healthy_probes()
    for name, probe in probes.items():
        if probe.keyed:
            probes[name] = ex(name, probe.path, status, body, keyed=True)
    probes.update(overrides)
    return probes


def evidence(probes=None, exchanges=(), scenarios=(), **kw):
    return RunEvidence(
        probes=probes or healthy_probes(),
        exchanges=list(exchanges),
        scenarios=list(scenarios),
        client={"mlflow": "3.17.2", **kw.pop("client", {})},
        **kw,
    )


def ids(ev):
    return diagnose(ev).ids()


def failing(name, message="AssertionError: x", status="failed"):
    return ScenarioOutcome("Feature", name, status, message)


# ------------------------------------------------------------------ healthy, and the catalog's own consistency


def test_healthy_evidence_gives_no_finding_and_names_the_generation():
    diagnosis = diagnose(evidence())
    assert diagnosis.findings == [] and diagnosis.ruled_out == []
    assert (diagnosis.identity.api_generation, diagnosis.identity.mlflow_generation) == ("later", "3.x")
    assert diagnosis.identity.api_version == "1.2.3" and diagnosis.identity.api_commit == "abc1234"


def test_every_fact_a_catalog_entry_names_exists():
    for entry in CATALOG:
        for requirement in entry.requires + entry.refuted_by + entry.supports:
            for name in requirement.split("|"):
                assert name in FACTS, f"{entry.id} names the unknown fact {name}"


def test_the_diagnosis_reads_nothing_but_client_evidence():
    """No rule may look at the embedded stack: the package imports nothing from it."""
    import pathlib

    import hokusai_acceptance.diagnosis as package

    for path in pathlib.Path(package.__file__).parent.glob("*.py"):
        text = path.read_text()
        assert "stack" not in [
            part
            for line in text.splitlines()
            if line.startswith(("from", "import"))
            for part in line.replace(".", " ").split()
        ], path.name
        assert "auth_stats" not in text and "control_secret" not in text and "access_log" not in text


# ------------------------------------------------------------------ who answered


@pytest.mark.parametrize(
    "exchange,who",
    [
        (
            ex(
                "x",
                "/health",
                503,
                LB_PAGE.format(s=503, t="Service Temporarily Unavailable"),
                ctype="text/html",
                server="awselb/2.0",
            ),
            Who.LOAD_BALANCER,
        ),
        (ex("x", "/health", 404, "Not Found", ctype="text/plain", server="awselb/2.0"), Who.LOAD_BALANCER),
        (ex("x", SEARCH, 401, '{"detail":"API key required"}'), Who.API),
        (
            ex(
                "x",
                SEARCH,
                404,
                '{"error_code":"RESOURCE_NOT_FOUND","message":"The requested resource was not found: a"}',
                keyed=True,
            ),
            Who.MLFLOW_VIA_API,
        ),
        (ex("x", SEARCH, 400, '{"error_code":"INVALID_PARAMETER_VALUE","message":"x"}', keyed=True), Who.MLFLOW),
        (ex("x", SEARCH, 200, EXPERIMENTS, keyed=True), Who.MLFLOW),
        (ex("x", SEARCH, None, error_kind="refused"), Who.NOTHING),
        (ex("x", "/health", 418, "I'm a teapot", ctype="text/plain", server="nginx"), Who.OTHER),
    ],
)
def test_who_answered(exchange, who):
    assert who_answered(exchange) == who


# ------------------------------------------------------------------ catalog refinement and consistency


def test_postgres_unhealthy_alone_is_the_apis_database_not_mlflows():
    """The real API at 647aa28 reports postgres unhealthy while MLflow serves: MLflow's store is not the cause."""
    health = dict(HEALTHY, status="degraded", services=dict(HEALTHY["services"], postgres="unhealthy"))
    probes = healthy_probes(health=ex("health", "/health", 200, json.dumps(health)))
    diagnosis = diagnose(evidence(probes))
    assert "mlflow-db-auth" not in diagnosis.ids()
    assert {"api-database-unhealthy", "health-lies"} <= set(diagnosis.ids())


def test_mlflow_db_auth_needs_mlflow_silent_and_the_database_down():
    health = dict(
        HEALTHY, status="degraded", services=dict(HEALTHY["services"], postgres="unhealthy", mlflow="unhealthy")
    )
    refused = '{"detail":"Failed to connect to MLflow server at http://mlflow:5000"}'
    probes = every_keyed_probe(502, refused, health=ex("health", "/health", 503, json.dumps(health)))
    diagnosis = diagnose(evidence(probes))
    top = diagnosis.findings[0]
    assert top.id == "mlflow-db-auth" and top.alternatives == ["mlflow-dns-failure"] and top.confidence == "medium"
    assert "api-database-unhealthy" in top.also_explains


def test_a_single_answer_from_mlflow_rules_out_mlflow_being_down():
    refused = '{"detail":"Failed to connect to MLflow server at http://mlflow:5000"}'
    probes = healthy_probes(read_with_key=ex("read_with_key", SEARCH, 502, refused, keyed=True))
    diagnosis = diagnose(evidence(probes))
    assert "mlflow-dns-failure" not in diagnosis.ids()
    assert any(r.id == "mlflow-dns-failure" and "MLflow answered" in r.because for r in diagnosis.ruled_out)


def test_a_valid_key_refused_with_the_auth_service_accepting_it_leaves_two_explanations():
    invalid = '{"detail":"Invalid or expired API key"}'
    probes = every_keyed_probe(
        401,
        invalid,
        auth_direct=ex("auth_direct", "/api/v1/keys/validate", 200, '{"is_valid": true}', keyed=True, method="POST"),
    )
    [finding] = diagnose(evidence(probes)).findings
    assert finding.id in ("auth-contract-mismatch", "auth-service-id-mismatch")
    assert finding.confidence == "medium" and len(finding.alternatives) == 1


def test_a_key_the_auth_service_refuses_too_is_the_key_not_the_api():
    invalid = '{"detail":"Invalid or expired API key"}'
    probes = every_keyed_probe(
        401, invalid, auth_direct=ex("auth_direct", "/api/v1/keys/validate", 401, invalid, keyed=True, method="POST")
    )
    assert ids(evidence(probes)) == ["key-not-valid"]


def test_mlflow_2_server_behind_mlflow_3_clients_explains_the_broken_registrations():
    old = healthy_probes(
        mlflow_version=ex("mlflow_version", "/api/mlflow/version", 200, "2.9.2", keyed=True, ctype="text/html"),
        server_info=ex(
            "server_info",
            "/api/mlflow/api/3.0/mlflow/server-info",
            404,
            '{"error_code": "RESOURCE_NOT_FOUND", "message": "The requested resource was '
            'not found: api/3.0/mlflow/server-info"}',
            keyed=True,
        ),
    )
    logged = ex(
        "",
        "/api/mlflow/api/2.0/mlflow/logged-models",
        404,
        '{"error_code": "RESOURCE_NOT_FOUND", "message": "The requested resource was not found: '
        'api/2.0/mlflow/logged-models"}',
        keyed=True,
        method="POST",
        scenario="A model registers",
    )
    diagnosis = diagnose(evidence(old, [logged], [failing("A model registers", "RegistryCallFailed: 404", "broken")]))
    [finding] = diagnosis.findings
    assert finding.id == "mlflow-generation-mismatch" and finding.explains == ["A model registers"]
    assert diagnosis.identity.mlflow_generation == "2.x" and diagnosis.identity.mlflow_server_version == "2.9.2"


def test_delete_bodies_dropped_by_the_proxy_explain_the_leftovers():
    delete = ex(
        "",
        "/api/mlflow/api/2.0/mlflow/registered-models/delete",
        400,
        '{"error_code": "INVALID_PARAMETER_VALUE", "message": "Missing value for required parameter \'name\'"}',
        keyed=True,
        method="DELETE",
        scenario="cleanup",
        request_body='{"name": "hk-accept-x"}',
    )
    diagnosis = diagnose(evidence(exchanges=[delete], leftovers=["model hk-accept-x: INVALID_PARAMETER_VALUE"]))
    [finding] = diagnosis.findings
    assert finding.id == "proxy-drops-delete-body" and finding.also_explains == ["cleanup-incomplete"]
    from hokusai_acceptance.diagnosis.report import _finding_lines

    also = next(line for line in _finding_lines(1, finding) if line.startswith("- **Also explains:**"))
    assert also == "- **Also explains:** The run could not remove what it created (cleanup-incomplete)"


def test_registry_data_without_a_key_is_a_security_finding():
    probes = healthy_probes(
        ui_without_key=ex(
            "ui_without_key",
            "/mlflow/",
            200,
            '<!doctype html><html><title>MLflow</title><div id="root"></div>',
            ctype="text/html",
        )
    )
    diagnosis = diagnose(evidence(probes))
    [finding] = diagnosis.findings
    assert finding.id == "registry-open-without-key" and finding.severity == "critical"


def test_expected_version_is_compared():
    diagnosis = diagnose(evidence(client={"expected_version": "1.2.4", "expected_commit": "abc"}))
    assert diagnosis.ids() == ["unexpected-version"]
    assert diagnosis.identity.version_matches is False and diagnosis.identity.commit_matches is True


def test_deliberately_broken_exchanges_are_ignored():
    broken = ex(
        "",
        "/api/mlflow/api/2.0/mlflow-artifacts/artifacts/x",
        500,
        "Internal Server Error",
        keyed=True,
        ctype="text/plain",
        scenario="s",
    )
    broken.deliberate = True
    assert ids(evidence(exchanges=[broken], scenarios=[failing("s")])) == ["unrecognised"]


# ------------------------------------------------------------------ localisation beyond the catalog


def test_an_unknown_answer_is_localised_to_who_gave_it():
    teapot = ex("read_with_key", SEARCH, 418, "I'm a teapot", keyed=True, ctype="text/plain", server="nginx")
    [finding] = diagnose(evidence(healthy_probes(read_with_key=teapot))).findings
    assert finding.id.startswith("localised:an-unidentified-server") and "418" in finding.title
    assert finding.components == ["an unidentified server"] and finding.recommendation


def test_a_load_balancer_page_is_localised_to_the_load_balancer_even_without_a_catalog_match():
    page = ex(
        "registry_read",
        "/api/mlflow/api/2.0/mlflow/registered-models/search",
        502,
        LB_PAGE.format(s=502, t="Bad Gateway"),
        keyed=True,
        ctype="text/html",
        server="awselb/2.0",
    )
    [finding] = diagnose(evidence(healthy_probes(registry_read=page))).findings
    assert finding.component == "load balancer" and finding.owner == "infra team"


def test_a_failing_scenario_with_nothing_localisable_is_unrecognised_with_its_message():
    scenarios = [failing("A model registers", "the tag hokusai_token_id is wrong")]
    [finding] = diagnose(evidence(scenarios=scenarios)).findings
    assert finding.id == "unrecognised" and "A model registers" in finding.explains
    assert any("hokusai_token_id" in line for line in finding.evidence)


def test_normal_mlflow_lookups_of_absent_things_are_not_trouble():
    lookup = ex(
        "",
        "/api/mlflow/api/2.0/mlflow/experiments/get-by-name",
        404,
        '{"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "Could not find experiment"}',
        keyed=True,
        scenario="s",
    )
    broke = ex(
        "", SEARCH, 500, '{"error_code": "INTERNAL_ERROR", "message": "database is locked"}', keyed=True, scenario="s"
    )
    diagnosis = diagnose(evidence(exchanges=[lookup, broke], scenarios=[failing("s", status="broken")]))
    [finding] = diagnosis.findings
    assert finding.id == "localised:mlflow-server:500" and finding.explains == ["s"]


def test_findings_in_other_groups_are_all_reported_no_early_return():
    health = dict(HEALTHY, status="degraded", services=dict(HEALTHY["services"], redis="unhealthy"))
    probes = healthy_probes(
        health=ex("health", "/health", 200, json.dumps(health)),
        ready=ex("ready", "/ready", 401, '{"detail":"API key required"}'),
    )
    assert set(ids(evidence(probes))) == {"health-lies", "redis-cache-down", "health-probes-need-key"}


def test_a_registry_closed_to_the_key_is_not_mistaken_for_a_missing_write_scope():
    """Later Hokusai versions let only keys with a registry role into /api/mlflow: reads are refused 403 too,
    so 'the key lacks write scope' would send the auth team after the wrong fix."""
    refusal = '{"detail":"Admin access required for the model registry","error":"REGISTRY_ADMIN_REQUIRED"}'
    broken = [failing("A trained model appears in the registry with its benchmark", "RegistryCallFailed: x", "broken")]
    writes = [
        ex(
            "x",
            "/api/mlflow/api/2.0/mlflow/experiments/create",
            403,
            refusal,
            keyed=True,
            method="POST",
            scenario=broken[0].name,
        )
    ]
    diagnosis = diagnose(evidence(every_keyed_probe(403, refusal), writes, broken))
    assert diagnosis.ids() == ["registry-closed-to-developer-keys"]
    [finding] = diagnosis.findings
    assert finding.owner == "product owner" and finding.kind == "policy" and broken[0].name in finding.explains
    scope_only = '{"error":"FORBIDDEN","message":"Required: \'model:write\' or \'mlflow:write\'"}'
    writes = [
        ex(
            "x",
            "/api/mlflow/api/2.0/mlflow/experiments/create",
            403,
            scope_only,
            keyed=True,
            method="POST",
            scenario=broken[0].name,
        )
    ]
    assert ids(evidence(healthy_probes(), writes, broken)) == ["missing-write-scope"]


def test_another_developers_accepted_change_is_a_security_finding_and_their_refused_one_is_none():
    from hokusai_acceptance.exchange import Actor

    name = "Another developer cannot delete my model"
    failed = [failing(name, "AssertionError: the registry let another developer delete ...", "failed")]
    accepted = [
        ex(
            "x",
            "/api/mlflow/api/2.0/mlflow/registered-models/delete",
            200,
            "{}",
            keyed=True,
            method="DELETE",
            scenario=name,
            actor=Actor.ON_ANOTHERS_MODEL,
        ),
        ex(
            "y",
            "/api/mlflow/api/2.0/mlflow/registered-models/get?name=m",
            404,
            '{"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "gone"}',
            keyed=True,
            scenario=name,
        ),
    ]
    diagnosis = diagnose(evidence(healthy_probes(), accepted, failed))
    assert diagnosis.ids() == ["developers-not-isolated"]  # MLflow's 404 on the read-back is its consequence
    assert name in diagnosis.findings[0].explains and diagnosis.findings[0].kind == "security"
    refused = [
        ex(
            "x",
            "/api/mlflow/api/2.0/mlflow/registered-models/delete",
            403,
            '{"detail": "not yours"}',
            keyed=True,
            method="DELETE",
            scenario=name,
            actor=Actor.ON_ANOTHERS_MODEL,
        )
    ]
    assert ids(evidence(healthy_probes(), refused, [])) == []


def test_a_read_back_without_an_owner_names_the_missing_record():
    from hokusai_acceptance.evidence import Mark, Marker

    name = "The registry records who registered the model and each of its versions"
    # the step's own words do not matter: the diagnosis reads the mark the step left
    failed = [failing(name, "AssertionError: whatever the step said", "failed")]
    reads = [
        ex(
            "x",
            "/api/mlflow/api/2.0/mlflow/registered-models/get?name=m",
            200,
            '{"registered_model": {}}',
            keyed=True,
            scenario=name,
        )
    ]
    unmarked = ids(evidence(healthy_probes(), reads, failed))
    assert "owner-not-recorded" not in unmarked, "no mark, no such finding: the step's message is not read"
    marks = [Mark(Marker.NO_OWNER_RECORDED, name, "the model, version 1", reads)]
    diagnosis = diagnose(evidence(healthy_probes(), reads, failed, marks=marks))
    assert diagnosis.ids() == ["owner-not-recorded"] and name in diagnosis.findings[0].explains


def test_a_developers_read_only_key_that_registered_is_the_missing_scope_check():
    from hokusai_acceptance.evidence import Mark, Marker

    name = "A developer who set up MLflow with a read-only key is told by MLflow what is wrong"
    failed = [failing(name, "AssertionError: whatever the step said")]
    reads = [
        ex(
            "x",
            "/api/mlflow/api/2.0/mlflow/registered-models/get?name=m",
            200,
            '{"registered_model": {}}',
            keyed=True,
            scenario=name,
        )
    ]
    marks = [Mark(Marker.KEY_THAT_MUST_NOT_WRITE_WROTE, name, "read-only", reads)]
    diagnosis = diagnose(evidence(healthy_probes(), reads, failed, marks=marks))
    assert diagnosis.ids() == ["scopes-not-enforced"] and name in diagnosis.findings[0].explains


def test_a_served_artifact_delete_without_a_body_does_not_refute_dropped_delete_bodies():
    lost = ex(
        "x",
        "/api/mlflow/api/2.0/mlflow/registered-models/delete",
        400,
        '{"error_code": "INVALID_PARAMETER_VALUE", "message": "Missing value for required parameter \'name\'"}',
        keyed=True,
        method="DELETE",
        scenario="cleanup",
        request_body='{"name": "m"}',
    )
    artifact = ex(
        "y",
        "/api/mlflow/api/2.0/mlflow-artifacts/artifacts/p/16mb",
        200,
        "{}",
        keyed=True,
        method="DELETE",
        scenario="s",
    )
    assert "proxy-drops-delete-body" in ids(evidence(healthy_probes(), [lost, artifact], [], leftovers=["model m"]))


def test_a_claimed_token_id_is_its_own_finding_not_a_trespass_on_models():
    from hokusai_acceptance.exchange import Actor

    name = "Another developer cannot claim my model's token id"
    failed = [failing(name, "AssertionError: the registry accepted it (tag their version with token id t)")]
    claim = [
        ex(
            "x",
            "/api/mlflow/api/2.0/mlflow/model-versions/set-tag",
            200,
            "{}",
            keyed=True,
            method="POST",
            scenario=name,
            actor=Actor.CLAIMING_ANOTHERS_TOKEN,
        )
    ]
    diagnosis = diagnose(evidence(healthy_probes(), claim, failed))
    assert diagnosis.ids() == ["token-id-not-unique"] and name in diagnosis.findings[0].explains


FLASK_500 = (
    "<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n<h1>Internal Server Error"
    "</h1>\n<p>The server encountered an internal error</p>\n"
)


@pytest.mark.parametrize(
    "answer,finding",
    [
        (
            dict(status=500, body=FLASK_500, ctype="text/html; charset=utf-8", server="uvicorn, uvicorn"),
            "mlflow-fails-on-generated-requests",
        ),
        (
            dict(status=500, body='{"error_code": "INTERNAL_ERROR", "message": "boom"}', server="uvicorn, uvicorn"),
            "mlflow-fails-on-generated-requests",
        ),
        (dict(status=500, body='{"detail": "Internal error"}'), "api-fails-on-generated-requests"),
        (
            dict(status=502, body=LB_PAGE.format(s=502, t="Bad Gateway"), ctype="text/html", server="awselb/2.0"),
            "lb-fails-on-generated-requests",
        ),
    ],
)
def test_a_generated_request_answered_with_a_server_error_names_who_failed(answer, finding):
    from hokusai_acceptance.exchange import Actor

    generated = ex(
        "",
        "/api/mlflow/api/2.0/mlflow/runs/log-metric",
        answer["status"],
        answer["body"],
        keyed=True,
        ctype=answer.get("ctype", "application/json"),
        method="POST",
        server=answer.get("server", "uvicorn"),
        scenario="No request a developer can send makes the registry fail with a server error",
        actor=Actor.GENERATED_REQUEST,
        request_body="[]",
    )
    found = ids(evidence(exchanges=[generated]))
    assert finding in found
    others = {
        "mlflow-fails-on-generated-requests",
        "api-fails-on-generated-requests",
        "lb-fails-on-generated-requests",
    } - {finding}
    assert not others & set(found)


def test_the_apis_own_bare_error_is_told_from_a_relayed_one_by_what_every_relayed_answer_carries():
    from hokusai_acceptance.classify import AnswerKind
    from hokusai_acceptance.exchange import Actor

    bare = ex(
        "",
        "/api/mlflow/api/2.0/mlflow/experiments/get",
        500,
        "Internal Server Error",
        keyed=True,
        ctype="text/plain; charset=utf-8",
        scenario="s",
        actor=Actor.GENERATED_REQUEST,
    )
    assert who_answered(bare) == Who.MLFLOW  # alone, a bare error on the MLflow mount reads as relayed
    bare.answered_by = AnswerKind.UNRELAYED_ERROR  # what the generated run marks, from its relayed answers
    assert "api-fails-on-generated-requests" in ids(evidence(exchanges=[bare]))


def test_generated_requests_that_passed_leave_no_generated_finding():
    from hokusai_acceptance.exchange import Actor

    fine = ex(
        "",
        "/api/mlflow/api/2.0/mlflow/runs/log-metric",
        400,
        '{"error_code": "INVALID_PARAMETER_VALUE", "message": "bad"}',
        keyed=True,
        method="POST",
        scenario="s",
        actor=Actor.GENERATED_REQUEST,
    )
    assert not [f for f in ids(evidence(exchanges=[fine])) if "generated" in f]


def test_an_invalid_served_description_is_its_own_finding_and_a_valid_one_none():
    served = ex("", "/openapi.json", 200, '{"openapi": "3.1.0", "paths": {}}', scenario="drift")
    drift = {"added": [], "removed": [], "changed": [], "invalid": "Operation ID 'x' for 'delete' is not unique"}
    assert "api-description-invalid" in ids(evidence(exchanges=[served], identity={"contract_drift": drift}))
    drift["invalid"] = ""
    assert "api-description-invalid" not in ids(evidence(exchanges=[served], identity={"contract_drift": drift}))


# ------------------------------------------------------------------ answers relayed from behind the API


def _refused_with_query_key(server):
    e = ex("x", SEARCH + "&api_key=***", 401, '{"detail": "API key required"}', keyed=True, server=server)
    e.scenario = "A valid key is accepted in the api_key query parameter"
    return e


def _view(exchanges, probes=None):
    from hokusai_acceptance.diagnosis.facts import View

    return View(evidence(probes, exchanges=exchanges))


def test_a_proxy_answer_with_the_apis_header_after_another_was_relayed_from_behind_it():
    relayed = _refused_with_query_key("uvicorn, uvicorn")  # the API's own answers off the proxy carry "uvicorn"
    assert _view([relayed]).who(relayed) == Who.MLFLOW


@pytest.mark.parametrize(
    "own,answer",
    [
        ("hokusai, uvicorn", "hokusai, uvicorn"),  # an API that names itself twice names itself everywhere
        ("Apache/2.4 (Debian, mod_wsgi)", "Apache/2.4 (Debian, mod_wsgi)"),  # one value with a comma in it
        ("uvicorn", "nginx, gunicorn"),  # a header that does not end with the API's own
    ],
)
def test_a_proxy_answer_is_the_apis_own_unless_its_header_adds_to_the_apis(own, answer):
    probes = {
        name: ex(p.label, p.path, p.status, p.body_prefix, keyed=p.keyed, server=own if not p.keyed else answer)
        for name, p in healthy_probes().items()
    }
    refused = _refused_with_query_key(answer)
    assert _view([refused], probes).who(refused) == Who.API


def test_a_key_form_refused_behind_the_api_needs_the_same_call_answered_with_a_bearer_key():
    from hokusai_acceptance.diagnosis.facts import FACTS

    refused = _refused_with_query_key("uvicorn, uvicorn")
    refused.request_headers = {}
    bearer = ex("x", SEARCH, 200, EXPERIMENTS, keyed=True, server="uvicorn, uvicorn")
    bearer.request_headers = {"Authorization": "Bearer ***"}
    elsewhere = ex("x", "/api/mlflow/api/2.0/mlflow/runs/search", 200, '{"runs": []}', keyed=True)
    elsewhere.request_headers = {"Authorization": "Bearer ***"}
    holds = FACTS["key_form_refused_behind_api"][1]
    assert holds(_view([refused, bearer])).holds is True
    assert holds(_view([refused, elsewhere])).holds is False  # another route working says nothing of this one
    assert "key-form-not-forwarded" in ids(evidence(exchanges=[refused, bearer], scenarios=[failing(refused.scenario)]))


def test_curl_sends_the_key_as_the_call_did_from_the_personas_variable_and_waits_long_enough():
    query = _refused_with_query_key("uvicorn")
    query.elapsed_ms = 31000
    command = query.curl()
    assert "Authorization" not in command and 'api_key=$HOKUSAI_API_KEY"' in command
    assert "--max-time 62" in command
    header = ex("x", SEARCH, 403, "{}", keyed=True, actor="read-only")
    header.request_headers = {"X-API-Key": "***"}
    assert '-H "X-API-Key: $HOKUSAI_READONLY_API_KEY"' in header.curl() and "--max-time 10" in header.curl()


# ------------------------------------------------------------------ a registry closed to other developers' keys


ROLE_REFUSAL = '{"detail":"Admin access required for the model registry","error":"REGISTRY_ADMIN_REQUIRED"}'


@pytest.mark.parametrize(
    "actor,method,holds",
    [("read-only", "GET", True), ("registry admin", "GET", False), ("read-only", "POST", False)],
)
def test_another_developers_read_refused_for_the_registry_role_shows_the_policy(actor, method, holds):
    from hokusai_acceptance.diagnosis.facts import FACTS

    refused = ex("x", SEARCH, 403, ROLE_REFUSAL, keyed=True, actor=actor, method=method, scenario="s")
    assert (FACTS["other_keys_refused_registry_role"][1](_view([refused])).holds is True) is holds


# ------------------------------------------------------------------ the health report's content


def test_a_health_report_without_any_dependency_is_a_finding_and_one_with_them_is_not():
    light = {"status": "healthy", "services": {"api": "healthy", "dependency_checks": "skipped"}}
    probes = healthy_probes(health=ex("health", "/health", 200, json.dumps(light)))
    assert "health-reports-no-dependency" in ids(evidence(probes))
    assert "health-reports-no-dependency" not in ids(evidence())
