"""The test part of ``train_test_split``, as a row mask, so that a file can stay on disk.

``train_test_split(X, y, test_size=..., random_state=...)`` picks its test rows from the number of rows alone
(and from ``y`` when stratified): splitting ``numpy.arange(n_rows)`` the same way gives the very same rows. A
boolean mask of ``n_rows`` bytes then selects them chunk by chunk (stratifying needs the label column in
memory too).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from mlci.errors import UserError

if TYPE_CHECKING:
    import numpy as np


def parse_test_size(text: str) -> float | int:
    """``--test-size``: a fraction in (0, 1) or a whole number of rows, as train_test_split takes it."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a fraction such as 0.25 or a row count, got {text!r}"
        ) from None
    if 0 < value < 1:
        return value
    if value >= 1 and value.is_integer() and "." not in text:
        return int(value)
    raise argparse.ArgumentTypeError(
        f"expected a fraction between 0 and 1 or a whole row count, got {text!r}"
    )


def holdout_mask(
    n_rows: int, size: float | int, random_state: int | None, stratify: np.ndarray | None = None
) -> np.ndarray:
    """True for the rows ``train_test_split`` puts in the test part."""
    import numpy as np
    from sklearn.model_selection import train_test_split

    try:
        _, test_rows = train_test_split(
            np.arange(n_rows), test_size=size, random_state=random_state, stratify=stratify
        )
    except ValueError as exc:
        raise UserError(f"--test-size {size}: cannot split {n_rows} rows: {exc}") from None
    mask = np.zeros(n_rows, dtype=bool)
    mask[test_rows] = True
    return mask
