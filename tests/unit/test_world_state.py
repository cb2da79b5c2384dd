"""Steps hand each other typed state; reading what no earlier step produced is a clear error."""

import pytest

from hokusai_acceptance.errors import SuiteError
from hokusai_acceptance.state import CallState, RegistrationState, ScenarioOrderError


def test_an_unset_field_names_the_step_that_sets_it():
    state = RegistrationState()
    with pytest.raises(ScenarioOrderError, match=r"trained.*Given a scikit-learn classifier trained"):
        _ = state.trained
    assert isinstance(ScenarioOrderError("x"), SuiteError)  # reported broken, not as a product failure
    assert not state.has("trained") and state.registrations == []


def test_a_field_counts_as_set_once_a_step_sets_it_even_to_a_falsy_value():
    calls = CallState()
    assert not calls.has("replies")
    with pytest.raises(ScenarioOrderError, match=r"reply.*a step that calls the registry"):
        _ = calls.reply
    calls.replies = []  # falsy, but set: a check that found no replies must not read as "no step ran"
    assert calls.has("replies") and not calls.has("reply")


@pytest.mark.parametrize(
    "selection,asked",
    [(["@fuzz"], True), (["@fuzz and @readonly"], True), (["@readonly"], False), (["@fuzz or @smoke"], True)],
)
def test_generated_requests_run_only_when_the_selection_asks_for_them_by_name(selection, asked):
    from behave.tag_expression import make_tag_expression

    from hokusai_acceptance.behave_support import asked_for

    expression = make_tag_expression(selection)
    assert asked_for(expression, "fuzz", {"fuzz", "readonly", "errors"}) is asked
