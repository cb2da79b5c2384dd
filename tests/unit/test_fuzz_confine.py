"""Generated writes stay inside what the run owns: names prefixed, foreign ids replaced."""

import json

from hokusai_acceptance.fuzz.confine import Scope, confine_body, confine_path_parameters, confined_name, created

SCOPE = Scope(prefix="hk-accept-abc123-fz", experiment_id="7", run_id="a" * 32)


def test_names_get_the_run_prefix_once_and_stay_bounded():
    assert confined_name("model", SCOPE.prefix) == "hk-accept-abc123-fz-model"
    assert confined_name("hk-accept-abc123-fz-model", SCOPE.prefix) == "hk-accept-abc123-fz-model"
    assert len(confined_name("x" * 1000, SCOPE.prefix)) == 200


def test_a_write_naming_someone_elses_experiment_or_run_is_redirected_to_the_scratch_ones():
    body = confine_body(
        {"experiment_id": "0", "run_id": "b" * 32, "name": "prod-model", "new_name": "n", "key": "k"}, SCOPE
    )
    assert body == {
        "experiment_id": "7",
        "run_id": "a" * 32,
        "name": "hk-accept-abc123-fz-prod-model",
        "new_name": "hk-accept-abc123-fz-n",
        "key": "k",
    }


def test_ids_the_run_created_itself_are_kept():
    scope = Scope(prefix="p", experiment_id="7", run_id="r")
    scope.remember("experiment", "12")
    scope.remember("run", "c" * 32)
    assert confine_body({"experiment_id": "12", "run_id": "c" * 32}, scope) == {
        "experiment_id": "12",
        "run_id": "c" * 32,
    }


def test_a_body_that_is_not_an_object_is_sent_as_generated():
    assert confine_body([], SCOPE) == []
    assert confine_body("text", SCOPE) == "text"
    assert confine_body({"name": None, "tags": [1]}, SCOPE) == {"name": None, "tags": [1]}


def test_numbers_and_booleans_count_as_names_and_ids_because_mlflow_turns_them_into_strings():
    body = confine_body({"experiment_id": 0, "run_uuid": 7, "name": 5, "new_name": True}, SCOPE)
    assert body == {
        "experiment_id": "7",
        "run_uuid": "a" * 32,
        "name": "hk-accept-abc123-fz-5",
        "new_name": "hk-accept-abc123-fz-True",
    }


def test_a_json_string_body_that_mlflow_would_decode_again_is_confined_as_the_object_it_holds():
    confined = json.loads(confine_body('{"name": "someone-elses-model", "experiment_id": "0"}', SCOPE))
    assert confined == {"name": "hk-accept-abc123-fz-someone-elses-model", "experiment_id": "7"}


def test_artifact_locations_and_model_sources_stay_with_the_scratch_run():
    body = confine_body({"name": "m", "artifact_location": "s3://other/bucket", "source": "runs:/b0b/model"}, SCOPE)
    assert "artifact_location" not in body and body["source"] == f"runs:/{'a' * 32}/model"


def test_artifact_paths_land_under_the_scratch_experiment_and_run():
    params = confine_path_parameters({"experiment_id": "0", "run_id": "f" * 32, "file": "model.pkl"}, SCOPE)
    assert params == {"experiment_id": "7", "run_id": "a" * 32, "file": "model.pkl"}
    assert confine_path_parameters({}, SCOPE) == {}


def test_what_a_successful_write_created_is_recognised():
    assert created("/api/mlflow/api/2.0/mlflow/experiments/create", 200, {"experiment_id": "9"}) == ("experiment", "9")
    assert created("/x/runs/create", 200, {"run": {"info": {"run_id": "r1"}}}) == ("run", "r1")
    assert created("/x/registered-models/create", 200, {"registered_model": {"name": "m"}}) == ("model", "m")
    assert created("/x/registered-models/create", 400, {"error_code": "X"}) is None
    assert created("/x/runs/log-metric", 200, {}) is None


def test_a_scope_travels_to_the_hooks_as_json_without_what_was_remembered():
    scope = Scope(prefix="p", experiment_id="1", run_id="r")
    scope.remember("experiment", "2")
    again = Scope.from_json(scope.to_json())
    assert (again.prefix, again.experiment_id, again.run_id, again.experiments) == ("p", "1", "r", set())
