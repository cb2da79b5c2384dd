"""A registration whose Hokusai tags cannot be written removes the version it made (apply_hokusai_tags)."""

from contextlib import contextmanager

import pytest

from hokusai_acceptance import registration as reg
from hokusai_acceptance.errors import RegistryCallFailed
from hokusai_acceptance.hokusai_tags import HokusaiMetadata


class FakeVersion:
    def __init__(self, version):
        self.version = version


class FakeClient:
    """Records the calls; refuses the token tag as a registry refusing a claimed token id would."""

    def __init__(self, versions_left=(), delete_fails=False):
        self.calls, self.versions_left, self.delete_fails = [], list(versions_left), delete_fails

    def set_model_version_tag(self, _name, _version, key, _value):
        self.calls.append(("set-tag", key))
        if key == "hokusai_token_id":
            raise RuntimeError("409 token id already claimed")

    def delete_model_version(self, _name, version):
        self.calls.append(("delete-version", version))
        if self.delete_fails:
            from mlflow.exceptions import MlflowException

            raise MlflowException("DELETE refused")

    def search_model_versions(self, _query):
        return [FakeVersion(v) for v in self.versions_left]

    def delete_registered_model(self, name):
        self.calls.append(("delete-model", name))


class FakeSession:
    def __init__(self, client):
        self._client = client

    def client(self):
        return self._client

    @contextmanager
    def active(self):
        yield self

    def call(self, what, fn):
        try:
            return fn()
        except RuntimeError as exc:
            failure = RegistryCallFailed(f"{what} failed (the registry answered HTTP 409): {exc}")
            failure.status = 409
            raise failure from None


REGISTRATION = reg.Registration(
    name="m", version="1", run_id="r", experiment_id="1", metadata=HokusaiMetadata("tok", "accuracy", "0.9")
)


def test_a_refused_tag_removes_the_untagged_version_and_the_empty_model():
    client = FakeClient()
    with pytest.raises(RegistryCallFailed) as raised:
        reg.apply_hokusai_tags(FakeSession(client), REGISTRATION)
    assert client.calls == [("set-tag", "hokusai_token_id"), ("delete-version", "1"), ("delete-model", "m")]
    assert raised.value.status == 409 and "version 1 and the then empty model m were removed" in str(raised.value)


def test_a_model_with_other_versions_keeps_them():
    client = FakeClient(versions_left=["2"])
    with pytest.raises(RegistryCallFailed) as raised:
        reg.apply_hokusai_tags(FakeSession(client), REGISTRATION)
    assert ("delete-model", "m") not in client.calls and "the untagged version 1 was removed" in str(raised.value)


def test_a_removal_that_fails_is_said_and_left_to_the_cleanup():
    client = FakeClient(delete_fails=True)
    with pytest.raises(RegistryCallFailed) as raised:
        reg.apply_hokusai_tags(FakeSession(client), REGISTRATION)
    assert "could not be removed" in str(raised.value) and "cleanup removes it" in str(raised.value)
