"""Authentication steps."""

from behave import given, then, when


@when("I call the registry with my key in the {form:KeyForm}")
def step_i_call_the_registry_with_my_key_in(context, form):
    context.world.auth.call_registry(form)


@when('I call the registry with my key after the word "{scheme}"')
def step_i_call_the_registry_with_scheme(context, scheme):
    context.world.auth.call_registry_with_scheme(scheme)


@when("I call the registry without a key")
def step_i_call_the_registry_without_a_key(context):
    context.world.auth.call_registry(key_form=None)


@when("I call the registry {times:d} times")
def step_i_call_the_registry_n_times(context, times):
    context.world.auth.call_registry_repeatedly(times)


@then("the registry accepts the call")
def step_the_registry_accepts_the_call(context):
    context.world.auth.check_accepted()


@then("every call is accepted")
def step_every_call_is_accepted(context):
    context.world.auth.check_all_accepted()


@then('the call is refused with the message "{detail}"')
def step_the_call_is_refused_with(context, detail):
    context.world.auth.check_refused(detail)


@then('every call is refused with the message "{detail}"')
def step_every_call_is_refused_with(context, detail):
    context.world.auth.check_all_refused(detail)


@given("the validation cache is empty")
def step_the_validation_cache_is_empty(context):
    context.world.auth.start_with_empty_cache()


@then("the auth service was asked {times:d} time")
def step_the_auth_service_was_asked_once(context, times):
    context.world.auth.check_auth_service_calls(times)


@then("the auth service was asked {times:d} times")
def step_the_auth_service_was_asked_n_times(context, times):
    context.world.auth.check_auth_service_calls(times)


@given("I have called the registry once, so my key's check is cached")
def step_i_have_called_once_so_cached(context):
    context.world.auth.call_registry_repeatedly(1)


@when("the auth service revokes my key")
def step_the_auth_service_revokes_my_key(context):
    context.world.auth.revoke_my_key()


@then("the registry still accepts my key, and its cached check is set to expire within {seconds:d} seconds")
def step_the_registry_still_accepts_my_key(context, seconds):
    context.world.auth.check_still_accepted_within_window(seconds)


@when("the cached check expires and I call again")
def step_the_cached_validation_expires(context):
    context.world.auth.expire_cache_entry_and_call()


@when("I try to create an experiment")
def step_i_try_to_create_an_experiment(context):
    context.world.auth.try_to_create_experiment()


@then("the write is refused because the key may only read")
def step_the_write_is_refused_for_lack_of_scope(context):
    context.world.auth.check_write_forbidden()
