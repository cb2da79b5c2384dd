"""What the steps check, as functions that raise a readable ``AssertionError``
(product defect) or a typed :class:`InfrastructureError` (the answer did not come
from the Hokusai API at all), always with the redacted exchange as evidence."""
from __future__ import annotations

from typing import Any, Iterable

from .client import Reply
from .errors import UnexpectedAnswer
from .evidence import AnswerKind

#: Answers that mean "something other than the API answered": routing or platform trouble.
_FOREIGN = {AnswerKind.LB_HTML, AnswerKind.PLAIN_TEXT, AnswerKind.FLASK_HTML_404, AnswerKind.NON_JSON}


def _fail(message: str, reply: Reply) -> AssertionError:
    return AssertionError(f"{message}\n  evidence: {reply.describe()}")


def expect_api_answer(reply: Reply) -> None:
    """The answer must come from the Hokusai API, not from a load balancer or a wrong upstream."""
    if reply.answered_by in _FOREIGN or (reply.status >= 500 and reply.answered_by != AnswerKind.GATEWAY_JSON):
        raise UnexpectedAnswer(f"the answer did not come from the Hokusai API: {reply.describe()}")


def expect_status(reply: Reply, expected: int | Iterable[int], what: str = "the call") -> None:
    allowed = {expected} if isinstance(expected, int) else set(expected)
    if reply.status in allowed:
        return
    expect_api_answer(reply)
    wanted = _describe_statuses(allowed)
    raise _fail(f"{what}: expected HTTP {wanted}, got HTTP {reply.status}", reply)


def _describe_statuses(allowed: set[int]) -> str:
    ordered = sorted(allowed)
    if len(ordered) > 3 and ordered == list(range(ordered[0], ordered[-1] + 1)):
        if ordered[0] % 100 == 0 and ordered[-1] % 100 == 99:
            return f"{ordered[0] // 100}xx"
        return f"{ordered[0]}-{ordered[-1]}"
    return " or ".join(str(s) for s in ordered)


def expect_success(reply: Reply, what: str = "the call") -> Any:
    expect_status(reply, range(200, 300), what)
    return reply.json()


def expect_refusal(reply: Reply, status: int | Iterable[int], detail: str) -> None:
    expect_status(reply, status, "the refusal")
    body = reply.json()
    got = body.get("detail") if isinstance(body, dict) else None
    if got != detail:
        raise _fail(f"the refusal should say {detail!r} but says {got!r}", reply)
    if isinstance(body, dict) and "error_code" in body:
        raise _fail("an authentication refusal must not carry an MLflow error_code", reply)


def expect_json_keys(data: Any, keys: Iterable[str], where: str) -> None:
    if not isinstance(data, dict):
        raise AssertionError(f"{where} should be a JSON object, got {type(data).__name__}")
    missing = [k for k in keys if k not in data]
    if missing:
        raise AssertionError(f"{where} lacks {', '.join(missing)}; it has {', '.join(sorted(data))}")


def expect_equal(actual: Any, expected: Any, what: str) -> None:
    if actual != expected:
        raise AssertionError(f"{what}: expected {expected!r}, got {actual!r}")
