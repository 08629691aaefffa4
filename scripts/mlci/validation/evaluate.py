"""Run one or more models over the evaluation rows, chunk by chunk, and collect their metrics.

All models (the candidate and a ``--baseline``) see each chunk in the same pass, so the data is read once.
Per chunk: select the test rows (``--test-size``), make the task one-vs-rest (``--positive-label``), predict,
check the predictions (the seed's sanity test: one label per row, labels the data knows), and feed the
streaming metrics of :mod:`mlci.validation.metrics`.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlci.errors import UserError
from mlci.validation.data import Dataset
from mlci.validation.loading import LoadedModel
from mlci.validation.metrics import ConfusionCounter, ProbaAccumulator, confusion_metrics
from mlci.validation.statistics import (
    Draws,
    IntervalSpec,
    confusion_draws,
    intervals,
    paired_draws,
    proba_draws,
)

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Task:
    """How to turn the data into the task the thresholds speak about."""

    positive_label: str | None = None
    label_map: LabelMap | None = None  # --label-map: prediction -> the data's label
    mask: np.ndarray | None = None  # test rows (None: every row)
    proba_metrics: frozenset[str] = frozenset()
    chunk_rows: int = 200_000
    intervals: IntervalSpec = IntervalSpec()
    slices: tuple[str, ...] = ()  # columns whose segments get their own metrics (the candidate's)


@dataclass
class Candidate:
    """A model to evaluate, the columns it reads, and the name messages give it (e.g. ``--model URI``)."""

    model: LoadedModel
    features: list[str]
    where: str


@dataclass
class Evaluation:
    """What one model scored, or why its predictions failed the sanity check."""

    where: str
    metrics: dict[str, Any] = field(default_factory=dict)
    labels: list[str] = field(default_factory=list)
    confusion: list[list[int]] = field(default_factory=list)
    problem: str | None = None
    notes: list[str] = field(default_factory=list)
    intervals: dict[str, Any] = field(default_factory=dict)  # keyed like metrics: [low, high]
    draws: Draws = field(default_factory=dict, repr=False)  # bootstrap draws behind the intervals
    paired: Draws = field(default_factory=dict, repr=False)  # candidate - baseline draws, same rows
    slices: dict[str, dict[str, Segment]] = field(default_factory=dict)  # column -> segment -> metrics


@dataclass
class Segment:
    """The metrics of the rows that share one value of a slice column."""

    rows: int
    labels: list[str]
    metrics: dict[str, Any]
    intervals: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"rows": self.rows, "metrics": self.metrics, "intervals": self.intervals}


MAX_SEGMENTS = 100


class _SliceCounts:
    """A confusion matrix per segment of each slice column."""

    def __init__(self, columns: tuple[str, ...]) -> None:
        self.counters: dict[str, dict[Any, ConfusionCounter]] = {column: {} for column in columns}

    def update(self, batch: pa.RecordBatch, y_true: np.ndarray, predicted: np.ndarray | None) -> None:
        import numpy as np

        if predicted is None:
            return
        for column, counters in self.counters.items():
            encoded = batch.column(column).dictionary_encode()
            codes = encoded.indices.to_numpy(zero_copy_only=False)
            codes = np.where(np.isnan(codes.astype(float)), -1, codes).astype(np.int64)
            for index, value in enumerate(encoded.dictionary.to_pylist()):
                rows = codes == index
                counters.setdefault(value, ConfusionCounter()).update(y_true[rows], predicted[rows])
            if (codes < 0).any():
                rows = codes < 0
                counters.setdefault(None, ConfusionCounter()).update(y_true[rows], predicted[rows])
            if len(counters) > MAX_SEGMENTS:
                raise UserError(
                    f"--thresholds slices: the column '{column}' has more than {MAX_SEGMENTS} distinct "
                    "values; "
                    "slice by a column of segments (region, device, ...), or bin it first."
                )

    def finish(self, spec: IntervalSpec) -> dict[str, dict[str, Segment]]:
        out: dict[str, dict[str, Segment]] = {}
        for column, counters in self.counters.items():
            segments = out.setdefault(column, {})
            for value in sorted(counters, key=str):
                labels, matrix = counters[value].sorted()
                names = [str(label) for label in labels]
                metrics = confusion_metrics(labels, matrix, []) if labels else {}
                found = intervals(confusion_draws(names, matrix, spec), spec) if labels else {}
                segments[str(value)] = Segment(int(matrix.sum()), names, metrics, found)
        return out


@dataclass
class DataSummary:
    rows: int = 0
    evaluated_rows: int = 0
    labels: list[str] = field(default_factory=list)


def coerce_label(text: str, values: np.ndarray, flag: str = "--positive-label") -> Any:
    """``--positive-label`` as a value of the same type as ``values`` (``2`` for ints, ``yes`` for text)."""
    kind = values.dtype.kind
    try:
        if kind == "b":
            return {"true": True, "1": True, "false": False, "0": False}[text.strip().lower()]
        if kind in "iu":
            return int(text)
        if kind == "f":
            return float(text)
    except (KeyError, ValueError):
        raise UserError(
            f"{flag} {text}: the labels here are {values.dtype.name} values; give one of that type."
        ) from None
    return text


def _type_name(values: np.ndarray) -> str:
    """What kind of labels an array holds, as a user reads it: bool, int64, float64, str..."""
    kind = values.dtype.kind
    if kind in "US" or (kind == "O" and len(values) and isinstance(values[0], str)):
        return "str"
    return values.dtype.name


def _family(values: np.ndarray) -> str:
    """Labels of one family compare with each other: bool, number (int or float) or str."""
    kind = values.dtype.kind
    return "bool" if kind == "b" else "number" if kind in "iuf" else _type_name(values)


class LabelMap:
    """``--label-map``: the model's labels as the data writes them (e.g. ``class_0: 0, class_1: 1``).

    Keys are read as values of the predictions' type, values as values of the data's label type.
    """

    def __init__(self, pairs: dict[Any, Any], labels: np.ndarray) -> None:
        self.text = ", ".join(f"{key}: {value}" for key, value in pairs.items())
        self.pairs = {key: coerce_label(str(value), labels, "--label-map") for key, value in pairs.items()}

    def lookup(self, predictions: np.ndarray) -> dict[Any, Any]:
        return {coerce_label(str(key), predictions, "--label-map"): v for key, v in self.pairs.items()}

    def apply(self, predictions: np.ndarray) -> np.ndarray:
        """The predictions, mapped; UserError naming a prediction the map does not cover."""
        import numpy as np
        import pandas as pd

        lookup = self.lookup(predictions)
        series = pd.Series(predictions)
        unmapped = series[~series.isin(list(lookup))]
        if len(unmapped):
            value = unmapped.iloc[0]
            raise UserError(
                f"--label-map does not map the prediction {value!r}: add it (e.g. '{self.text}, "
                f"{value}: LABEL').",
                title="mlci validate: bad --label-map",
            )
        return np.asarray(series.map(lookup).to_numpy())


def _show_values(values: np.ndarray, limit: int = 5) -> str:
    """A sample of the distinct values of ``values``, with their type: ``'a', 'b' (str)``."""
    import numpy as np

    distinct = _sorted_labels(set(np.unique(values).tolist()))  # an error path: the whole chunk
    more = ", ..." if len(distinct) > limit else ""
    return f"{_show(set(distinct[:limit]))}{more} ({_type_name(values)})"


def _reason(exc: Exception) -> str:
    """The first line of why a model refused the data.

    MLflow's schema check writes the whole DataFrame first ("Failed to enforce schema of data '<frame>' with
    schema '<schema>'. Error: <reason>"): its reason is the part to show.
    """
    text = str(exc)
    if text.startswith("Failed to enforce schema of data") and "Error: " in text:
        return "MLflow's schema check refused the data: " + text.rsplit("Error: ", 1)[1].splitlines()[0]
    return (text.splitlines() or [""])[0]


class _ModelRun:
    """The accumulators of one model during the pass."""

    def __init__(self, candidate: Candidate, task: Task) -> None:
        import numpy as np

        self.candidate = candidate
        self.counter = ConfusionCounter()
        self.problem: str | None = None
        self.notes: list[str] = []
        self.proba: ProbaAccumulator | None = None
        self.positive_for_classes: Any = None
        self.shares_values = False  # some prediction is one of the data's labels (checked until it is)
        model = candidate.model
        if task.proba_metrics and model.has_proba:
            classes = model.classes or []
            if task.label_map is not None:
                lookup = task.label_map.lookup(np.asarray(classes))
                classes = [lookup.get(c, c) for c in classes]
            if task.positive_label is not None:
                # A model fitted on the one-vs-rest target itself has the classes False/True.
                as_array = np.asarray(classes)
                is_bool = as_array.dtype.kind == "b"
                self.positive_for_classes = True if is_bool else coerce_label(task.positive_label, as_array)
                if self.positive_for_classes not in classes:
                    raise UserError(
                        f"{candidate.where}: the model's classes {classes} do not include --positive-label "
                        f"{task.positive_label}, which {', '.join(sorted(task.proba_metrics))} need."
                    )
                classes = [False, True]
            self.proba = ProbaAccumulator(classes=classes, want=task.proba_metrics)

    def model_input(self, batch: pa.RecordBatch) -> Any:
        import numpy as np

        model = self.candidate.model
        selected = batch.select(self.candidate.features)
        if model.kind == "pyfunc":
            return model.pyfunc_input(selected.to_pandas())
        if model.feature_names is not None:
            return selected.to_pandas()
        columns = [column.to_numpy(zero_copy_only=False) for column in selected.columns]
        return np.column_stack(columns)

    def _call(self, method: str, X: Any) -> np.ndarray:
        """``model.predict(X)`` or ``predict_proba``: warnings become notes, a failure names the inputs."""
        import numpy as np

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                result = getattr(self.candidate.model.model, method)(X)
            except Exception as exc:  # the model rejects the data (feature count, dtype...): bad input
                first_line = _reason(exc)
                raise UserError(
                    f"{self.candidate.where}: {method}() failed on the data: {type(exc).__name__}: "
                    f"{first_line}",
                    title="mlci validate: model and data do not fit",
                ) from None
        for record in caught:
            self._note(f"the model warned: {str(record.message).splitlines()[0]}")
        return np.asarray(result)

    def predict(self, X: Any, rows: int) -> np.ndarray | None:
        """Predictions as a 1-D array, or None after recording why they are not usable."""
        predictions = self._call("predict", X)
        if predictions.ndim == 2 and predictions.shape[1] == 1:
            predictions = predictions[:, 0]
        if predictions.ndim != 1 or len(predictions) != rows:
            self.problem = (
                f"predict() returned an array of shape {predictions.shape} for {rows} rows; expected one "
                "label per row."
            )
            return None
        return predictions

    def _note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def _check_labels(self, predictions: np.ndarray, labels: np.ndarray, task: Task) -> None:
        """UserError when the predictions and the data's labels share no type or no value.

        Checked on each chunk until a prediction is one of the labels seen so far (the first chunk, for a
        model that predicts the data's labels): before any count, so a regressor's floats never become labels.
        Bool predictions with --positive-label answer "is it the positive label?" and need no check.
        """
        import numpy as np

        if self.shares_values or (task.positive_label is not None and predictions.dtype.kind == "b"):
            return
        sample = f"predictions {_show_values(predictions)}, labels {_show_values(labels)}"
        fix = (
            "if the model names the classes otherwise, map them with --label-map "
            "(e.g. --label-map 'PREDICTION: LABEL, ...')"
        )
        if _family(predictions) != _family(labels):
            raise UserError(
                f"{self.candidate.where}: the model's predictions and the labels share no type: {sample}; "
                f"{fix}.",
                title="mlci validate: predictions and labels do not match",
            )
        self.shares_values = bool(np.isin(predictions, labels).any())
        if not self.shares_values:
            raise UserError(
                f"{self.candidate.where}: the model's predictions and the labels share no values: {sample}; "
                f"{fix}, or check that this is a classifier of this label column.",
                title="mlci validate: predictions and labels do not match",
            )

    def feed(
        self, batch: pa.RecordBatch, y_raw: np.ndarray, labels: np.ndarray, task: Task
    ) -> np.ndarray | None:
        """Predict one chunk and count it: ``y_raw`` its labels as the data writes them, ``labels`` every
        label seen so far; the predictions as counted (None when unusable)."""
        if self.problem is not None:
            return None
        X = self.model_input(batch)
        predictions = self.predict(X, len(y_raw))
        if predictions is None:
            return None
        if task.label_map is not None:
            predictions = task.label_map.apply(predictions)
        self._check_labels(predictions, labels, task)
        y_true = y_raw
        if task.positive_label is not None:
            y_true = y_raw == coerce_label(task.positive_label, y_raw)
        if task.positive_label is not None and predictions.dtype.kind != "b":
            predictions = predictions == coerce_label(task.positive_label, predictions)
        self.counter.update(y_true, predictions)
        if self.proba is not None:
            self._feed_proba(self.proba, X, y_true)
        return predictions

    def _feed_proba(self, accumulator: ProbaAccumulator, X: Any, y_true: np.ndarray) -> None:
        import numpy as np

        proba = self._call("predict_proba", X)
        if proba.dtype.kind != "f":
            proba = proba.astype(np.float64)
        if self.positive_for_classes is not None:
            columns = [
                i for i, c in enumerate(self.candidate.model.classes or []) if c == self.positive_for_classes
            ]
            p_true = proba[:, columns].sum(axis=1)
            proba = np.column_stack([1 - p_true, p_true])
        try:
            accumulator.update(y_true, proba)
        except TypeError:
            self._note(
                "the model's classes and the data's labels are of different types: no log_loss or roc_auc."
            )
            self.proba = None

    def finish(self, known: set[Any], spec: IntervalSpec) -> Evaluation:
        result = Evaluation(where=self.candidate.where, notes=self.notes, problem=self.problem)
        if self.problem is not None:
            return result
        predicted = {
            label for label, total in zip(self.counter.labels, self.counter.counts.sum(axis=0)) if total
        }
        unknown = predicted - known
        if unknown:
            result.problem = (
                f"the model predicts label(s) the data does not have: {_show(unknown)} (the data's labels: "
                f"{_show(known)})."
            )
        try:
            labels, matrix = self.counter.sorted()
        except TypeError:
            result.problem = result.problem or "the model predicts labels of another type than the data's."
            return result
        result.labels = [str(label) for label in labels]
        result.confusion = matrix.tolist()
        if labels:
            result.metrics = confusion_metrics(labels, matrix, self.notes)
        if self.proba is not None:
            result.metrics.update(self.proba.results(self.notes))
        if labels:
            result.draws = confusion_draws(result.labels, matrix, spec)
        if self.proba is not None:
            result.draws.update(proba_draws(self.proba, spec))
        result.intervals = intervals(result.draws, spec)
        return result


def _sorted_labels(labels: set[Any]) -> list[Any]:
    try:
        return sorted(labels)
    except TypeError:  # text and numbers: the sanity check says so; here any stable order will do
        return sorted(labels, key=str)


def _show(labels: set[Any]) -> str:
    return ", ".join(
        repr(label) if isinstance(label, str) else str(label) for label in _sorted_labels(labels)
    )


def evaluate(
    candidates: list[Candidate], dataset: Dataset, task: Task
) -> tuple[list[Evaluation], DataSummary]:
    """One pass over the data for every candidate."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    runs = [_ModelRun(candidate, task) for candidate in candidates]
    columns = list(
        dict.fromkeys(
            [c for candidate in candidates for c in candidate.features] + [dataset.target, *task.slices]
        )
    )
    slices = _SliceCounts(task.slices)
    summary = DataSummary()
    paired = len(runs) == 2 and task.intervals.resamples > 0
    joint = ConfusionCounter(ways=3) if paired else None  # paired: (true, candidate, baseline)
    known: set[Any] = set()
    offset = 0
    for batch in dataset.batches(columns, task.chunk_rows):
        rows = batch.num_rows
        y_all = dataset.label_values(batch)  # every row needs a label, test part or not
        known.update(pc.unique(batch.column(dataset.target)).to_pylist())
        summary.rows += rows
        y_raw = y_all
        if task.mask is not None:
            selected = task.mask[offset : offset + rows]
            offset += rows
            if not selected.any():
                continue
            batch, y_raw = batch.filter(pa.array(selected)), y_all[selected]
        seen = np.asarray(_sorted_labels(known), dtype=y_all.dtype)
        summary.evaluated_rows += len(y_raw)
        predicted = [run.feed(batch, y_raw, seen, task) for run in runs]
        y_true = y_raw
        if task.positive_label is not None:
            y_true = y_raw == coerce_label(task.positive_label, y_raw)
        slices.update(batch, y_true, predicted[0])
        if joint is not None:
            _count_pairs(joint, y_true, predicted)
        log.debug("evaluated %d of %d rows", summary.evaluated_rows, summary.rows)
    known.discard(None)
    summary.labels = [str(label) for label in _sorted_labels(known)]
    if task.positive_label is not None:
        positive = coerce_label(task.positive_label, np.asarray(list(known)))
        if positive not in known:
            raise UserError(
                f"--positive-label {task.positive_label}: no row of the label column '{dataset.target}' has "
                f"this value; its values: {_show(known)}."
            )
        known = {False, True}
    if summary.evaluated_rows == 0:
        raise UserError(f"--data {dataset.spec.text}: there are no rows to evaluate.")
    evaluations = [run.finish(known, task.intervals) for run in runs]
    evaluations[0].slices = slices.finish(task.intervals)
    if joint is not None and joint.labels:
        try:
            labels, counts = joint.sorted()
        except TypeError:  # labels of different types: the sanity check says so
            return evaluations, summary
        evaluations[0].paired = paired_draws([str(label) for label in labels], counts, task.intervals)
    return evaluations, summary


def _count_pairs(joint: ConfusionCounter, y_true: np.ndarray, predicted: list[np.ndarray | None]) -> None:
    candidate, baseline = predicted
    if candidate is not None and baseline is not None:
        try:
            joint.update(y_true, candidate, baseline)
        except TypeError:  # labels of different types: the sanity check says so
            pass
