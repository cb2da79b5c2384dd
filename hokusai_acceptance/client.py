"""The suite's HTTP client for the Hokusai API: timeouts on every call, no
redirects followed, bounded reads, typed transport errors, evidence recorded."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import requests

from .classify import AnswerKind, classify_answer, transport_error_kind
from .errors import TargetNotResponding, TargetUnreachable, UnexpectedAnswer
from .exchange import Exchange
from .redaction import redact
from .transport import complete_body, exchange_of, recorded_session

MAX_BODY = 2 * 1024 * 1024


class KeyForm(str, Enum):
    """The four places a client can put its key."""

    BEARER = "Bearer header"
    APIKEY = "ApiKey header"
    X_API_KEY = "X-API-Key header"
    QUERY = "api_key query parameter"

    @classmethod
    def parse(cls, text: str) -> KeyForm:
        lowered = text.strip().lower()
        for form in cls:
            if form.value.lower() == lowered or form.name.lower() == lowered:
                return form
        raise ValueError(f"unknown key form {text!r}; use one of: {', '.join(f.value for f in cls)}")


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes
    elapsed_ms: float
    method: str
    url: str
    truncated: bool = False
    exchange: Exchange | None = field(default=None, repr=False, compare=False)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    @property
    def answered_by(self) -> str:
        return classify_answer(self.status, self.content_type, self.text[:2000])

    def json(self) -> Any:
        """The JSON body; anything else is an :class:`UnexpectedAnswer` (not a product assertion)."""
        if self.truncated:
            raise UnexpectedAnswer(f"{self.method} {self.url} answered a body larger than {MAX_BODY} bytes")
        try:
            return json.loads(self.body)
        except (ValueError, RecursionError):
            raise UnexpectedAnswer(
                f"{self.method} {self.url} answered HTTP {self.status} with a non-JSON body "
                f"({self.answered_by}, {self.content_type or 'no content type'}): {self.text[:200]!r}"
            ) from None

    def json_or_none(self) -> Any:
        try:
            return json.loads(self.body)
        except (ValueError, RecursionError):
            return None

    def detail(self) -> str | None:
        data = self.json_or_none()
        if isinstance(data, dict):
            detail = data.get("detail", data.get("message"))
            if isinstance(detail, dict):
                return detail.get("message") or detail.get("error") or json.dumps(detail)
            return detail
        return None

    def describe(self) -> str:
        body = " ".join(self.text[:200].split())
        return redact(
            f"{self.method} {self.url} -> HTTP {self.status} ({self.answered_by}) in {self.elapsed_ms:.0f} ms: {body}"
        )


class HokusaiClient:
    def __init__(self, base_url: str, *, connect_timeout: float = 3.0, read_timeout: float = 15.0):
        self.base_url = base_url.rstrip("/")
        self.timeout = (connect_timeout, read_timeout)
        self.session = recorded_session()  # no proxies from the environment, no .netrc credentials

    def close(self) -> None:
        self.session.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        key: str | None = None,
        key_form: KeyForm = KeyForm.BEARER,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
        json_body: Any = None,
        data: bytes | str | None = None,
        timeout: float | None = None,
    ) -> Reply:
        url = path if path.startswith(("http://", "https://")) else f"{self.base_url}{path}"
        all_headers = dict(headers or {})
        all_params = dict(params or {})
        if key is not None:
            if key_form is KeyForm.BEARER:
                all_headers["Authorization"] = f"Bearer {key}"
            elif key_form is KeyForm.APIKEY:
                all_headers["Authorization"] = f"ApiKey {key}"
            elif key_form is KeyForm.X_API_KEY:
                all_headers["X-API-Key"] = key
            else:
                all_params["api_key"] = key
        request_timeout = self.timeout if timeout is None else (min(self.timeout[0], timeout), timeout)
        try:
            response = self.session.request(
                method,
                url,
                headers=all_headers,
                params=all_params or None,
                json=json_body,
                data=data,
                timeout=request_timeout,
                allow_redirects=False,
                stream=True,
            )
        except requests.ConnectTimeout as exc:
            raise TargetNotResponding(f"{method} {url}: connection not accepted within {request_timeout[0]} s") from exc
        except requests.ReadTimeout as exc:
            raise TargetNotResponding(f"{method} {url}: no answer within {request_timeout[1]} s") from exc
        except requests.ConnectionError as exc:
            raise TargetUnreachable(f"{method} {url}: cannot connect ({_root_cause(exc)})") from exc
        except requests.RequestException as exc:
            raise TargetUnreachable(f"{method} {url}: {type(exc).__name__}: {exc}") from exc
        try:
            body, truncated = _bounded_read(response)
        except requests.RequestException as exc:
            broken = exchange_of(response)
            if broken is not None:  # the answer came, and broke its framing or coding: the evidence says which
                broken.error_kind = transport_error_kind(exc)
                broken.error = redact(f"{type(exc).__name__}: {exc}")[:500]
            raise TargetNotResponding(f"{method} {url}: the answer stopped arriving ({type(exc).__name__})") from exc
        finally:
            response.close()
        reply = Reply(
            status=response.status_code,
            headers={k.lower(): v for k, v in response.headers.items()},
            body=body,
            elapsed_ms=response.elapsed.total_seconds() * 1000,
            method=method,
            url=redact(response.url),
            truncated=truncated,
            exchange=exchange_of(response),
        )
        if reply.exchange is not None:
            # a streamed exchange is recorded before its body arrives: complete that very exchange
            complete_body(reply.exchange, body)
        if 300 <= reply.status < 400 and reply.headers.get("location"):
            reply.headers["location"] = redact(reply.headers["location"])
        return reply

    def get(self, path: str, **kwargs: Any) -> Reply:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Reply:
        return self.request("POST", path, **kwargs)


def _bounded_read(response: requests.Response) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(chunk_size=65536):
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_BODY:
            return b"".join(chunks)[:MAX_BODY], True
    return b"".join(chunks), False


def _root_cause(exc: BaseException) -> str:
    text = str(exc)
    for marker in (
        "Connection refused",
        "Name or service not known",
        "nodename nor servname",
        "No route to host",
        "Temporary failure in name resolution",
        "Connection reset",
    ):
        if marker in text:
            return marker
    return type(exc).__name__


__all__ = ["AnswerKind", "HokusaiClient", "KeyForm", "Reply"]
