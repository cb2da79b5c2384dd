"""The third-party registration story, through the plain MLflow client."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import numpy as np

from .. import expectations as expect
from .. import registration as reg
from .. import size_limits
from ..client import HokusaiClient
from ..developer_view import DEVELOPER_PATIENCE_SECONDS, attempt_registration, cut_registration
from ..errors import ConfigError, InfrastructureError, SuiteError
from ..evidence import Marker
from ..hokusai_tags import METRIC_TAG, TOKEN_ID_TAG, VALUE_TAG, readiness_problems, validate
from ..rest_api import MlflowRest, register_via_rest
from ..settings import LOOPBACK_HOSTS
from ..state import RegistrationState
from .base import Capability

if TYPE_CHECKING:  # pragma: no cover
    from ..world import RegistryWorld


#: how long one upload of the size search may take
UPLOAD_SECONDS = 60.0


def _answer_text(reply) -> str:
    """What a refusal says: the JSON detail or message, else the start of the text."""
    body = reply.json_or_none()
    if body is None:
        return reply.text[:300]
    if isinstance(body, dict):
        for field in ("message", "detail", "error_code", "error"):
            if isinstance(body.get(field), str) and body[field].strip():
                return body[field]
    return str(body)[:300]


class RegistrationChecks(Capability):
    def __init__(self, world: RegistryWorld) -> None:
        super().__init__(world)
        self.state = RegistrationState()

    # -- what other capabilities may ask of the registration story
    def latest(self) -> reg.Registration:
        """The scenario's newest registration (a step must have made one)."""
        return self.state.registration

    def trained(self) -> reg.TrainedModel:
        """The model the scenario trained (a step must have trained one)."""
        return self.state.trained

    def train_classifier(self, padding_mb: int = 0) -> None:
        self.state.trained = reg.train_classifier(padding_bytes=padding_mb * 1024 * 1024)

    def train_model_of_kind(self, kind: str) -> None:
        self.state.trained = reg.train(reg.ModelKind.named(kind))

    def register_model(
        self,
        slug: str,
        token_id: str,
        metric: str,
        value: str,
        path: reg.RegistrationPath = reg.RegistrationPath.LOG_MODEL,
        description: str | None = None,
    ) -> None:
        metadata = validate(token_id, metric, value)
        name = self.run.resources.name(slug)
        started = time.perf_counter()
        self.state.registration = reg.register_model(
            self.mlflow,
            self.run.resources,
            self.state.trained,
            name,
            metadata,
            description=description,
            path=path,
            experiment_slug=f"{slug}-experiment",
        )
        self.state.registration_seconds = time.perf_counter() - started
        self.state.registrations.append(self.state.registration)

    def register_model_from_run_files(self, slug: str, token_id: str, metric: str, value: str) -> None:
        """The path that works on every MLflow server generation (see RegistrationPath)."""
        self.register_model(slug, token_id, metric, value, path=reg.RegistrationPath.RUN_FILES)

    def check_nothing_written(self, slug: str) -> None:
        """Read back with the run's own valid key: the scenario's key may be one that cannot read."""
        name = self.run.resources.name(slug)
        acting, self.evidence.actor = self.evidence.actor, "valid"
        try:
            found = reg.find_registered_model(self.run.session(self.run.keys.get("valid")), name)
        finally:
            self.evidence.actor = acting
        if found is not None:
            raise AssertionError(f"a refused registration still created {name} in the registry")

    def tag_directly(self, version: int, token_id: str, value: str) -> None:
        """Tag a version through plain MLflow, as any client can: no Hokusai tooling checks the values first."""
        sent = {TOKEN_ID_TAG: token_id, VALUE_TAG: value}
        name = self.state.registration.name
        client = self.mlflow.client()
        for tag, text in sent.items():

            def set_tag(tag: str = tag, text: str = text) -> None:
                client.set_model_version_tag(name, str(version), tag, text)

            self.mlflow.call(f"tagging {name} version {version} through plain MLflow", set_tag)
        self.state.sent_tags = sent

    def check_tags_kept_as_sent(self, version: int) -> None:
        tags = dict(reg.model_version(self.mlflow, self.state.registration.name, str(version)).tags)
        for tag, sent in self.state.sent_tags.items():
            expect.expect_equal(tags.get(tag), sent, f"the {tag} tag of version {version} as the registry keeps it")

    def check_not_hokusai_ready(self, version: int) -> None:
        """The suite's own rules find what the registry let through: the token id and the benchmark value."""
        tags = dict(reg.model_version(self.mlflow, self.state.registration.name, str(version)).tags)
        problems = readiness_problems(tags)
        self.note("not Hokusai-ready: " + "; ".join(problems) if problems else "Hokusai-ready")
        words = {TOKEN_ID_TAG: "token id", VALUE_TAG: "benchmark value", METRIC_TAG: "benchmark metric"}
        for tag in self.state.sent_tags:
            if not any(words[tag] in problem for problem in problems):
                raise AssertionError(
                    f"the suite does not report the {tag} tag {tags.get(tag)!r} as breaking Hokusai's rules; "
                    f"it reports: {problems or 'nothing'}"
                )

    def check_version_tags(self, version: int, token_id: str, metric: str, value: str) -> None:
        tags = dict(reg.model_version(self.mlflow, self.state.registration.name, str(version)).tags)
        expect.expect_equal(tags.get(TOKEN_ID_TAG), token_id, f"the hokusai_token_id tag of version {version}")
        expect.expect_equal(tags.get(METRIC_TAG), metric, f"the benchmark_metric tag of version {version}")
        expect.expect_equal(
            float(tags.get(VALUE_TAG, "nan")), float(value), f"the benchmark_value tag of version {version}"
        )

    # -- what a developer sees, through the plain MLflow client with its own defaults
    def start_registering_as_developer(self, slug: str) -> None:
        name = self.run.resources.name(slug)
        self.run.resources.add_model(name)  # removed at the end should the registry wrongly accept the attempt
        attempt = attempt_registration(
            self.run.settings.tracking_uri, self.key, name, wait_seconds=DEVELOPER_PATIENCE_SECONDS
        )
        self.state.developer_attempt = attempt
        self.note(f"with the {self.key_role} key: {attempt.describe()}")
        if attempt.registered:  # what any client can see of it: the model is in the registry
            read_from = len(self.evidence.snapshot())
            with self.world.acting_as("valid"):
                found = reg.find_registered_model(self.run.session(self.run.keys.get("valid")), name)
            if found is not None:
                read_back = [e for e in self.evidence.since(read_from) if e.status == 200]
                self.evidence.mark(Marker.KEY_THAT_MUST_NOT_WRITE_WROTE, self.key_role, read_back)

    def check_developer_told(self, max_seconds: int, words: str) -> None:
        attempt = self.state.developer_attempt
        if max_seconds > DEVELOPER_PATIENCE_SECONDS:
            raise ConfigError(
                f"the suite watches a developer's attempt for {DEVELOPER_PATIENCE_SECONDS:.0f} s; a "
                f"feature cannot ask for {max_seconds} s"
            )
        if attempt.registered:
            raise AssertionError(
                f"MLflow registered the model with the {self.key_role} key; the registry should have refused it "
                f"saying {words!r}"
            )
        if attempt.gave_up or attempt.seconds > max_seconds:
            self._ask_registry_with_this_key()
            raise AssertionError(
                f"the developer waited: {attempt.describe()}; expected an error within {max_seconds} s"
            )
        if words.lower() not in attempt.message.lower():
            self._ask_registry_with_this_key()
            raise AssertionError(
                f"MLflow's error does not say {words!r}, so the developer is not told what to "
                f"fix; they read: {attempt.message[:500]}"
            )

    def _ask_registry_with_this_key(self) -> None:
        """One registry read with the key the developer set up, through the suite's own client: the MLflow client's
        calls run in a process the suite does not record, and the diagnosis needs the registry's answer."""
        # a read that gets no answer makes the scenario broken (typed), not failed: the registry did not answer
        with self.world.acting_as(self.key_role):
            self.client.get(f"{self.rest.api}/registered-models/search", key=self.key, params={"max_results": 1})

    def check_model_in_registry(self, version: int) -> None:
        name = self.state.registration.name
        found = reg.find_registered_model(self.mlflow, name)
        if found is None:
            raise AssertionError(f"model {name} is not in the registry at {self.run.settings.tracking_uri}")
        versions = sorted(int(v.version) for v in reg.registered_versions(self.mlflow, name))
        if version not in versions:
            raise AssertionError(f"model {name} has versions {versions}, not version {version}")
        expect.expect_equal(self.state.registration.version, str(version), "the version the registration returned")

    def check_hokusai_tags(self, token_id: str, metric: str, value: str) -> None:
        mv = reg.model_version(self.mlflow, self.state.registration.name, self.state.registration.version)
        tags = dict(mv.tags)
        problems = readiness_problems(tags)
        if problems:
            raise AssertionError(f"the registered version is not Hokusai-ready: {'; '.join(problems)}")
        expect.expect_equal(tags[TOKEN_ID_TAG], token_id, "the hokusai_token_id tag")
        expect.expect_equal(tags[METRIC_TAG], metric, "the benchmark_metric tag")
        expect.expect_equal(float(tags[VALUE_TAG]), float(value), "the benchmark_value tag")

    def check_loads_and_predicts(self, model_uri: str | None = None) -> None:
        uri = model_uri or self.state.registration.model_uri
        predicted, downloaded = reg.load_and_predict(self.mlflow, uri, self.state.trained.features)
        self.state.downloaded_mb = downloaded / 2**20
        original = np.asarray(self.state.trained.predictions)
        if predicted.shape != original.shape or not np.array_equal(predicted, original):
            differing = int(np.sum(predicted != original)) if predicted.shape == original.shape else "all"
            raise AssertionError(
                f"the model loaded from {uri} predicts differently: {differing} of {len(original)} predictions differ"
            )

    def check_run_records_training(self) -> None:
        metrics = reg.run_metrics(self.mlflow, self.state.registration.run_id)
        for name, value in self.state.trained.metrics.items():
            if name not in metrics:
                raise AssertionError(f"the run does not record the metric {name}; it has {sorted(metrics)}")
            expect.expect_equal(round(metrics[name], 6), round(value, 6), f"the recorded {name}")
        params = reg.run_params(self.mlflow, self.state.registration.run_id)
        for name, value in self.state.trained.params.items():
            expect.expect_equal(params.get(name), str(value), f"the recorded parameter {name}")

    def check_description_and_signature(self, description: str) -> None:
        mv = reg.model_version(self.mlflow, self.state.registration.name, self.state.registration.version)
        expect.expect_equal(mv.description, description, "the model version's description")
        signature = reg.model_signature(self.mlflow, self.state.registration.model_uri)
        if signature is None or not signature.get("inputs"):
            raise AssertionError("the registered model has no input signature")

    # -- versions and aliases

    def set_alias(self, alias: str, version: int | None = None) -> None:
        """Point ``alias`` at ``version`` (default: the newest registration)."""
        target = str(version) if version is not None else self.state.registration.version
        reg.set_alias(self.mlflow, self.state.registration.name, alias, target)

    def delete_version(self, version: int) -> None:
        reg.delete_version(self.mlflow, self.state.registration.name, str(version))

    def archive_version(self, version: int) -> None:
        reg.archive_version(self.mlflow, self.state.registration.name, str(version))

    def check_archived(self, version: int) -> None:
        stage = reg.model_version(self.mlflow, self.state.registration.name, str(version)).current_stage
        expect.expect_equal(stage, "Archived", f"the stage the registry reports for version {version}")

    def check_versions(self, *expected: int) -> None:
        name = self.state.registration.name
        versions = sorted(int(v.version) for v in reg.registered_versions(self.mlflow, name))
        expect.expect_equal(versions, list(expected), f"the versions of {self.state.registration.name}")

    def check_retrieval(self, reference: str, version: int | None = None) -> None:
        """Load by ``version N``, ``latest`` or ``alias X``; it must resolve to ``version`` (default: the newest
        registration) and predict as the trained model does."""
        name = self.state.registration.name
        if reference == "latest":
            uri = f"models:/{name}/latest"
        elif reference.startswith("alias "):
            uri = f"models:/{name}@{reference.split(' ', 1)[1]}"
        else:
            uri = f"models:/{name}/{reference.split(' ', 1)[1]}"
        wanted = str(version) if version is not None else self.state.registration.version
        registered = next((r for r in self.state.registrations if r.version == wanted), None)
        if registered is None:
            raise ConfigError(f"the scenario registered no version {wanted} of {name} to compare {uri} with")
        loaded = reg.resolve_run(self.mlflow, uri)
        if loaded != registered.run_id:
            known = {r.run_id: r.version for r in self.state.registrations}
            reached = f"version {known[loaded]}" if loaded in known else f"a model of run {loaded}"
            raise AssertionError(f"{uri} loads {reached}, not version {wanted} (run {registered.run_id})")
        self.check_loads_and_predicts(uri)

    # -- raw REST and concurrency

    def register_via_rest(self, slug: str, token_id: str, metric: str, value: str) -> None:
        metadata = validate(token_id, metric, value)
        name = self.run.resources.name(slug)
        self.run.resources.add_model(name)
        experiment = self.run.resources.name(f"{slug}-experiment")
        result = register_via_rest(self.rest, experiment, name, metric, float(value), metadata.as_tags())
        self.state.rest_registration = result
        self.run.resources.experiments[experiment] = result.experiment_id
        self.state.registration = reg.Registration(
            name=result.name,
            version=result.version,
            run_id=result.run_id,
            experiment_id=result.experiment_id,
            metadata=metadata,
        )

    def check_rest_registration(self) -> None:
        result = self.state.rest_registration
        reply = self.rest.get_model_version(result.name, result.version)
        version = expect.expect_success(reply, "model-versions/get")["model_version"]
        tags = {t["key"]: t["value"] for t in version.get("tags", [])}
        problems = readiness_problems(tags)
        if problems:
            raise AssertionError(f"the REST-registered version is not Hokusai-ready: {'; '.join(problems)}")
        history = expect.expect_success(self.rest.metric_history(result.run_id, tags[METRIC_TAG]), "get-history")
        values = [m["value"] for m in history.get("metrics", [])]
        expect.expect_equal(values, [float(tags[VALUE_TAG])], "the logged benchmark metric")

    def register_concurrently(self, slug: str, count: int) -> None:
        name = self.run.resources.name(slug)
        self.run.resources.add_model(name)
        expect.expect_success(self.rest.create_registered_model(name), "registered-models/create")
        self.state.concurrent_name = name
        experiment = self.run.resources.name(f"{slug}-experiment")
        experiment_id = expect.expect_success(self.rest.create_experiment(experiment), "experiments/create")[
            "experiment_id"
        ]
        self.run.resources.experiments[experiment] = experiment_id
        run_id = expect.expect_success(self.rest.create_run(experiment_id, "concurrent-source"), "runs/create")["run"][
            "info"
        ]["run_id"]

        def one(index: int) -> tuple[int, str]:
            client = HokusaiClient(
                self.run.base_url,
                connect_timeout=self.run.settings.connect_timeout,
                read_timeout=self.run.settings.read_timeout,
            )
            try:
                rest = MlflowRest(client, self.key)
                source = f"runs:/{run_id}/model-{index}"
                created = expect.expect_success(
                    rest.create_model_version(name, source, run_id), "model-versions/create"
                )
                version = str(created["model_version"]["version"])
                expect.expect_success(
                    rest.set_model_version_tag(name, version, TOKEN_ID_TAG, f"worker-{index}"), "model-versions/set-tag"
                )
                return index, version
            finally:
                client.close()

        with ThreadPoolExecutor(max_workers=count) as pool:
            self.state.concurrent_results = list(pool.map(one, range(count)))

    def check_concurrent_versions(self, count: int) -> None:
        versions = [v for _, v in self.state.concurrent_results]
        if len(set(versions)) != count:
            raise AssertionError(f"{count} concurrent registrations produced versions {sorted(versions)}")
        expect.expect_equal(sorted(int(v) for v in versions), list(range(1, count + 1)), "the version numbers")
        for index, version in self.state.concurrent_results:
            reply = self.rest.get_model_version(self.state.concurrent_name, version)
            tags = {
                t["key"]: t["value"]
                for t in expect.expect_success(reply, "model-versions/get")["model_version"].get("tags", [])
            }
            expect.expect_equal(tags.get(TOKEN_ID_TAG), f"worker-{index}", f"the tag on version {version}")

    # -- nothing half-made

    def register_and_die_midway(self, padding_mb: int, slug: str, cut_mb: int) -> None:
        name = self.run.resources.name(slug)
        experiment = self.run.resources.name(f"{slug}-experiment")
        self.run.resources.add_model(name)
        try:
            cut = cut_registration(
                self.run.settings.tracking_uri, self.key, name, experiment, padding_mb=padding_mb, cut_mb=cut_mb
            )
        finally:  # whatever happened, what the developer's process made is this run's to clean up
            found = reg.find_experiment(self.mlflow, experiment)
            if found is not None:
                self.run.resources.experiments[experiment] = found
        self.note(cut.describe())
        if cut.cut_after_bytes is None:
            raise SuiteError(
                f"the upload was not cut: the registration of {padding_mb} MB finished before {cut_mb} MB were sent"
            )

    def check_nothing_looks_registered(self, slug: str) -> None:
        """Whatever the cut left, no version carries the Hokusai tags without being complete and loadable."""
        name = self.run.resources.name(slug)
        if reg.find_registered_model(self.mlflow, name) is None:
            self.note(f"the registry holds no model {name}")
            return
        for version in reg.registered_versions(self.mlflow, name):
            # the developer's tooling tags a version only after its files are uploaded: a tagged version that
            # does not load is what a consumer would mistake for a registered model
            tags = dict(version.tags)
            if readiness_problems(tags):
                self.note(
                    f"version {version.version} exists without Hokusai tags (status {version.status}): "
                    f"no consumer takes it for a registered model"
                )
                continue
            if version.status != "READY":
                raise AssertionError(f"version {version.version} carries the Hokusai tags but is {version.status}")
            reg.load_and_predict(self.mlflow, f"models:/{name}/{version.version}", self.state.trained.features)

    def clean_up_after(self, slug: str) -> None:
        name = self.run.resources.name(slug)
        leftovers = reg.cleanup(
            self.mlflow,
            reg.CreatedResources(
                prefix=self.run.resources.prefix,
                models={name},
                experiments={
                    k: v
                    for k, v in self.run.resources.experiments.items()
                    if k == self.run.resources.name(f"{slug}-experiment")
                },
            ),
        )
        if leftovers:
            raise AssertionError("the cleanup could not remove what the cut left: " + "; ".join(leftovers))

    def check_nothing_left(self, slug: str) -> None:
        name = self.run.resources.name(slug)
        if reg.find_registered_model(self.mlflow, name) is not None:
            raise AssertionError(f"model {name} is still in the registry after the cleanup")
        experiment = reg.find_experiment(self.mlflow, self.run.resources.name(f"{slug}-experiment"))
        if experiment is not None:
            raise AssertionError(f"the experiment of {name} is still active after the cleanup")

    # -- size limits

    def search_largest_upload(self, cap_mb: int) -> None:
        host = urlsplit(self.run.base_url).hostname or ""
        if host not in LOOPBACK_HOSTS:  # it uploads up to hundreds of megabytes
            self.skip(
                f"the size search uploads up to {cap_mb} MB; it runs only against a registry on this machine "
                f"(127.0.0.1), not {host}"
            )
            return
        folder = f"{self.run.resources.prefix}/size-search"
        rest = self.rest

        def stored_size(where: str) -> int | None:
            listing = expect.expect_success(rest.list_artifacts(where), "the artifact listing")
            return {f["path"].rsplit("/", 1)[-1]: f.get("file_size") for f in listing.get("files", [])}.get("model.bin")

        def upload(size_mb: int) -> size_limits.Upload:
            # one folder per size: deleting a folder works on every MLflow generation (2.x fails on a single file)
            where = f"{folder}/{size_mb}mb"
            started = time.perf_counter()
            try:
                reply = rest.upload_artifact(f"{where}/model.bin", size_limits.payload(size_mb), timeout=UPLOAD_SECONDS)
            except InfrastructureError as exc:
                failed = size_limits.Upload(
                    size_mb, None, time.perf_counter() - started, message=f"{type(exc).__name__}: {str(exc)[:200]}"
                )
                failed.stored_bytes = stored_size(where)  # a broken upload may still have left part of the file
                if failed.stored_bytes is not None:
                    expect.expect_success(rest.delete_artifact(where), "deleting the partly uploaded file")
                return failed
            seconds = time.perf_counter() - started
            stored = stored_size(where)
            if stored is not None:  # the search leaves nothing behind, whole or partial
                expect.expect_success(rest.delete_artifact(where), "deleting the uploaded file")
            return size_limits.Upload(size_mb, reply.status, seconds, message=_answer_text(reply), stored_bytes=stored)

        found = size_limits.search(upload, cap_mb=cap_mb)
        self.state.size_search = found
        self.run.measured["Largest model file the registry accepts"] = found.summary()
        for attempt in found.uploads:
            self.note(attempt.describe())

    def check_accepted_stored_whole(self) -> None:
        for attempt in self.state.size_search.uploads:
            if attempt.accepted and attempt.stored_bytes != attempt.size_mb * size_limits.MB:
                raise AssertionError(
                    f"the registry accepted {attempt.size_mb} MB but stores {attempt.stored_bytes} bytes of it"
                )

    def check_refused_clearly(self, status: int) -> None:
        found = self.state.size_search
        refused = found.smallest_refused
        if refused is None:  # nothing was refused: how a refusal reads could not be seen, so it is not claimed
            self.skip(
                f"the registry took every file up to {found.cap_mb} MB: no limit was reached, so how it refuses "
                f"one above its limit could not be seen"
            )
            return
        if refused.status is None:
            raise AssertionError(
                f"a file of {refused.size_mb} MB got no answer, not a refusal: {refused.message}; a "
                f"developer would see a broken connection or a timeout"
            )
        if refused.status != status or not refused.clear_refusal:
            raise AssertionError(
                f"a file of {refused.size_mb} MB was answered HTTP {refused.status} "
                f"'{refused.message[:200]}', not a {status} refusal with a message"
            )

    def check_refused_not_stored(self) -> None:
        partial = [a for a in self.state.size_search.uploads if not a.accepted and a.stored_bytes is not None]
        if partial:
            raise AssertionError(
                "refused uploads were stored in part: "
                + ", ".join(f"{a.size_mb} MB -> {a.stored_bytes} bytes" for a in partial)
            )

    def check_large_round_trip(self, min_mb: int) -> None:
        started = time.perf_counter()
        self.check_loads_and_predicts()
        size = self.state.downloaded_mb
        if size < min_mb:
            raise AssertionError(f"the model downloaded from the registry is {size:.1f} MB, not at least {min_mb} MB")
        self.note(
            f"{size:.0f} MB model: registered in {self.state.registration_seconds:.1f} s, "
            f"downloaded and loaded in {time.perf_counter() - started:.1f} s"
        )
