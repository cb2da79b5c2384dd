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


@when("{users:d} simulated callers read the registry for {seconds:d} seconds, through the gateway and straight to MLflow")
def step_simulated_callers(context, users, seconds):
    context.world.measure_throughput(users, seconds)


@then("the gateway serves at least the budgeted share of MLflow's throughput without failures")
def step_throughput_share(context):
    context.world.check_throughput_ratio(context.world.run.budget("perf_min_throughput_ratio"))
