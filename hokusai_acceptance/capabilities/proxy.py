"""The MLflow proxy: what passes through, what is rewritten, what is stripped."""

from __future__ import annotations

import hashlib
import os
import time
from typing import TYPE_CHECKING

from .. import expectations as expect
from ..classify import looks_like_registry
from ..client import KeyForm
from ..evidence import expecting
from ..rest_api import MlflowRest
from ..state import ProxyState
from .base import Capability

if TYPE_CHECKING:  # pragma: no cover
    from ..world import RegistryWorld


class ProxyChecks(Capability):
    def __init__(self, world: RegistryWorld) -> None:
        super().__init__(world)
        self.state = ProxyState()

    def create_experiment_and_run(self) -> None:
        name = self.run.resources.name(f"proxy-{int(time.time() * 1000)}")
        created = expect.expect_success(self.rest.create_experiment(name), "experiments/create")
        self.state.experiment_id = created["experiment_id"]
        self.run.resources.experiments[name] = self.state.experiment_id
        self.state.experiment_name = name
        run = expect.expect_success(self.rest.create_run(self.state.experiment_id, "proxy-check"), "runs/create")
        self.state.run_id = run["run"]["info"]["run_id"]

    def log_metric_series(self, key: str, values: list[float]) -> None:
        for step, value in enumerate(values):
            expect.expect_success(self.rest.log_metric(self.state.run_id, key, value, step), "runs/log-metric")

    def check_experiment_found(self) -> None:
        body = expect.expect_success(self.rest.get_experiment(self.state.experiment_id), "experiments/get")
        expect.expect_equal(body["experiment"]["name"], self.state.experiment_name, "the experiment read back")
        found = expect.expect_success(
            self.rest.search_experiments(filter_string=f"name = '{self.state.experiment_name}'"),
            "experiments/search",
        )
        names = [e["name"] for e in found.get("experiments", [])]
        expect.expect_equal(names, [self.state.experiment_name], "experiments found by name")

    def check_metric_history(self, key: str, values: list[float]) -> None:
        body = expect.expect_success(self.rest.metric_history(self.state.run_id, key), "metrics/get-history")
        got = [m["value"] for m in sorted(body.get("metrics", []), key=lambda m: m["step"])]
        expect.expect_equal(got, values, f"the history of {key}")

    def upload_artifact(self, size_kb: int) -> None:
        self.state.artifact_bytes = os.urandom(size_kb * 1024)
        self.state.artifact_path = f"{self.run.resources.prefix}/proxy-check/{int(time.time() * 1000)}/blob.bin"
        expect.expect_status(
            self.rest.upload_artifact(self.state.artifact_path, self.state.artifact_bytes),
            200,
            "the artifact upload",
        )

    def check_artifact_listed_and_identical(self) -> None:
        folder, filename = self.state.artifact_path.rsplit("/", 1)
        listing = expect.expect_success(self.rest.list_artifacts(folder), "the artifact listing")
        files = {f["path"]: f.get("file_size") for f in listing.get("files", [])}
        expect.expect_equal(files.get(filename), len(self.state.artifact_bytes), f"the listed size of {filename}")
        reply = self.rest.download_artifact(self.state.artifact_path)
        expect.expect_status(reply, 200, "the artifact download")
        sent = hashlib.sha256(self.state.artifact_bytes).hexdigest()
        expect.expect_equal(hashlib.sha256(reply.body).hexdigest(), sent, "the checksum of the downloaded artifact")

    # -- registry operations on the run's own models
    def create_registered_model(self, slug: str) -> None:
        self.state.model_name = self.run.resources.name(slug)
        self.run.resources.add_model(self.state.model_name)
        expect.expect_success(self.rest.create_registered_model(self.state.model_name), "registered-models/create")

    def check_model_searchable(self) -> None:
        body = expect.expect_success(
            self.rest.search_registered_models(f"name = '{self.state.model_name}'"), "registered-models/search"
        )
        names = [m["name"] for m in body.get("registered_models", [])]
        expect.expect_equal(names, [self.state.model_name], "models found by name")

    def update_description(self, text: str) -> None:
        expect.expect_success(
            self.rest.update_registered_model(self.state.model_name, text), "registered-models/update"
        )
        self.state.description = text

    def check_description(self) -> None:
        body = expect.expect_success(self.rest.get_registered_model(self.state.model_name), "registered-models/get")
        expect.expect_equal(body["registered_model"].get("description"), self.state.description, "the description")

    def delete_model(self) -> None:
        expect.expect_success(self.rest.delete_registered_model(self.state.model_name), "registered-models/delete")

    def check_model_gone(self) -> None:
        with expecting(404, why="reading a model the scenario deleted"):
            reply = self.rest.get_registered_model(self.state.model_name)
        expect.expect_status(reply, 404, "reading a deleted model")
        expect.expect_equal(reply.json().get("error_code"), "RESOURCE_DOES_NOT_EXIST", "the MLflow error code")

    # -- pass-through rules
    def ask_for_missing_experiment(self) -> None:
        self.calls.reply = self.rest.get_experiment("987654321")

    def ask_for_unknown_mlflow_page(self) -> None:
        self.calls.reply = self.client.get("/api/mlflow/this/page/does/not/exist", key=self.key)

    def check_mlflow_error(self, status: int, error_code: str) -> None:
        expect.expect_status(self.calls.reply, status, "the proxied error")
        body = self.calls.reply.json()
        expect.expect_equal(
            body.get("error_code") if isinstance(body, dict) else None, error_code, "the MLflow error code"
        )

    def search_with_limit(self, limit: int) -> None:
        self.calls.reply = self.client.get(
            "/api/mlflow/api/2.0/mlflow/registered-models/search", key=self.key, params={"max_results": limit}
        )

    def check_limit_respected(self, limit: int) -> None:
        body = expect.expect_success(self.calls.reply, "registered-models/search")
        if len(body.get("registered_models", [])) > limit:
            raise AssertionError(
                f"asked for at most {limit} models, got {len(body['registered_models'])}: "
                f"the query string was not forwarded"
            )

    def call_through_mount(self, mount: str) -> None:
        self.calls.reply = MlflowRest(self.client, self.key, mount=mount).search_experiments(max_results=1)

    def call_without_key(self, path: str) -> None:
        self.calls.reply = self.client.get(path, params={"max_results": 1} if "/search" in path else None)

    def check_refused_without_registry_data(self) -> None:
        if self.calls.reply.exchange is not None and looks_like_registry(self.calls.reply.exchange):
            raise AssertionError(f"registry data is served without any key: {self.calls.reply.describe()}")
        expect.expect_status(self.calls.reply, {401, 403}, "a call without a key")

    def check_experiments_listed(self) -> None:
        body = expect.expect_success(self.calls.reply, "the experiment search")
        expect.expect_json_keys(body, ["experiments"], "the experiment search answer")

    # -- what the gateway forwards (embedded stack: an inspection upstream records it)
    def send_through_inspection_gateway(self, method: str) -> None:
        with self.stack.inspect_forwarding() as (url, seen):
            reply = self.client.request(
                method,
                f"{url}/api/mlflow/api/2.0/mlflow/inspect/me?a=1&b=two",
                key=self.key,
                key_form=KeyForm.BEARER,
                headers={"X-API-Key": self.key or "", "X-Custom": "kept"},
                json_body={"probe": True} if method != "GET" else None,
            )
            expect.expect_status(reply, 200, "the call through the inspection gateway")
            self.state.forwarded = list(seen)

    def check_forwarded_request(self, method: str) -> None:
        if len(self.state.forwarded) != 1:
            raise AssertionError(f"the upstream saw {len(self.state.forwarded)} requests, expected 1")
        seen = self.state.forwarded[0]
        expect.expect_equal(seen["method"], method, "the method MLflow received")
        expect.expect_equal(seen["path"], "/api/2.0/mlflow/inspect/me?a=1&b=two", "the path and query MLflow received")
        headers = seen["headers"]
        leaked = [h for h in ("authorization", "x-api-key") if h in headers]
        if leaked:
            raise AssertionError(f"credentials reached MLflow in: {', '.join(leaked)}")
        if self.key and any(self.key in v for v in headers.values()):
            raise AssertionError("the API key reached MLflow inside another header")
        expect.expect_equal(headers.get("x-custom"), "kept", "an ordinary header")
        for name in ("x-hokusai-user-id", "x-hokusai-api-key-id"):
            if not headers.get(name):
                raise AssertionError(f"MLflow did not receive the identity header {name}")
        if headers.get("host", "").split(":")[0] != "127.0.0.1":
            raise AssertionError(f"the Host header was not rewritten for the upstream: {headers.get('host')!r}")
