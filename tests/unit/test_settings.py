import pytest

from hokusai_acceptance.errors import ConfigError
from hokusai_acceptance.redaction import redact
from hokusai_acceptance.settings import load_settings, normalise_url

KEY = "hk_live_" + "a1" * 16


def settings(tmp_path, **env):
    return load_settings(env, dotenv_path=tmp_path / "absent.env", interactive=False)


def test_no_url_means_embedded_stack(tmp_path):
    s = settings(tmp_path)
    assert s.embedded and s.api_url is None and len(s.run_id) >= 6


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("https://registry.hokus.ai", "https://registry.hokus.ai"),
        ("https://registry.hokus.ai/", "https://registry.hokus.ai"),
        ("https://registry.hokus.ai/api/mlflow", "https://registry.hokus.ai"),
        ("https://registry.hokus.ai/api/mlflow/", "https://registry.hokus.ai"),
        ("https://registry.hokus.ai/api", "https://registry.hokus.ai"),
        ("http://127.0.0.1:8001", "http://127.0.0.1:8001"),
        ("https://example.org/hokusai/", "https://example.org/hokusai"),
    ],
)
def test_urls_are_normalised(raw, expected):
    assert normalise_url(raw)[0] == expected


def test_suffix_and_plain_http_are_noted():
    _, notes = normalise_url("http://registry.hokus.ai/api/mlflow")
    assert any("/api/mlflow" in n for n in notes)
    assert any("plain http" in n for n in notes)


@pytest.mark.parametrize(
    "raw",
    [
        "registry.hokus.ai",
        "ftp://registry.hokus.ai",
        "https://",
        "https://x:99999",
        "https://user:pw@registry.hokus.ai",
        "https://registry.hokus.ai?a=b",
    ],
)
def test_malformed_urls_are_usage_errors(raw):
    with pytest.raises(ConfigError):
        normalise_url(raw)


def test_remote_target_without_key_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigError, match="HOKUSAI_API_KEY is not set"):
        settings(tmp_path, HOKUSAI_API_URL="https://registry.hokus.ai")


def test_key_is_read_from_dotenv_and_registered_as_secret(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text(f"HOKUSAI_API_URL=https://registry.hokus.ai\nHOKUSAI_API_KEY={KEY}\n")
    s = load_settings({}, dotenv_path=env_file, interactive=False)
    assert s.api_key == KEY and s.tracking_uri == "https://registry.hokus.ai/api/mlflow"
    import base64

    encoded = base64.b64encode(KEY.encode()).decode()  # only a registered key's encodings are masked
    assert encoded not in redact(f"basic {encoded}") and redact(KEY) == "***"
    assert KEY not in repr(s)


def test_environment_wins_over_dotenv(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("HOKUSAI_API_URL=https://wrong.example\n")
    s = load_settings(
        {"HOKUSAI_API_URL": "https://registry.hokus.ai", "HOKUSAI_API_KEY": KEY},
        dotenv_path=env_file,
        interactive=False,
    )
    assert s.api_url == "https://registry.hokus.ai"


def test_odd_key_shape_is_noted_not_printed(tmp_path):
    s = settings(tmp_path, HOKUSAI_API_URL="https://registry.hokus.ai", HOKUSAI_API_KEY="sk-something-else")
    assert any("does not look like" in n for n in s.notes)
    assert not any("sk-something-else" in n for n in s.notes)


@pytest.mark.parametrize(
    "name,value", [("HOKUSAI_READ_TIMEOUT", "soon"), ("HOKUSAI_CONNECT_TIMEOUT", "-1"), ("HOKUSAI_RUN_ID", "Bad Id!")]
)
def test_bad_knobs_are_usage_errors(tmp_path, name, value):
    with pytest.raises(ConfigError):
        settings(tmp_path, **{name: value})


def test_a_malformed_url_is_said_before_a_missing_key(tmp_path):
    with pytest.raises(ConfigError, match="must start with http"):
        settings(tmp_path, HOKUSAI_API_URL="registry.hokus.ai")
