"""Infrastructure health steps."""

from behave import then, when


@when("monitoring asks the API for its health without a key")
def step_monitoring_asks_for_health_without_a_key(context):
    context.world.health.ask_health(with_key=False)


@then("the API answers that it is healthy")
def step_the_api_answers_that_it_is_healthy(context):
    context.world.health.check_healthy()


@then("the health report shows MLflow and Redis as healthy")
def step_the_health_report_shows_mlflow_and_redis_healthy(context):
    context.world.health.check_health_names_services("mlflow", "redis")


@when("I list experiments through the registry")
def step_i_list_experiments_through_the_registry(context):
    context.world.auth.call_registry()


@then("the registry answers with a list of experiments")
def step_the_registry_answers_with_a_list_of_experiments(context):
    context.world.proxy.check_experiments_listed()


@when("monitoring asks the API whether MLflow is connected")
def step_monitoring_asks_whether_mlflow_is_connected(context):
    context.world.health.ask_mlflow_health()


@then("the API reports MLflow connected and taking requests")
def step_the_api_reports_mlflow_connected(context):
    context.world.health.check_mlflow_connected()


@when("I ask the API to check its MLflow server in depth")
def step_i_ask_the_api_to_check_mlflow_in_depth(context):
    context.world.health.ask_mlflow_api_health()


@then("the experiment and artifact services are both reported working")
def step_experiment_and_artifact_apis_healthy(context):
    context.world.health.check_artifact_serving_enabled()


@when("monitoring calls the {check} check without a key")
def step_monitoring_calls_the_check_without_a_key(context, check):
    context.world.health.probe_check_without_key(check)


@then("the check answers without asking for a key")
def step_the_probe_answers_without_asking_for_a_key(context):
    context.world.health.check_probe_answers_without_key()


@then("the check answers within {ms:d} milliseconds")
def step_the_check_answers_within(context, ms):
    context.world.health.check_probe_within_budget(context.world.run.stated_budget("probe_budget_ms", ms))


@when("a developer opens the API documentation")
def step_a_developer_opens_the_api_documentation(context):
    context.world.health.read_docs()


@then("the interactive docs and the machine-readable API description are available")
def step_docs_and_openapi_available(context):
    context.world.health.check_docs_published()


@when("I ask the API for its version")
def step_i_ask_the_api_for_its_version(context):
    context.world.health.ask_version()


@then("the API names the version that is deployed")
def step_the_api_names_its_version(context):
    context.world.health.check_version_reported()


@when("I read the registry's service status from AWS")
def step_i_read_the_ecs_status(context):
    context.world.health.read_ecs_status()


@then("every service runs as many tasks as it should, each a healthy load balancer target")
def step_every_service_runs_its_desired_tasks(context):
    context.world.health.check_ecs_services_healthy()
