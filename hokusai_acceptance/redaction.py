"""One redaction layer for every output the suite writes.

Secrets are registered once (the API keys in use) and every text that leaves the
process -- console lines, log records, Allure attachments, exception messages,
reports -- goes through :func:`redact`. Besides the registered values, the layer
masks anything that *looks* like a Hokusai key or a credential-carrying header or
query parameter, so an unregistered key is still caught.
"""

from __future__ import annotations

import base64
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, quote_plus

MASK = "***"

_lock = threading.Lock()
_secrets: set[str] = set()

# Shapes that are secret whatever their value.
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # Hokusai keys: hk_live_/hk_test_ followed by the key body.
    (re.compile(r"\bhk_(live|test)_[A-Za-z0-9_\-]{4,}"), r"hk_\1_" + MASK),
    # Authorization header values, in header dumps, curl lines and reprs.
    (
        re.compile(
            r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?(?:bearer|apikey|basic|token)\s+)(?!\$|\*\*\*)[^\s'\",};]{12,}"
        ),
        r"\1" + MASK,
    ),
    (re.compile(r"(?i)\b(bearer|apikey)\s+(?=[A-Za-z0-9_\-\.=+/]*\d)[A-Za-z0-9_\-\.=+/]{12,}"), r"\1 " + MASK),
    # X-API-Key style headers.
    (re.compile(r"(?i)(x-api-key['\"]?\s*[:=]\s*['\"]?)(?!\$|\*\*\*)[^\s'\",};]{12,}"), r"\1" + MASK),
    # api_key / token query parameters and form fields.
    (re.compile(r"(?i)([?&;](?:api_key|apikey|token|access_token)=)[^&\s'\"#]+"), r"\1" + MASK),
    # MLFLOW_TRACKING_TOKEN / HOKUSAI_API_KEY assignments (env dumps).
    (
        re.compile(
            r"((?:MLFLOW_TRACKING_TOKEN|HOKUSAI_API_KEY|HOKUSAI_[A-Z_]*KEY)\s*[=:]\s*['\"]?)(?!\$|\*\*\*)[^\s'\"]+"
        ),
        r"\1" + MASK,
    ),
]

_SENSITIVE_HEADERS = {"authorization", "x-api-key", "proxy-authorization", "cookie", "set-cookie", "x-stack-control"}


def _forms(secret: str) -> set[str]:
    """Every spelling of a secret that could end up in an output."""
    raw = secret.encode()
    forms = {
        secret,
        quote(secret, safe=""),
        quote_plus(secret),
        base64.b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode(),
        base64.b64encode(b":" + raw).decode(),  # basic auth with empty user
        base64.b64encode(raw + b":").decode(),  # basic auth with empty password
    }
    # base64 without padding is what often appears inside longer encodings
    forms |= {f.rstrip("=") for f in list(forms) if f.endswith("=")}
    return {f for f in forms if len(f) >= 6}


def register_secret(value: str | None) -> None:
    """Remember a secret so that every later output masks it."""
    if not value or len(value) < 6:
        return
    with _lock:
        _secrets.update(_forms(value))


def forget_secrets() -> None:
    """Only for tests: start from an empty registry."""
    with _lock:
        _secrets.clear()


def redact(text: object) -> str:
    """Return ``text`` as a string with every secret masked."""
    if text is None:
        return ""
    out = text if isinstance(text, str) else str(text)
    with _lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in out:
            out = out.replace(secret, MASK)
    for pattern, replacement in _PATTERNS:
        out = pattern.sub(replacement, out)
    return out


def redact_data(value: Any) -> Any:
    """A copy of JSON-shaped data with every string (keys included) redacted: redact values *before* they are
    serialised, so the serialised text stays valid whatever a secret sat next to (quotes, backslashes)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {redact(k) if isinstance(k, str) else k: redact_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_data(v) for v in value]
    return value


def redact_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    items = headers.items() if isinstance(headers, Mapping) else headers
    clean: dict[str, str] = {}
    for name, value in items:
        if name.lower() in _SENSITIVE_HEADERS:
            scheme = value.split(" ", 1)[0] if " " in value else ""
            clean[name] = f"{scheme} {MASK}".strip()
        else:
            clean[name] = redact(value)
    return clean


def find_leaks(text: str, secrets: Iterable[str]) -> list[str]:
    """Which spellings of the given secrets occur in ``text`` (for leak scans)."""
    hits = []
    for secret in secrets:
        for form in _forms(secret):
            if form in text:
                hits.append(form)
    return hits
