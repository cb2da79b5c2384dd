"""Where the suite points and with which keys.

Configuration comes from the environment, then from a ``.env`` file in the
working directory (the environment wins). Without ``HOKUSAI_API_URL`` the suite
starts the embedded reference stack and uses its keys. One pydantic model reads
and checks the variables; a bad value is a one-line :class:`ConfigError` that
names the variable, never its value.
"""

from __future__ import annotations

import getpass
import os
import re
import secrets
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dotenv import dotenv_values
from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, ValidationError, model_validator
from pydantic_core import ErrorDetails

from .errors import ConfigError
from .personas import CONFIGURABLE, DEVELOPER, ROTATED, SECOND_DEVELOPER
from .redaction import register_secret

#: the host names that mean this machine
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def is_loopback(url: str) -> bool:
    """Whether the URL points at this machine."""
    return (urlsplit(url).hostname or "") in LOOPBACK_HOSTS


KEY_SHAPE = re.compile(r"^hk_(live|test)_[A-Za-z0-9]{32}$")

#: Suffixes users paste by mistake: the tracking URI or the SDK endpoint.
_KNOWN_SUFFIXES = ("/api/mlflow", "/api")


class Settings(BaseModel):
    """Resolved configuration for one run (built from the variables by :func:`load_settings`)."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    api_url: str | None = Field(None, alias="HOKUSAI_API_URL")  # base URL; None = embedded stack
    #: the key of each persona the run was given (personas.py), by role; secrets, never shown
    keys: dict[str, str] = Field(default_factory=dict, repr=False)
    connect_timeout: PositiveFloat = Field(3.0, alias="HOKUSAI_CONNECT_TIMEOUT")
    read_timeout: PositiveFloat = Field(15.0, alias="HOKUSAI_READ_TIMEOUT")
    mlflow_timeout: PositiveFloat = Field(30.0, alias="HOKUSAI_MLFLOW_TIMEOUT")
    mlflow_retries: int = 0
    run_id: str = Field(default_factory=lambda: new_run_id(), alias="HOKUSAI_RUN_ID", pattern=r"^[a-z0-9]{6,32}$")
    notes: tuple[str, ...] = ()
    auth_url: str | None = Field(None, alias="HOKUSAI_AUTH_URL")  # the auth service, asked directly when set
    expected_version: str | None = Field(None, alias="HOKUSAI_EXPECTED_VERSION")
    expected_commit: str | None = Field(None, alias="HOKUSAI_EXPECTED_COMMIT")
    fuzz_writes: bool = Field(False, alias="HOKUSAI_FUZZ_WRITES")  # generated writes against a remote target

    @model_validator(mode="before")
    @classmethod
    def _from_variables(cls, data: Any) -> Any:
        """From the variables as given: empty means unset, URLs are normalised (with notes on what changed), the
        personas' keys are gathered and checked."""
        if not isinstance(data, Mapping) or "keys" in data:
            return data  # fields, not variables
        given = {k: v.strip() for k, v in data.items() if isinstance(v, str) and v.strip()}
        fields: dict[str, Any] = dict(given)
        notes: list[str] = []
        if "HOKUSAI_API_URL" in given:
            fields["HOKUSAI_API_URL"], notes = normalise_url(given["HOKUSAI_API_URL"])
        if "HOKUSAI_AUTH_URL" in given:
            fields["HOKUSAI_AUTH_URL"] = normalise_url(given["HOKUSAI_AUTH_URL"], "HOKUSAI_AUTH_URL")[0]
        keys = {p.role: given[p.variable] for p in CONFIGURABLE if p.variable and p.variable in given}
        fields["keys"], fields["notes"] = keys, tuple(notes + _check_keys(keys))
        return fields

    @property
    def embedded(self) -> bool:
        return self.api_url is None

    @property
    def api_key(self) -> str | None:
        """The developer's own key (the run's main persona)."""
        return self.keys.get(DEVELOPER.role)

    @property
    def target_url(self) -> str:
        """The target's base URL (the embedded stack's once it has started)."""
        if self.api_url is None:
            raise ConfigError("the embedded stack has not been started yet")
        return self.api_url

    @property
    def tracking_uri(self) -> str:
        return f"{self.target_url}/api/mlflow"

    def with_target(self, api_url: str, keys: Mapping[str, str], auth_url: str | None = None) -> Settings:
        """The same settings pointed at a target started for the run (the embedded stack) and its keys."""
        for key in keys.values():
            register_secret(key)
        return self.model_copy(update={"api_url": api_url, "keys": dict(keys), "auth_url": auth_url or self.auth_url})


def _check_keys(keys: Mapping[str, str]) -> list[str]:
    """Register every key as a secret and check them; returns notes (a key shape Hokusai does not issue)."""
    for key in keys.values():
        register_secret(key)
    notes = []
    developer = keys.get(DEVELOPER.role)
    if developer is not None:
        if any(c.isspace() for c in developer):
            raise ConfigError("HOKUSAI_API_KEY contains white space; check the value you pasted")
        if not KEY_SHAPE.match(developer):
            notes.append(
                "HOKUSAI_API_KEY does not look like a Hokusai key (hk_live_ or hk_test_ and 32 characters); "
                "if the target refuses it with 401, check the key first"
            )
    own = {developer, keys.get(ROTATED.role)} - {None}
    if keys.get(SECOND_DEVELOPER.role) in own:
        raise ConfigError("HOKUSAI_SECOND_API_KEY is one of your own keys: it must be a key of another developer")
    if developer is not None and keys.get(ROTATED.role) == developer:
        raise ConfigError("HOKUSAI_ROTATED_API_KEY is HOKUSAI_API_KEY itself: it must be your other key")
    return notes


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
    variables = _merged_environment(env, dotenv_path)
    if interactive is None:
        interactive = sys.stdin is not None and sys.stdin.isatty() and os.environ.get("CI") != "true"
    url = (variables.get("HOKUSAI_API_URL") or "").strip()
    if url:
        normalise_url(url)  # a malformed URL is said first: no key is asked for a target that cannot be reached
        if not (variables.get("HOKUSAI_API_KEY") or "").strip():
            variables["HOKUSAI_API_KEY"] = _ask_for_key(interactive)
    try:
        return Settings.model_validate(variables)
    except ValidationError as exc:
        raise ConfigError("; ".join(_problem(e) for e in exc.errors())) from None


def _ask_for_key(interactive: bool) -> str:
    if not interactive:
        raise ConfigError("HOKUSAI_API_KEY is not set: export it or put it in .env (a remote target needs a key)")
    key = getpass.getpass("Hokusai API key (input hidden): ").strip()
    if not key:
        raise ConfigError("no API key entered")
    return key
