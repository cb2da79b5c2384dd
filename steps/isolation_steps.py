"""Steps of the story of two developers sharing one registry."""

from behave import given, then, when


@given("another developer with their own Hokusai API key")
def step_another_developer(context):
    context.world.isolation.meet_other_developer()


@given(
    'the other developer has registered their own model "{slug}" with token id "{token_id}" and benchmark '
    '"{metric}" of {value}'
)
def step_the_other_developer_has_registered(context, slug, token_id, metric, value):
    context.world.isolation.other_registers_own_model(slug, token_id, metric, value)


@when("the other developer tries to {change} my model")
def step_the_other_developer_tries(context, change):
    context.world.isolation.other_tries(change)


@when("the other developer registers a model of their own under my model's name")
def step_the_other_developer_takes_my_name(context):
    context.world.isolation.other_registers_under_my_name()


@when('the other developer tags their version with my token id "{token_id}"')
def step_the_other_developer_claims_my_token(context, token_id):
    context.world.isolation.other_claims_token(token_id)


@when(
    'the other developer registers their own model "{slug}" with my token id "{token_id}" and benchmark '
    '"{metric}" of {value}'
)
def step_the_other_developer_registers_with_my_token(context, slug, token_id, metric, value):
    context.world.isolation.other_registers_with_my_token(slug, token_id, metric, value)


@then("the other developer is refused with 403 Forbidden")
def step_the_registry_refuses_not_theirs(context):
    context.world.isolation.check_refused_as_not_theirs()


@then('the other developer is told that the name "{slug}" is taken')
def step_told_name_taken(context, slug):
    context.world.isolation.check_told_name_taken(slug)


@then('the other developer is told that token id "{token_id}" is already claimed')
def step_told_token_taken(context, token_id):
    context.world.isolation.check_told_token_taken(token_id)


@then("my model is unchanged")
def step_my_model_is_unchanged(context):
    context.world.isolation.check_my_model_unchanged()


@then("the other developer can read my model, its version and its training run")
def step_the_other_developer_can_read(context):
    context.world.isolation.check_other_can_read()


@then('their version still carries their own token id "{token_id}"')
def step_their_version_keeps_its_token(context, token_id):
    context.world.isolation.check_their_token(token_id)


@then("the model and each of its {count:d} versions name one and the same owner")
def step_owner_recorded(context, count):
    context.world.isolation.check_owner_recorded(count)


@when("I switch to my second key, as issued at a key rotation")
def step_i_switch_to_my_new_key(context):
    context.world.use_key("rotated")
