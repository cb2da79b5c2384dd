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
