from pathlib import Path

import pytest

from hokusai_acceptance.stack.launcher import EmbeddedStack

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items):
    """Every test in this directory is an integration test, whether or not its module says so."""
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def stack():
    with EmbeddedStack() as running:
        yield running
