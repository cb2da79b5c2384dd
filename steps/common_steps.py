"""Steps shared by every capability: who is calling."""

from behave import given


@given("a valid Hokusai API key")
def step_a_valid_hokusai_api_key(context):
    context.world.use_key("valid")


@given("an API key that Hokusai never issued")
def step_an_api_key_that_hokusai_never_issued(context):
    context.world.use_key("never issued")


@given("a read-only Hokusai API key")
def step_a_read_only_hokusai_api_key(context):
    context.world.use_key("read-only")


@given("a revoked Hokusai API key")
def step_a_revoked_hokusai_api_key(context):
    context.world.use_key("revoked")


@given("an expired Hokusai API key")
def step_an_expired_hokusai_api_key(context):
    context.world.use_key("expired")


@given("a Hokusai API key that is about to be revoked")
def step_a_key_about_to_be_revoked(context):
    context.world.use_key("revocable")


@given("a rate-limited Hokusai API key allowing {calls:d} calls an hour")
def step_a_rate_limited_key(context, calls):
    context.world.auth.use_rate_limited_key(calls)


@given("a Hokusai API key whose account has no balance left")
def step_a_key_without_balance(context):
    context.world.use_key("no balance")


@given("a registry admin's Hokusai API key")
def step_a_registry_admin_key(context):
    context.world.use_key("registry admin")
