"""The Hokusai metadata rules for a registered model (contract section 6).

The proxy validates none of this, so the suite must: a model is "Hokusai-ready"
only when its version carries a valid ``hokusai_token_id``, a ``benchmark_metric``
Hokusai benchmarks on (:data:`METRICS`) and a ``benchmark_value`` that parses as a
number within that metric's range (0 to 1).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

TOKEN_ID_TAG = "hokusai_token_id"
METRIC_TAG = "benchmark_metric"
VALUE_TAG = "benchmark_value"
_TOKEN_ID = re.compile(r"^[a-z0-9-]+$")
#: The metrics Hokusai benchmarks models on (the list its SDK accepts); each is a share, from 0 to 1.
METRICS = ("accuracy", "auroc", "f1_score", "precision", "recall")


class HokusaiMetadataError(ValueError):
    """The metadata breaks a Hokusai rule; raised before anything is written."""


@dataclass(frozen=True)
class HokusaiMetadata:
    token_id: str
    benchmark_metric: str
    benchmark_value: str

    def as_tags(self) -> dict[str, str]:
        return {TOKEN_ID_TAG: self.token_id, METRIC_TAG: self.benchmark_metric, VALUE_TAG: self.benchmark_value}

    @property
    def value(self) -> float:
        return float(self.benchmark_value)


def token_id_problem(token_id: str) -> str | None:
    if not token_id:
        return "the token id is empty"
    if len(token_id) > 64:
        return f"the token id has {len(token_id)} characters; at most 64 are allowed"
    if not _TOKEN_ID.match(token_id):
        return "the token id may contain only lower-case letters, digits and '-'"
    if token_id.startswith("-") or token_id.endswith("-"):
        return "the token id must not start or end with '-'"
    return None


def benchmark_value_problem(value: str, metric: str | None = None) -> str | None:
    if isinstance(value, str) and not value.strip():
        return "the benchmark value is empty"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return f"the benchmark value {value!r} is not a number"
    if math.isnan(number) or math.isinf(number):
        return f"the benchmark value {value!r} is not a finite number"
    if metric in METRICS and not 0.0 <= number <= 1.0:
        return f"the benchmark value {value} is outside 0 to 1, the range of {metric}"
    return None


def metric_problem(metric: str) -> str | None:
    if not metric or not metric.strip():
        return "the benchmark metric is empty"
    if metric not in METRICS:
        return f"the benchmark metric {metric!r} is not one Hokusai benchmarks on ({', '.join(METRICS)})"
    return None


HOKUSAI_TAGS = (TOKEN_ID_TAG, METRIC_TAG, VALUE_TAG)


def validate(token_id: str, benchmark_metric: str, benchmark_value: object) -> HokusaiMetadata:
    """Check the three tags, raising :class:`HokusaiMetadataError` with every problem found."""
    value_text = (
        benchmark_value
        if isinstance(benchmark_value, str)
        else repr(benchmark_value)
        if not isinstance(benchmark_value, (int, float))
        else str(benchmark_value)
    )
    problems = [
        p
        for p in (
            token_id_problem(token_id),
            metric_problem(benchmark_metric),
            benchmark_value_problem(value_text, benchmark_metric),
        )
        if p
    ]
    if problems:
        raise HokusaiMetadataError("; ".join(problems))
    return HokusaiMetadata(token_id, benchmark_metric, value_text)


def check_meets_benchmark(metadata: HokusaiMetadata, measured: dict[str, float]) -> None:
    """Refuse a model whose measured metric is below its declared benchmark (as the SDK does)."""
    if metadata.benchmark_metric not in measured:
        raise HokusaiMetadataError(
            f"the model has no measured {metadata.benchmark_metric!r}; measured: {sorted(measured)}"
        )
    score = measured[metadata.benchmark_metric]
    if score < metadata.value:
        raise HokusaiMetadataError(
            f"the model's {metadata.benchmark_metric} is below its benchmark of "
            f"{metadata.value} (it measured {score:.4f})"
        )


def readiness_problems(tags: dict[str, str]) -> list[str]:
    """Why a registered version is not Hokusai-ready (empty list: it is)."""
    problems = []
    for name in (TOKEN_ID_TAG, METRIC_TAG, VALUE_TAG):
        if name not in tags:
            problems.append(f"tag {name} is missing")
    if TOKEN_ID_TAG in tags and (p := token_id_problem(tags[TOKEN_ID_TAG])):
        problems.append(p)
    if METRIC_TAG in tags and (p := metric_problem(tags[METRIC_TAG])):
        problems.append(p)
    if VALUE_TAG in tags and (p := benchmark_value_problem(tags[VALUE_TAG], tags.get(METRIC_TAG))):
        problems.append(p)
    return problems
