"""Feature helpers for a wine quality classifier."""

from wine_quality.features import standardize, train_test_indices

__all__ = ["standardize", "train_test_indices"]
