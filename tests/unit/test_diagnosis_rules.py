"""Diagnosis rules on synthetic evidence: the right fault, and honesty when nothing fits."""
from hokusai_acceptance.diagnosis.rules import RunEvidence, ScenarioOutcome, diagnose
from hokusai_acceptance.diagnosis.sweep import Probe
from hokusai_acceptance.evidence import AnswerKind, Exchange

HEALTHY_BODY = '{"status":"healthy","services":{"mlflow":"healthy","redis":"healthy","postgres":"healthy"}}'


def probe(name, status, body="{}", kind=AnswerKind.MLFLOW_JSON, detail=None, ctype="application/json", **kw):
    return Probe(name=name, method="GET", url=f"http://t/{name}", status=status, body=body, answered_by=kind,
                 detail=detail, content_type=ctype, **kw)


def healthy_probes(**overrides):
    probes = {
        "health": probe("health", 200, HEALTHY_BODY, AnswerKind.GATEWAY_JSON),
        "health_mlflow": probe("health_mlflow", 200),
        "api_health_mlflow": probe("api_health_mlflow", 200),
        "ready": probe("ready", 200),
        "read_without_key": probe("read_without_key", 401, '{"detail":"API key required"}', AnswerKind.GATEWAY_JSON,
                                  "API key required"),
        "read_with_key": probe("read_with_key", 200, '{"experiments":[]}', with_key=True),
        "mlflow_mount": probe("mlflow_mount", 200, with_key=True),
        "artifact_list": probe("artifact_list", 200, with_key=True),
        "server_info": probe("server_info", 200, '{"store_type":"SqlStore"}', with_key=True),
    }
    probes.update(overrides)
    return probes


def ids(evidence):
    return [f.id for f in diagnose(evidence)]


def test_healthy_evidence_gives_no_finding():
    assert ids(RunEvidence(probes=healthy_probes())) == []


def test_refused_connection_is_target_unreachable_only():
    probes = {"health": Probe("health", "GET", "http://t/health", None, error="refused",
                              error_type="TargetUnreachable")}
    failing = [ScenarioOutcome("f", "s", "broken", "TargetUnreachable: cannot connect")]
    assert ids(RunEvidence(probes=probes, scenarios=failing)) == ["target-unreachable"]


def test_valid_key_rejected_without_observer_is_not_a_confident_guess():
    read = probe("read_with_key", 401, '{"detail":"Invalid or expired API key"}', AnswerKind.GATEWAY_JSON,
                 "Invalid or expired API key", with_key=True)
    [finding] = diagnose(RunEvidence(probes=healthy_probes(read_with_key=read)))
    assert finding.id == "unrecognised" and finding.confidence == "low"
    assert "auth-contract-mismatch" in finding.alternatives and "auth-service-id-mismatch" in finding.alternatives


def test_observer_decides_between_the_two_auth_mismatches():
    read = probe("read_with_key", 401, '{"detail":"Invalid or expired API key"}', AnswerKind.GATEWAY_JSON,
                 "Invalid or expired API key", with_key=True)
    evidence = RunEvidence(probes=healthy_probes(read_with_key=read),
                           observers={"auth_rejections": {"wrong service_id": 2}})
    assert ids(evidence) == ["auth-service-id-mismatch"]


def test_an_unknown_answer_is_unrecognised_with_its_evidence():
    teapot = probe("read_with_key", 418, "I'm a teapot", AnswerKind.PLAIN_TEXT, ctype="text/plain", with_key=True)
    [finding] = diagnose(RunEvidence(probes=healthy_probes(read_with_key=teapot, mlflow_mount=teapot)))
    assert finding.id == "unrecognised"
    assert any("418" in line for line in finding.evidence)


def test_failed_scenario_without_matching_fault_is_unrecognised():
    failing = [ScenarioOutcome("Registration", "A model registers", "failed", "the tag hokusai_token_id is wrong")]
    [finding] = diagnose(RunEvidence(probes=healthy_probes(), scenarios=failing))
    assert finding.id == "unrecognised" and "A model registers" in " ".join(finding.evidence)


def test_write_refusal_by_the_valid_key_is_missing_write_scope_but_not_for_read_only_keys():
    forbidden = Exchange(method="POST", url="http://t/api/mlflow/api/2.0/mlflow/model-versions/create", status=403,
                         body_prefix='{"error":"FORBIDDEN","required_scope":"model:write or mlflow:write"}')
    by_read_only = Exchange(**{**forbidden.__dict__, "actor": "read-only"})
    assert ids(RunEvidence(probes=healthy_probes(), exchanges=[by_read_only])) == []
    by_valid = Exchange(**{**forbidden.__dict__, "actor": "valid"})
    assert ids(RunEvidence(probes=healthy_probes(), exchanges=[by_valid])) == ["missing-write-scope"]


def test_deliberately_broken_exchanges_are_ignored():
    broken = Exchange(method="PUT", url="http://t/api/mlflow/api/2.0/mlflow-artifacts/artifacts/x", status=500,
                      body_prefix="Internal Server Error", actor="valid", deliberate=True)
    assert ids(RunEvidence(probes=healthy_probes(), exchanges=[broken])) == []


NOT_FOUND = '{"error_code":"RESOURCE_NOT_FOUND","message":"The requested resource was not found: %s"}'


def test_mlflow_2_server_behind_mlflow_3_clients_is_a_generation_mismatch():
    info = probe("server_info", 404, NOT_FOUND % "/api/3.0/mlflow/server-info", with_key=True)
    logged = Exchange(method="POST", url="http://t/api/mlflow/api/2.0/mlflow/logged-models", status=404,
                      body_prefix=NOT_FOUND % "/api/2.0/mlflow/logged-models", actor="valid")
    failing = [ScenarioOutcome("Registration", "A trained model appears", "broken",
                               "RegistryCallFailed: ... /api/2.0/mlflow/logged-models")]
    [finding] = diagnose(RunEvidence(probes=healthy_probes(server_info=info), exchanges=[logged], scenarios=failing))
    assert finding.id == "mlflow-generation-mismatch" and finding.confidence == "high"
    assert "register_model" in finding.recommendation and any("server-info" in e for e in finding.evidence)


def test_a_404_from_the_api_itself_is_not_taken_for_an_old_mlflow():
    route_missing = probe("server_info", 404, '{"detail":"Not Found"}', AnswerKind.GATEWAY_JSON, with_key=True)
    [finding] = diagnose(RunEvidence(probes=healthy_probes(server_info=route_missing)))
    assert finding.id == "mlflow-generation-mismatch" and finding.confidence == "medium"


def test_generation_is_not_judged_when_the_mount_itself_fails():
    broken = probe("read_with_key", 502, '{"detail":"Failed to connect to MLflow server at x"}',
                   AnswerKind.GATEWAY_JSON, "Failed to connect to MLflow server at x", with_key=True)
    info = probe("server_info", 502, '{"detail":"Failed to connect"}', AnswerKind.GATEWAY_JSON, with_key=True)
    assert "mlflow-generation-mismatch" not in ids(RunEvidence(probes=healthy_probes(read_with_key=broken,
                                                                                       server_info=info)))
