import shlex

import pytest

from hokusai_acceptance.classify import AnswerKind, classify_answer
from hokusai_acceptance.exchange import Exchange

FLASK_404 = (
    "<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n"
    "<p>The requested URL was not found on the server.</p>"
)
ALB_503 = (
    "<html><head><title>503 Service Temporarily Unavailable</title></head>"
    "<body><center><h1>503</h1></center></body></html>"
)


@pytest.mark.parametrize(
    "status,ctype,body,kind",
    [
        (401, "application/json", '{"detail":"API key required"}', AnswerKind.GATEWAY_JSON),
        (404, "application/json", '{"error_code":"RESOURCE_NOT_FOUND","message":"x"}', AnswerKind.MLFLOW_JSON),
        (200, "application/json", '{"experiments": []}', AnswerKind.JSON),
        (404, "text/html; charset=utf-8", FLASK_404, AnswerKind.FLASK_HTML_404),
        (503, "text/html", ALB_503, AnswerKind.LB_HTML),
        (404, "text/plain; charset=utf-8", "Not Found", AnswerKind.PLAIN_TEXT),
        (200, "application/json", "{not json", AnswerKind.OTHER_JSON),
        (200, "application/octet-stream", "\x00\x01", AnswerKind.NON_JSON),
        (204, "", "", AnswerKind.EMPTY),
        (None, "", "", AnswerKind.NO_ANSWER),
        (200, "application/json", "[1, 2]", AnswerKind.JSON),
    ],
)
def test_classify_answer(status, ctype, body, kind):
    assert classify_answer(status, ctype, body) == kind


def test_exchange_text_is_redacted_and_readable():
    key = "hk_live_" + "Q" * 32
    exchange = Exchange(
        method="GET",
        url="http://h/api/mlflow/x?api_key=" + key,
        status=401,
        content_type="application/json",
        body_prefix='{"detail":"Invalid or expired API key"}',
        request_headers={"Authorization": f"Bearer {key}"},
        elapsed_ms=12.5,
        answered_by=AnswerKind.GATEWAY_JSON,
    )
    text = exchange.as_text()
    assert key not in text
    assert "HTTP 401" in text and "Invalid or expired API key" in text
    assert "401" in exchange.summary() and "gateway JSON" in exchange.summary()


def test_deeply_nested_garbage_is_not_a_crash():
    assert classify_answer(200, "application/json", "[" * 5000) == AnswerKind.OTHER_JSON


def test_reproduction_commands_take_the_key_from_the_shell_and_leave_binary_bodies_out():
    keyed = Exchange(
        method="POST",
        url="https://registry.example/api/mlflow/x",
        status=403,
        keyed=True,
        request_body_prefix='{"name": "it\'s"}',
    )
    command = keyed.curl()
    assert '-H "Authorization: Bearer $HOKUSAI_API_KEY"' in command  # double quotes: the shell fills the key in
    words = shlex.split(command)  # what a shell hands curl: the body exactly as it was sent
    assert words[words.index("--data") + 1] == '{"name": "it\'s"}'
    binary = Exchange(
        method="PUT",
        url="https://registry.example/a/blob.bin",
        status=403,
        keyed=True,
        request_body_prefix="\x00\x01\ufffd\ufffd",
    )
    assert "--data-binary @YOUR_FILE" in binary.curl() and "\ufffd" not in binary.curl()
    in_query = Exchange(method="GET", url="https://registry.example/h?api_key=***", status=200)
    assert in_query.curl().endswith('"https://registry.example/h?api_key=$HOKUSAI_API_KEY"')


def test_werkzeugs_error_page_is_mlflows_not_a_load_balancers():
    """MLflow 2.x (Flask) answers an unhandled error with werkzeug's page; a load balancer's page centres its text."""
    from hokusai_acceptance.classify import AnswerKind, classify_answer, who_answered
    from hokusai_acceptance.exchange import Exchange
    from hokusai_acceptance.who import Who

    page = (
        "<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n<h1>Internal Server Error</h1>\n"
        "<p>The server encountered an internal error and was unable to complete your request.</p>\n"
    )
    kind = classify_answer(500, "text/html; charset=utf-8", page)
    assert kind == AnswerKind.FLASK_HTML_ERROR
    relayed = Exchange(
        method="DELETE",
        url="http://t/api/mlflow/api/2.0/mlflow-artifacts/artifacts/x",
        status=500,
        content_type="text/html; charset=utf-8",
        body_prefix=page,
        answered_by=kind,
        response_headers={"server": "uvicorn, gunicorn"},
    )
    assert who_answered(relayed) == Who.MLFLOW
    lb = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>"
    assert classify_answer(502, "text/html", lb) == AnswerKind.LB_HTML


def test_registry_data_is_recognised_even_when_only_the_start_of_a_long_answer_was_kept():
    from hokusai_acceptance.classify import looks_like_registry

    long_answer = '{"registered_models": [' + ", ".join(f'{{"name": "m{i}"}}' for i in range(100))
    kept = Exchange(method="GET", url="http://t/mlflow/x", status=200, body_prefix=long_answer[:600])
    assert looks_like_registry(kept)
    refusal = Exchange(
        method="GET", url="http://t/mlflow/x", status=200, body_prefix='{"detail": "sign in"' + " " * 600
    )
    assert not looks_like_registry(refusal)
