"""Pinning an outage: identical slow failures stop the run from waiting for a component that is down."""

import pytest
import requests

from hokusai_acceptance.classify import classify_answer
from hokusai_acceptance.exchange import Exchange
from hokusai_acceptance.outages import ComponentDown, OutageTracker, Scope

BASE = "http://127.0.0.1:9"


def call(
    path,
    *,
    status=None,
    elapsed=15000.0,
    keyed=True,
    body="",
    kind="read-timeout",
    deliberate=False,
    server="uvicorn",
    started_at=0.0,
):
    return Exchange(
        method="GET",
        url=BASE + path,
        status=status,
        elapsed_ms=elapsed,
        keyed=keyed,
        body_prefix=body,
        error_kind="" if status else kind,
        deliberate=deliberate,
        started_at=started_at,
        response_headers={"server": server} if status else {},
        content_type="application/json" if body.startswith("{") else "text/html",
        answered_by=classify_answer(status, "application/json" if body.startswith("{") else "text/html", body),
    )


def prepared(path, keyed=True):
    return requests.Request("GET", BASE + path, headers={"Authorization": "Bearer x"} if keyed else {}).prepare()


def test_two_very_slow_timeouts_on_registry_calls_pin_keyed_calls_only():
    tracker = OutageTracker(BASE)
    tracker.observe(call("/api/mlflow/api/2.0/mlflow/experiments/search"))
    assert tracker.pinned() == []
    tracker.observe(call("/api/mlflow/api/2.0/mlflow/runs/get"))
    [pin] = tracker.pinned()
    assert pin.scope == Scope.REGISTRY and "did not answer within 15 s" in pin.reason
    with pytest.raises(ComponentDown, match="not attempted"):
        tracker.guard(prepared("/api/mlflow/api/2.0/mlflow/registered-models/get"))
    tracker.guard(prepared("/api/mlflow/api/2.0/mlflow/registered-models/get", keyed=False))  # keyless: sent
    tracker.guard(prepared("/health"))


def test_the_auth_services_timeout_needs_three_in_a_row_and_a_prompt_answer_ends_a_streak():
    tracker = OutageTracker(BASE)
    slow = dict(status=401, elapsed=5000.0, body='{"detail":"Authentication service timeout"}')
    tracker.observe(call("/api/mlflow/a", **slow))
    tracker.observe(call("/api/mlflow/b", **slow))
    tracker.observe(call("/api/mlflow/c", status=200, elapsed=12.0, body="{}"))  # the component answered
    tracker.observe(call("/api/mlflow/d", **slow))
    tracker.observe(call("/api/mlflow/e", **slow))
    assert tracker.pinned() == []
    tracker.observe(call("/api/mlflow/f", **slow))
    [pin] = tracker.pinned()
    assert pin.component == "the auth service" and len(pin.evidence) == 3


def test_deliberate_failures_and_other_hosts_never_pin():
    tracker = OutageTracker(BASE)
    for _ in range(4):
        tracker.observe(call("/api/mlflow/x", deliberate=True))
        tracker.observe(
            Exchange(
                method="GET",
                url="http://127.0.0.1:10/api/mlflow/x",
                status=None,
                elapsed_ms=20000,
                keyed=True,
                error_kind="read-timeout",
            )
        )
    assert tracker.pinned() == []


def test_load_balancer_pages_after_a_wait_pin_every_call():
    tracker = OutageTracker(BASE)
    page = "<html><head><title>504 Gateway Time-out</title></head><body><center><h1>504</h1></center></body></html>"
    for path in ("/api/mlflow/a", "/health/alb"):
        tracker.observe(call(path, status=504, elapsed=10000.0, body=page, keyed=False, server="awselb/2.0"))
    [pin] = tracker.pinned()
    assert pin.scope == Scope.TARGET
    with pytest.raises(ComponentDown):
        tracker.guard(prepared("/health", keyed=False))


def test_registry_answers_each_many_times_over_budget_pin_the_registry_after_five_in_a_row():
    tracker = OutageTracker(BASE)
    write = "/api/mlflow/api/2.0/mlflow/registered-models/create"
    clock = iter(range(0, 1000, 3))

    def slow():
        return dict(status=200, elapsed=2100.0, body="{}", started_at=float(next(clock)))

    for _ in range(4):
        tracker.observe(call(write, **slow()))
    tracker.observe(call(write, status=200, elapsed=40.0, body="{}"))  # a prompt one: the streak starts again
    for _ in range(4):
        tracker.observe(call(write, **slow()))
    burst = call(write, **slow())
    burst.started_at -= 1.0  # made while the previous call was still waiting: calls made at once do not count
    tracker.observe(burst)
    assert tracker.pinned() == []
    tracker.observe(call(write, **slow()))
    [pin] = tracker.pinned()
    assert pin.scope == Scope.REGISTRY and "too slowly" in pin.reason and "2.1 s a call" in pin.reason
    assert len(pin.evidence) == 5
    with pytest.raises(ComponentDown, match="too slowly"):
        tracker.guard(prepared(write))


def test_a_reworded_slow_failure_of_the_api_still_pins_the_registry():
    tracker = OutageTracker(BASE)
    slow = dict(status=502, elapsed=9500.0, body='{"detail":"identity backend did not respond"}')
    tracker.observe(call("/api/mlflow/a", **slow))
    tracker.observe(call("/api/mlflow/b", **slow))
    [pin] = tracker.pinned()
    assert pin.scope == Scope.REGISTRY and pin.component == "a dependency of the API"


def test_a_dependency_check_that_times_out_does_not_pin_a_target_that_answers_other_calls():
    tracker = OutageTracker(BASE)
    tracker.observe(call("/api/mlflow/a", status=503, elapsed=20.0, body='{"detail":"x"}'))
    for path in ("/health/mlflow", "/api/health/mlflow", "/ready"):
        tracker.observe(call(path, status=None, elapsed=15000.0, kind="read-timeout", keyed=False))
    assert tracker.pinned() == []
