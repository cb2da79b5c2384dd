@registration @allure.label.epic:Model_registration
Feature: A third-party developer registers a model with Hokusai metadata
  Model developers use the plain MLflow client with their Hokusai API key as the
  tracking token. A model counts as registered only when it can be found, read
  back with its Hokusai tags, loaded and used through the registry.

  Background:
    Given a valid Hokusai API key

  @smoke @writes @critical
  Scenario: A trained model appears in the registry with its benchmark
    Given a scikit-learn classifier trained on a sample data set
    When I register it as model "iris-classifier" with token id "iris-demo" and benchmark "accuracy" of 0.9
    Then the model appears in the registry with version 1
    And its Hokusai tags name token "iris-demo", metric "accuracy" and value 0.9
    And the registered model loads back and makes the same predictions

  @smoke @writes
  Scenario: A model registered from its training run's files works on every MLflow server generation
    The 2025 registry ran an MLflow 2.9 server, where the one-call log_model(registered_model_name=...)
    of today's MLflow 3 client fails. Logging the model's files to the run and registering
    "runs:/<run id>/model" works on both generations: this is the path to use until the server is upgraded.
    Given a scikit-learn classifier trained on a sample data set
    When I register it from its training run's files as model "iris-portable" with token id "iris-portable" and benchmark "accuracy" of 0.9
    Then the model appears in the registry with version 1
    And its Hokusai tags name token "iris-portable", metric "accuracy" and value 0.9
    And the registered model loads back and makes the same predictions

  @writes
  Scenario: The training run, description and signature travel with the model
    Given a scikit-learn classifier trained on a sample data set
    When I register it as model "iris-documented" with token id "iris-documented" and benchmark "accuracy" of 0.8
    Then the run behind the model records its training parameters and metrics
    And the model version keeps its description and input signature

  @readonly
  Scenario Outline: Metadata that breaks a Hokusai rule is refused before anything is written
    Given a scikit-learn classifier trained on a sample data set
    When I try to register it as model "<model>" with token id "<token id>" and benchmark "<metric>" of <value>
    Then the registration is refused because <reason>
    And no model "<model>" was created in the registry

    Examples:
      | model          | token id  | metric   | value | reason                                |
      | bad-token      | Iris_Demo | accuracy | 0.9   | the token id may contain only         |
      | bad-value      | iris-demo | accuracy | high  | the benchmark value 'high' is not a number |
      | below-bench    | iris-demo | accuracy | 0.999 | below its benchmark                   |

  @writes
  Scenario: Registering the same model again creates version 2, retrievable by number, latest and alias
    Given a scikit-learn classifier trained on a sample data set
    And I have registered it as model "iris-versioned" with token id "iris-versioned" and benchmark "accuracy" of 0.9
    When I register it as model "iris-versioned" with token id "iris-versioned" and benchmark "accuracy" of 0.9
    And I point the alias "champion" at the new version
    Then the registry holds versions 1 and 2 of the model
    And "version 2" retrieves the new version
    And "latest" retrieves the new version
    And "alias champion" retrieves the new version

  @writes
  Scenario: A model registered through the raw REST API is Hokusai-ready
    When I register model "iris-rest" through the REST API with token id "iris-rest" and benchmark "accuracy" of 0.93
    Then the REST-registered version carries valid Hokusai tags and its benchmark metric

  @writes @slow
  Scenario: A 50 MB model survives the round trip through the registry
    Given a scikit-learn classifier trained on a sample data set, padded to 50 MB
    When I register it as model "iris-large" with token id "iris-large" and benchmark "accuracy" of 0.9
    Then the model appears in the registry with version 1
    And the registered model, at least 50 MB, loads back and makes the same predictions

  @writes
  Scenario: Concurrent registrations of one model each get their own version
    When 20 developers register versions of model "iris-concurrent" at the same time
    Then the model has 20 distinct versions, each with its own tags
