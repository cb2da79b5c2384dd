"""Acceptance suite for third-party model registration with Hokusai.

The package is the domain layer behind the Gherkin features: settings and
redaction, an evidence-recording HTTP client, MLflow registration flows, the
expectations the steps check, and (in :mod:`hokusai_acceptance.stack`) the
embedded reference stack the suite runs against by default.
"""

import os

# Nothing the suite starts may call out of the machine.
for _name in ("MLFLOW_DISABLE_TELEMETRY", "DO_NOT_TRACK", "AWS_EC2_METADATA_DISABLED"):
    os.environ.setdefault(_name, "true")

__version__ = "0.1.0"
