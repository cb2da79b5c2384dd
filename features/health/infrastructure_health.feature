@health @allure.label.epic:Infrastructure_health
Feature: Anyone can tell whether the registry is up without holding a key
  Monitoring and the infra team look at the Hokusai API before anything else. Its health
  check answers without a key and says how each service it depends on is doing. MLflow,
  where the models live, is reached only through the registry, with a key.

  @smoke @readonly @critical
  Scenario: The API reports itself healthy to monitoring, which has no key
    When monitoring asks the API for its health without a key
    Then the API answers that it is healthy
    And the health report shows MLflow and Redis as healthy

  @smoke @readonly @critical
  Scenario: MLflow answers through the registry
    Given a valid Hokusai API key
    When I list experiments through the registry
    Then the registry answers with a list of experiments

  @readonly
  Scenario: The API reports that it can reach MLflow
    When monitoring asks the API whether MLflow is connected
    Then the API reports MLflow connected and taking requests

  @readonly
  Scenario: The API's in-depth check finds MLflow's experiment and artifact services working
    Given a valid Hokusai API key
    When I ask the API to check its MLflow server in depth
    Then the experiment and artifact services are both reported working

  @readonly
  Scenario Outline: The <check> check answers monitoring without a key, within 2 seconds
    When monitoring calls the <check> check without a key
    Then the check answers without asking for a key
    And the check answers within 2000 milliseconds

    Examples:
      | check             |
      | health            |
      | MLflow health     |
      | MLflow API health |
      | readiness         |
      | liveness          |
      | version           |

  @readonly
  Scenario: The API documentation is published
    When a developer opens the API documentation
    Then the interactive docs and the machine-readable API description are available

  @readonly
  Scenario: The deployed version can be identified
    Given a valid Hokusai API key
    When I ask the API for its version
    Then the API names the version that is deployed

  @readonly @aws
  Scenario: The registry's services run all their tasks behind healthy load balancer targets
    When I read the registry's service status from AWS
    Then every service runs as many tasks as it should, each a healthy load balancer target
