@auth @allure.label.epic:Authentication
Feature: Only callers with a valid Hokusai API key reach the registry
  Every call to the registry carries a Hokusai API key. The API checks the key with the
  auth service, remembers a successful check for a few minutes (the validation cache),
  and otherwise refuses the call with a message that says why.

  @smoke @readonly @critical
  Scenario: A valid key sent as a Bearer token is accepted
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
  Scenario: The word "Bearer" must be written exactly so
    Given a valid Hokusai API key
    When I call the registry with my key after the word "bearer"
    Then the call is refused with the message "API key required"

  @smoke @readonly
  Scenario: A call without a key is refused
    When I call the registry without a key
    Then the call is refused with the message "API key required"

  @smoke @readonly
  Scenario: A key that Hokusai never issued is refused
    Given an API key that Hokusai never issued
    When I call the registry with my key in the Bearer header
    Then the call is refused with the message "Invalid or expired API key"

  @readonly
  Scenario: A revoked key is refused
    Given a revoked Hokusai API key
    When I call the registry with my key in the Bearer header
    Then the call is refused with the message "Invalid or expired API key"

  @readonly @embedded_only
  Scenario: An expired key is refused
    Given an expired Hokusai API key
    When I call the registry with my key in the Bearer header
    Then the call is refused with the message "Invalid or expired API key"

  @readonly @embedded_only
  Scenario: Repeated calls with a valid key are checked with the auth service only once
    Given a valid Hokusai API key
    And the validation cache is empty
    When I call the registry 3 times
    Then every call is accepted
    And the auth service was asked 1 time

  @readonly @embedded_only
  Scenario: Invalid keys are checked with the auth service every time
    Given an API key that Hokusai never issued
    And the validation cache is empty
    When I call the registry 3 times
    Then every call is refused with the message "Invalid or expired API key"
    And the auth service was asked 3 times

  @readonly @embedded_only
  Scenario: A revoked key keeps working only until its cached check expires, which is set to happen within 300 seconds
    Given a Hokusai API key that is about to be revoked
    And the validation cache is empty
    And I have called the registry once, so my key's check is cached
    When the auth service revokes my key
    Then the registry still accepts my key, and its cached check is set to expire within 300 seconds
    When the cached check expires and I call again
    Then the call is refused with the message "Invalid or expired API key"

  @writes
  Scenario: A read-only key cannot write to the registry
    Given a read-only Hokusai API key
    When I try to create an experiment
    Then the write is refused because the key may only read
