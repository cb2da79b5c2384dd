"""A developer's own classifier as a custom MLflow pyfunc model: each class is represented by the centre of its
training examples, and an input gets the class of the nearest centre. MLflow stores this file with the model and
runs it on load; the centres and their classes travel as an artifact named ``centroids`` (a NumPy .npz file)."""

import mlflow
import numpy as np
from mlflow.pyfunc import PythonModel


class CentroidClassifier(PythonModel):
    def load_context(self, context):
        with np.load(context.artifacts["centroids"]) as data:
            self.centroids, self.classes = data["centroids"], data["classes"]

    def predict(self, context, model_input, params=None):  # noqa: ARG002 - mlflow.pyfunc's signature
        points = np.asarray(model_input, dtype=float)
        distances = ((points[:, None, :] - self.centroids[None, :, :]) ** 2).sum(axis=2)
        return self.classes[distances.argmin(axis=1)]


mlflow.models.set_model(CentroidClassifier())
