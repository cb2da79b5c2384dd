"""One HTTP exchange as the suite recorded it: what was sent, what came back, how long it took.

An :class:`Exchange` is plain data (redacted when it is made), serialisable to JSON so a run's
evidence can be replayed later. It also knows how to show itself to a person: a one-line summary,
the request and answer as text, and a ``curl`` command that reproduces it with the reader's own
key. Who answered it is :mod:`.classify`'s job; recording it is :mod:`.transport`'s.
"""

from __future__ import annotations

import json
import math
import re
import shlex
from dataclasses import asdict, dataclass, field, fields
from typing import Any
from urllib.parse import urlsplit

from .redaction import MASK, redact

#: how much of an answer's body an exchange keeps
BODY_PREFIX = 600
#: how much of a request's body an exchange keeps
REQUEST_BODY_PREFIX = 300


class Actor:
    """Who made a call, besides the key roles ("valid", "read-only", "none", ...): set by the capability."""

    #: calls one developer makes on another developer's model, run or experiment
    ON_ANOTHERS_MODEL = "another developer, on the first developer's model"
    #: a developer's tag write that puts another developer's token id on their own version
    CLAIMING_ANOTHERS_TOKEN = "another developer, claiming the first developer's token id"
    #: requests generated from the contract document (Schemathesis), made with the run's key
    GENERATED_REQUEST = "a generated request"


@dataclass
class Exchange:
    method: str
    url: str
    status: int | None
    content_type: str = ""
    body_prefix: str = ""
    request_headers: dict[str, str] = field(default_factory=dict)
    request_body_prefix: str = ""
    response_headers: dict[str, str] = field(default_factory=dict)
    elapsed_ms: float = 0.0
    error: str | None = None
    error_kind: str = ""  # refused | dns | connect-timeout | read-timeout | reset | not-attempted | other
    answered_by: str = ""  # the kind of answer (classify.AnswerKind)
    label: str = ""  # a sweep probe's name, when the exchange is one
    started_at: float = 0.0
    actor: str = ""  # which key role made the call (valid, read-only, never issued, none, ...) or an Actor
    keyed: bool = False  # a credential travelled with the request (header or api_key query)
    deliberate: bool = False  # made while the scenario itself broke something on purpose
    scenario: str = ""  # the scenario (or "sweep", "cleanup") that made the call
    request_sent_body: bool = False  # the request carried a body
    #: error statuses the step that made the call expected as a normal answer (a 404 from an existence probe,
    #: a 409 from a create-if-absent), and why; such an answer is no trouble
    expected: list[int] = field(default_factory=list)
    purpose: str = ""

    @property
    def path(self) -> str:
        """Path and query, without scheme and host."""
        parts = urlsplit(self.url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    @property
    def route(self) -> str:
        return urlsplit(self.url).path

    @property
    def answered(self) -> bool:
        return self.status is not None

    @property
    def server(self) -> str:
        return self.response_headers.get("server") or self.response_headers.get("Server") or ""

    def summary(self) -> str:
        key = " (with key)" if self.keyed else " (no key)"
        if self.status is None:
            return f"{self.method} {self.url}{key} -> no answer ({self.error}) after {self.elapsed_ms:.0f} ms"
        body = " ".join(self.body_prefix.split())[:160]
        server = f", server {self.server}" if self.server else ""
        return (
            f"{self.method} {self.url}{key} -> HTTP {self.status} {self.content_type or '(no content type)'}"
            f"{server} [{self.answered_by}] in {self.elapsed_ms:.0f} ms: {body}"
        )

    @property
    def key_form(self) -> str:
        """How the call carried its key: "bearer", "apikey", "x-api-key", "query" or "" (none seen)."""
        headers = {k.lower(): str(v) for k, v in (self.request_headers or {}).items()}
        scheme = headers.get("authorization", "").split(" ", 1)[0].lower()
        if scheme in ("bearer", "apikey"):
            return scheme
        if "x-api-key" in headers:
            return "x-api-key"
        return "query" if "api_key=" in urlsplit(self.url).query else ""

    def curl(self) -> str:
        """The call as a command a person can paste: the key comes from their own environment (double quotes,
        so the shell fills it in), in the variable of the persona that made the call and in the form the call
        sent it; it waits twice as long as the call took; a body that is not plain text is left out rather than
        pasted as garbage."""
        if self.actor == Actor.GENERATED_REQUEST:
            return self.exact_curl()
        variable = _key_variable(self.actor)
        form = self.key_form
        header = ""
        if self.keyed and form == "x-api-key":
            header = f' -H "X-API-Key: ${variable}"'
        elif self.keyed and form == "apikey":
            header = f' -H "Authorization: ApiKey ${variable}"'
        elif self.keyed and form != "query":
            header = f' -H "Authorization: Bearer ${variable}"'
        wait = min(120, max(10, math.ceil(self.elapsed_ms * 2 / 1000)))
        url = shell_word(self.url).replace("$HOKUSAI_API_KEY", f"${variable}")
        method = "" if self.method == "GET" else f" -X {self.method}"
        body = ""
        text = self.request_body_prefix
        if text and _printable_lines(text):
            body = " -H 'Content-Type: application/json' --data " + shlex.quote(text)
        elif text:
            body = " --data-binary @YOUR_FILE"
        return f"curl -sS -i --max-time {wait}{method}{header}{body} {url}"

    def exact_curl(self) -> str:
        """The request as it was sent, every recorded header and the body included (generated requests: what
        broke the server may be any of them); the run's key comes from the person's own environment. A body is
        kept up to REQUEST_BODY_PREFIX characters: a longer one is reproduced only that far."""
        parts = ["curl -sS -i --max-time 10"] + ([f"-X {self.method}"] if self.method != "GET" else [])
        parts += ["-H " + shell_word(f"{name}: {value}") for name, value in self.request_headers.items()]
        if self.request_body_prefix:
            parts.append("--data-binary " + shell_word(self.request_body_prefix))
        return " ".join(parts + [shell_word(self.url)])

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Exchange:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def as_text(self) -> str:
        """Request/response shown the way a person reads it (for report attachments)."""
        lines = [f"{self.method} {self.url}"]
        lines += [f"{k}: {v}" for k, v in self.request_headers.items()]
        if self.request_body_prefix:
            lines += ["", self.request_body_prefix]
        lines.append("")
        if self.status is None:
            lines.append(f"<no answer: {self.error}> after {self.elapsed_ms:.0f} ms")
        else:
            lines.append(f"HTTP {self.status}   ({self.elapsed_ms:.0f} ms, answered by: {self.answered_by})")
            lines += [f"{k}: {v}" for k, v in self.response_headers.items()]
            lines += ["", self.body_prefix]
        return redact("\n".join(lines))


def _key_variable(actor: str) -> str:
    """The environment variable holding the key of the persona that made a call (HOKUSAI_API_KEY for the run's own
    key and for actors no variable names)."""
    from .personas import PERSONAS

    for persona in PERSONAS:
        if persona.role == actor and persona.variable:
            return persona.variable
    return "HOKUSAI_API_KEY"


def shell_word(text: str) -> str:
    """One shell word: the run's key (masked in the evidence) becomes $HOKUSAI_API_KEY; anything that is not
    printable is written with bash's $'...' escapes, so what is pasted is what was sent."""
    if MASK in text:
        escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$").replace("`", "\\`")
        return '"' + escaped.replace(MASK, "$HOKUSAI_API_KEY") + '"'
    if text.isprintable():
        return shlex.quote(text)
    escaped = "".join(
        c
        if c.isprintable() and c not in "\\'"
        else ("\\" + c if c in "\\'" else "".join(f"\\x{b:02x}" for b in c.encode("utf-8", "surrogatepass")))
        for c in text
    )
    return f"$'{escaped}'"


def _printable_lines(text: str) -> bool:
    """Text a person can paste into a shell: not a placeholder, no undecodable bytes, no control characters."""
    return not text.startswith("<") and "\ufffd" not in text and all(line.isprintable() for line in text.splitlines())


def text_prefix(data: bytes | str | None, limit: int = BODY_PREFIX) -> str:
    """The start of a body as redacted text; binary data is described, not copied."""
    if data is None:
        return ""
    if isinstance(data, bytes):
        if b"\x00" in data[:limit]:
            return f"<{len(data)} bytes of binary data>"
        data = data[:limit].decode("utf-8", errors="replace")
    elif not isinstance(data, str):
        return f"<streamed body: {type(data).__name__}>"
    return redact(data[:limit])


# ------------------------------------------------------------------ reading an answer's body


def json_body(exchange: Exchange) -> Any:
    if not exchange.body_prefix:
        return None
    try:
        return json.loads(exchange.body_prefix)
    except (ValueError, RecursionError):
        return None


#: the first member of a JSON object, readable in a prefix of a body too long to keep whole
_FIRST_MEMBER = re.compile(r'^\s*\{\s*"([A-Za-z_]+)"\s*:')


def top_level_keys(exchange: Exchange) -> set[str]:
    """The members of a JSON object answer: all of them when the kept prefix parses, else the first one (a long
    answer is kept only in part, and its start still says what it is)."""
    data = json_body(exchange)
    if isinstance(data, dict):
        return set(data)
    first = _FIRST_MEMBER.match(exchange.body_prefix)
    return {first.group(1)} if first else set()


def detail(exchange: Exchange) -> str:
    """The API's ``detail`` as one string ("" when there is none); nested details give their message."""
    data = json_body(exchange)
    if not isinstance(data, dict) or "detail" not in data:
        return ""
    value = data["detail"]
    if isinstance(value, dict):
        return str(value.get("message") or value.get("error") or json.dumps(value))
    return str(value)


def error_code(exchange: Exchange) -> str:
    data = json_body(exchange)
    if isinstance(data, dict):
        if isinstance(data.get("error_code"), str):
            return str(data["error_code"])
        nested = data.get("detail")
        if isinstance(nested, dict) and isinstance(nested.get("error"), str):
            return str(nested["error"])
        if isinstance(data.get("error"), str):
            return str(data["error"])
    return ""


def message(exchange: Exchange) -> str:
    data = json_body(exchange)
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return str(data["message"])
    return detail(exchange)
