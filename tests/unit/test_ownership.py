"""The reference gateway's ownership rules: which write touches whose resource, and the owner tag on creates."""

import json

from hokusai_acceptance.stack import ownership as own

MLFLOW = "api/2.0/mlflow/"


def test_writes_name_the_resource_whose_owner_must_be_the_caller():
    assert own.guarded_target(MLFLOW + "registered-models/delete", {"name": "m"}) == own.Target("model", "m")
    assert own.guarded_target(MLFLOW + "model-versions/set-tag", {"name": "m", "version": "1"}) == own.Target(
        "model", "m"
    )
    assert own.guarded_target(MLFLOW + "runs/delete", {"run_uuid": "r1"}) == own.Target("run", "r1")
    assert own.guarded_target(MLFLOW + "runs/create", {"experiment_id": "4"}) == own.Target("experiment", "4")
    assert own.guarded_target("ajax-api/2.0/mlflow/experiments/delete", {"experiment_id": "4"}) == own.Target(
        "experiment", "4"
    )
    # a DELETE whose name travels in the query string
    assert own.guarded_target(MLFLOW + "registered-models/alias", {}, "name=m&alias=a") == own.Target("model", "m")


def test_artifact_uploads_belong_to_their_experiment():
    path = "api/2.0/mlflow-artifacts/artifacts/7/abc123/artifacts/model/MLmodel"
    assert own.guarded_target(path, {}) == own.Target("experiment", "7")
    assert own.guarded_target("api/2.0/mlflow-artifacts/artifacts/not-a-number/x", {}) is None


def test_creates_and_reads_are_not_guarded():
    assert own.guarded_target(MLFLOW + "registered-models/create", {"name": "m"}) is None
    assert own.guarded_target(MLFLOW + "experiments/search", {}) is None
    assert own.guarded_target(MLFLOW + "registered-models/delete", {}) is None  # nothing named: MLflow answers


def test_a_create_carries_the_callers_owner_tag_and_no_other():
    body = {"name": "m", "tags": [{"key": own.OWNER_TAG, "value": "forged"}, {"key": "k", "value": "v"}]}
    created = json.loads(own.with_owner(MLFLOW + "registered-models/create", body, "user-a"))
    assert created["tags"] == [{"key": "k", "value": "v"}, {"key": own.OWNER_TAG, "value": "user-a"}]
    assert own.with_owner(MLFLOW + "registered-models/update", body, "user-a") is None
    assert own.with_owner(MLFLOW + "runs/create", {}, "") is None


def test_nobody_rewrites_the_owner_tag():
    assert own.touches_owner_tag(MLFLOW + "model-versions/set-tag", {"key": own.OWNER_TAG, "value": "me"})
    assert own.touches_owner_tag(MLFLOW + "registered-models/delete-tag", {}, f"name=m&key={own.OWNER_TAG}")
    assert not own.touches_owner_tag(MLFLOW + "model-versions/set-tag", {"key": "benchmark_value"})


def test_a_token_id_claim_is_found_in_tag_writes_and_creates():
    assert own.claimed_token_id(MLFLOW + "model-versions/set-tag", {"key": own.TOKEN_ID_TAG, "value": "t"}) == "t"
    assert (
        own.claimed_token_id(MLFLOW + "model-versions/create", {"tags": [{"key": own.TOKEN_ID_TAG, "value": "t"}]})
        == "t"
    )
    assert own.claimed_token_id(MLFLOW + "model-versions/set-tag", {"key": "other", "value": "t"}) is None


def test_the_owner_is_read_from_each_kind_of_answer():
    tags = [{"key": own.OWNER_TAG, "value": "user-a"}]
    assert own.owner_from("model", {"registered_model": {"tags": tags}}) == "user-a"
    assert own.owner_from("experiment", {"experiment": {"tags": tags}}) == "user-a"
    assert own.owner_from("run", {"run": {"data": {"tags": tags}}}) == "user-a"
    assert own.owner_from("model", {"registered_model": {}}) is None
    assert own.version_owner({"tags": tags}) == "user-a" and own.version_owner({}) is None


def test_refusals_name_what_is_taken():
    assert "'m'" in own.refusal_message(own.Target("model", "m"))
    assert "'tok'" in own.token_message("tok")


def test_a_json_string_is_told_apart_from_other_bodies():
    assert own.is_json_string(b'"{\\"name\\": \\"m\\"}"') and not own.is_json_string(b'{"name": "m"}')
    assert not own.is_json_string(b"[]") and not own.is_json_string(b"{broken")


def test_only_a_json_object_is_a_body_the_gateway_rewrites():
    assert own.is_json_object(b'{"name": "m"}')
    for raw in (b"[]", b"[null, null]", b'"text"', b"5", b"{broken", b"\xff\xfe"):
        assert not own.is_json_object(raw), raw


def test_tags_that_are_not_a_list_claim_nothing_and_are_replaced_by_the_owner_tag():
    create = "/api/2.0/mlflow/registered-models/create"
    assert own.claimed_token_id(create, {"name": "m", "tags": -48931}) is None
    body = json.loads(own.with_owner(create, {"name": "m", "tags": {"k": "v"}}, "user-1"))
    assert body["tags"] == [{"key": own.OWNER_TAG, "value": "user-1"}]
