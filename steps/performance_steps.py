"""Performance steps: each limit is stated in the scenario and checked against behave.ini's."""

from behave import then, when


@when("I time {count:d} authenticated reads")
def step_i_time_authenticated_reads(context, count):
    context.world.performance.measure_read_latency(count)


@then("95 out of 100 of them answer within {ms:d} milliseconds")
def step_p95_within(context, ms):
    context.world.performance.check_p95_within(context.world.run.stated_budget("perf_read_p95_ms", ms))


@when("I time {count:d} experiment searches through the API and straight to MLflow")
def step_i_time_overhead(context, count):
    context.world.performance.measure_overhead(count)


@then("the API's median answer time is at most {ratio:g} times MLflow's own")
def step_overhead_within(context, ratio):
    context.world.performance.check_overhead_within(context.world.run.stated_budget("perf_overhead_ratio", ratio))


@when("{users:d} simulated callers read the registry for {seconds:d} seconds, through the API and straight to MLflow")
def step_simulated_callers(context, users, seconds):
    context.world.performance.measure_throughput(users, seconds)


@then("the API serves at least {ratio:g} times MLflow's own requests per second, without failures")
def step_throughput_share(context, ratio):
    context.world.performance.check_throughput_ratio(
        context.world.run.stated_budget("perf_min_throughput_ratio", ratio)
    )


@when("I time these registry operations through the API")
def step_i_time_registry_operations(context):
    context.world.performance.time_operations([(row["operation"], int(row["times"])) for row in context.table])


@then("every timed operation succeeded every time, with its median and slowest times in the report")
def step_every_operation_succeeded(context):
    context.world.performance.check_operations_succeeded()


@when("{users:d} simulated callers {operation:w} the registry for {seconds:d} seconds through the API")
def step_simulated_load(context, users, operation, seconds):
    context.world.performance.measure_load(operation, users, seconds)


@then("every request was served, with the requests per second in the report")
def step_every_request_served(context):
    context.world.performance.check_load_served()


@then("the registry answered a read promptly again within {seconds:d} seconds once the load stopped")
def step_registry_recovered(context, seconds):
    context.world.performance.check_recovered_within(
        context.world.run.stated_budget("perf_max_recovery_seconds", seconds)
    )


@when("I time {cold:d} reads with the validation cache just emptied and {warm:d} with it warm, taken in turns")
def step_time_cache_effect(context, cold, warm):
    context.world.performance.measure_cache_effect(cold, warm)


@then("the auth service checked the key for every cold read and for none of the warm ones")
def step_cache_spares_auth_service(context):
    context.world.performance.check_cache_spares_the_auth_service()


@then("the warm reads' median answer time is below the cold reads'")
def step_warm_reads_faster(context):
    context.world.performance.check_warm_reads_faster()


@when("{users:d} simulated callers read the registry for {seconds:d} seconds while resource use is sampled")
def step_resources_under_load(context, users, seconds):
    context.world.performance.sample_resources_under_load(users, seconds)


@then("CPU and memory of {names} are in the report")
def step_resources_reported(context, names):
    context.world.performance.check_resources_reported(names)
