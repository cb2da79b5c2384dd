@registration @tokenized @allure.label.epic:Model_registration
Feature: A third-party developer announces a tokenized model to Hokusai
  Since 2026, a model that backs a Hokusai token is registered in two steps. The developer registers
  it in the model registry as before (plain MLflow, with the token id and benchmark tags), then
  announces the registration to Hokusai: which version backs which token, for which proposal, and the
  baseline its benchmark must beat. Hokusai answers whether it took the announcement, and the API's own
  model routes show the version from then on.

  Where the generations differ: the 2025 API takes no announcements, so these scenarios are skipped
  there, saying why. On the 2026 API only keys with the registry role may register at all (an ordinary
  developer's key is refused by the registry: the report calls that a product decision), and calls outside
  the registry are charged to the key's account.

  Background:
    Given a valid Hokusai API key
    And the registry takes tokenized registration events

  @smoke @writes
  Scenario: A registered model is announced to Hokusai and shows in the API's model routes
    Given a scikit-learn classifier trained on a sample data set
    And I have registered it as model "iris-tokenized" with token id "iris-tokenized" and benchmark "accuracy" of 0.9
    When I announce the registration to Hokusai with its baseline of 0.85
    Then Hokusai confirms the registration event for my token
    And the API's own model route shows my model version with its token id

  @writes
  Scenario: An announcement without its baseline is refused and says what is missing
    Given a scikit-learn classifier trained on a sample data set
    And I have registered it as model "iris-no-baseline" with token id "iris-no-baseline" and benchmark "accuracy" of 0.9
    When I announce the registration to Hokusai without its baseline
    Then the announcement is refused as malformed, naming the missing baseline

  @writes @admin
  Scenario: Where developers' keys are kept out of the registry, a registry admin registers and announces the model
    Given a registry admin's Hokusai API key
    And a scikit-learn classifier trained on a sample data set
    And I have registered it as model "iris-admin" with token id "iris-admin" and benchmark "accuracy" of 0.9
    When I announce the registration to Hokusai with its baseline of 0.85
    Then Hokusai confirms the registration event for my token

  @readonly
  Scenario: A developer whose balance is used up is told so, not failed
    Given a Hokusai API key whose account has no balance left
    When I list the models through the API's own model routes
    Then the call is refused with HTTP 402, telling me my balance is used up
