@proxy @allure.label.epic:MLflow_proxy
Feature: The registry passes MLflow calls of callers with a key through to MLflow
  The Hokusai API forwards every MLflow call under /api/mlflow (and /mlflow) to the MLflow
  server: all methods, paths and query strings, with the caller's credentials removed and
  the caller's identity added. MLflow's own JSON errors pass through; an HTML "not found"
  page becomes a JSON error the MLflow client understands. This feature is about the HTTP
  contract itself, so it names status codes and paths.

  Background:
    Given a valid Hokusai API key

  @writes @critical
  Scenario: Experiments, runs and metric histories are tracked through the registry
    When I create an experiment and a run through the registry
    And I log the metric "loss" with the values 0.9, 0.5 and 0.25
    Then the experiment can be read back and found by name
    And the metric history of "loss" shows 0.9, 0.5 and 0.25 in order

  @writes @critical
  Scenario Outline: A <size> KB file is uploaded, listed and downloaded unchanged
    When I upload a <size> KB file to the run's artifact store through the registry
    Then the file is listed with its size and downloads byte for byte identical

    Examples:
      | size |
      | 1    |
      | 1024 |

  @writes
  Scenario: A developer finds, updates and deletes a registered model
    When I create the registered model "proxy-managed" through the registry
    Then the model can be found by searching the registry
    When I change its description to "Updated through the Hokusai proxy"
    Then the registry shows the new description
    When I delete the model
    Then the registry no longer has the model

  @readonly
  Scenario: MLflow's own JSON errors pass through unchanged
    When I ask the registry for an experiment that does not exist
    Then the answer is 404 with the MLflow error code "RESOURCE_DOES_NOT_EXIST"

  @readonly
  Scenario: An HTML "not found" page becomes a JSON error
    When I ask the registry for an MLflow page that does not exist
    Then the answer is 404 with the MLflow error code "RESOURCE_NOT_FOUND"

  @readonly
  Scenario: Query strings reach MLflow
    When I search the registry for at most 1 model
    Then at most 1 model is returned

  @readonly
  Scenario Outline: The MLflow API is reachable under <path>
    When I list experiments under "<path>"
    Then the registry answers with a list of experiments

    Examples:
      | path        |
      | /api/mlflow |
      | /mlflow     |

  @readonly @critical
  Scenario Outline: Without a key, nothing from the registry is served at <path>
    Both paths the API serves MLflow under, the form the MLflow web UI calls them in, and
    the web UI itself are public: each must refuse a caller without a key and show no data.
    When someone without a key calls "<path>"
    Then the call is refused and no registry data is shown

    Examples:
      | path                                               |
      | /api/mlflow/api/2.0/mlflow/experiments/search      |
      | /mlflow/api/2.0/mlflow/experiments/search          |
      | /api/mlflow/ajax-api/2.0/mlflow/experiments/search |
      | /mlflow/ajax-api/2.0/mlflow/experiments/search     |
      | /mlflow/                                           |

  @readonly @embedded_only
  Scenario Outline: A <method> call reaches MLflow without credentials but with the caller's identity
    When I send a <method> call through an API whose MLflow side records what it receives
    Then MLflow received the <method> call with its path and query unchanged, no credentials and my identity

    Examples:
      | method |
      | GET    |
      | POST   |
      | PATCH  |
      | DELETE |
