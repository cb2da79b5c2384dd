"""The registration contract document: valid OpenAPI, consistent with itself, and how drift is computed."""

import copy

import pytest

from hokusai_acceptance.errors import ConfigError
from hokusai_acceptance.fuzz import contract

DOCUMENT = contract.load()
OPERATIONS = contract.operations(DOCUMENT)


def test_the_contract_document_is_valid_openapi_3_1():
    assert DOCUMENT["openapi"].startswith("3.1")
    contract.validate(DOCUMENT)


def test_an_invalid_document_is_refused_with_where_it_breaks():
    broken = copy.deepcopy(DOCUMENT)
    broken["paths"]["/health"]["get"]["responses"] = "none"
    with pytest.raises(ConfigError, match="not valid OpenAPI"):
        contract.validate(broken)


def test_operation_ids_are_unique_and_every_link_names_one():
    ids = [
        op.get("operationId") for item in DOCUMENT["paths"].values() for m, op in item.items() if m in contract.METHODS
    ]
    assert len(ids) == len(set(ids)) and None not in ids
    for item in DOCUMENT["paths"].values():
        for method, op in item.items():
            if method not in contract.METHODS:
                continue
            for response in op["responses"].values():
                for name, link in (response.get("links") or {}).items():
                    assert link["operationId"] in ids, f"{op['operationId']} link {name}"


def test_every_mlflow_call_needs_a_key_and_documents_the_refusal_of_a_missing_one():
    proxied = [op for (method, path), op in OPERATIONS.items() if path.startswith("/api/mlflow/")]
    assert len(proxied) >= 25
    for op in proxied:
        assert op.auth == contract.KEY_REQUIRED, op.label
        assert "401" in op.statuses and "429" in op.statuses, op.label


def test_the_health_probes_need_no_key_and_the_2025_protected_ones_may_take_one():
    assert OPERATIONS[("GET", "/health")].auth == contract.NO_AUTH
    for path in ("/ready", "/live", "/version", "/", "/metrics", "/api/health/mlflow"):
        assert OPERATIONS[("GET", path)].auth == contract.OPTIONAL_AUTH, path


def test_the_four_key_forms_of_the_contract_are_its_security_schemes():
    schemes = DOCUMENT["components"]["securitySchemes"]
    assert schemes["bearer"] == {**schemes["bearer"], "type": "http", "scheme": "bearer"}
    assert (schemes["apiKeyAuthorization"]["in"], schemes["apiKeyAuthorization"]["name"]) == ("header", "Authorization")
    assert (schemes["xApiKey"]["in"], schemes["xApiKey"]["name"]) == ("header", "X-API-Key")
    assert (schemes["apiKeyQuery"]["in"], schemes["apiKeyQuery"]["name"]) == ("query", "api_key")


def test_both_error_shapes_are_documented():
    schemas = DOCUMENT["components"]["schemas"]
    assert schemas["MlflowError"]["required"] == ["error_code", "message"]
    assert schemas["GatewayError"]["required"] == ["detail"]


def served(paths, **extra):
    return {"openapi": "3.1.0", "info": {"title": "served", "version": "1"}, "paths": paths, **extra}


def test_a_served_description_identical_to_the_contract_has_no_drift():
    drift = contract.drift(DOCUMENT, copy.deepcopy(DOCUMENT))
    assert drift.empty and not drift.covered and drift.lines() == ["no differences"]


def test_a_catch_all_route_covers_the_mlflow_calls_and_its_own_extra_routes_are_added():
    gateway_only = {p: i for p, i in copy.deepcopy(DOCUMENT)["paths"].items() if not p.startswith("/api/mlflow/")}
    catch_all = {m: {"responses": {"200": {"description": "x"}}} for m in ("get", "post", "put", "delete")}
    paths = {
        **gateway_only,
        "/api/mlflow/{path}": catch_all,
        "/api/v1/dspy/execute": {"post": {"responses": {"200": {"description": "x"}}}},
    }
    drift = contract.drift(DOCUMENT, served(paths, security=DOCUMENT["security"], components=DOCUMENT["components"]))
    assert drift.added == ["POST /api/v1/dspy/execute"]
    assert not drift.removed
    assert len(drift.covered) == len([k for k in OPERATIONS if k[1].startswith("/api/mlflow/")])
    assert all("(by " in line for line in drift.covered)


def test_missing_operations_are_removed_and_auth_and_parameter_changes_are_named():
    paths = copy.deepcopy(DOCUMENT)["paths"]
    del paths["/live"]
    paths["/ready"]["get"]["security"] = [{"bearer": []}]
    paths["/api/mlflow/api/2.0/mlflow/runs/get"]["get"]["parameters"] = []
    drift = contract.drift(DOCUMENT, served(paths, security=DOCUMENT["security"], components=DOCUMENT["components"]))
    assert drift.removed == ["GET /live"]
    changed = "\n".join(drift.changed)
    assert "GET /ready: auth: the contract says key optional, the target's description says key required" in changed
    assert (
        "GET /api/mlflow/api/2.0/mlflow/runs/get: required parameters: the contract says query:run_id, the target's "
        "description says none" in changed
    )


def test_a_description_that_declares_no_auth_says_so_once_instead_of_on_every_operation():
    paths = copy.deepcopy(DOCUMENT)["paths"]
    for item in paths.values():
        for op in item.values():
            if isinstance(op, dict):
                op.pop("security", None)
    drift = contract.drift(DOCUMENT, served(paths))
    assert not drift.auth_declared
    assert not any("auth:" in line for line in drift.changed)
    assert any("declares no authentication" in line for line in drift.lines())


def test_a_served_description_with_duplicate_operation_ids_is_compared_and_said_to_be_invalid():
    paths = copy.deepcopy(DOCUMENT)["paths"]
    paths["/live"]["get"]["operationId"] = "health"
    drift = contract.drift(DOCUMENT, served(paths, security=DOCUMENT["security"], components=DOCUMENT["components"]))
    assert "health" in drift.invalid and drift.empty
    assert any("not valid OpenAPI" in line for line in drift.lines())


def test_a_public_route_without_security_and_renamed_path_parameters_are_no_drift():
    health = copy.deepcopy(DOCUMENT["paths"]["/health"])
    del health["get"]["security"]  # FastAPI's way of saying "no key": no security on the route, none global
    drift = contract.drift(DOCUMENT, served({"/health": health}, components=DOCUMENT["components"]))
    assert not [line for line in drift.changed if line.startswith("GET /health:")], drift.changed
    upload = "/api/mlflow/api/2.0/mlflow-artifacts/artifacts/{experiment_id}/{run_id}/artifacts/{file}"
    paths = copy.deepcopy(DOCUMENT)["paths"]
    paths[upload.replace("{file}", "{path}")] = paths.pop(upload)
    drift = contract.drift(DOCUMENT, served(paths, security=DOCUMENT["security"], components=DOCUMENT["components"]))
    assert not drift.added and not drift.removed, drift.lines()
