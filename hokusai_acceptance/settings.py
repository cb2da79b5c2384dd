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
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import dotenv_values

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


def _merged_environment(env: dict[str, str] | None, dotenv_path: Path | None) -> dict[str, str]:
    merged: dict[str, str] = {}
    path = dotenv_path if dotenv_path is not None else Path.cwd() / ".env"
    if path.is_file():
        merged.update({k: v for k, v in dotenv_values(path).items() if v is not None})
    merged.update(env if env is not None else os.environ)
    return merged


def _float(values: dict[str, str], name: str, default: float) -> float:
    raw = values.get(name)
    if raw in (None, ""):
        return default
    try:
        number = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds (got {raw!r})") from None
    if number <= 0:
        raise ConfigError(f"{name} must be positive (got {raw!r})")
    return number


def load_settings(
    env: dict[str, str] | None = None, *, dotenv_path: Path | None = None, interactive: bool | None = None
) -> Settings:
    """Resolve the configuration, raising :class:`ConfigError` with a one-line reason."""
    values = _merged_environment(env, dotenv_path)
    if interactive is None:
        interactive = sys.stdin is not None and sys.stdin.isatty() and os.environ.get("CI") != "true"

    timeouts = dict(
        connect_timeout=_float(values, "HOKUSAI_CONNECT_TIMEOUT", 3.0),
        read_timeout=_float(values, "HOKUSAI_READ_TIMEOUT", 15.0),
        mlflow_timeout=_float(values, "HOKUSAI_MLFLOW_TIMEOUT", 30.0),
    )
    run_id = values.get("HOKUSAI_RUN_ID") or new_run_id()
    if not re.fullmatch(r"[a-z0-9]{6,32}", run_id):
        raise ConfigError("HOKUSAI_RUN_ID must be 6-32 lower-case letters or digits")

    expected = dict(
        expected_version=(values.get("HOKUSAI_EXPECTED_VERSION") or "").strip() or None,
        expected_commit=(values.get("HOKUSAI_EXPECTED_COMMIT") or "").strip() or None,
    )
    fuzz_writes = (values.get("HOKUSAI_FUZZ_WRITES") or "").strip().lower()
    if fuzz_writes not in ("", "0", "1", "true", "false", "yes", "no"):
        raise ConfigError("HOKUSAI_FUZZ_WRITES must be 1 (allow generated writes against a remote target) or 0")
    expected["fuzz_writes"] = fuzz_writes in ("1", "true", "yes")
    raw_url = values.get("HOKUSAI_API_URL", "")
    if not raw_url.strip():
        return Settings(api_url=None, run_id=run_id, **timeouts, **expected)

    api_url, notes = normalise_url(raw_url)
    api_key = (values.get("HOKUSAI_API_KEY") or "").strip()
    if not api_key:
        if not interactive:
            raise ConfigError("HOKUSAI_API_KEY is not set: export it or put it in .env (a remote target needs a key)")
        api_key = getpass.getpass("Hokusai API key (input hidden): ").strip()
        if not api_key:
            raise ConfigError("no API key entered")
    if any(c.isspace() for c in api_key):
        raise ConfigError("HOKUSAI_API_KEY contains white space; check the value you pasted")
    if not KEY_SHAPE.match(api_key):
        notes.append("HOKUSAI_API_KEY does not look like hk_live_/hk_test_ + 32 characters")

    auth_url = None
    if (values.get("HOKUSAI_AUTH_URL") or "").strip():
        auth_url, _ = normalise_url(values["HOKUSAI_AUTH_URL"], "HOKUSAI_AUTH_URL")
    readonly = (values.get("HOKUSAI_READONLY_API_KEY") or "").strip() or None
    revoked = (values.get("HOKUSAI_REVOKED_API_KEY") or "").strip() or None
    second = (values.get("HOKUSAI_SECOND_API_KEY") or "").strip() or None
    rotated = (values.get("HOKUSAI_ROTATED_API_KEY") or "").strip() or None
    for key in (api_key, readonly, revoked, second, rotated):
        register_secret(key)
    if second is not None and second in (api_key, rotated):
        raise ConfigError("HOKUSAI_SECOND_API_KEY is one of your own keys: it must be a key of another developer")
    if rotated is not None and rotated == api_key:
        raise ConfigError("HOKUSAI_ROTATED_API_KEY is HOKUSAI_API_KEY itself: it must be your other key")
    return Settings(
        api_url=api_url,
        api_key=api_key,
        readonly_key=readonly,
        revoked_key=revoked,
        second_key=second,
        rotated_key=rotated,
        run_id=run_id,
        notes=tuple(notes),
        auth_url=auth_url,
        **timeouts,
        **expected,
    )
