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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

#: the averages classification_report adds after the classes
AVERAGES = ("macro avg", "weighted avg")


@dataclass(frozen=True)
class Metric:
    """One metric mlci knows: where it sits in the report, its range, how to compute and resample it.

    ``per_class`` metrics sit under each class and average (``metrics["True"]["f1-score"]``), the others
    at the top (``metrics["accuracy"]``). ``from_counts`` computes the metric from a stack of confusion
    matrices (shape ``(B, k, k)``: true x predicted): per class ``(B, k)``, else ``(B,)``; that is how a
    confusion-matrix metric is resampled (and how a paired difference is formed). A metric with ``point``
    gets its reported value from scikit-learn on the replayed matrix; one without comes from
    ``classification_report`` (per class, accuracy) or from the probability accumulator (``needs_proba``).
    """

    name: str
    per_class: bool = False
    needs_proba: bool = False
    lower_is_better: bool = False
    low: float = 0.0
    high: float = 1.0
    is_count: bool = False  # support: a count, not a score (no interval, no baseline comparison)
    point: Callable[..., Any] | None = None
    from_counts: Callable[[np.ndarray], np.ndarray] | None = None

    @property
    def range_text(self) -> str:
        return f"[{self.low:g}, {self.high:g}]"


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den, 0 where den is 0 (scikit-learn's zero_division default)."""
    import numpy as np

    return np.divide(num, den, out=np.zeros(np.broadcast(num, den).shape), where=den != 0)


def _tp(c: np.ndarray) -> np.ndarray:
    import numpy as np

    return np.diagonal(c, axis1=-2, axis2=-1).astype(np.float64)


def _precision(c: np.ndarray) -> np.ndarray:
    return _ratio(_tp(c), c.sum(axis=-2))


def _recall(c: np.ndarray) -> np.ndarray:
    return _ratio(_tp(c), c.sum(axis=-1))


def _f1(c: np.ndarray) -> np.ndarray:
    return _ratio(2 * _tp(c), c.sum(axis=-2) + c.sum(axis=-1))


def _support(c: np.ndarray) -> np.ndarray:
    return c.sum(axis=-1).astype(float)


def _accuracy(c: np.ndarray) -> np.ndarray:
    return _ratio(_tp(c).sum(axis=-1), c.sum(axis=(-2, -1)))


def _balanced_accuracy(c: np.ndarray) -> np.ndarray:
    """Mean recall over the classes that have true rows (as balanced_accuracy_score)."""
    true = c.sum(axis=-1)
    return _ratio(_recall(c).sum(axis=-1), (true > 0).sum(axis=-1))


def _mcc(c: np.ndarray) -> np.ndarray:
    """Matthews' multiclass correlation, as matthews_corrcoef computes it from the confusion matrix."""
    import numpy as np

    c = c.astype(np.float64)
    t, p = c.sum(axis=-1), c.sum(axis=-2)
    n, correct = c.sum(axis=(-2, -1)), _tp(c).sum(axis=-1)
    cov_tp = correct * n - (t * p).sum(axis=-1)
    cov_pp = n**2 - (p * p).sum(axis=-1)
    cov_tt = n**2 - (t * t).sum(axis=-1)
    return _ratio(cov_tp, np.sqrt(cov_tt * cov_pp))


def _sklearn(name: str) -> Callable[..., Any]:
    def call(y_true: Any, y_pred: Any, sample_weight: Any) -> Any:
        import sklearn.metrics

        return getattr(sklearn.metrics, name)(y_true, y_pred, sample_weight=sample_weight)

    return call


#: every metric, in the order reports show them; a new metric is one entry here
METRICS: dict[str, Metric] = {
    m.name: m
    for m in (
        Metric("precision", per_class=True, from_counts=_precision),
        Metric("recall", per_class=True, from_counts=_recall),
        Metric("f1-score", per_class=True, from_counts=_f1),
        Metric("support", per_class=True, is_count=True, high=math.inf, from_counts=_support),
        Metric("accuracy", from_counts=_accuracy),
        Metric(
            "balanced_accuracy", point=_sklearn("balanced_accuracy_score"), from_counts=_balanced_accuracy
        ),
        Metric("matthews_corrcoef", low=-1.0, point=_sklearn("matthews_corrcoef"), from_counts=_mcc),
        Metric("roc_auc", needs_proba=True),
        Metric("log_loss", needs_proba=True, lower_is_better=True, high=math.inf),
    )
}
CLASS_METRICS = tuple(name for name, m in METRICS.items() if m.per_class)
SCALAR_METRICS = tuple(name for name, m in METRICS.items() if not m.per_class)
PROBA_METRICS = tuple(name for name, m in METRICS.items() if m.needs_proba)


class ConfusionCounter:
    """Counts of (true label, predicted label) pairs; labels are discovered as chunks arrive.

    ``ways=3`` counts (true, candidate's prediction, baseline's prediction) triples over one set of labels:
    the table a paired comparison resamples.
    """

    def __init__(self, ways: int = 2) -> None:
        import numpy as np

        self.ways = ways
        self.labels: list[Any] = []
        self._index: dict[Any, int] = {}
        self.counts = np.zeros((0,) * ways, dtype=np.int64)

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

    def update(self, *values: np.ndarray) -> None:
        """Count one chunk: ``update(y_true, y_pred)`` (or three arrays with ``ways=3``)."""
        import numpy as np

        codes = [self._codes(column) for column in values]
        k = len(self.labels)
        shape = (k,) * self.ways
        if self.counts.shape[0] < k:
            grown = np.zeros(shape, dtype=np.int64)
            grown[tuple(slice(0, n) for n in self.counts.shape)] = self.counts
            self.counts = grown
        flat = np.ravel_multi_index(tuple(codes), shape)
        self.counts += np.bincount(flat, minlength=k**self.ways).reshape(shape)

    def sorted(self) -> tuple[list[Any], np.ndarray]:
        """Labels in scikit-learn's order (sorted) and the counts in that order; TypeError on mixed types."""
        import numpy as np

        order = sorted(range(len(self.labels)), key=lambda i: self.labels[i])
        return [self.labels[i] for i in order], self.counts[np.ix_(*[order] * self.ways)]


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
    """classification_report(output_dict=True) plus every registered confusion metric, from a matrix."""
    from sklearn.metrics import classification_report

    y_true, y_pred, weight = _replay(labels, matrix)
    report = _recorded(
        lambda: classification_report(y_true, y_pred, sample_weight=weight, output_dict=True), notes
    )
    for metric in METRICS.values():
        if metric.point is not None:
            point = metric.point
            report[metric.name] = float(_recorded(lambda: point(y_true, y_pred, weight), notes))
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

    def table(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Distinct scores (sorted) with their positive and negative counts."""
        self._merge()
        return self._merged

    def roc_auc(self, notes: list[str]) -> float | None:
        """roc_auc_score over every row added, or None (with a note) when one side has no rows."""
        import numpy as np
        from sklearn.metrics import roc_auc_score

        scores, pos, neg = self.table()
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
    loss_sq_sum: float = 0.0  # for the interval of log_loss
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
            losses = -np.log(p_true[known])
            self.loss_sum += math.fsum(losses)
            self.loss_sq_sum += float(np.dot(losses, losses))
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
