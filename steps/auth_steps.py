"""Authentication steps."""
from behave import then, when

from hokusai_acceptance.client import KeyForm


@when('I call the registry with my key in the {form}')
def step_i_call_the_registry_with_my_key_in(context, form):
    context.world.call_registry(KeyForm.parse(form))


@when("I call the registry without a key")
def step_i_call_the_registry_without_a_key(context):
    context.world.call_registry(key_form=None)


@then("the registry accepts the call")
def step_the_registry_accepts_the_call(context):
    context.world.check_accepted()


@then('the call is refused with {status:d} "{detail}"')
def step_the_call_is_refused_with(context, status, detail):
    context.world.check_refused(status, detail)
