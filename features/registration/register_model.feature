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
