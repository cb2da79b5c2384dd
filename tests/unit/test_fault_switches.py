"""Fault switches: one enum, every switch changes a real component, and names are checked."""

import os

import pytest

from hokusai_acceptance.diagnosis.catalog import ENTRIES
from hokusai_acceptance.stack.faults import (
    AT_START_ONLY,
    EFFECTS,
    NOT_SWITCHABLE,
    Addresses,
    Fault,
    parse_all,
    plan_for,
)
from hokusai_acceptance.stack.launcher import mlflow_interpreter

ADDRESSES = Addresses(
    gateway="http://127.0.0.1:1",
    mlflow="http://127.0.0.1:2",
    auth="http://127.0.0.1:3",
    redis="redis://127.0.0.1:4/0",
    mlflow_front="http://127.0.0.1:5",
    refused="http://127.0.0.1:6",
    hanging="http://127.0.0.1:7",
    blocked="http://127.0.0.1:8",
)


def test_unknown_switch_names_the_known_ones():
    with pytest.raises(ValueError, match=r"unknown fault switch 'no-such-fault'.*known: alb-api-path-to-mlflow"):
        parse_all(["no-such-fault"])


@pytest.mark.parametrize("fault", list(Fault))
def test_every_switch_changes_the_stack(fault):
    assert plan_for([fault], ADDRESSES) != plan_for([], ADDRESSES), f"{fault.value} changes nothing"
    assert fault.how


@pytest.mark.parametrize("fault", list(Fault))
def test_every_switch_is_a_catalog_entry_the_diagnosis_can_name(fault):
    assert fault.value in ENTRIES


def test_every_switch_has_an_effect_and_none_is_also_unswitchable():
    assert set(EFFECTS) == set(Fault)
    assert not {f.value for f in Fault} & set(NOT_SWITCHABLE)
    assert {Fault.MLFLOW_GENERATION_MISMATCH, Fault.MLFLOW_DB_AUTH} == AT_START_ONLY  # they choose how a process starts


def test_switches_break_components_rather_than_answers():
    plan = plan_for([Fault.REDIS_CACHE_DOWN, Fault.AUTH_SERVICE_DOWN], ADDRESSES)
    assert plan.stopped == {"redis", "auth"} and plan.gateway == {}
    assert plan_for([Fault.MLFLOW_UNRESPONSIVE], ADDRESSES).gateway == {"mlflow_url": ADDRESSES.hanging}
    assert plan_for([Fault.ALB_TO_API_BLOCKED], ADDRESSES).api_targets == [ADDRESSES.blocked]
    assert plan_for([Fault.HEALTH_LIES], ADDRESSES).gateway["queue_url"].startswith("rediss://")


def test_mlflow_3_runs_in_this_interpreter():
    import sys

    assert mlflow_interpreter("3") == sys.executable


def test_abandoned_stack_directories_are_reclaimed_and_live_ones_kept(tmp_path):
    import subprocess
    import sys

    from hokusai_acceptance.stack.launcher import OWNER_FILE, reclaim_abandoned_dirs

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    abandoned = tmp_path / "hokusai-stack-abandoned"
    alive = tmp_path / "hokusai-stack-alive"
    unowned = tmp_path / "hokusai-stack-unowned"
    other = tmp_path / "something-else"
    for directory in (abandoned, alive, unowned, other):
        (directory / "logs").mkdir(parents=True)
    (abandoned / OWNER_FILE).write_text(str(gone.pid))
    (alive / OWNER_FILE).write_text(str(os.getppid()))
    (other / OWNER_FILE).write_text(str(gone.pid))

    removed = reclaim_abandoned_dirs(tmp_path)

    assert removed == [abandoned]
    assert not abandoned.exists()
    assert alive.exists() and unowned.exists() and other.exists()


def test_the_embedded_stack_has_everything_the_suite_may_ask_of_it():
    """What scenarios ask of the running stack is the StackControl protocol; the stack answers all of it."""
    from hokusai_acceptance.stack.launcher import EmbeddedStack
    from hokusai_acceptance.stack_control import StackControl, StackKeysView

    stack = EmbeddedStack()  # not started: no process runs, only its keys, ports and folder exist
    try:
        for protocol, implementation in ((StackControl, stack), (StackKeysView, stack.keys)):
            wanted = sorted(name for name in vars(protocol) if not name.startswith("_"))
            assert [name for name in wanted if not hasattr(implementation, name)] == [], protocol.__name__
    finally:
        stack.stop()
