"""Confidence intervals for every metric, and the paired difference between two models, at no cost per row.

What is resampled (percentile bootstrap, ``resamples`` draws, seeded: the same data gives the same interval):

- **confusion-matrix metrics** (everything in classification_report, balanced accuracy, MCC): resampling the
  evaluated rows with replacement is exactly a multinomial draw of the confusion-matrix cells with the cells'
  frequencies. So each draw is ``rng.multinomial(n, cells / n)``: no row is kept or revisited, and the cost
  depends on the number of labels, not of rows. Each registered metric computes itself from the drawn matrices
  (:attr:`mlci.validation.metrics.Metric.from_counts`).
- **roc_auc**: the same multinomial bootstrap on the table of distinct scores with their positive and
  negative counts (what the exact roc_auc is computed from). A table with more than ``MAX_SCORE_CELLS``
  distinct scores is merged into that many bins of adjacent scores for the draws only, and the draws are
  re-centred on the exact value. More classes: each one-vs-rest table is drawn independently, draws averaged.
- **log_loss**: a normal interval for the mean of the per-row losses (their running sum and sum of squares).
- **paired comparison** with a baseline: both models predict the same rows, so mlci counts (true,
  candidate's prediction, baseline's prediction) triples, a labels^3 table. A multinomial draw of that table
  resamples rows *with both predictions together*: the drawn candidate and baseline matrices are its two
  marginals, and the difference of their metrics is the paired bootstrap of the difference. A row on which
  both models agree cannot move the difference, so one row of 45 that differs is a small, honest interval
  around 1/45. roc_auc and log_loss differences combine the two models' draws independently (unpaired: wider).
- A cell that holds no row is never drawn (the bootstrap's known blind spot): a class with no error on few
  rows gets an interval of width 0; the --min-support warning is there for that.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlci.validation.metrics import AVERAGES, METRICS

if TYPE_CHECKING:
    import numpy as np

    from mlci.validation.metrics import ProbaAccumulator

#: a metric's place in the report: (class or average, metric) or (None, metric)
Key = tuple["str | None", str]
Draws = dict[Key, "np.ndarray"]

MAX_SCORE_CELLS = 4096
_BLOCK_CELLS = 1 << 21  # cells drawn per block: bounds the memory of the draws


@dataclass(frozen=True)
class IntervalSpec:
    """How intervals are computed; stated in the report."""

    level: float = 0.95
    resamples: int = 1000
    seed: int = 0
    min_support: int = 30

    def describe(self) -> dict[str, Any]:
        return {
            "method": "percentile bootstrap: multinomial on the confusion-matrix cells (paired: on "
            "(true, candidate, baseline) cells); roc_auc on the distinct-score table; log_loss: normal",
            "level": self.level,
            "resamples": self.resamples,
            "seed": self.seed,
        }

    def rng(self, purpose: int) -> np.random.Generator:
        import numpy as np

        return np.random.default_rng([self.seed, purpose])

    def bounds(self, draws: np.ndarray) -> list[float] | None:
        import numpy as np

        finite = draws[np.isfinite(draws)]
        if not len(finite):
            return None
        tail = (1 - self.level) / 2
        low, high = np.quantile(finite, [tail, 1 - tail])
        return [float(low) + 0.0, float(high) + 0.0]  # + 0.0: no negative zero


def _multinomial(counts: np.ndarray, spec: IntervalSpec, purpose: int) -> Any:
    """Blocks of multinomial draws of ``counts`` (any shape): arrays of shape (block, *counts.shape)."""
    import numpy as np

    total = int(counts.sum())
    flat = counts.reshape(-1)
    cells = np.flatnonzero(flat)  # an empty cell is never drawn: draw the others only (few, for k^3)
    rng = spec.rng(purpose)
    block = max(1, _BLOCK_CELLS // max(flat.size, 1))
    done = 0
    while done < spec.resamples:
        size = min(block, spec.resamples - done)
        drawn = np.zeros((size, flat.size), dtype=np.int64)
        if total:
            drawn[:, cells] = rng.multinomial(total, flat[cells] / total, size=size)
        yield drawn.reshape(size, *counts.shape)
        done += size


def _confusion_values(matrices: np.ndarray, labels: list[str]) -> dict[Key, np.ndarray]:
    """Every registered confusion metric of a stack of matrices, keyed like the report."""
    out: dict[Key, np.ndarray] = {}
    support = matrices.sum(axis=-1).astype(float)
    for metric in METRICS.values():
        if metric.from_counts is None or metric.is_count:
            continue
        values = metric.from_counts(matrices)
        if not metric.per_class:
            out[(None, metric.name)] = values
            continue
        for index, label in enumerate(labels):
            out[(label, metric.name)] = values[:, index]
        out[("macro avg", metric.name)] = values.mean(axis=-1)
        total = support.sum(axis=-1)
        weighted = (values * support).sum(axis=-1)
        out[("weighted avg", metric.name)] = weighted / total
    return out


def _concat(blocks: list[dict[Key, np.ndarray]]) -> Draws:
    import numpy as np

    return {key: np.concatenate([block[key] for block in blocks]) for key in blocks[0]} if blocks else {}


def confusion_draws(labels: list[str], matrix: np.ndarray, spec: IntervalSpec) -> Draws:
    """Bootstrap draws of every confusion metric of one model."""
    return _concat([_confusion_values(m, labels) for m in _multinomial(matrix, spec, purpose=1)])


def paired_draws(labels: list[str], joint: np.ndarray, spec: IntervalSpec) -> Draws:
    """Draws of (candidate - baseline) for every confusion metric, from the (true, cand, base) counts.

    Only the table's non-empty cells are drawn (a few per label, not labels^3); each draw's two confusion
    matrices are sums of those cells (a sparse product), so the cost grows with labels^2, not labels^3.
    """
    import numpy as np
    from scipy.sparse import csr_matrix

    k = joint.shape[0]
    true, cand, base = np.nonzero(joint)
    weights = joint[true, cand, base]
    total = int(weights.sum())
    if not total:
        return {}
    ones = np.ones(len(weights))
    cells = np.arange(len(weights))
    to_candidate = csr_matrix((ones, (true * k + cand, cells)), shape=(k * k, len(weights)))
    to_baseline = csr_matrix((ones, (true * k + base, cells)), shape=(k * k, len(weights)))
    rng = spec.rng(2)
    block = max(1, _BLOCK_CELLS // max(k * k, len(weights)))
    blocks, done = [], 0
    while done < spec.resamples:
        size = min(block, spec.resamples - done)
        drawn = rng.multinomial(total, weights / total, size=size).T  # (cells, size)
        candidate = _confusion_values((to_candidate @ drawn).T.reshape(size, k, k), labels)
        baseline = _confusion_values((to_baseline @ drawn).T.reshape(size, k, k), labels)
        blocks.append({key: candidate[key] - baseline[key] for key in candidate})
        done += size
    return _concat(blocks)


def _auc_draws(scores: np.ndarray, pos: np.ndarray, neg: np.ndarray, spec: IntervalSpec, purpose: int) -> Any:
    """roc_auc of multinomial draws of a (score, positives, negatives) table sorted by score."""
    import numpy as np

    def auc(p: np.ndarray, n: np.ndarray) -> np.ndarray:
        below = np.cumsum(n, axis=-1) - n
        area = (p * (below + 0.5 * n)).sum(axis=-1)
        return _safe_div(area, p.sum(axis=-1) * n.sum(axis=-1))

    exact = float(auc(pos, neg))
    if len(scores) > MAX_SCORE_CELLS:  # adjacent scores merged into bins, for the draws only
        starts = np.linspace(0, len(scores), MAX_SCORE_CELLS, endpoint=False).astype(np.int64)
        pos, neg = np.add.reduceat(pos, starts), np.add.reduceat(neg, starts)
    shift = exact - float(auc(pos, neg))
    draws = [auc(d[:, 0], d[:, 1]) for d in _multinomial(np.stack([pos, neg]), spec, purpose)]
    return np.concatenate(draws) + shift


def _safe_div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    import numpy as np

    return np.divide(num, den, out=np.full(np.broadcast(num, den).shape, np.nan), where=den != 0)


def proba_draws(proba: ProbaAccumulator, spec: IntervalSpec) -> Draws:
    """Draws of roc_auc and log_loss (see the module's description)."""
    import numpy as np

    out: Draws = {}
    if proba.unknown_rows or not proba.rows or not spec.resamples:
        return out
    if "log_loss" in proba.want:
        mean = proba.loss_sum / proba.rows
        variance = max(proba.loss_sq_sum / proba.rows - mean * mean, 0.0)
        se = math.sqrt(variance / proba.rows)
        out[(None, "log_loss")] = (
            spec.rng(3).normal(mean, se, spec.resamples) if se else np.full(spec.resamples, mean)
        )
    if "roc_auc" in proba.want and proba.tables:
        per_column = []
        for column in sorted(proba.tables):
            scores, pos, neg = proba.tables[column].table()
            if not (pos.sum() and neg.sum()):
                return out
            per_column.append(_auc_draws(scores, pos, neg, spec, purpose=10 + column))
        out[(None, "roc_auc")] = np.mean(np.stack(per_column), axis=0)
    return out


def intervals(draws: Draws, spec: IntervalSpec) -> dict[str, Any]:
    """``{"accuracy": [low, high], "True": {"f1-score": [low, high]}, ...}``: keyed like the metrics."""
    out: dict[str, Any] = {}
    for (key, metric), values in draws.items():
        bounds = spec.bounds(values)
        if key is None:
            out[metric] = bounds
        else:
            out.setdefault(key, {})[metric] = bounds
    return out


def interval_of(intervals_: dict[str, Any], key: str | None, metric: str) -> list[float] | None:
    found = intervals_.get(metric) if key is None else intervals_.get(key, {}).get(metric)
    return None if found is None else list(found)


def judge(
    passes: Callable[[float], bool], value: float | None, interval: list[float] | None, gate: str
) -> str:
    """``pass``, ``fail`` or ``inconclusive``: a point reading (``gate="point"``) or, ``gate="confident"``,
    pass when the whole interval passes, fail when the whole interval fails, inconclusive when it straddles.
    ``passes`` must be monotone (every bound operator is)."""
    if value is None:
        return "fail"
    if gate == "point" or interval is None:
        return "pass" if passes(value) else "fail"
    at_low, at_high = passes(interval[0]), passes(interval[1])
    if at_low and at_high:
        return "pass"
    if not (at_low or at_high):
        return "fail"
    return "inconclusive"


def low_support(labels: list[str], matrix: np.ndarray, minimum: int) -> list[str]:
    """A warning per class with fewer true rows than ``minimum``."""
    support = matrix.sum(axis=1)
    return [
        f"class {label}: {int(n)} row(s), fewer than --min-support {minimum}: its metrics vary a lot by "
        "chance (see the intervals); evaluate on more rows of it."
        for label, n in zip(labels, support)
        if label not in AVERAGES and n < minimum
    ]
