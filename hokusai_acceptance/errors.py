"""Typed failures.

A *product defect* -- the target answered, but not as the contract says -- is an
``AssertionError`` (Allure: failed). Everything in this module is an
infrastructure, transport or configuration problem (Allure: broken); each carries
the evidence a diagnosis needs, already redacted.
"""

from __future__ import annotations

from .redaction import redact


class SuiteError(Exception):
    """Base of the suite's own exceptions; the message is always redacted."""

    def __init__(self, message: str, *, evidence: object | None = None):
        self.evidence = evidence
        super().__init__(redact(message))


class ConfigError(SuiteError):
    """The suite was started with unusable settings (exit code 2)."""


class InfrastructureError(SuiteError):
    """The target could not be exercised: transport, routing or a dependency failed."""

    component = "unknown"
    status: int | None = None  # the HTTP status of the answer that made the call fail, when one came


class TargetUnreachable(InfrastructureError):
    """Nothing accepted the connection (refused, DNS failure, no route)."""

    component = "network"


class TargetNotResponding(InfrastructureError):
    """A connection was made but no answer came within the timeout."""

    component = "network"


class UnexpectedAnswer(InfrastructureError):
    """Something answered, but not the Hokusai API (HTML page, plain text, garbage, redirect)."""

    component = "routing"


class DependencyFailed(InfrastructureError):
    """The API answered, saying a dependency behind it failed (the auth service, MLflow)."""

    component = "dependency"


class RegistryCallFailed(InfrastructureError):
    """An MLflow client call through the registry failed; the evidence says how."""

    component = "registry"
    answer: str = ""  # the registry's own message, as the MLflow client reports it


class StackError(SuiteError):
    """The embedded reference stack could not be started or controlled."""


class ContractDiffers(AssertionError):
    """The product answered as the contract says in substance (the status, who answered) but differs in a detail
    a newer or another implementation changes: its words, a document's shape. Allure: failed (the contract is not
    met as written); the diagnosis lists it under "differs from this suite's contract" for the suite maintainers
    to decide, never as an infrastructure defect."""
