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


def test_a_port_is_never_handed_out_twice(monkeypatch):
    """A port is free until its server binds it, seconds later: two components given the same one collide
    ('address already in use' at start-up), so the stack never hands a port out twice."""
    import random

    from hokusai_acceptance.stack import processes

    draws = iter([20001, 20001, 20002])
    monkeypatch.setattr(processes, "_ephemeral_range", lambda: (32768, 60999))
    monkeypatch.setattr(processes, "_handed_out", set())
    monkeypatch.setattr(random, "randint", lambda _low, _high: next(draws))
    assert [processes.free_port(), processes.free_port()] == [20001, 20002]


def test_a_port_another_process_of_the_suite_reserved_is_not_chosen(monkeypatch):
    """Two stacks starting at once in two processes: a port the other one has just chosen (its server not yet
    listening) is passed over; the reservation ends with the process that made it."""
    import random
    import subprocess
    import sys

    from hokusai_acceptance.stack import processes

    script = (
        "import sys, random\n"
        "from hokusai_acceptance.stack import processes\n"
        "random.randint = lambda low, high: 20011\n"
        "print(processes.free_port(), flush=True); sys.stdin.read()"
    )
    other = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert other.stdout.readline().strip() == "20011"
        draws = iter([20011, 20012])
        monkeypatch.setattr(processes, "_ephemeral_range", lambda: (32768, 60999))
        monkeypatch.setattr(processes, "_handed_out", set())
        monkeypatch.setattr(random, "randint", lambda _low, _high: next(draws))
        assert processes.free_port() == 20012
    finally:
        other.stdin.close()
        other.wait(timeout=30)
    draws = iter([20011])
    monkeypatch.setattr(random, "randint", lambda _low, _high: next(draws))
    assert processes.free_port() == 20011  # the other process has ended: its reservation with it
