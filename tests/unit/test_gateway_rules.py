from hokusai_acceptance.stack.gateway import is_write, upstream_path


def test_internal_upstream_keeps_api_paths():
    assert upstream_path("api/2.0/mlflow/runs/create", public_form=False) == "/api/2.0/mlflow/runs/create"


def test_public_upstream_gets_ajax_rewrite():
    assert (
        upstream_path("api/2.0/mlflow-artifacts/artifacts/1", public_form=True)
        == "/ajax-api/2.0/mlflow-artifacts/artifacts/1"
    )


def test_search_posts_are_reads_and_creates_are_writes():
    assert not is_write("POST", "/api/mlflow/api/2.0/mlflow/experiments/search")
    assert not is_write("GET", "/api/mlflow/api/2.0/mlflow/registered-models/get")
    assert is_write("POST", "/api/mlflow/api/2.0/mlflow/model-versions/create")
    assert is_write("DELETE", "/api/mlflow/api/2.0/mlflow/registered-models/delete")
