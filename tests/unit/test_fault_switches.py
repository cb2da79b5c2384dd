"""Fault switches: names are checked, and each one sets only its own aspect of the stack."""
import pytest

from hokusai_acceptance.stack import faults
from hokusai_acceptance.stack.launcher import mlflow_interpreter


def test_unknown_switch_names_the_known_ones():
    with pytest.raises(ValueError, match="unknown fault switch.*known: alb-api-path-to-mlflow"):
        faults.validate(["no-such-fault"])


def test_each_switch_sets_its_own_aspect():
    assert faults.auth_mode_for([]) == "ok" and faults.mlflow_generation_for([]) == "3"
    assert faults.auth_mode_for(["health-lies", "auth-service-down"]) == "down"
    assert faults.mlflow_generation_for(["auth-service-down"]) == "3"
    assert faults.mlflow_generation_for(["mlflow-generation-mismatch"]) == "2.9"


def test_every_switch_says_how_it_shows_and_none_is_also_unswitchable():
    assert all(spec.get("how") for spec in faults.SWITCHES.values())
    assert not set(faults.SWITCHES) & set(faults.NOT_SWITCHABLE)


def test_mlflow_3_runs_in_this_interpreter():
    import sys

    assert mlflow_interpreter("3") == sys.executable
