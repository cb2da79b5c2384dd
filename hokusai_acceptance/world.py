"""The scenario world: the domain actions and checks the step definitions call.

One :class:`SuiteRun` lives for the whole run (settings, target, keys, what the
run created); one :class:`RegistryWorld` per scenario holds what the scenario
did and saw. Steps are one-liners into these methods.
"""
from __future__ import annotations

import secrets
import string
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import expectations as expect
from . import registration as reg
from .client import HokusaiClient, KeyForm, Reply
from .errors import ConfigError
from .evidence import EvidenceLog
from .hokusai_tags import METRIC_TAG, TOKEN_ID_TAG, VALUE_TAG, readiness_problems, validate
from .redaction import register_secret
from .settings import Settings

EXPERIMENTS_SEARCH = "/api/mlflow/api/2.0/mlflow/experiments/search"


@dataclass
class SuiteRun:
    """Everything shared by the scenarios of one run."""

    settings: Settings
    keys: dict[str, str | None] = field(repr=False)
    stack: Any = None                        # EmbeddedStack when the suite started one
    resources: reg.CreatedResources | None = None

    def __post_init__(self) -> None:
        if self.resources is None:
            self.resources = reg.CreatedResources(prefix=f"hk-accept-{self.settings.run_id}")

    @property
    def base_url(self) -> str:
        return self.settings.api_url or ""

    def session(self, key: str | None) -> reg.MlflowSession:
        return reg.MlflowSession(self.settings.tracking_uri, key, timeout=self.settings.mlflow_timeout,
                                 retries=self.settings.mlflow_retries)

    def cleanup(self) -> list[str]:
        key = self.keys.get("valid")
        if not (self.resources.models or self.resources.experiments) or not key:
            return []
        return reg.cleanup(self.session(key), self.resources)


def never_issued_key() -> str:
    key = "hk_live_" + "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))
    register_secret(key)
    return key


class RegistryWorld:
    def __init__(self, run: SuiteRun):
        self.run = run
        self.evidence = EvidenceLog()
        self.client = HokusaiClient(run.base_url, connect_timeout=run.settings.connect_timeout,
                                    read_timeout=run.settings.read_timeout)
        self.key: str | None = None
        self.key_role = "none"
        self.reply: Reply | None = None
        self.trained: reg.TrainedModel | None = None
        self.registration: reg.Registration | None = None
        self.notes: list[str] = []

    def close(self) -> None:
        self.client.close()

    # ------------------------------------------------------------ keys

    def use_key(self, role: str) -> None:
        """Pick the key a scenario acts with: valid, read-only, revoked, expired, never issued, none."""
        if role == "never issued":
            self.key = never_issued_key()
        elif role == "none":
            self.key = None
        else:
            key = self.run.keys.get(role)
            if not key:
                raise ConfigError(f"no {role} key is configured for this target "
                                  f"(set HOKUSAI_{role.upper().replace('-', '')}_API_KEY)")
            self.key = key
        self.key_role = role

    @property
    def mlflow(self) -> reg.MlflowSession:
        return self.run.session(self.key)

    # ------------------------------------------------------------ health

    def ask_health(self, with_key: bool = False) -> None:
        self.reply = self.client.get("/health", key=self.key if with_key else None)

    def check_healthy(self) -> None:
        body = expect.expect_success(self.reply, "GET /health")
        expect.expect_json_keys(body, ["status", "services"], "the health report")
        expect.expect_equal(body["status"], "healthy", "the reported health")

    def check_health_names_services(self, *services: str) -> None:
        body = self.reply.json()
        reported = body.get("services") or {}
        missing = [s for s in services if s not in reported]
        if missing:
            raise AssertionError(f"the health report does not mention {', '.join(missing)}; it lists "
                                 f"{', '.join(sorted(reported)) or 'nothing'}")
        unhealthy = {s: reported[s] for s in services if reported[s] != "healthy"}
        if unhealthy:
            raise AssertionError(f"the health report shows unhealthy services: {unhealthy}")

    # ------------------------------------------------------------ authentication

    def call_registry(self, key_form: KeyForm | None = KeyForm.BEARER) -> None:
        """A harmless authenticated read: list one experiment."""
        key = self.key if key_form is not None else None
        self.reply = self.client.get(EXPERIMENTS_SEARCH, params={"max_results": 1}, key=key,
                                     key_form=key_form or KeyForm.BEARER)

    def check_accepted(self) -> None:
        body = expect.expect_success(self.reply, "the authenticated call")
        expect.expect_json_keys(body, ["experiments"], "the experiment list")

    def check_refused(self, status: int, detail: str) -> None:
        expect.expect_refusal(self.reply, status, detail)

    # ------------------------------------------------------------ registration

    def train_classifier(self) -> None:
        self.trained = reg.train_classifier()

    def register_model(self, slug: str, token_id: str, metric: str, value: str) -> None:
        metadata = validate(token_id, metric, value)
        name = self.run.resources.name(slug)
        self.registration = reg.register_model(self.mlflow, self.run.resources, self.trained, name, metadata,
                                               description=f"Registered by the Hokusai acceptance suite "
                                                           f"(run {self.run.settings.run_id})")

    def check_model_in_registry(self, version: int) -> None:
        name = self.registration.name
        found = reg.find_registered_model(self.mlflow, name)
        if found is None:
            raise AssertionError(f"model {name} is not in the registry at {self.run.settings.tracking_uri}")
        versions = sorted(int(v.version) for v in reg.registered_versions(self.mlflow, name))
        if version not in versions:
            raise AssertionError(f"model {name} has versions {versions}, not version {version}")
        expect.expect_equal(self.registration.version, str(version), "the version the registration returned")

    def check_hokusai_tags(self, token_id: str, metric: str, value: str) -> None:
        mv = reg.model_version(self.mlflow, self.registration.name, self.registration.version)
        tags = dict(mv.tags)
        problems = readiness_problems(tags)
        if problems:
            raise AssertionError(f"the registered version is not Hokusai-ready: {'; '.join(problems)}")
        expect.expect_equal(tags[TOKEN_ID_TAG], token_id, "the hokusai_token_id tag")
        expect.expect_equal(tags[METRIC_TAG], metric, "the benchmark_metric tag")
        expect.expect_equal(float(tags[VALUE_TAG]), float(value), "the benchmark_value tag")

    def check_loads_and_predicts(self) -> None:
        predicted = reg.load_and_predict(self.mlflow, self.registration.model_uri, self.trained.features)
        original = np.asarray(self.trained.predictions)
        if predicted.shape != original.shape or not np.array_equal(predicted, original):
            differing = int(np.sum(predicted != original)) if predicted.shape == original.shape else "all"
            raise AssertionError(f"the model loaded from the registry predicts differently: {differing} of "
                                 f"{len(original)} predictions differ")
