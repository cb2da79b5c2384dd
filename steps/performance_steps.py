"""Performance steps (budgets from behave.ini userdata)."""
from behave import then, when


@when("I time {count:d} authenticated reads")
def step_i_time_authenticated_reads(context, count):
    context.world.measure_read_latency(count)


@then("their 95th percentile stays within the read latency budget")
def step_p95_within_budget(context):
    context.world.check_p95_within(context.world.run.budget("perf_read_p95_ms"))


@when("I time {count:d} experiment searches through the gateway and straight to MLflow")
def step_i_time_overhead(context, count):
    context.world.measure_overhead(count)


@then("the gateway's median stays within the overhead budget")
def step_overhead_within_budget(context):
    context.world.check_overhead_within(context.world.run.budget("perf_overhead_ratio"))


@when("{users:d} simulated callers read the registry for {seconds:d} seconds, "
      "through the gateway and straight to MLflow")
def step_simulated_callers(context, users, seconds):
    context.world.measure_throughput(users, seconds)


@then("the gateway serves at least the budgeted share of MLflow's throughput without failures")
def step_throughput_share(context):
    context.world.check_throughput_ratio(context.world.run.budget("perf_min_throughput_ratio"))


@when("I time these registry operations through the gateway")
def step_i_time_registry_operations(context):
    context.world.time_operations([(row["operation"], int(row["times"])) for row in context.table])


@then("every timed operation succeeded every time, with its p50, p95 and p99 in the report")
def step_every_operation_succeeded(context):
    context.world.check_operations_succeeded()


@when("{users:d} simulated callers {operation:w} the registry for {seconds:d} seconds through the gateway")
def step_simulated_load(context, users, operation, seconds):
    context.world.measure_load(operation, users, seconds)


@then("every request was served, with the requests per second in the report")
def step_every_request_served(context):
    context.world.check_load_served()


@then("the registry answered a read promptly again within the recovery budget once the load stopped")
def step_registry_recovered(context):
    context.world.check_recovered_within(context.world.run.budget("perf_max_recovery_seconds"))


@when("I time {cold:d} validated reads with the cache emptied before each, then {warm:d} with it warm")
def step_time_cache_effect(context, cold, warm):
    context.world.measure_cache_effect(cold, warm)


@then("the auth service validated the key for every cold read and for none of the warm ones")
def step_cache_spares_auth_service(context):
    context.world.check_cache_spares_the_auth_service()


@when("{users:d} simulated callers read the registry for {seconds:d} seconds while resource use is sampled")
def step_resources_under_load(context, users, seconds):
    context.world.sample_resources_under_load(users, seconds)


@then("CPU and memory of {names} are in the report")
def step_resources_reported(context, names):
    context.world.check_resources_reported([n.strip() for n in names.replace(" and ", ", ").split(",")])
