import pytest

from hokusai_acceptance import routes
from hokusai_acceptance.stack.gateway import is_write, upstream_path


def test_internal_upstream_keeps_api_paths():
    assert upstream_path("api/2.0/mlflow/runs/create", public_form=False) == "/api/2.0/mlflow/runs/create"


def test_public_upstream_gets_ajax_rewrite():
    assert (
        upstream_path("api/2.0/mlflow-artifacts/artifacts/1", public_form=True)
        == "/ajax-api/2.0/mlflow-artifacts/artifacts/1"
    )


#: what MLflow's REST API does with each call (its documentation), written out: the reference gateway and the
#: suite's own classification are two independent readings of it, and both must agree with this table
WRITES = [
    ("POST", "/api/mlflow/api/2.0/mlflow/experiments/search", False),
    ("POST", "/api/mlflow/api/2.0/mlflow/runs/search", False),
    ("POST", "/api/mlflow/api/2.0/mlflow/registered-models/search", False),
    ("GET", "/api/mlflow/api/2.0/mlflow/model-versions/search", False),
    ("POST", "/mlflow/api/2.0/mlflow/experiments/get-by-name", False),
    ("GET", "/api/mlflow/api/2.0/mlflow/registered-models/get", False),
    ("HEAD", "/api/mlflow/api/2.0/mlflow-artifacts/artifacts/x", False),
    ("OPTIONS", "/api/mlflow/api/2.0/mlflow/runs/create", False),
    ("POST", "/api/mlflow/api/2.0/mlflow/model-versions/create", True),
    ("POST", "/api/mlflow/api/2.0/mlflow/experiments/create", True),
    ("POST", "/api/mlflow/api/2.0/mlflow/runs/log-batch", True),
    ("PATCH", "/api/mlflow/api/2.0/mlflow/registered-models/update", True),
    ("PUT", "/api/mlflow/api/2.0/mlflow-artifacts/artifacts/1/model.pkl", True),
    ("DELETE", "/api/mlflow/api/2.0/mlflow/registered-models/delete", True),
    ("POST", "/api/mlflow/api/2.0/mlflow/registered-models/alias", True),
]


@pytest.mark.parametrize("method,path,writes", WRITES)
def test_the_gateway_and_the_suite_each_tell_writes_from_reads_as_mlflow_documents(method, path, writes):
    assert is_write(method, path) is writes
    assert routes.is_write(method, path) is writes
