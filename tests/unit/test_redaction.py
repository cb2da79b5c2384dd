import base64
from urllib.parse import quote

import pytest

from hokusai_acceptance.redaction import MASK, find_leaks, redact, redact_headers, register_secret

# A key-shaped test value, assembled so that it never looks like a committed secret.
KEY = "hk_" + "live_" + "AbCdEfGhIjKlMnOp" + "QrStUvWxYz012345"


@pytest.fixture
def key():
    register_secret(KEY)
    return KEY


@pytest.mark.parametrize(
    "template",
    [
        "{k}",
        "Authorization: Bearer {k}",
        "curl -H 'X-API-Key: {k}' https://registry.hokus.ai/api/mlflow",
        "https://registry.hokus.ai/api/mlflow/x?api_key={k}&max_results=1",
        "MLFLOW_TRACKING_TOKEN={k}",
        "{{'Authorization': 'Bearer {k}'}}",
    ],
)
def test_registered_key_never_survives(key, template):
    # the registered key is masked whole; the key-shaped pattern alone would leave 'hk_live_***'
    assert redact(template.format(k=key)) == template.format(k=MASK)


def test_encoded_forms_are_masked(key):
    for form in (
        quote(key, safe=""),
        base64.b64encode(key.encode()).decode(),
        base64.b64encode(b":" + key.encode()).decode(),
    ):
        assert form not in redact(f"prefix {form} suffix")


def test_unregistered_key_shapes_are_masked_too():
    other = "hk_test_ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ"
    assert other not in redact(f"oops {other}")
    assert "ZZZZZZZZZZZZZZZZZZZZZ" not in redact("Authorization: Bearer ZZZZZZZZZZZZZZZZZZZZZ")
    assert "secretvalue" not in redact("GET /x?token=secretvalue")


def test_ordinary_text_is_left_alone():
    text = "GET /api/mlflow/api/2.0/mlflow/experiments/search?max_results=1 -> HTTP 200"
    assert redact(text) == text


def test_headers_keep_scheme_but_not_value(key):
    clean = redact_headers({"Authorization": f"Bearer {key}", "X-API-Key": key, "Accept": "application/json"})
    assert clean == {"Authorization": f"Bearer {MASK}", "X-API-Key": MASK, "Accept": "application/json"}


def test_find_leaks_reports_each_form():
    text = f"a {KEY} b {base64.b64encode(KEY.encode()).decode()}"
    hits = find_leaks(text, [KEY])
    assert KEY in hits and len(hits) >= 2
    assert find_leaks("nothing here", [KEY]) == []


def test_short_values_are_not_registered():
    register_secret("abc")
    assert redact("abc abc") == "abc abc"


def test_variable_references_and_masks_are_not_secrets():
    line = "curl -H 'Authorization: Bearer $HOKUSAI_API_KEY' https://registry.hokus.ai/health"
    assert redact(line) == line
    assert redact("Authorization: Bearer ***") == "Authorization: Bearer ***"
