"""Steps hand each other typed state; reading what no earlier step produced is a clear error."""

import pytest

from hokusai_acceptance.errors import SuiteError
from hokusai_acceptance.state import CallState, RegistrationState, ScenarioOrderError


def test_an_unset_field_names_the_step_that_sets_it():
    state = RegistrationState()
    with pytest.raises(ScenarioOrderError, match="trained.*Given a scikit-learn classifier trained"):
        _ = state.trained
    assert isinstance(ScenarioOrderError("x"), SuiteError)  # reported broken, not as a product failure
    assert not state.has("trained") and state.registrations == []


def test_a_set_field_reads_back_and_none_is_a_value():
    state = RegistrationState()
    state.refusal = None
    assert state.refusal is None and state.has("refusal")
    calls = CallState()
    calls.replies = []
    assert calls.replies == []
