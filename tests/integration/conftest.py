import pytest

from hokusai_acceptance.stack.launcher import EmbeddedStack

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def stack():
    with EmbeddedStack() as running:
        yield running
