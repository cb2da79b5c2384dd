"""The 2026 registration story: tokenized registration events and the API's own model routes."""

from behave import given, then, when


@given("the registry takes tokenized registration events")
def step_the_registry_takes_registration_events(context):
    context.world.tokenized.require_events()


@when("I announce the registration to Hokusai with its baseline of {baseline:g}")
def step_i_announce_the_registration(context, baseline):
    context.world.tokenized.announce(baseline)


@when("I announce the registration to Hokusai without its baseline")
def step_i_announce_without_baseline(context):
    context.world.tokenized.announce_without_baseline()


@then("Hokusai confirms the registration event for my token")
def step_hokusai_confirms_the_event(context):
    context.world.tokenized.check_confirmed()


@then("the API's own model route shows my model version with its token id")
def step_the_model_route_shows_the_version(context):
    context.world.tokenized.check_model_route_shows_version()


@then("the announcement is refused as malformed, naming the missing baseline")
def step_the_announcement_is_refused_as_malformed(context):
    context.world.tokenized.check_refused_as_malformed()


@when("I list the models through the API's own model routes")
def step_i_list_the_models(context):
    context.world.tokenized.list_models()


@then("the call is refused with HTTP 402, telling me my balance is used up")
def step_refused_for_balance(context):
    context.world.tokenized.check_refused_for_balance()
