"""Streaming classification metrics that equal scikit-learn's on the same rows.

Rows arrive in chunks; what is kept between chunks does not grow with the number of rows:

- a confusion matrix (labels x labels counts). At the end it is *replayed* through scikit-learn: one row per
  non-empty cell, weighted by its count. ``classification_report``, ``balanced_accuracy_score`` and
  ``matthews_corrcoef`` then run their own code on integer-valued weights, so every number, name and edge case
  (zero division, class naming) is scikit-learn's, exactly.
- ``log_loss``: a running sum of ``-log(clip(p_true, eps, 1 - eps))``, as scikit-learn computes it per row
  (equal up to the order of floating-point additions: ~1e-15 relative); the labels are the model's classes,
  as with ``log_loss(..., labels=model.classes_)``.
- ``roc_auc``: exact, from a table of *distinct* scores with their positive and negative counts, replayed
  through ``roc_auc_score`` with weights. Memory grows with the number of distinct scores (a forest of 100
  trees gives at most 101 per class; a linear model up to one per row), and only when a threshold asks for
  roc_auc. Binary data: the score is the probability of the greater label (``predict_proba(X)[:, 1]``);
  more classes: one-vs-rest, macro-averaged (``multi_class="ovr"``).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

#: metrics computed from predicted probabilities (they need ``predict_proba`` and cost a second prediction)
PROBA_METRICS = ("roc_auc", "log_loss")
#: metrics computed from the confusion matrix besides classification_report
CONFUSION_EXTRAS = ("balanced_accuracy", "matthews_corrcoef")


class ConfusionCounter:
    """Counts of (true label, predicted label) pairs; labels are discovered as chunks arrive."""

    def __init__(self) -> None:
        import numpy as np

        self.labels: list[Any] = []
        self._index: dict[Any, int] = {}
        self.counts = np.zeros((0, 0), dtype=np.int64)

    def _codes(self, values: np.ndarray) -> np.ndarray:
        """Map labels to indices: the few distinct labels are mapped in Python, the rows in bulk."""
        import numpy as np
        import pyarrow as pa

        if values.dtype.kind in "biu" and len(values):
            is_bool = values.dtype.kind == "b"
            codes = self._small_int_codes(
                values.view(np.uint8) if is_bool else values, bool if is_bool else int
            )
            if codes is not None:
                return codes
        encoded = pa.array(values).dictionary_encode()  # any other label: hashed by pyarrow
        lookup = np.array(
            [self._label_index(value) for value in encoded.dictionary.to_pylist()], dtype=np.int64
        )
        return lookup[encoded.indices.to_numpy(zero_copy_only=False)]

    def _small_int_codes(self, values: np.ndarray, as_label: type) -> np.ndarray | None:
        """Booleans and integers in a small range: a counting pass and a lookup table, no hashing."""
        import numpy as np

        low, high = int(values.min()), int(values.max())
        if high - low >= 1 << 16:
            return None
        shifted = values - low if low else values
        present = np.flatnonzero(np.bincount(shifted, minlength=high - low + 1))
        lookup = np.full(high - low + 1, -1, dtype=np.int64)
        for offset in present:
            lookup[offset] = self._label_index(as_label(offset + low))
        return lookup[shifted]

    def _label_index(self, value: Any) -> int:
        index = self._index.get(value)
        if index is None:
            index = self._index[value] = len(self.labels)
            self.labels.append(value)
        return index

    def update(self, y_true: np.ndarray, y_pred: np.ndarray) -> None:
        import numpy as np

        true_codes, pred_codes = self._codes(y_true), self._codes(y_pred)
        k = len(self.labels)
        if self.counts.shape[0] < k:
            grown = np.zeros((k, k), dtype=np.int64)
            grown[: self.counts.shape[0], : self.counts.shape[1]] = self.counts
            self.counts = grown
        self.counts += np.bincount(true_codes * k + pred_codes, minlength=k * k).reshape(k, k)

    def sorted(self) -> tuple[list[Any], np.ndarray]:
        """Labels in scikit-learn's order (sorted) and the matrix in that order; TypeError on mixed types."""
        import numpy as np

        order = sorted(range(len(self.labels)), key=lambda i: self.labels[i])
        return [self.labels[i] for i in order], self.counts[np.ix_(order, order)]


def _replay(labels: list[Any], matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One (true, predicted, weight) row per non-empty cell of the confusion matrix."""
    import numpy as np

    values = np.asarray(labels)
    rows, cols = np.nonzero(matrix)
    return values[rows], values[cols], matrix[rows, cols].astype(np.float64)


def _recorded(call: Any, notes: list[str]) -> Any:
    """Run a scikit-learn metric; its warnings (e.g. an ill-defined precision) become notes, not noise."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = call()
    for record in caught:
        note = str(record.message).splitlines()[0]
        if note not in notes:
            notes.append(note)
    return result


def confusion_metrics(labels: list[Any], matrix: np.ndarray, notes: list[str]) -> dict[str, Any]:
    """classification_report(output_dict=True) plus balanced accuracy and MCC, from a confusion matrix."""
    from sklearn.metrics import balanced_accuracy_score, classification_report, matthews_corrcoef

    y_true, y_pred, weight = _replay(labels, matrix)
    report = _recorded(
        lambda: classification_report(y_true, y_pred, sample_weight=weight, output_dict=True), notes
    )
    report["balanced_accuracy"] = float(
        _recorded(lambda: balanced_accuracy_score(y_true, y_pred, sample_weight=weight), notes)
    )
    report["matthews_corrcoef"] = float(
        _recorded(lambda: matthews_corrcoef(y_true, y_pred, sample_weight=weight), notes)
    )
    return report


class ScoreTable:
    """Distinct scores with their positive and negative counts; merged lazily so adding stays cheap."""

    def __init__(self) -> None:
        import numpy as np

        empty = np.zeros(0)
        self._merged: tuple[np.ndarray, np.ndarray, np.ndarray] = (empty, empty, empty)
        self._pending: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self._pending_size = 0

    @staticmethod
    def _compress(scores: np.ndarray, positives: np.ndarray, counts: np.ndarray) -> tuple[Any, Any, Any]:
        import numpy as np

        unique, inverse = np.unique(scores, return_inverse=True)
        pos = np.bincount(inverse, weights=positives, minlength=len(unique))
        total = np.bincount(inverse, weights=counts, minlength=len(unique))
        return unique, pos, total - pos

    def add(self, scores: np.ndarray, is_positive: np.ndarray) -> None:
        import numpy as np

        part = self._compress(scores, is_positive.astype(np.float64), np.ones(len(scores)))
        self._pending.append(part)
        self._pending_size += len(part[0])
        if self._pending_size > max(len(self._merged[0]), 1 << 16):
            self._merge()

    def _merge(self) -> None:
        import numpy as np

        parts = [self._merged, *self._pending]
        scores = np.concatenate([p[0] for p in parts])
        pos = np.concatenate([p[1] for p in parts])
        neg = np.concatenate([p[2] for p in parts])
        self._merged = self._compress(scores, pos, pos + neg)
        self._pending, self._pending_size = [], 0

    def roc_auc(self, notes: list[str]) -> float | None:
        """roc_auc_score over every row added, or None (with a note) when one side has no rows."""
        import numpy as np
        from sklearn.metrics import roc_auc_score

        self._merge()
        scores, pos, neg = self._merged
        if not (pos.sum() > 0 and neg.sum() > 0):
            notes.append("roc_auc is undefined: the evaluated rows hold only one class.")
            return None
        has_pos, has_neg = pos > 0, neg > 0
        y_true = np.concatenate([np.ones(has_pos.sum()), np.zeros(has_neg.sum())])
        y_score = np.concatenate([scores[has_pos], scores[has_neg]])
        weight = np.concatenate([pos[has_pos], neg[has_neg]])
        return float(_recorded(lambda: roc_auc_score(y_true, y_score, sample_weight=weight), notes))


@dataclass
class ProbaAccumulator:
    """log_loss as a running sum and roc_auc tables, given probabilities whose columns are ``classes``."""

    classes: list[Any]
    want: frozenset[str]
    loss_sum: float = 0.0
    rows: int = 0
    unknown_rows: int = 0
    tables: dict[int, ScoreTable] = field(default_factory=dict)

    def _columns(self, y_true: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Column of each row's true label in the probability matrix, and which rows have one."""
        import numpy as np

        classes = np.asarray(self.classes)
        order = np.argsort(classes, kind="stable")
        ordered = classes[order]
        position = np.clip(np.searchsorted(ordered, y_true), 0, len(ordered) - 1)
        known = ordered[position] == y_true
        return order[position], np.asarray(known, dtype=bool)

    def update(self, y_true: np.ndarray, proba: np.ndarray) -> None:
        import numpy as np

        columns, known = self._columns(y_true)
        self.rows += len(y_true)
        self.unknown_rows += int((~known).sum())
        if "log_loss" in self.want:
            eps = np.finfo(proba.dtype).eps
            p_true = np.clip(proba[np.arange(len(y_true)), columns], eps, 1 - eps)
            self.loss_sum += math.fsum(-np.log(p_true[known]))
        if "roc_auc" in self.want:
            # Binary: the greater label's probability only, as roc_auc_score(y, proba[:, 1]) reads it.
            scored = [1] if len(self.classes) == 2 else range(len(self.classes))
            for column in scored:
                self.tables.setdefault(column, ScoreTable()).add(
                    proba[:, column], known & (columns == column)
                )

    def results(self, notes: list[str]) -> dict[str, float | None]:
        import numpy as np

        out: dict[str, float | None] = {}
        if self.unknown_rows:
            notes.append(
                f"{self.unknown_rows} row(s) have a label the model's classes ({self.classes}) do not "
                "include: log_loss and roc_auc are undefined."
            )
            return {name: None for name in sorted(self.want)}
        if "log_loss" in self.want:
            out["log_loss"] = self.loss_sum / self.rows if self.rows else None
        if "roc_auc" in self.want:
            aucs = [self.tables[column].roc_auc(notes) for column in sorted(self.tables)]
            out["roc_auc"] = None if not aucs or None in aucs else float(np.mean(np.asarray(aucs)))
        return out
