@registration @security @allure.label.epic:Model_registration
Feature: Developers share one registry, and each changes only their own models
  The registry is shared: every developer can find and read every model, version and training run
  (its files included), so that models can be discovered and compared. Only the developer who
  created a model, experiment or run may change or delete it, and a token id on one developer's
  model cannot be put on another developer's model. A second developer is someone else with their
  own key (HOKUSAI_SECOND_API_KEY on a remote target; without it these scenarios are skipped).

  Background:
    Given a valid Hokusai API key
    And another developer with their own Hokusai API key
    And a scikit-learn classifier trained on a sample data set

  @writes
  Scenario: Another developer can find and read my model, its version and its training run
    Given I have registered model "iris-shared" through the REST API with token id "iris-shared" and benchmark "accuracy" of 0.9
    Then the other developer can read my model, its version and its training run

  @writes
  Scenario Outline: Another developer cannot <change> my model
    Given I have registered model "<model>" through the REST API with token id "<model>" and benchmark "accuracy" of 0.9
    When the other developer tries to <change> my model
    Then the other developer is refused with 403 Forbidden
    And my model is unchanged

    Examples:
      | change                                          | model            |
      | delete                                          | iris-keep        |
      | rename                                          | iris-named       |
      | change the description of                       | iris-described   |
      | tag                                             | iris-tagged      |
      | overwrite the owner recorded on                 | iris-owner       |
      | change the token id on version 1 of             | iris-token       |
      | point an alias at version 1 of                  | iris-aliased     |
      | add a version to                                | iris-versions    |
      | archive version 1 of                            | iris-archived    |
      | delete version 1 of                             | iris-version-one |
      | log a better benchmark into the training run of | iris-benchmark   |
      | delete the training run of                      | iris-run         |
      | delete the experiment of                        | iris-experiment  |

  @writes
  Scenario: Another developer who registers under my model's name is told the name is taken
    Given I have registered model "iris-mine" through the REST API with token id "iris-mine" and benchmark "accuracy" of 0.9
    When the other developer registers a model of their own under my model's name
    Then the other developer is told that the name "iris-mine" is taken
    And my model is unchanged

  @writes
  Scenario: Another developer cannot claim my model's token id
    Given I have registered model "iris-claimed" through the REST API with token id "iris-claimed" and benchmark "accuracy" of 0.9
    And the other developer has registered their own model "iris-theirs" with token id "iris-theirs" and benchmark "accuracy" of 0.9
    When the other developer tags their version with my token id "iris-claimed"
    Then the other developer is told that token id "iris-claimed" is already claimed
    And their version still carries their own token id "iris-theirs"
    And my model is unchanged

  @writes
  Scenario: A registration refused for a claimed token id leaves nothing of the new model behind
    Given I have registered model "iris-token-owner" through the REST API with token id "iris-token-owner" and benchmark "accuracy" of 0.9
    When the other developer registers their own model "iris-token-taker" with my token id "iris-token-owner" and benchmark "accuracy" of 0.9
    Then the other developer is told that token id "iris-token-owner" is already claimed
    And no model "iris-token-taker" is left in the registry
    And my model is unchanged
