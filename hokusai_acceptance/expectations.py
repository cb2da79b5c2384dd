"""What the steps check, as functions that raise a readable ``AssertionError``
(product defect) or a typed :class:`InfrastructureError` (the answer did not come
from the Hokusai API at all), always with the redacted exchange as evidence."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from . import situations
from .classify import who_answered
from .client import Reply
from .errors import ContractDiffers, DependencyFailed, UnexpectedAnswer
from .exchange import Exchange, detail
from .who import Who

#: Who may answer for the registry: anyone else answering is routing or platform trouble, not the product.
_PRODUCT = {Who.API, Who.MLFLOW, Who.MLFLOW_VIA_API}


def _fail(message: str, reply: Reply) -> AssertionError:
    return AssertionError(f"{message}\n  evidence: {reply.describe()}")


def who(reply: Reply) -> str:
    exchange = reply.exchange or Exchange(
        method=reply.method,
        url=reply.url,
        status=reply.status,
        content_type=reply.content_type,
        body_prefix=reply.text[:600],
        answered_by=reply.answered_by,
        response_headers={"server": reply.headers.get("server", "")},
    )
    return who_answered(exchange)


def expect_product_answer(reply: Reply) -> str:
    """The answer must come from the registry (the Hokusai API, or MLflow behind it), not from a load balancer,
    another server or nobody: otherwise the check could not be exercised (a typed error: broken)."""
    answerer = who(reply)
    if answerer not in _PRODUCT:
        raise UnexpectedAnswer(f"the answer came from {answerer}, not the Hokusai API: {reply.describe()}")
    return answerer


def expect_api_answer(reply: Reply) -> None:
    """As :func:`expect_product_answer`; a server error from behind the API (MLflow, its stores) also means the
    call could not be exercised."""
    answerer = expect_product_answer(reply)
    said = detail(reply.exchange) if reply.exchange is not None else str(reply.detail() or "")
    if answerer == Who.API and reply.exchange is not None and situations.load().names_a_dependency(reply.exchange):
        raise DependencyFailed(f"the API reports that a dependency failed ('{said}'): {reply.describe()}")
    if reply.status >= 500 and answerer != Who.API:
        # a server error behind the API (MLflow, its store): the call could not be exercised
        raise UnexpectedAnswer(f"{answerer} failed with HTTP {reply.status}: {reply.describe()}")


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
    if reply.exchange is not None:  # the status is the one the contract gives: the call itself went as expected
        reply.exchange.expected.append(reply.status)
        reply.exchange.purpose = reply.exchange.purpose or "the refusal the contract describes"
    body = reply.json_or_none()
    got = body.get("detail") if isinstance(body, dict) else None
    if got != detail and reply.exchange is not None and situations.load().name(reply.exchange, Who.API):
        # the words are the contract's, for another situation: the deployment did something else
        raise _fail(f"the refusal should say {detail!r} but says {got!r}", reply)
    if got != detail:
        raise ContractDiffers(
            f"the refusal is HTTP {reply.status} as the contract says, but worded {got!r} where the contract "
            f"says {detail!r}\n  evidence: {reply.describe()}"
        )
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
