@auth @allure.label.epic:Authentication
Feature: Only callers with a valid Hokusai API key reach the registry
  Every registry call carries a Hokusai API key. The API checks it with the auth
  service and refuses the call otherwise, with a JSON error that says why.
  This feature is about the HTTP contract itself, so it names statuses and messages.

  @smoke @readonly @critical
  Scenario: A valid key in the Bearer header is accepted
    Given a valid Hokusai API key
    When I call the registry with my key in the Bearer header
    Then the registry accepts the call

  @smoke @readonly
  Scenario: A call without a key is refused
    When I call the registry without a key
    Then the call is refused with 401 "API key required"

  @smoke @readonly
  Scenario: A key that Hokusai never issued is refused
    Given an API key that Hokusai never issued
    When I call the registry with my key in the Bearer header
    Then the call is refused with 401 "Invalid or expired API key"
