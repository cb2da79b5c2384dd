"""MLflow proxy steps."""

from behave import then, when


@when("I create an experiment and a run through the registry")
def step_i_create_an_experiment_and_run(context):
    context.world.proxy.create_experiment_and_run()


@when('I log the metric "{key}" with the values {first:g}, {second:g} and {third:g}')
def step_i_log_the_metric_values(context, key, first, second, third):
    context.world.proxy.log_metric_series(key, [first, second, third])


@then("the experiment can be read back and found by name")
def step_the_experiment_can_be_read_back(context):
    context.world.proxy.check_experiment_found()


@then('the metric history of "{key}" shows {first:g}, {second:g} and {third:g} in order')
def step_the_metric_history_shows(context, key, first, second, third):
    context.world.proxy.check_metric_history(key, [first, second, third])


@when("I upload a {size:d} KB file to the run's artifact store through the registry")
def step_i_upload_an_artifact(context, size):
    context.world.proxy.upload_artifact(size)


@then("the file is listed with its size and downloads byte for byte identical")
def step_the_artifact_is_listed_and_identical(context):
    context.world.proxy.check_artifact_listed_and_identical()


@when('I create the registered model "{slug}" through the registry')
def step_i_create_the_registered_model(context, slug):
    context.world.proxy.create_registered_model(slug)


@then("the model can be found by searching the registry")
def step_the_model_can_be_found(context):
    context.world.proxy.check_model_searchable()


@when('I change its description to "{text}"')
def step_i_change_its_description(context, text):
    context.world.proxy.update_description(text)


@then("the registry shows the new description")
def step_the_registry_shows_the_new_description(context):
    context.world.proxy.check_description()


@when("I delete the model")
def step_i_delete_the_model(context):
    context.world.proxy.delete_model()


@then("the registry no longer has the model")
def step_the_registry_no_longer_has_the_model(context):
    context.world.proxy.check_model_gone()


@when("I ask the registry for an experiment that does not exist")
def step_i_ask_for_a_missing_experiment(context):
    context.world.proxy.ask_for_missing_experiment()


@when("I ask the registry for an MLflow page that does not exist")
def step_i_ask_for_a_missing_page(context):
    context.world.proxy.ask_for_unknown_mlflow_page()


@then('the answer is {status:d} with the MLflow error code "{code}"')
def step_the_answer_has_the_mlflow_error_code(context, status, code):
    context.world.proxy.check_mlflow_error(status, code)


@when("I search the registry for at most {limit:d} model")
def step_i_search_with_a_limit(context, limit):
    context.world.proxy.search_with_limit(limit)


@then("at most {limit:d} model is returned")
def step_at_most_n_models_returned(context, limit):
    context.world.proxy.check_limit_respected(limit)


@when('I list experiments under "{path}"')
def step_i_list_experiments_under(context, path):
    context.world.proxy.call_through_mount(path)


@when('someone without a key calls "{path}"')
def step_someone_without_a_key_calls(context, path):
    context.world.proxy.call_without_key(path)


@then("the call is refused and no registry data is shown")
def step_refused_without_registry_data(context):
    context.world.proxy.check_refused_without_registry_data()


@when("I send a {method} call through an API whose MLflow side records what it receives")
def step_i_send_through_inspection_gateway(context, method):
    context.world.proxy.send_through_inspection_gateway(method)


@then("MLflow received the {method} call with its path and query unchanged, no credentials and my identity")
def step_the_upstream_received_the_call(context, method):
    context.world.proxy.check_forwarded_request(method)
