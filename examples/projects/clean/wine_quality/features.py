"""Scaling and splitting, in plain Python."""

from __future__ import annotations

import random
import statistics
from collections.abc import Sequence


def standardize(values: Sequence[float]) -> list[float]:
    """Scale ``values`` to mean 0 and standard deviation 1 (all zeros when they are constant)."""
    if len(values) < 2:
        return [0.0 for _ in values]
    mean = statistics.fmean(values)
    spread = statistics.pstdev(values)
    if spread == 0:
        return [0.0 for _ in values]
    return [(value - mean) / spread for value in values]


def train_test_indices(n: int, test_fraction: float, seed: int = 0) -> tuple[list[int], list[int]]:
    """A reproducible shuffle of ``range(n)`` split into train and test indices."""
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction must be between 0 and 1, got {test_fraction}")
    order = list(range(n))
    random.Random(seed).shuffle(order)  # nosec B311: a data split, not cryptography
    cut = round(n * test_fraction)
    return sorted(order[cut:]), sorted(order[:cut])
