"""Acceptance suite for third-party model registration with Hokusai.

The package is the domain layer behind the Gherkin features: settings and
redaction, an evidence-recording HTTP client, MLflow registration flows, the
expectations the steps check, and (in :mod:`hokusai_acceptance.stack`) the
embedded reference stack the suite runs against by default.
"""

import os
from importlib.metadata import PackageNotFoundError, version

# Nothing the suite starts may call out of the machine.
for _name in ("MLFLOW_DISABLE_TELEMETRY", "DO_NOT_TRACK", "AWS_EC2_METADATA_DISABLED"):
    os.environ.setdefault(_name, "true")

try:  # one version number: pyproject.toml's, as installed by `make`
    __version__ = version("hokusai-acceptance")
except PackageNotFoundError:  # pragma: no cover - run from a source tree that was never installed
    __version__ = "0+unknown"
