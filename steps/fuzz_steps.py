"""Generated-request steps (requests drawn from the contract document) and contract drift."""

from behave import given, then, when


@given("requests generated from the contract's {kind:w} have been sent to the registry")
def step_generated_requests_have_been_sent(context, kind):
    context.world.fuzzing.send_generated_requests(kind)


@then("none of them was answered with a server error")
def step_none_was_answered_with_a_server_error(context):
    context.world.fuzzing.check_no_server_errors()


@then("every answer has a status, content type and shape the contract documents")
def step_every_answer_is_documented(context):
    context.world.fuzzing.check_answers_documented()


@then("everything the registry created could be read back until it was deleted")
def step_everything_created_could_be_read_back(context):
    context.world.fuzzing.check_writes_read_back()


@then("the API's own endpoints answered every one of them as documented")
def step_own_endpoints_answered_as_documented(context):
    context.world.fuzzing.check_own_endpoints_clean()


@when("I fetch the API's own OpenAPI description")
def step_i_fetch_the_apis_own_description(context):
    context.world.fuzzing.fetch_served_description()


@when("I compare it with the contract")
def step_i_compare_it_with_the_contract(context):
    context.world.fuzzing.compare_with_contract()


@then("the differences are stated in the reports as drift, not as failures")
def step_differences_are_stated_as_drift(context):
    context.world.fuzzing.state_drift()


@then("the API's own description is valid OpenAPI")
def step_the_apis_own_description_is_valid(context):
    context.world.fuzzing.check_served_description_valid()
