"""The MLflow client's key comes from MLflow's request-header plugin, per caller, never from the environment."""

import inspect
import os
import threading
from concurrent.futures import ThreadPoolExecutor

from hokusai_acceptance.mlflow_client import KeyHeaderProvider, ensure_provider_registered, using_key


def test_the_private_function_we_patch_is_the_one_of_the_mlflow_release_it_was_written_for():
    import mlflow
    from mlflow.utils import request_utils

    from hokusai_acceptance.mlflow_client import PATCHED_FOR_MLFLOW

    # an MLflow upgrade must re-check keep_server_answers against the new release, then move this pin
    assert mlflow.__version__ == PATCHED_FOR_MLFLOW, (mlflow.__version__, PATCHED_FOR_MLFLOW)

    original = getattr(request_utils._get_request_session, "__wrapped__", request_utils._get_request_session)
    if getattr(original, "_keeps_server_answers", False):
        return  # already patched in this process: the patch was applied against the checked signature
    names = list(inspect.signature(original).parameters)[:5]
    assert names == ["max_retries", "backoff_factor", "backoff_jitter", "retry_codes", "raise_on_status"], names


def test_the_provider_is_registered_through_the_package_entry_point():
    ensure_provider_registered()


def test_each_caller_sends_its_own_key_and_no_key_means_no_header():
    provider = KeyHeaderProvider()
    assert not provider.in_context()
    seen = {}

    def caller(key):
        with using_key(key):
            seen[key] = provider.request_headers()

    threads = [threading.Thread(target=caller, args=(f"hk_test_{i:032d}",)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(headers == {"Authorization": f"Bearer {key}"} for key, headers in seen.items()) and len(seen) == 20
    with using_key(None):
        assert not provider.in_context() and provider.request_headers() == {}
    assert "MLFLOW_TRACKING_TOKEN" not in os.environ


def test_mlflows_own_worker_threads_get_the_callers_key():
    provider = KeyHeaderProvider()
    with using_key("hk_test_" + "w" * 32), ThreadPoolExecutor(max_workers=2) as pool:
        # a pool MLflow starts (parallel downloads) does not inherit the context
        assert pool.submit(provider.request_headers).result() == {"Authorization": "Bearer hk_test_" + "w" * 32}
