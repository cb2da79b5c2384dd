@health @allure.label.epic:Infrastructure_health
Feature: Anyone can tell whether the registry is up without holding a key
  Monitoring probes and the infra team check the Hokusai API before anything else.
  The health endpoint answers without a key and names the state of each dependency;
  MLflow itself is only reached through the authenticated registry proxy.

  @smoke @readonly @critical
  Scenario: The API reports itself healthy to a probe that has no key
    When monitoring asks the API for its health without a key
    Then the API answers that it is healthy
    And the health report shows MLflow and Redis as healthy

  @smoke @readonly @critical
  Scenario: MLflow answers through the registry proxy
    Given a valid Hokusai API key
    When I list experiments through the registry
    Then the registry answers with a list of experiments

  @readonly
  Scenario: The API sees its MLflow server as connected
    When monitoring asks the API whether MLflow is connected
    Then the API reports MLflow connected with its circuit breaker closed

  @readonly
  Scenario: Artifact storage is served, so models can be uploaded and downloaded
    Given a valid Hokusai API key
    When I ask the API to check its MLflow server in depth
    Then the experiment and artifact APIs are both reported healthy

  @readonly
  Scenario Outline: The <probe name> probe answers monitoring without a key, within budget
    When monitoring calls "<path>" without a key
    Then the probe answers without asking for a key
    And the probe answers within the monitoring budget

    Examples:
      | probe name        | path               |
      | health            | /health            |
      | MLflow health     | /health/mlflow     |
      | MLflow API health | /api/health/mlflow |
      | readiness         | /ready             |
      | liveness          | /live              |
      | version           | /version           |

  @readonly
  Scenario: The API documentation is published
    When a developer opens the API documentation
    Then the interactive docs and the OpenAPI description are available

  @readonly
  Scenario: The deployed version can be identified
    Given a valid Hokusai API key
    When I ask the API for its version
    Then the API names the version that is deployed

  @readonly @embedded_only
  Scenario: Repeated calls are served from the validation cache
    Given a valid Hokusai API key
    And the validation cache is empty
    When I call the registry 3 times
    Then every call is accepted
    And the auth service validated my key only once

  @readonly @aws
  Scenario: The registry's ECS services run their tasks behind healthy targets
    When I read the ECS status of the registry's services
    Then every service runs its desired number of tasks with healthy load-balancer targets
