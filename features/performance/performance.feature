@performance @allure.label.epic:Performance
Feature: The registry stays fast while many developers use it
  Latency and throughput are measured on the embedded stack (all load stays on
  this machine). Budgets come from behave.ini ([behave.userdata] perf_*), never from
  the scenarios; `make bench` measures everything in depth and plots it.

  @readonly @embedded_only
  Scenario: Authenticated reads stay within the latency budget
    When I time 200 authenticated reads
    Then their 95th percentile stays within the read latency budget

  @readonly @embedded_only
  Scenario: The gateway adds little latency to MLflow's own
    When I time 150 experiment searches through the gateway and straight to MLflow
    Then the gateway's median stays within the overhead budget

  @readonly @embedded_only @slow
  Scenario: Under 32 concurrent callers the gateway keeps up with MLflow
    When 32 simulated callers read the registry for 5 seconds, through the gateway and straight to MLflow
    Then the gateway serves at least the budgeted share of MLflow's throughput without failures

  @writes @embedded_only
  Scenario: Eight developers registering at once all succeed
    Given a valid Hokusai API key
    When 8 developers register versions of model "perf-concurrent" at the same time
    Then the model has 8 distinct versions, each with its own tags
