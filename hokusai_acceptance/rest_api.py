"""The MLflow REST API through the Hokusai proxy, call by call.

This is what the raw-REST registration path and the proxy checks use: every call
goes through :class:`HokusaiClient` (timeouts, evidence) and returns the
:class:`Reply`, so checks can look at statuses and bodies, not only results.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from .client import HokusaiClient, KeyForm, Reply
from .expectations import expect_success
from .routes import ARTIFACTS, MOUNT


@dataclass
class MlflowRest:
    client: HokusaiClient
    key: str | None
    mount: str = MOUNT
    key_form: KeyForm = KeyForm.BEARER

    @property
    def api(self) -> str:
        return f"{self.mount}/api/2.0/mlflow"

    def call(
        self,
        method: str,
        endpoint: str,
        *,
        body: Any = None,
        params: dict | None = None,
        data: bytes | str | None = None,
        headers: dict | None = None,
    ) -> Reply:
        path = endpoint if endpoint.startswith("/") and endpoint.startswith(self.mount) else f"{self.api}/{endpoint}"
        return self.client.request(
            method,
            path,
            key=self.key,
            key_form=self.key_form,
            json_body=body,
            params=params,
            data=data,
            headers=headers,
        )

    # -- tracking
    def create_experiment(self, name: str) -> Reply:
        return self.call("POST", "experiments/create", body={"name": name})

    def get_experiment(self, experiment_id: str) -> Reply:
        return self.call("GET", "experiments/get", params={"experiment_id": experiment_id})

    def search_experiments(self, max_results: int = 10, filter_string: str | None = None) -> Reply:
        body: dict[str, Any] = {"max_results": max_results}
        if filter_string:
            body["filter"] = filter_string
        return self.call("POST", "experiments/search", body=body)

    def create_run(self, experiment_id: str, run_name: str) -> Reply:
        return self.call(
            "POST",
            "runs/create",
            body={"experiment_id": experiment_id, "run_name": run_name, "start_time": int(time.time() * 1000)},
        )

    def log_metric(self, run_id: str, key: str, value: float, step: int = 0) -> Reply:
        return self.call(
            "POST",
            "runs/log-metric",
            body={"run_id": run_id, "key": key, "value": value, "step": step, "timestamp": int(time.time() * 1000)},
        )

    def metric_history(self, run_id: str, key: str) -> Reply:
        # the page size is named: some MLflow 3 servers answer a request without it with an empty first page
        # and a next_page_token, as the API allows; the histories the suite logs fit in one page
        return self.call(
            "GET", "metrics/get-history", params={"run_id": run_id, "metric_key": key, "max_results": 1000}
        )

    def get_run(self, run_id: str) -> Reply:
        return self.call("GET", "runs/get", params={"run_id": run_id})

    # -- registry
    def create_registered_model(self, name: str) -> Reply:
        return self.call("POST", "registered-models/create", body={"name": name})

    def get_registered_model(self, name: str) -> Reply:
        return self.call("GET", "registered-models/get", params={"name": name})

    def search_registered_models(self, filter_string: str, max_results: int = 100) -> Reply:
        return self.call(
            "GET", "registered-models/search", params={"filter": filter_string, "max_results": max_results}
        )

    def update_registered_model(self, name: str, description: str) -> Reply:
        return self.call("PATCH", "registered-models/update", body={"name": name, "description": description})

    def delete_registered_model(self, name: str) -> Reply:
        return self.call("DELETE", "registered-models/delete", body={"name": name})

    def create_model_version(self, name: str, source: str, run_id: str | None = None) -> Reply:
        body = {"name": name, "source": source}
        if run_id:
            body["run_id"] = run_id
        return self.call("POST", "model-versions/create", body=body)

    def set_model_version_tag(self, name: str, version: str, key: str, value: str) -> Reply:
        return self.call(
            "POST", "model-versions/set-tag", body={"name": name, "version": version, "key": key, "value": value}
        )

    def get_model_version(self, name: str, version: str) -> Reply:
        return self.call("GET", "model-versions/get", params={"name": name, "version": version})

    # -- artifacts (served by MLflow with --serve-artifacts)
    def upload_artifact(self, path: str, data: bytes, timeout: float | None = None) -> Reply:
        return self.client.request(
            "PUT",
            f"{self.mount}{ARTIFACTS}/{path}",
            key=self.key,
            key_form=self.key_form,
            data=data,
            headers={"Content-Type": "application/octet-stream"},
            timeout=timeout,
        )

    def delete_artifact(self, path: str) -> Reply:
        return self.client.request("DELETE", f"{self.mount}{ARTIFACTS}/{path}", key=self.key, key_form=self.key_form)

    def list_artifacts(self, path: str) -> Reply:
        return self.client.request(
            "GET",
            f"{self.mount}{ARTIFACTS}",
            key=self.key,
            key_form=self.key_form,
            params={"path": path},
        )

    def download_artifact(self, path: str) -> Reply:
        return self.client.request("GET", f"{self.mount}{ARTIFACTS}/{path}", key=self.key, key_form=self.key_form)


@dataclass
class RestRegistration:
    """The five-call raw-REST registration (contract section 6), with each reply kept."""

    experiment_id: str = ""
    run_id: str = ""
    name: str = ""
    version: str = ""
    steps: list[tuple[str, Reply]] = field(default_factory=list)


def register_via_rest(
    rest: MlflowRest, experiment_name: str, model_name: str, metric: str, value: float, tags: dict[str, str]
) -> RestRegistration:
    result = RestRegistration(name=model_name)

    def step(label: str, reply: Reply) -> dict:
        result.steps.append((label, reply))
        return expect_success(reply, label)

    result.experiment_id = step("experiments/create", rest.create_experiment(experiment_name))["experiment_id"]
    result.run_id = step("runs/create", rest.create_run(result.experiment_id, "rest-registration"))["run"]["info"][
        "run_id"
    ]
    step("runs/log-metric", rest.log_metric(result.run_id, metric, value))
    step("registered-models/create", rest.create_registered_model(model_name))
    created = step(
        "model-versions/create", rest.create_model_version(model_name, f"runs:/{result.run_id}/model", result.run_id)
    )
    result.version = str(created["model_version"]["version"])
    for key, tag_value in tags.items():
        step(f"model-versions/set-tag {key}", rest.set_model_version_tag(model_name, result.version, key, tag_value))
    return result
