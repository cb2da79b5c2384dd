"""Model registration the way a third-party developer does it: the plain MLflow
client pointed at ``<base>/api/mlflow`` with the Hokusai key as tracking token.

Everything created carries the run's prefix and is recorded in
:class:`CreatedResources`, so cleanup removes exactly what this run made.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from .errors import InfrastructureError, RegistryCallFailed, SuiteError, TargetNotResponding, TargetUnreachable
from .evidence import current_log, expecting
from .hokusai_tags import HokusaiMetadata, check_meets_benchmark
from .mlflow_client import configure, using_key
from .redaction import redact

T = TypeVar("T")


class ModelKind(str, Enum):
    """The kinds of model a developer registers, as a feature names them."""

    SKLEARN = "scikit-learn"
    XGBOOST = "gradient-boosting (XGBoost)"
    PYFUNC = "custom Python (mlflow.pyfunc)"

    @classmethod
    def named(cls, words: str) -> ModelKind:
        for kind in cls:
            if kind.value == words:
                return kind
        raise ValueError(f"unknown model kind {words!r}; known: {', '.join(k.value for k in cls)}")


#: the custom pyfunc model's own code, stored with the model and run when it is loaded
CENTROID_CODE = Path(__file__).parent / "model_code" / "centroid_classifier.py"


@dataclass
class TrainedModel:
    model: Any
    features: Any
    labels: Any
    params: dict[str, Any]
    metrics: dict[str, float]
    predictions: Any
    pip_requirements: list[str]
    kind: ModelKind = ModelKind.SKLEARN

    def log(self, signature: Any, **registration: Any) -> Any:
        """``mlflow.<flavor>.log_model`` for this kind (``registration``: e.g. registered_model_name)."""
        import mlflow

        common = {"name": "model", "signature": signature, "pip_requirements": self.pip_requirements, **registration}
        if self.kind is ModelKind.XGBOOST:
            return mlflow.xgboost.log_model(self.model, **common)
        if self.kind is ModelKind.PYFUNC:
            with tempfile.TemporaryDirectory(prefix="hokusai-centroids-") as tmp:
                return mlflow.pyfunc.log_model(
                    python_model=str(CENTROID_CODE), artifacts={"centroids": self._centroids_file(tmp)}, **common
                )
        return mlflow.sklearn.log_model(self.model, **common)

    def _centroids_file(self, folder: str) -> str:
        centroids, classes = self.model
        np.savez(f"{folder}/centroids.npz", centroids=centroids, classes=classes)
        return f"{folder}/centroids.npz"

    def save(self, path: str, signature: Any) -> None:
        """The same model written to ``path`` (for registration from the run's files)."""
        import mlflow

        common = {"signature": signature, "pip_requirements": self.pip_requirements}
        if self.kind is ModelKind.XGBOOST:
            mlflow.xgboost.save_model(self.model, path, **common)
        elif self.kind is ModelKind.PYFUNC:
            with tempfile.TemporaryDirectory(prefix="hokusai-centroids-") as tmp:
                mlflow.pyfunc.save_model(
                    path, python_model=str(CENTROID_CODE), artifacts={"centroids": self._centroids_file(tmp)}, **common
                )
        else:
            mlflow.sklearn.save_model(self.model, path, **common)


def _iris_split(seed: int):
    from sklearn.datasets import load_iris
    from sklearn.model_selection import train_test_split

    data = load_iris()
    return train_test_split(data.data, data.target, test_size=0.3, random_state=seed, stratify=data.target)


def _scores(labels: Any, predictions: Any) -> dict[str, float]:
    from sklearn.metrics import accuracy_score, f1_score

    return {
        "accuracy": float(accuracy_score(labels, predictions)),
        "f1_macro": float(f1_score(labels, predictions, average="macro")),
    }


def train(kind: ModelKind, seed: int = 7) -> TrainedModel:
    """A classifier of the given kind on the iris data set shipped with scikit-learn."""
    if kind is ModelKind.SKLEARN:
        return train_classifier(seed)
    x_train, x_test, y_train, y_test = _iris_split(seed)
    model: Any
    params: dict[str, Any]
    if kind is ModelKind.XGBOOST:
        from importlib.metadata import version

        import xgboost

        params = {"n_estimators": 25, "max_depth": 3, "learning_rate": 0.3, "random_state": seed, "n_jobs": 1}
        model = xgboost.XGBClassifier(**params).fit(x_train, y_train)
        predictions = model.predict(x_test)
        requirements = [f"xgboost-cpu=={version('xgboost-cpu')}"]
    else:
        classes = np.unique(y_train)
        centroids = np.stack([x_train[y_train == c].mean(axis=0) for c in classes])
        model = (centroids, classes)
        params = {"classes": len(classes), "rule": "nearest centroid"}
        distances = ((x_test[:, None, :] - centroids[None, :, :]) ** 2).sum(axis=2)
        predictions = classes[distances.argmin(axis=1)]
        requirements = [f"numpy=={np.__version__}"]
    return TrainedModel(
        model=model,
        features=x_test,
        labels=y_test,
        params=params,
        metrics=_scores(y_test, predictions),
        predictions=predictions,
        pip_requirements=requirements,
        kind=kind,
    )


def train_classifier(seed: int = 7, padding_bytes: int = 0) -> TrainedModel:
    """A logistic-regression classifier on the iris data set shipped with scikit-learn.

    ``padding_bytes`` attaches an incompressible array to the estimator, to make a
    large model for upload tests without changing its predictions.
    """
    import sklearn
    from sklearn.linear_model import LogisticRegression

    x_train, x_test, y_train, y_test = _iris_split(seed)
    params = {"C": 1.0, "max_iter": 300, "solver": "lbfgs", "random_state": seed}
    model = LogisticRegression(**params).fit(x_train, y_train)
    predictions = model.predict(x_test)
    metrics = _scores(y_test, predictions)
    if padding_bytes:
        model.hokusai_padding_ = np.random.default_rng(seed).integers(0, 255, padding_bytes, dtype=np.uint8)
    return TrainedModel(
        model=model,
        features=x_test,
        labels=y_test,
        params=params,
        metrics=metrics,
        predictions=predictions,
        pip_requirements=[f"scikit-learn=={sklearn.__version__}"],
    )


@dataclass
class Registration:
    name: str
    version: str
    run_id: str
    experiment_id: str
    metadata: HokusaiMetadata | None

    @property
    def model_uri(self) -> str:
        return f"models:/{self.name}/{self.version}"


@dataclass
class CreatedResources:
    """What one run created in the target registry."""

    prefix: str
    experiments: dict[str, str] = field(default_factory=dict)  # name -> id
    models: set[str] = field(default_factory=set)
    #: the key that created a model or experiment, when it is not the run's own: only that key's owner may
    #: delete it where the registry enforces ownership
    created_with: dict[str, str] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def name(self, slug: str) -> str:
        return f"{self.prefix}-{slug}"

    def owns(self, name: str) -> bool:
        return name.startswith(self.prefix + "-")

    def add_model(self, name: str, key: str | None = None) -> None:
        if not self.owns(name):
            raise ValueError(f"refusing to track {name!r}: it does not carry this run's prefix {self.prefix!r}")
        with self._lock:
            self.models.add(name)
            if key is not None:
                self.created_with.setdefault(name, key)


class MlflowSession:
    """The MLflow client of a third-party developer, pointed at one target with one key."""

    def __init__(self, tracking_uri: str, key: str | None, *, timeout: float = 30.0, retries: int = 0):
        self.tracking_uri = tracking_uri
        self.key = key
        self.timeout = timeout
        self.retries = retries

    @contextmanager
    def active(self) -> Iterator[MlflowSession]:
        """MLflow client calls in this block go to this session's target with its key (and only its key)."""
        configure(self.tracking_uri, timeout=self.timeout, retries=self.retries)
        with using_key(self.key):
            yield self

    def with_key(self, key: str | None) -> MlflowSession:
        return MlflowSession(self.tracking_uri, key, timeout=self.timeout, retries=self.retries)

    def client(self):
        from mlflow import MlflowClient

        return MlflowClient(tracking_uri=self.tracking_uri, registry_uri=self.tracking_uri)

    def call(self, what: str, fn: Callable[[], T]) -> T:
        """Run one MLflow client operation, turning client errors into typed, evidenced failures."""
        import requests
        from mlflow.exceptions import MlflowException

        log = current_log()
        before = len(log.snapshot()) if log is not None else 0
        with self.active():
            try:
                return fn()
            except (MlflowException, requests.RequestException) as exc:
                # the artifact repository raises plain HTTP errors, the tracking client MlflowException
                raise _typed_failure(what, exc, since=before) from None


def _typed_failure(what: str, exc: Exception, since: int = 0) -> Exception:
    cause: BaseException | None = exc
    while cause is not None:  # a call the outage guard refused, wrapped by the MLflow client
        if isinstance(cause, InfrastructureError):
            return type(cause)(f"{what}: {cause}")
        cause = cause.__cause__ or cause.__context__
    message = redact(str(exc))
    log = current_log()
    failures = log.failures()[-3:] if log is not None else []
    evidence = [e.summary() for e in failures]
    own = log.snapshot()[since:] if log is not None else []  # this call's exchanges only
    answered = [own[-1].status] if own and own[-1].status is not None and own[-1].status >= 400 else []
    # the MLflow client labels any answer it does not know (a 403 from the API, say) INTERNAL_ERROR: say what came
    detail = (
        f"{what} failed (the registry answered HTTP {answered[-1]}): {message[:500]}"
        if answered
        else f"{what} failed: {message[:500]}"
    )
    status = answered[-1] if answered else None
    if evidence:
        detail += "\nLast failing exchanges:\n  " + "\n  ".join(evidence)
    lowered = message.lower()
    if "failed with exception" in lowered and ("connection" in lowered or "max retries" in lowered):
        if "timed out" in lowered or "read timeout" in lowered:
            return TargetNotResponding(detail, evidence=evidence)
        return TargetUnreachable(detail, evidence=evidence)
    failure = RegistryCallFailed(detail, evidence=evidence)
    failure.status = status
    failure.answer = message[:500]  # what the registry (through the MLflow client) said, without the suite's words
    return failure


# ------------------------------------------------------------------ flows


def ensure_experiment(session: MlflowSession, resources: CreatedResources, slug: str) -> str:
    name = resources.name(slug)
    with resources._lock:
        if name in resources.experiments:
            return resources.experiments[name]
    client = session.client()

    def create() -> str:
        existing = client.get_experiment_by_name(name)
        if existing is not None:
            return existing.experiment_id
        return client.create_experiment(name)

    experiment_id = session.call(f"creating experiment {name}", create)
    with resources._lock:
        resources.experiments[name] = experiment_id
        if session.key is not None:
            resources.created_with.setdefault(name, session.key)
    return experiment_id


class RegistrationPath(str, Enum):
    """How the model gets into the registry.

    ``LOG_MODEL``: MLflow 3's one call, ``log_model(..., registered_model_name=...)``; it needs the
    logged-models API, which MLflow 2.x servers lack. ``RUN_FILES``: the model's files logged as run
    artifacts, then ``register_model("runs:/<run>/model")`` -- works on every server generation.
    ``EXPLICIT_VERSION``: the same files, then ``create_registered_model`` + ``create_model_version``
    from the run's artifact URI (what MLflow 2.x-era scripts do)."""

    LOG_MODEL = "log_model"
    RUN_FILES = "run files"
    EXPLICIT_VERSION = "explicit version"


def register_model(
    session: MlflowSession,
    resources: CreatedResources,
    trained: TrainedModel,
    name: str,
    metadata: HokusaiMetadata,
    *,
    description: str | None = None,
    experiment_slug: str = "registration",
    path: RegistrationPath = RegistrationPath.LOG_MODEL,
    tag: bool = True,
) -> Registration:
    """Train-log-register: params and metrics on a run, the model registered under ``name`` the way
    ``path`` says, then the three Hokusai tags (and the description) on the new version
    (:func:`apply_hokusai_tags`; ``tag=False`` leaves that to the caller)."""
    import mlflow
    from mlflow.models import infer_signature

    check_meets_benchmark(metadata, trained.metrics)
    resources.add_model(name, session.key)
    experiment_id = ensure_experiment(session, resources, experiment_slug)
    signature = infer_signature(trained.features, trained.predictions)

    def log_and_register() -> Registration:
        client = session.client()
        with mlflow.start_run(experiment_id=experiment_id) as run:
            mlflow.log_params(trained.params)
            mlflow.log_metrics(trained.metrics)
            if path is RegistrationPath.LOG_MODEL:
                info = trained.log(signature, registered_model_name=name)
            else:
                _log_files(trained, signature)
        if path is RegistrationPath.LOG_MODEL:
            version = str(info.registered_model_version)
        elif path is RegistrationPath.RUN_FILES:
            version = str(
                mlflow.register_model(f"runs:/{run.info.run_id}/model", name, await_registration_for=30).version
            )
        else:
            client.create_registered_model(name)
            version = str(
                client.create_model_version(name, f"{run.info.artifact_uri}/model", run_id=run.info.run_id).version
            )
        return Registration(
            name=name, version=version, run_id=run.info.run_id, experiment_id=experiment_id, metadata=metadata
        )

    registration = session.call(f"registering model {name} ({path.value})", log_and_register)
    if tag:
        apply_hokusai_tags(session, registration, description=description)
    return registration


def apply_hokusai_tags(
    session: MlflowSession,
    registration: Registration,
    *,
    description: str | None = None,
    while_tagging: Callable[[], Any] = nullcontext,
) -> None:
    """The three Hokusai tags (and the description) on a new version. Should a write fail, the version is
    removed again (and its model, when no other version is left), so the registry never keeps an untagged
    version a consumer could take for a registered one; the failure says what was undone. ``while_tagging``
    is entered around the tag writes alone (the evidence's actor for them)."""
    client = session.client()
    name, version = registration.name, registration.version

    metadata = registration.metadata
    if metadata is None:
        raise SuiteError(f"{name} version {version} has no Hokusai metadata to tag it with")

    def tag() -> None:
        for key, value in metadata.as_tags().items():
            client.set_model_version_tag(name, version, key, value)
        if description:
            client.update_model_version(name, version, description=description)

    try:
        with while_tagging():
            session.call(f"tagging {name} version {version}", tag)
    except InfrastructureError as exc:
        undone = _roll_back(session, registration)
        failure = type(exc)(f"{exc}\nNothing half-made is left: {undone}", evidence=exc.evidence)
        failure.status = exc.status
        raise failure from None


def _roll_back(session: MlflowSession, registration: Registration) -> str:
    import requests
    from mlflow.exceptions import MlflowException

    client = session.client()
    name, version = registration.name, registration.version
    try:
        with session.active():
            client.delete_model_version(name, version)
            if not list(client.search_model_versions(f"name = '{name}'")):
                client.delete_registered_model(name)
                return f"the untagged version {version} and the then empty model {name} were removed"
    except (MlflowException, requests.RequestException) as exc:
        return (
            f"the untagged version {version} could not be removed ({redact(str(exc))[:160]}); the run's "
            f"cleanup removes it"
        )
    return f"the untagged version {version} was removed"


def log_model_files(
    session: MlflowSession, resources: CreatedResources, trained: TrainedModel, experiment_slug: str = "registration"
) -> str:
    """A training run with the model's files as run artifacts (nothing registered yet); returns the run id."""
    import mlflow
    from mlflow.models import infer_signature

    experiment_id = ensure_experiment(session, resources, experiment_slug)
    signature = infer_signature(trained.features, trained.predictions)

    def log() -> str:
        with mlflow.start_run(experiment_id=experiment_id) as run:
            mlflow.log_params(trained.params)
            mlflow.log_metrics(trained.metrics)
            _log_files(trained, signature)
        return run.info.run_id

    return session.call("logging the model's files to a training run", log)


def _log_files(trained: TrainedModel, signature: Any) -> None:
    """The model's files as artifacts of the active run, under ``model/`` (the portable registration source)."""
    import mlflow

    with tempfile.TemporaryDirectory(prefix="hokusai-model-") as tmp:
        trained.save(f"{tmp}/model", signature)
        mlflow.log_artifacts(f"{tmp}/model", "model")


def register_run_files(session: MlflowSession, name: str, run_id: str) -> str:
    """``mlflow.register_model`` of a run's model files under ``name``; returns the new version."""
    import mlflow

    return session.call(
        f"registering runs:/{run_id}/model as {name}",
        lambda: str(mlflow.register_model(f"runs:/{run_id}/model", name, await_registration_for=30).version),
    )


def registered_versions(session: MlflowSession, name: str) -> list[Any]:
    client = session.client()
    return session.call(f"listing versions of {name}", lambda: list(client.search_model_versions(f"name = '{name}'")))


def find_registered_model(session: MlflowSession, name: str) -> Any | None:
    """The registered model by name, or None. A lookup by name, not a search: an MLflow 3 client's
    search_registered_models adds a prompt-tag filter that MLflow 2.x servers answer with nothing."""
    from mlflow.exceptions import MlflowException

    client = session.client()

    def lookup():
        try:
            with expecting(404, why="is the model name still free?"):
                return client.get_registered_model(name)
        except MlflowException as exc:
            if exc.error_code == "RESOURCE_DOES_NOT_EXIST":
                return None
            raise

    return session.call(f"looking up {name} in the registry", lookup)


def find_experiment(session: MlflowSession, name: str) -> str | None:
    """The id of the active experiment of that name, or None."""
    client = session.client()

    def lookup() -> str | None:
        found = client.get_experiment_by_name(name)
        return found.experiment_id if found is not None and found.lifecycle_stage == "active" else None

    return session.call(f"looking up experiment {name}", lookup)


def model_version(session: MlflowSession, name: str, version: str) -> Any:
    client = session.client()
    return session.call(f"reading {name} version {version}", lambda: client.get_model_version(name, version))


def run_metrics(session: MlflowSession, run_id: str) -> dict[str, float]:
    client = session.client()
    return session.call(f"reading run {run_id}", lambda: dict(client.get_run(run_id).data.metrics))


def load_and_predict(session: MlflowSession, model_uri: str, features: Any) -> tuple[Any, int]:
    """Download the model through the target and predict with it; returns (predictions, bytes downloaded)."""
    import mlflow

    def load():
        with tempfile.TemporaryDirectory(prefix="hokusai-model-") as tmp:
            model = mlflow.pyfunc.load_model(model_uri, dst_path=tmp)
            size = sum(p.stat().st_size for p in Path(tmp).rglob("*") if p.is_file())
            return np.asarray(model.predict(features)), size

    return session.call(f"loading {model_uri}", load)


def run_params(session: MlflowSession, run_id: str) -> dict[str, str]:
    client = session.client()
    return session.call(f"reading run {run_id}", lambda: dict(client.get_run(run_id).data.params))


def model_signature(session: MlflowSession, model_uri: str) -> dict | None:
    import mlflow

    def read():
        info = mlflow.models.get_model_info(model_uri)
        return info.signature.to_dict() if info.signature is not None else None

    return session.call(f"reading the signature of {model_uri}", read)


def set_alias(session: MlflowSession, name: str, alias: str, version: str) -> None:
    client = session.client()
    session.call(f"setting alias {alias} on {name}", lambda: client.set_registered_model_alias(name, alias, version))


def delete_version(session: MlflowSession, name: str, version: str) -> None:
    client = session.client()
    session.call(f"deleting version {version} of {name}", lambda: client.delete_model_version(name, version))


def archive(client: Any, name: str, version: str) -> str:
    """Move a version to the registry's Archived stage with this MLflow client; returns the stage it reports."""
    import warnings

    with warnings.catch_warnings():  # stages are deprecated in favour of aliases, but still how one archives
        warnings.simplefilter("ignore", FutureWarning)
        return client.transition_model_version_stage(name, version, "Archived").current_stage


def archive_version(session: MlflowSession, name: str, version: str) -> str:
    client = session.client()
    return session.call(f"archiving version {version} of {name}", lambda: archive(client, name, version))


def resolve_run(session: MlflowSession, model_uri: str) -> str:
    """The training run of the model a ``models:/`` URI (number, ``latest`` or ``@alias``) loads, as the registry
    resolves it for the MLflow client: which registration the URI really reaches."""
    import mlflow

    return session.call(f"resolving {model_uri}", lambda: str(mlflow.models.get_model_info(model_uri).run_id))


def _model_left(session: MlflowSession, name: str) -> bool | None:
    """Whether a model the cleanup could not delete is in the registry: True, False (never created, or gone), or
    None when the registry refuses to say."""
    from mlflow.exceptions import MlflowException

    try:
        with expecting(404, why="cleanup: a model the run reserved may never have been created"):
            session.client().get_registered_model(name)
        return True
    except MlflowException as exc:
        return False if exc.error_code == "RESOURCE_DOES_NOT_EXIST" else None


def cleanup(session: MlflowSession, resources: CreatedResources) -> list[str]:
    """Delete exactly what this run created, each entry with the key that created it (``session``'s key when
    none was recorded); returns what could not be deleted."""
    from mlflow.exceptions import MlflowException

    leftovers = []

    def as_creator(name: str) -> MlflowSession:
        key = resources.created_with.get(name)
        return session if key is None or key == session.key else session.with_key(key)

    for name in sorted(resources.models):
        if not resources.owns(name):
            continue
        creator = as_creator(name)
        with creator.active():
            try:
                with expecting(404, why="cleanup: a model already gone is what cleanup wants"):
                    creator.client().delete_registered_model(name)
            except MlflowException as exc:
                if exc.error_code != "RESOURCE_DOES_NOT_EXIST":  # already gone is what the cleanup wanted
                    left = _model_left(creator, name)
                    if left is True:
                        leftovers.append(f"model {name}: {redact(str(exc))[:120]}")
                    elif left is None:  # the registry would say neither: never claim it holds the model
                        leftovers.append(
                            f"model {name} (reserved by the run; whether it exists could not be checked): "
                            f"{redact(str(exc))[:120]}"
                        )
    for name, experiment_id in sorted(resources.experiments.items()):
        if not resources.owns(name):
            continue
        creator = as_creator(name)
        with creator.active():
            try:
                with expecting(404, 400, why="cleanup: an experiment already gone or deleted is what cleanup wants"):
                    creator.client().delete_experiment(experiment_id)
            except MlflowException as exc:
                if exc.error_code != "RESOURCE_DOES_NOT_EXIST" and not _already_deleted(creator, experiment_id):
                    leftovers.append(f"experiment {name}: {redact(str(exc))[:120]}")
    return leftovers


def _already_deleted(session: MlflowSession, experiment_id: str) -> bool:
    """Whether the registry keeps the experiment as deleted (a second delete of it is refused, not an error)."""
    from mlflow.exceptions import MlflowException

    try:
        return bool(session.client().get_experiment(experiment_id).lifecycle_stage == "deleted")
    except MlflowException:
        return False
