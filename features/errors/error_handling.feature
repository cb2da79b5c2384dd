@errors @allure.label.epic:Error_handling
Feature: The registry fails clearly and quickly when something is wrong
  When a service behind the API is slow or down, a limit is reached or a request is
  malformed, callers get a prompt answer that says what happened: never a hang and never an
  unexplained server error. The failures are caused in the local reference stack. This
  feature is about the HTTP contract itself, so it names status codes and messages.

  Background:
    Given a valid Hokusai API key

  @readonly @embedded_only
  Scenario: A slow auth service gives a timeout answer within seconds
    Given the auth service takes 7 seconds to answer
    When I call the registry and time the answer
    Then the call is refused with "Authentication service timeout" within 6.5 seconds

  @readonly @embedded_only @destructive
  Scenario: An MLflow server that stops answering gives a gateway timeout
    Given MLflow stops answering and the API waits at most 2 seconds for it
    When I call the registry and time the answer
    Then the answer is 504 saying "MLflow server request timeout" within 5 seconds

  @readonly @embedded_only
  Scenario: An MLflow server the API cannot reach gives a bad-gateway answer, and the MLflow client fails fast
    Given the API cannot reach the MLflow server
    When I call the registry and time the answer
    Then the answer is 502 saying "Failed to connect to MLflow server at" within 3 seconds
    When I use the MLflow client against the registry
    Then the MLflow client gives up within 10 seconds

  @readonly @embedded_only
  Scenario: A key over its hourly limit is told to retry later
    Given a rate-limited Hokusai API key allowing 5 calls an hour
    When I call the registry 6 times in a row
    Then the first 5 calls succeed and the 6th is refused with 429 and a Retry-After header

  @writes
  Scenario Outline: A malformed request (<what>) is refused with an MLflow error code, not a server error
    When I create an experiment with the body '<body>' sent as "<content type>"
    Then the request is refused as a client error with an MLflow error code

    Examples:
      | what                    | body                     | content type                      |
      | broken JSON             | {not json                | application/json                  |
      | a number for a name     | {"name": 5}              | application/json                  |
      | plain text              | hello                    | text/plain                        |
      | a form instead of JSON  | name=hk-accept-malformed | application/x-www-form-urlencoded |

  @readonly
  Scenario: An unknown API route gives a JSON "not found"
    When I call the unknown route "/api/no-such-service"
    Then the answer is a JSON 404

  @readonly
  Scenario: Fifty concurrent reads all succeed
    When 50 callers list experiments at the same time
    Then every one of them gets the experiment list
