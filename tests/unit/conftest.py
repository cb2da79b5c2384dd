import pytest

from hokusai_acceptance import redaction


@pytest.fixture(autouse=True)
def _fresh_secret_registry():
    redaction.forget_secrets()
    yield
    redaction.forget_secrets()
