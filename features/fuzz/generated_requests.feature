@fuzz @allure.label.epic:Requests_nobody_wrote_down
Feature: Requests nobody wrote down
  As the infra team, I want the registry tried with requests no one thought of, because the hand-written
  stories only check what someone thought of, and real registries fail on inputs nobody wrote down.

  The requests are generated from the registration contract (contract/hokusai-registration.openapi.yaml):
  valid ones, ones that each break one rule of the contract, and, where writes are allowed, create, read
  and delete sequences. Each failure in the report comes with a command that reproduces it.
  The requests that write go only to a registry on this machine, unless HOKUSAI_FUZZ_WRITES=1 allows them
  elsewhere. They stay inside one scratch experiment and run, named with this run's prefix, and everything
  they create is deleted at the end. The number of requests and the time they take are bounded
  (behave.ini: fuzz_max_examples, fuzz_read_seconds, fuzz_write_seconds; fuzz_seed repeats a run).
  These stories run only when asked for by name: behave --tags=@fuzz, or make fuzz. A few thousand
  requests are a sample, not every possible request: a pass means none of them found a failure.
  The API's own endpoints are its service information (/), health, readiness, version and metrics, which it
  answers itself rather than passing them on to MLflow. A difference between the target's own description
  and the contract is drift, stated in the reports; an answer the contract does not document is a failure.

  @readonly
  Scenario: No read a developer can send makes the registry fail with a server error
    Given requests generated from the contract's reads have been sent to the registry
    Then none of them was answered with a server error

  @readonly
  Scenario: Every answer to a read matches the documented contract
    Given requests generated from the contract's reads have been sent to the registry
    Then every answer has a status, content type and shape the contract documents

  @readonly
  Scenario: The API's own endpoints answer every generated request as documented
    Given requests generated from the contract's reads have been sent to the registry
    Then the API's own endpoints answered every one of them as documented

  @writes
  Scenario: No request a developer can send makes the registry fail with a server error
    Given requests generated from the contract's operations have been sent to the registry
    Then none of them was answered with a server error

  @writes
  Scenario: Every answer matches the documented contract
    Given requests generated from the contract's operations have been sent to the registry
    Then every answer has a status, content type and shape the contract documents

  @writes
  Scenario: Every write the registry accepts can be read back
    Given requests generated from the contract's operations have been sent to the registry
    Then everything the registry created could be read back until it was deleted

  @readonly
  Scenario: The API's own description of itself is compared with the contract
    When I fetch the API's own OpenAPI description
    And I compare it with the contract
    Then the differences are stated in the reports as drift, not as failures
    And the API's own description is valid OpenAPI
