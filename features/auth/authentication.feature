@auth @allure.label.epic:Authentication
Feature: Only callers with a valid Hokusai API key reach the registry
  Every registry call carries a Hokusai API key. The API checks it with the auth
  service, caches successful validations for a few minutes, and refuses the call
  otherwise with a JSON error that says why. This feature is about the HTTP
  contract itself, so it names statuses and messages.

  @smoke @readonly @critical
  Scenario: A valid key in the Bearer header is accepted
    Given a valid Hokusai API key
    When I call the registry with my key in the Bearer header
    Then the registry accepts the call

  @readonly
  Scenario Outline: A valid key is accepted in the <form>
    Given a valid Hokusai API key
    When I call the registry with my key in the <form>
    Then the registry accepts the call

    Examples:
      | form                    |
      | ApiKey header           |
      | X-API-Key header        |
      | api_key query parameter |

  @readonly
  Scenario: The Bearer scheme is case-sensitive
    Given a valid Hokusai API key
    When I call the registry with my key after the scheme "bearer"
    Then the call is refused with 401 "API key required"

  @smoke @readonly
  Scenario: A call without a key is refused
    When I call the registry without a key
    Then the call is refused with 401 "API key required"

  @smoke @readonly
  Scenario: A key that Hokusai never issued is refused
    Given an API key that Hokusai never issued
    When I call the registry with my key in the Bearer header
    Then the call is refused with 401 "Invalid or expired API key"

  @readonly
  Scenario: A revoked key is refused
    Given a revoked Hokusai API key
    When I call the registry with my key in the Bearer header
    Then the call is refused with 401 "Invalid or expired API key"

  @readonly @embedded_only
  Scenario: An expired key is refused
    Given an expired Hokusai API key
    When I call the registry with my key in the Bearer header
    Then the call is refused with 401 "Invalid or expired API key"

  @readonly @embedded_only
  Scenario: Invalid keys are checked with the auth service every time
    Given an API key that Hokusai never issued
    And the validation cache is empty
    When I call the registry 3 times
    Then every call is refused with 401 "Invalid or expired API key"
    And the auth service was asked 3 times

  @readonly @embedded_only
  Scenario: A revoked key keeps working until its cached validation expires
    Given a Hokusai API key that is about to be revoked
    And the validation cache is empty
    And I have called the registry once, so my key's validation is cached
    When the auth service revokes my key
    Then the registry still accepts my key, for at most 300 seconds
    When the cached validation expires and I call again
    Then the call is refused with 401 "Invalid or expired API key"

  @writes
  Scenario: A read-only key cannot write to the registry
    Given a read-only Hokusai API key
    When I try to create an experiment
    Then the write is refused for lack of write scope
