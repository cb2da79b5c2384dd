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

  @writes @embedded_only @slow
  Scenario: Every registry operation a developer uses is timed
    When I time these registry operations through the gateway
      | operation               | times |
      | authenticated read      | 60    |
      | experiment search       | 60    |
      | run create + metric log | 20    |
      | model-version create    | 20    |
      | artifact upload 1 KB    | 20    |
      | artifact download 1 KB  | 20    |
      | artifact upload 1 MB    | 10    |
      | artifact download 1 MB  | 10    |
      | artifact upload 50 MB   | 2     |
      | artifact download 50 MB | 2     |
      | register and load       | 2     |
    Then every timed operation succeeded every time, with its p50, p95 and p99 in the report

  @readonly @embedded_only
  Scenario Outline: Reads keep being served at <users> concurrent callers
    When <users> simulated callers read the registry for 4 seconds through the gateway
    Then every request was served, with the requests per second in the report
    And the registry answered a read promptly again within the recovery budget once the load stopped

    Examples:
      | users |
      | 1     |
      | 8     |

    @slow
    Examples: Many callers
      | users |
      | 32    |
      | 64    |

  @writes @embedded_only
  Scenario Outline: Writes keep being served at <users> concurrent callers
    A request still stuck when the load stops is not counted as failed by the load generator, so
    the registry must also answer a read promptly soon after: a stalled registry fails here.
    When <users> simulated callers write the registry for 4 seconds through the gateway
    Then every request was served, with the requests per second in the report
    And the registry answered a read promptly again within the recovery budget once the load stopped

    Examples:
      | users |
      | 1     |
      | 8     |

    @slow
    Examples: Many callers
      | users |
      | 32    |
      | 64    |

  @readonly @embedded_only
  Scenario: The validation cache spares the auth service and is timed
    When I time 30 validated reads with the cache emptied before each, then 30 with it warm
    Then the auth service validated the key for every cold read and for none of the warm ones

  @readonly @embedded_only @slow
  Scenario: Resource use of every stack process and of the suite is sampled under load
    When 32 simulated callers read the registry for 5 seconds while resource use is sampled
    Then CPU and memory of mlflow, gateway, auth, redis and suite are in the report
