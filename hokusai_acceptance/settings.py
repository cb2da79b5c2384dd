"""Where the suite points and with which keys.

Configuration comes from the environment, then from a ``.env`` file in the
working directory (the environment wins). Without ``HOKUSAI_API_URL`` the suite
starts the embedded reference stack and uses its keys.
"""

from __future__ import annotations

import getpass
import os
import re
import secrets
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import dotenv_values
from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, ValidationError
from pydantic_core import ErrorDetails

from .errors import ConfigError
from .redaction import register_secret

#: the host names that mean this machine
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def is_loopback(url: str) -> bool:
    """Whether the URL points at this machine."""
    return (urlsplit(url).hostname or "") in LOOPBACK_HOSTS


KEY_SHAPE = re.compile(r"^hk_(live|test)_[A-Za-z0-9]{32}$")

#: Suffixes users paste by mistake: the tracking URI or the SDK endpoint.
_KNOWN_SUFFIXES = ("/api/mlflow", "/api")


@dataclass(frozen=True)
class Settings:
    """Resolved configuration for one run."""

    api_url: str | None  # base URL, e.g. https://registry.hokus.ai; None = embedded stack
    api_key: str | None = field(default=None, repr=False)
    readonly_key: str | None = field(default=None, repr=False)
    revoked_key: str | None = field(default=None, repr=False)
    second_key: str | None = field(default=None, repr=False)  # another developer's key (another user)
    rotated_key: str | None = field(default=None, repr=False)  # a second key of the developer of api_key
    connect_timeout: float = 3.0
    read_timeout: float = 15.0
    mlflow_timeout: float = 30.0
    mlflow_retries: int = 0
    run_id: str = ""
    notes: tuple[str, ...] = ()
    auth_url: str | None = None  # the auth service, asked directly by the diagnosis when set
    expected_version: str | None = None  # HOKUSAI_EXPECTED_VERSION: compared with what the target reports
    expected_commit: str | None = None  # HOKUSAI_EXPECTED_COMMIT
    fuzz_writes: bool = False  # HOKUSAI_FUZZ_WRITES=1: generated writes against a remote target too

    @property
    def embedded(self) -> bool:
        return self.api_url is None

    @property
    def target_url(self) -> str:
        """The target's base URL (the embedded stack's once it has started)."""
        if self.api_url is None:
            raise ConfigError("the embedded stack has not been started yet")
        return self.api_url

    @property
    def tracking_uri(self) -> str:
        if self.api_url is None:
            raise ConfigError("the embedded stack has not been started yet")
        return f"{self.api_url}/api/mlflow"

    def with_target(
        self,
        api_url: str,
        api_key: str,
        readonly_key: str | None = None,
        revoked_key: str | None = None,
        second_key: str | None = None,
        rotated_key: str | None = None,
        auth_url: str | None = None,
    ) -> Settings:
        for key in (api_key, readonly_key, revoked_key, second_key, rotated_key):
            register_secret(key)
        return replace(
            self,
            api_url=api_url,
            api_key=api_key,
            readonly_key=readonly_key,
            revoked_key=revoked_key,
            second_key=second_key,
            rotated_key=rotated_key,
            auth_url=auth_url or self.auth_url,
        )


def new_run_id() -> str:
    """A short, sortable, collision-resistant id used to namespace everything a run creates."""
    return time.strftime("%Y%m%d%H%M%S", time.gmtime()) + secrets.token_hex(3)


def normalise_url(raw: str, variable: str = "HOKUSAI_API_URL") -> tuple[str, list[str]]:
    """Validate and normalise a base URL given in ``variable``; returns the URL and notes on what changed."""
    notes: list[str] = []
    value = raw.strip()
    if not value:
        hint = "; unset it to use the embedded stack" if variable == "HOKUSAI_API_URL" else ""
        raise ConfigError(f"{variable} is empty{hint}")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https"):
        raise ConfigError(f"{variable} must start with http:// or https:// (got {value!r})")
    if not parts.hostname:
        raise ConfigError(f"{variable} has no host name (got {value!r})")
    if parts.username or parts.password:
        raise ConfigError(f"{variable} must not carry credentials; put the key in HOKUSAI_API_KEY")
    if parts.query or parts.fragment:
        raise ConfigError(f"{variable} must not have a query string or fragment")
    try:
        _ = parts.port  # urllib parses the port lazily: a bad one raises only here
    except ValueError:
        raise ConfigError(f"{variable} has an invalid port (got {value!r})") from None
    path = parts.path.rstrip("/")
    for suffix in _KNOWN_SUFFIXES:
        if path.endswith(suffix):
            path = path[: -len(suffix)]
            notes.append(f"{variable} ended in {suffix!r}; using the base URL without it")
            break
    if parts.scheme == "http" and (parts.hostname or "") not in LOOPBACK_HOSTS:
        notes.append(f"{variable} uses plain http: the production load balancer redirects to https")
    return f"{parts.scheme}://{parts.netloc}{path}", notes


def _merged_environment(env: Mapping[str, str] | None, dotenv_path: Path | None) -> dict[str, str]:
    """The variables of the run: a ``.env`` file in the working directory, overridden by the environment."""
    merged: dict[str, str] = {}
    path = dotenv_path if dotenv_path is not None else Path.cwd() / ".env"
    if path.is_file():
        merged.update({k: v for k, v in dotenv_values(path).items() if v is not None})
    merged.update(env if env is not None else os.environ)
    return merged


class _Variables(BaseModel):
    """The suite's environment variables, parsed and checked by pydantic (unset and empty mean the default)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, frozen=True)

    api_url: str = Field("", alias="HOKUSAI_API_URL")
    api_key: str = Field("", alias="HOKUSAI_API_KEY", repr=False)
    readonly_key: str | None = Field(None, alias="HOKUSAI_READONLY_API_KEY", repr=False)
    revoked_key: str | None = Field(None, alias="HOKUSAI_REVOKED_API_KEY", repr=False)
    second_key: str | None = Field(None, alias="HOKUSAI_SECOND_API_KEY", repr=False)
    rotated_key: str | None = Field(None, alias="HOKUSAI_ROTATED_API_KEY", repr=False)
    auth_url: str | None = Field(None, alias="HOKUSAI_AUTH_URL")
    connect_timeout: PositiveFloat = Field(3.0, alias="HOKUSAI_CONNECT_TIMEOUT")
    read_timeout: PositiveFloat = Field(15.0, alias="HOKUSAI_READ_TIMEOUT")
    mlflow_timeout: PositiveFloat = Field(30.0, alias="HOKUSAI_MLFLOW_TIMEOUT")
    run_id: str = Field(default_factory=lambda: new_run_id(), alias="HOKUSAI_RUN_ID", pattern=r"^[a-z0-9]{6,32}$")
    expected_version: str | None = Field(None, alias="HOKUSAI_EXPECTED_VERSION")
    expected_commit: str | None = Field(None, alias="HOKUSAI_EXPECTED_COMMIT")
    fuzz_writes: bool = Field(False, alias="HOKUSAI_FUZZ_WRITES")

    @classmethod
    def read(cls, values: Mapping[str, str]) -> _Variables:
        known = {f.alias for f in cls.model_fields.values() if f.alias}
        given = {k: v for k, v in values.items() if k in known and v.strip()}
        try:
            return cls.model_validate(given)
        except ValidationError as exc:
            raise ConfigError("; ".join(_problem(e) for e in exc.errors())) from None


#: what a malformed value of each kind must be, in words
_WANTED = {
    "float_parsing": "must be a number of seconds",
    "greater_than": "must be positive",
    "string_pattern_mismatch": "must be 6-32 lower-case letters or digits",
    "bool_parsing": "must be 1 (yes) or 0 (no)",
}


def _problem(error: ErrorDetails) -> str:
    """One validation problem in one line; only the variable's name is shown, never a value that may be a key."""
    name = str(error["loc"][0]) if error["loc"] else "a variable"
    return f"{name} {_WANTED.get(error['type'], error['msg'].lower())}"


def load_settings(
    env: Mapping[str, str] | None = None, *, dotenv_path: Path | None = None, interactive: bool | None = None
) -> Settings:
    """Resolve the configuration, raising :class:`ConfigError` with a one-line reason."""
    variables = _Variables.read(_merged_environment(env, dotenv_path))
    if interactive is None:
        interactive = sys.stdin is not None and sys.stdin.isatty() and os.environ.get("CI") != "true"
    base = Settings(
        api_url=None,
        run_id=variables.run_id,
        connect_timeout=variables.connect_timeout,
        read_timeout=variables.read_timeout,
        mlflow_timeout=variables.mlflow_timeout,
        expected_version=variables.expected_version,
        expected_commit=variables.expected_commit,
        fuzz_writes=variables.fuzz_writes,
    )
    if not variables.api_url:
        return base
    api_url, notes = normalise_url(variables.api_url)
    api_key = variables.api_key or _ask_for_key(interactive)
    if any(c.isspace() for c in api_key):
        raise ConfigError("HOKUSAI_API_KEY contains white space; check the value you pasted")
    if not KEY_SHAPE.match(api_key):
        notes.append("HOKUSAI_API_KEY does not look like hk_live_/hk_test_ + 32 characters")
    keys = (api_key, variables.readonly_key, variables.revoked_key, variables.second_key, variables.rotated_key)
    for key in keys:
        register_secret(key)
    if variables.second_key is not None and variables.second_key in (api_key, variables.rotated_key):
        raise ConfigError("HOKUSAI_SECOND_API_KEY is one of your own keys: it must be a key of another developer")
    if variables.rotated_key is not None and variables.rotated_key == api_key:
        raise ConfigError("HOKUSAI_ROTATED_API_KEY is HOKUSAI_API_KEY itself: it must be your other key")
    return replace(
        base,
        api_url=api_url,
        api_key=api_key,
        readonly_key=variables.readonly_key,
        revoked_key=variables.revoked_key,
        second_key=variables.second_key,
        rotated_key=variables.rotated_key,
        notes=tuple(notes),
        auth_url=normalise_url(variables.auth_url, "HOKUSAI_AUTH_URL")[0] if variables.auth_url else None,
    )


def _ask_for_key(interactive: bool) -> str:
    if not interactive:
        raise ConfigError("HOKUSAI_API_KEY is not set: export it or put it in .env (a remote target needs a key)")
    key = getpass.getpass("Hokusai API key (input hidden): ").strip()
    if not key:
        raise ConfigError("no API key entered")
    return key
