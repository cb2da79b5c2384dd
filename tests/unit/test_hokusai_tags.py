import pytest

from hokusai_acceptance.hokusai_tags import HokusaiMetadataError, check_meets_benchmark, readiness_problems, validate


@pytest.mark.parametrize("token_id", ["iris-demo", "a", "model-42", "x" * 64])
def test_valid_token_ids(token_id):
    assert validate(token_id, "accuracy", "0.9").token_id == token_id


@pytest.mark.parametrize(
    "token_id,reason",
    [
        ("", "empty"),
        ("Iris", "lower-case"),
        ("iris_demo", "lower-case"),
        ("-iris", "start or end"),
        ("iris-", "start or end"),
        ("x" * 65, "at most 64"),
        ("iris demo", "lower-case"),
    ],
)
def test_invalid_token_ids(token_id, reason):
    with pytest.raises(HokusaiMetadataError, match=reason):
        validate(token_id, "accuracy", "0.9")


@pytest.mark.parametrize(
    "value,number,tag",
    [("0.9", 0.9, "0.9"), ("1", 1.0, "1"), ("0", 0.0, "0"), ("1e-3", 0.001, "1e-3"), (0.9, 0.9, "0.9"), (1, 1.0, "1")],
)
def test_numeric_benchmark_values(value, number, tag):
    metadata = validate("t", "accuracy", value)
    assert metadata.value == number and metadata.as_tags()["benchmark_value"] == tag


@pytest.mark.parametrize("metric,value", [("accuracy", "1.5"), ("recall", "-0.5"), ("f1_score", "95")])
def test_a_share_outside_0_to_1_is_refused_with_its_range(metric, value):
    with pytest.raises(HokusaiMetadataError, match=f"outside 0 to 1, the range of {metric}"):
        validate("t", metric, value)


@pytest.mark.parametrize("metric", ["auc", "loss", "Accuracy", "vibes"])
def test_only_the_metrics_hokusai_benchmarks_on_are_accepted(metric):
    with pytest.raises(HokusaiMetadataError, match="not one Hokusai benchmarks on"):
        validate("t", metric, "0.5")


@pytest.mark.parametrize("value", ["high", "", "nan", "inf", "0.9.1"])
def test_non_numeric_benchmark_values(value):
    with pytest.raises(HokusaiMetadataError, match="benchmark value"):
        validate("t", "accuracy", value)


def test_all_problems_are_reported_together():
    with pytest.raises(HokusaiMetadataError) as info:
        validate("Bad_Id", "", "x")
    message = str(info.value)
    assert "token id" in message and "metric" in message and "benchmark value" in message


def test_model_below_benchmark_is_refused():
    meta = validate("t", "accuracy", "0.99")
    with pytest.raises(HokusaiMetadataError, match="below its benchmark"):
        check_meets_benchmark(meta, {"accuracy": 0.9})
    check_meets_benchmark(meta, {"accuracy": 0.995})


def test_missing_metric_is_refused():
    with pytest.raises(HokusaiMetadataError, match="no measured"):
        check_meets_benchmark(validate("t", "auroc", "0.5"), {"accuracy": 0.9})


def test_readiness_lists_missing_and_invalid_tags():
    assert readiness_problems({"hokusai_token_id": "t", "benchmark_metric": "accuracy", "benchmark_value": "1"}) == []
    problems = readiness_problems({"hokusai_token_id": "T!", "benchmark_value": "x"})
    assert any("benchmark_metric is missing" in p for p in problems)
    assert any("lower-case" in p for p in problems)
    assert any("not a number" in p for p in problems)
