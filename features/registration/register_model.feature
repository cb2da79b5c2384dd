@registration @allure.label.epic:Model_registration
Feature: A third-party developer registers a model with Hokusai metadata
  Model developers use the plain MLflow client with their Hokusai API key as the tracking
  token. A model counts as registered only when it can be found, read back with its Hokusai
  tags (token id, benchmark metric and benchmark value), loaded and used through the registry.

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
  Scenario: A model registered from its training run's files appears in the registry
    The MLflow 3 client's one-step registration needs a part of the MLflow API that the
    MLflow 2 servers of 2025 lack. Logging the model's files to the training run and then
    registering those files works with both: it is the way to register until a registry
    runs an MLflow 3 server.
    Given a scikit-learn classifier trained on a sample data set
    When I register it from its training run's files as model "iris-portable" with token id "iris-portable" and benchmark "accuracy" of 0.9
    Then the model appears in the registry with version 1
    And its Hokusai tags name token "iris-portable", metric "accuracy" and value 0.9
    And the registered model loads back and makes the same predictions

  @writes
  Scenario Outline: A <kind> model is registered, tagged, loaded back and predicts the same
    Given a <kind> model trained on a sample data set
    When I register it as model "<model>" with token id "<model>" and benchmark "accuracy" of 0.8
    Then the model appears in the registry with version 1
    And its Hokusai tags name token "<model>", metric "accuracy" and value 0.8
    And the registered model loads back and makes the same predictions

    Examples:
      | kind                          | model        |
      | gradient-boosting (XGBoost)   | iris-xgboost |
      | custom Python (mlflow.pyfunc) | iris-pyfunc  |

  @writes
  Scenario: The training run, the description and the input signature travel with the model
    Given a scikit-learn classifier trained on a sample data set
    When I register it as model "iris-documented" with token id "iris-documented", benchmark "accuracy" of 0.8 and the description "Iris classifier, logistic regression"
    Then the run behind the model records its training parameters and metrics
    And the model version keeps the description "Iris classifier, logistic regression" and its input signature

  @writes
  Scenario: Metadata that breaks Hokusai's rules is kept by the registry as sent, and the version is not Hokusai-ready
    Hokusai's metadata rules (a token id of lower-case letters, digits and '-', at most 64 characters,
    not starting or ending with '-'; a benchmark metric Hokusai benchmarks on; a benchmark value from 0
    to 1; a model that meets its own benchmark) are kept by the developer's Hokusai tooling before
    anything is sent. The registry itself checks none of them: a version tagged through plain MLflow
    keeps whatever it was given. So whoever reads a benchmark from the registry must first check that
    the version is Hokusai-ready.
    Given a scikit-learn classifier trained on a sample data set
    And I have registered it as model "iris-unchecked" with token id "iris-unchecked" and benchmark "accuracy" of 0.9
    When I tag version 1 through plain MLflow with token id "Iris Demo!" and benchmark value "high"
    Then the registry keeps the tags of version 1 as they were sent
    And the suite reports version 1 as not Hokusai-ready, because its token id and its benchmark value break the rules

  @writes @refusal
  Scenario Outline: A developer who set up MLflow with <key> is told by MLflow what is wrong
    Given I set up MLflow with <key> instead of my valid one
    When I start registering model "wrong-key" with the plain MLflow client, set up as the quick start says
    Then MLflow gives up within 45 seconds with an error that says "<what MLflow says>"
    And no model "wrong-key" was created in the registry

    Examples:
      | key                                | what MLflow says           |
      | no key at all                      | API key required           |
      | my key with one character mistyped | Invalid or expired API key |
      | a revoked key                      | Invalid or expired API key |
      | a read-only key                    | model:write                |

  @writes
  Scenario: Registering the same model again creates version 2, retrievable by number, as the latest and by alias
    Given a scikit-learn classifier trained on a sample data set
    And I have registered it as model "iris-versioned" with token id "iris-versioned" and benchmark "accuracy" of 0.9
    When I register it as model "iris-versioned" with token id "iris-versioned" and benchmark "accuracy" of 0.9
    And I point the alias "champion" at the new version
    Then the registry holds versions 1 and 2 of the model
    And "version 2" retrieves the new version
    And "latest" retrieves the new version
    And "alias champion" retrieves the new version

  @writes
  Scenario: A developer rolls back: the alias goes back to version 1 and version 2 is deleted
    Given a scikit-learn classifier trained on a sample data set
    And I have registered it as model "iris-rollback" with token id "iris-rollback" and benchmark "accuracy" of 0.9
    And I have registered it as model "iris-rollback" with token id "iris-rollback" and benchmark "accuracy" of 0.9
    And I have pointed the alias "champion" at version 2
    When I move the alias "champion" back to version 1
    And I delete version 2
    Then the registry holds only version 1 of the model
    And "alias champion" retrieves version 1
    And "latest" retrieves version 1

  @writes
  Scenario: A developer archives the version a new one replaced: it keeps its tags and stays loadable by number
    Given a scikit-learn classifier trained on a sample data set
    And I have registered it as model "iris-archive" with token id "iris-archive" and benchmark "accuracy" of 0.9
    And I have registered it as model "iris-archive" with token id "iris-archive" and benchmark "accuracy" of 0.9
    When I archive version 1
    Then version 1 is marked archived in the registry
    And version 1 still carries token id "iris-archive" and benchmark "accuracy" of 0.9
    And "version 1" retrieves version 1

  @writes
  Scenario: The registry records who registered the model and each of its versions
    Given a scikit-learn classifier trained on a sample data set
    And I have registered it as model "iris-owned" with token id "iris-owned" and benchmark "accuracy" of 0.9
    When I register it as model "iris-owned" with token id "iris-owned" and benchmark "accuracy" of 0.9
    Then the model and each of its 2 versions name one and the same owner

  @writes
  Scenario: A second key of mine, as issued at a key rotation, manages the model my first key registered
    The second key (HOKUSAI_ROTATED_API_KEY on a remote target; without it the scenario is skipped)
    belongs to the same developer. Revoking the first key, the auth service's part of a rotation,
    is not exercised here.
    Given a scikit-learn classifier trained on a sample data set
    And I have registered it as model "iris-rotated" with token id "iris-rotated" and benchmark "accuracy" of 0.9
    When I switch to my second key, as issued at a key rotation
    And I point the alias "champion" at version 1
    And I register it as model "iris-rotated" with token id "iris-rotated" and benchmark "accuracy" of 0.9
    Then the registry holds versions 1 and 2 of the model
    And "alias champion" retrieves version 1

  @writes
  Scenario: A model registered call by call through the REST API carries valid Hokusai tags
    When I register model "iris-rest" through the REST API with token id "iris-rest" and benchmark "accuracy" of 0.93
    Then the REST-registered version carries valid Hokusai tags and its benchmark metric

  @writes @slow
  Scenario: A 50 MB model survives the round trip through the registry
    Given a scikit-learn classifier trained on a sample data set, padded to 50 MB
    When I register it as model "iris-large" with token id "iris-large" and benchmark "accuracy" of 0.9
    Then the model appears in the registry with version 1
    And the registered model, at least 50 MB, loads back and makes the same predictions

  @writes @slow
  Scenario: A registration cut off midway leaves nothing that looks registered, and the cleanup removes the rest
    The developer's process dies while MLflow uploads the model's files. Afterwards the registry
    holds either a complete, Hokusai-ready version or nothing a consumer could take for one.
    When my MLflow process registering a 24 MB model as "iris-cut" dies after sending 8 MB of its files
    Then no version of model "iris-cut" carries the Hokusai tags unless it is complete and loads
    When the suite cleans up what the cut left of "iris-cut"
    Then nothing of "iris-cut" is left in the registry

  @writes @slow
  Scenario: A model file above the registry's size limit is refused as too large, and the reports state the limit
    The suite uploads model files of growing size (doubling from 16 MB, then halving the gap to
    8 MB), up to 256 MB and only to a registry on this machine; each accepted file is deleted again.
    The largest size accepted is stated in the reports. A registry that accepts every size up to
    256 MB passes, and the reports say so.
    When I upload model files of growing size, up to 256 MB, until the registry refuses one
    Then every accepted file is stored whole
    And the first file above the limit is refused as too large (HTTP 413) with a message, not a timeout or a broken connection
    And no part of a refused file is stored

  @writes
  Scenario: Twenty developers registering versions of one model at once each get their own version
    When 20 developers register versions of model "iris-concurrent" at the same time
    Then the model has 20 distinct versions, each with its own tags
