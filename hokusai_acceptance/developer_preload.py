"""What a developer's interpreter has imported before their script starts (the fork server preloads it).

Importing this module imports MLflow, its scikit-learn flavour and the stores a registration uses, and saves
one model once: the first save of a model loads its serialiser, which would otherwise cost every developer's
script that time again.
"""

import tempfile

import mlflow
import mlflow.models
import mlflow.sklearn
import mlflow.store.artifact.http_artifact_repo
import mlflow.store.artifact.mlflow_artifacts_repo
import mlflow.store.model_registry.rest_store
import mlflow.store.tracking.rest_store
import sklearn.datasets
import sklearn.linear_model
import sklearn.model_selection

import hokusai_acceptance.registration  # noqa: F401 - preloaded: the cut-registration script imports it

with tempfile.TemporaryDirectory() as _folder:
    mlflow.sklearn.save_model(sklearn.linear_model.LogisticRegression().fit([[0.0], [1.0]], [0, 1]), _folder + "/m")
