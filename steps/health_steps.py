"""Infrastructure health steps."""
from behave import then, when


@when("monitoring asks the API for its health without a key")
def step_monitoring_asks_for_health_without_a_key(context):
    context.world.ask_health(with_key=False)


@then("the API answers that it is healthy")
def step_the_api_answers_that_it_is_healthy(context):
    context.world.check_healthy()


@then("the health report shows MLflow and Redis as healthy")
def step_the_health_report_shows_mlflow_and_redis_healthy(context):
    context.world.check_health_names_services("mlflow", "redis")


@when("I list experiments through the registry")
def step_i_list_experiments_through_the_registry(context):
    context.world.call_registry()


@then("the registry answers with a list of experiments")
def step_the_registry_answers_with_a_list_of_experiments(context):
    context.world.check_accepted()
