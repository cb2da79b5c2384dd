"""Model registration steps."""
from behave import given, then, when


@given("a scikit-learn classifier trained on a sample data set")
def step_a_trained_scikit_learn_classifier(context):
    context.world.train_classifier()


@when('I register it as model "{slug}" with token id "{token_id}" and benchmark "{metric}" of {value}')
def step_i_register_it_with_hokusai_metadata(context, slug, token_id, metric, value):
    context.world.register_model(slug, token_id, metric, value)


@then("the model appears in the registry with version {version:d}")
def step_the_model_appears_in_the_registry(context, version):
    context.world.check_model_in_registry(version)


@then('its Hokusai tags name token "{token_id}", metric "{metric}" and value {value}')
def step_its_hokusai_tags_name(context, token_id, metric, value):
    context.world.check_hokusai_tags(token_id, metric, value)


@then("the registered model loads back and makes the same predictions")
def step_the_registered_model_loads_back(context):
    context.world.check_loads_and_predicts()
