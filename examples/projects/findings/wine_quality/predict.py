"""Scoring: flake8 finds the unused import on line 3."""

import math
from statistics import fmean


def predict(scores: list[float]) -> str:
    """Good when the mean score reaches 6."""
    return "good" if fmean(scores) >= 6 else "poor"
