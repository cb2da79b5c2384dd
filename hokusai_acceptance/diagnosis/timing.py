"""Time as evidence: durations that cluster on one value, and calls slower than their budget.

A hop's time limit shows as failures that all took the same time; a slow hop shows as one kind of call
(refusals at the front door, registry reads, registry writes) far over its budget while the kinds that do not
pass that hop stay prompt. Budgets are the contract's (``contract/answers.yaml``).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence

#: durations within this fraction of each other are "the same time"
TOLERANCE = 0.15


def median(values: Iterable[float]) -> float:
    found = list(values)
    return float(statistics.median(found)) if found else 0.0


def cluster(values: Sequence[float], tolerance: float = TOLERANCE) -> float | None:
    """The value most of ``values`` sit on (a time limit somewhere), or None when they spread out.

    At least two values, and at least six in ten of them, lie within ``tolerance`` of each other."""
    ordered = sorted(v for v in values if v > 0)
    if len(ordered) < 2:
        return None
    best: list[float] = []
    start = 0
    for end, value in enumerate(ordered):
        while value > ordered[start] * (1 + tolerance):
            start += 1
        if end - start + 1 > len(best):
            best = ordered[start : end + 1]
    if len(best) >= 2 and len(best) >= 0.6 * len(ordered):
        return median(best)
    return None
