"""Steps shared by every capability: who is calling."""
from behave import given


@given("a valid Hokusai API key")
def step_a_valid_hokusai_api_key(context):
    context.world.use_key("valid")


@given("an API key that Hokusai never issued")
def step_an_api_key_that_hokusai_never_issued(context):
    context.world.use_key("never issued")
