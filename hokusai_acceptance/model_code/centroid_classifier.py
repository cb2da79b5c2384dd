"""A developer's own classifier as a custom MLflow pyfunc model: each class is represented by the centre of its
training examples, and an input goes to the nearest centre. MLflow stores this file with the model and runs it
on load; the centres travel as an artifact named ``centroids``."""
import mlflow
import numpy as np
from mlflow.pyfunc import PythonModel


def nearest_centroid(features, centroids):
    points = np.asarray(features, dtype=float)
    distances = ((points[:, None, :] - centroids[None, :, :]) ** 2).sum(axis=2)
    return distances.argmin(axis=1)


class CentroidClassifier(PythonModel):
    def load_context(self, context):
        self.centroids = np.load(context.artifacts["centroids"])

    def predict(self, context, model_input, params=None):
        return nearest_centroid(model_input, self.centroids)


mlflow.models.set_model(CentroidClassifier())
