@performance @allure.label.epic:Performance
Feature: The registry stays fast while many developers use it
  Latency and throughput are measured on the local reference stack, and all load stays on
  this machine. Each scenario states its limit; `make bench` checks the same limits in more
  depth and draws the plots. These scenarios run only when asked for (--tags=@performance).

  @readonly @embedded_only
  Scenario: Authenticated reads answer within 250 milliseconds, 95 times out of 100
    When I time 200 authenticated reads
    Then 95 out of 100 of them answer within 250 milliseconds

  @readonly @embedded_only
  Scenario: The API adds at most a fifth to MLflow's own answer time
    When I time 150 experiment searches through the API and straight to MLflow
    Then the API's median answer time is at most 1.2 times MLflow's own

  @readonly @embedded_only @slow
  Scenario: Under 32 concurrent callers the API serves at least 80% of what MLflow serves alone
    When 32 simulated callers read the registry for 5 seconds, through the API and straight to MLflow
    Then the API serves at least 0.8 times MLflow's own requests per second, without failures

  @writes @embedded_only @slow
  Scenario: Every registry operation a developer uses is timed
    When I time these registry operations through the API
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
    Then every timed operation succeeded every time, with its median and slowest times in the report

  @readonly @embedded_only
  Scenario Outline: Reads keep being served at <users> concurrent callers
    When <users> simulated callers read the registry for 4 seconds through the API
    Then every request was served, with the requests per second in the report
    And the registry answered a read promptly again within 5 seconds once the load stopped

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
    A request still stuck when the load stops is not counted as failed by the load generator,
    so the registry must also answer a read promptly soon after: a stalled registry fails here.
    When <users> simulated callers write the registry for 4 seconds through the API
    Then every request was served, with the requests per second in the report
    And the registry answered a read promptly again within 5 seconds once the load stopped

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
  Scenario: A read the validation cache answers is faster than one the auth service must check
    When I time 50 reads with the validation cache just emptied and 50 with it warm, taken in turns
    Then the auth service checked the key for every cold read and for none of the warm ones
    And the warm reads' median answer time is below the cold reads'

  @readonly @embedded_only @slow
  Scenario: Resource use of every stack process and of the suite is sampled under load
    When 32 simulated callers read the registry for 5 seconds while resource use is sampled
    Then CPU and memory of mlflow, gateway, auth, redis and suite are in the report
