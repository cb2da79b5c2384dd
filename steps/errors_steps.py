"""Error-handling steps."""

from behave import given, then, when


@given("the auth service takes {seconds:d} seconds to answer")
def step_the_auth_service_is_slow(context, seconds):
    context.world.errors.make_auth_service_slow(seconds)


@given("MLflow stops answering and the API waits at most {seconds:d} seconds for it")
def step_mlflow_stops_answering(context, seconds):
    context.world.errors.make_mlflow_unresponsive(seconds)


@given("the API cannot reach the MLflow server")
def step_the_gateway_cannot_reach_mlflow(context):
    context.world.errors.inject_fault("mlflow-dns-failure")


@when("I call the registry and time the answer")
def step_i_call_and_time(context):
    context.world.errors.timed_call()


@then('the call is refused with "{detail}" within {seconds:g} seconds')
def step_refused_in_time(context, detail, seconds):
    context.world.errors.check_refused_in_time(detail, seconds)


@then('the answer is {status:d} saying "{detail}" within {seconds:g} seconds')
def step_gateway_error_in_time(context, status, detail, seconds):
    context.world.errors.check_gateway_error(status, detail, seconds)


@when("I use the MLflow client against the registry")
def step_i_use_the_mlflow_client(context):
    context.world.errors.try_mlflow_client_call()


@then("the MLflow client gives up within {seconds:g} seconds")
def step_the_mlflow_client_gives_up(context, seconds):
    context.world.errors.check_client_fails_fast(seconds)


@when("I call the registry {calls:d} times in a row")
def step_i_call_n_times_in_a_row(context, calls):
    context.world.errors.call_until_limited(calls)


@then("the first {allowed:d} calls succeed and the {nth:Ordinal} is refused with 429 and a Retry-After header")
def step_rate_limited_after(context, allowed, nth):
    context.world.errors.check_rate_limited_after(allowed, refused_call=nth)


@when("I create an experiment with the body '{body}' sent as \"{content_type}\"")
def step_i_send_malformed(context, body, content_type):
    context.world.errors.send_malformed(body, content_type)


@then("the request is refused as a client error with an MLflow error code")
def step_refused_as_client_error(context):
    context.world.errors.check_client_error_with_code()


@when('I call the unknown route "{path}"')
def step_i_call_the_unknown_route(context, path):
    context.world.errors.call_unknown_route(path)


@then("the answer is a JSON 404")
def step_the_answer_is_a_json_404(context):
    context.world.errors.check_not_found_json()


@when("{count:d} callers list experiments at the same time")
def step_callers_list_concurrently(context, count):
    context.world.errors.read_concurrently(count)


@then("every one of them gets the experiment list")
def step_every_one_gets_the_list(context):
    context.world.errors.check_all_succeeded()
