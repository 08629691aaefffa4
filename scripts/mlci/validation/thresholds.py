"""Thresholds: which metric must be above or below what, and the checks that result.

``--thresholds`` is a YAML file or inline YAML text whose keys mirror
``classification_report(output_dict=True)``::

    False: {f1-score: "> 0.95", precision: "> 0.9"}   # a class, named as the report names it
    macro avg: {recall: 0.8}                           # a bare number means >=
    accuracy: ">= 0.9"
    roc_auc: "> 0.9"                                   # also balanced_accuracy, matthews_corrcoef, log_loss

Keys are read as written: YAML would turn ``False`` into a boolean and ``2`` into an integer, but the report
names classes by their text (``"False"``, ``"2"``), so the text is kept (``true``/``false`` in any case match
``True``/``False``). Quote a value that starts with ``>`` (YAML reads a bare ``>`` as a folded block).
A key written twice, a NaN or infinite bound, text after the number (``"> 0.9 # strict"``: a comment inside
quotes is text) and a bound outside the metric's range (``1.5`` for accuracy) are refused, naming the key.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from mlci.errors import UserError
from mlci.validation.metrics import AVERAGES, CLASS_METRICS, METRICS, SCALAR_METRICS
from mlci.validation.statistics import interval_of, judge

SLICES = "slices"
OPERATORS: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
}
_TITLE = "mlci validate: bad thresholds"
_VALUE = re.compile(r"\s*(?P<op>[^\d\s.+-]*)\s*(?P<number>\S+)\s*")


@dataclass(frozen=True)
class Threshold:
    """One bound on one metric: ``key`` is a class or an average (None for a scalar metric)."""

    key: str | None
    metric: str
    op: str
    bound: float
    slice_by: str | None = None  # a column: the bound holds in each of its segments (``slices:``)

    @property
    def name(self) -> str:
        return f"{self.key} {self.metric}" if self.key is not None else self.metric

    @property
    def text(self) -> str:
        return f"{self.op} {self.bound:g}"

    def passes(self, value: float) -> bool:
        return OPERATORS[self.op](value, self.bound)


@dataclass
class Check:
    """One check and its verdict, as the report, the summary and the annotations show it."""

    name: str
    kind: str  # threshold, baseline, sanity
    passed: bool
    value: float | None = None
    threshold: str | None = None
    key: str | None = None
    metric: str | None = None
    message: str = ""
    interval: list[float] | None = None  # of the value, at the gate's level
    outcome: str = ""  # pass, fail or inconclusive (the interval straddles the bound)

    @property
    def inconclusive(self) -> bool:
        return self.outcome == "inconclusive"

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "class": self.key,
            "metric": self.metric,
            "value": self.value,
            "interval": self.interval,
            "threshold": self.threshold,
            "outcome": self.outcome or ("pass" if self.passed else "fail"),
            "passed": self.passed,
            "message": self.message,
        }


@dataclass(frozen=True)
class Gate:
    """How a check reads a value and its interval: ``point`` (the value alone) or ``confident`` (fail only
    when the whole interval fails; an interval that straddles the bound is inconclusive, a failure when
    ``strict``)."""

    mode: str = "point"
    strict: bool = False
    level: float = 0.95

    def outcome(
        self, passes: Callable[[float], bool], value: float | None, interval: list[float] | None
    ) -> tuple[str, bool]:
        """(outcome, passed)."""
        outcome = judge(passes, value, interval, self.mode)
        return outcome, outcome == "pass" or (outcome == "inconclusive" and not self.strict)

    def reading(self, outcome: str, interval: list[float] | None, bound_text: str) -> str:
        """What the interval says, for a check's message ('' when it says nothing more)."""
        if interval is None or self.mode == "point":  # point: the interval is in the table, not here
            return ""
        shown = f"{self.level:.0%} interval [{interval[0]:.4f}, {interval[1]:.4f}]"
        if outcome == "inconclusive":
            strict = ": a failure with --strict" if self.strict else ""
            return f"; its {shown} straddles the bound: inconclusive{strict}"
        return f"; its whole {shown} is {'' if outcome == 'pass' else 'not '}{bound_text}"


# --------------------------------------------------------------------------------------------- parsing


class _DuplicateKey(Exception):
    def __init__(self, key: Any, line: int) -> None:
        super().__init__(key, line)
        self.key, self.line = key, line


def _raw_key_loader() -> type:
    """A SafeLoader that keeps mapping keys as written (``False`` stays the text "False") and refuses a key
    written twice in one mapping (YAML 1.2 requires keys to be unique; PyYAML keeps the last silently)."""
    import yaml

    class RawKeyLoader(yaml.SafeLoader):
        pass

    def construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
        loader.flatten_mapping(node)
        mapping: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                key = key_node.value
            else:
                key = loader.construct_object(key_node, deep=True)
            if key in mapping:
                raise _DuplicateKey(key, key_node.start_mark.line + 1)
            mapping[key] = loader.construct_object(value_node, deep=True)
        return mapping

    RawKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    return RawKeyLoader


def _read_text(value: str, flag: str) -> tuple[str, str]:
    """The YAML text and where it came from: a file when ``value`` names one, else inline YAML."""
    path = Path(value).expanduser()
    if "\n" not in value and path.is_file():
        try:
            return path.read_text(encoding="utf-8"), f"{flag} {value}"
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"{flag} {value}: cannot read the file ({exc}).", title=_TITLE) from None
    if ":" not in value and "{" not in value:
        raise UserError(
            f"{flag} {value}: no such file, and not inline YAML either; give a YAML file or text such as "
            "'accuracy: \">= 0.9\"'.",
            title=_TITLE,
        )
    return value, flag


def _bound(text: Any, name: str, metric: str, where: str) -> tuple[str, float]:
    """``"> 0.95"`` -> (">", 0.95); a bare number means ``>=``; UserError for NaN or a bound outside the
    metric's range."""
    op, bound = _parse_bound(text, name, where)
    known = METRICS[metric]
    if not math.isfinite(bound):
        shown = "NaN" if math.isnan(bound) else f"{bound:g}"
        raise UserError(f"{where}: {name}: the bound is {shown}; give a number such as 0.9.", title=_TITLE)
    if not known.low <= bound <= known.high:
        raise UserError(
            f"{where}: {name}: the bound {bound:g} is outside the range of {metric} {known.range_text}; "
            f"give a number in that range.",
            title=_TITLE,
        )
    return op, bound


def _parse_bound(text: Any, name: str, where: str) -> tuple[str, float]:
    if isinstance(text, bool) or not isinstance(text, (int, float, str)):
        raise UserError(
            f'{where}: {name}: expected a bound such as "> 0.9" or 0.9, got {text!r}.', title=_TITLE
        )
    if isinstance(text, (int, float)):
        return ">=", float(text)
    match = _VALUE.fullmatch(text)
    op = (match["op"] if match else "") or ">="
    if op not in OPERATORS:
        raise UserError(
            f"{where}: {name}: unknown operator '{op}' in {text!r}; use one of {', '.join(OPERATORS)} (a "
            "bare number means >=).",
            title=_TITLE,
        )
    try:
        if match is None:
            raise ValueError(text)
        return op, float(match["number"])
    except ValueError:
        raise UserError(
            f"{where}: {name}: {text!r} holds no number after the operator.", title=_TITLE
        ) from None


def parse_thresholds(value: str, flag: str = "--thresholds") -> list[Threshold]:
    """Parse a YAML file or inline YAML into thresholds; UserError naming any unknown metric or operator."""
    import yaml

    text, where = _read_text(value, flag)
    try:
        # _raw_key_loader() is a SafeLoader subclass: no object is ever constructed from the text.
        data = yaml.load(text, Loader=_raw_key_loader())  # nosec B506
    except _DuplicateKey as dup:
        raise UserError(
            f"{where}: duplicate key '{dup.key}' (line {dup.line}): each key may appear once; keep one.",
            title=_TITLE,
        ) from None
    except yaml.YAMLError as exc:
        problem = str(exc).replace("\n", " ")
        raise UserError(f"{where}: not valid YAML: {problem}", title=_TITLE) from None
    if not isinstance(data, dict) or not data:
        raise UserError(
            f"{where}: expected a mapping such as 'False: {{f1-score: \"> 0.95\"}}' or 'accuracy: 0.9'.",
            title=_TITLE,
        )
    thresholds: list[Threshold] = []
    for raw_key, spec in data.items():
        if str(raw_key) == SLICES:
            thresholds += _slices(spec, where)
        else:
            thresholds += _entry(str(raw_key), spec, where, None)
    return thresholds


def _slices(spec: Any, where: str) -> list[Threshold]:
    """``slices: {COLUMN: {accuracy: ">= 0.8", ...}}``: thresholds that hold in every segment of COLUMN."""
    example = 'slices: {region: {accuracy: ">= 0.8"}}'
    if not isinstance(spec, dict) or not spec:
        raise UserError(
            f"{where}: '{SLICES}' expects a column with thresholds, e.g. '{example}'.", title=_TITLE
        )
    thresholds: list[Threshold] = []
    for raw_column, entries in spec.items():
        column = str(raw_column)
        if not isinstance(entries, dict) or not entries:
            raise UserError(
                f"{where}: {SLICES}: '{column}' expects thresholds, e.g. '{example}'.", title=_TITLE
            )
        for raw_key, entry in entries.items():
            for threshold in _entry(str(raw_key), entry, f"{where}: {SLICES}: {column}", column):
                if METRICS[threshold.metric].needs_proba:
                    raise UserError(
                        f"{where}: {SLICES}: {column}: {threshold.metric} is not computed per slice; use the "
                        "metrics of the confusion matrix (accuracy, f1-score, ...).",
                        title=_TITLE,
                    )
                thresholds.append(threshold)
    return thresholds


def _entry(key: str, spec: Any, where: str, slice_by: str | None) -> list[Threshold]:
    """The thresholds of one top-level entry: a scalar metric, or a class or average with its metrics."""
    if key in SCALAR_METRICS:
        op, bound = _bound(spec, key, key, where)
        return [Threshold(None, key, op, bound, slice_by)]
    if not isinstance(spec, dict):
        raise UserError(
            f"{where}: '{key}' is neither a metric ({', '.join(SCALAR_METRICS)}) nor a class or average "
            f"with a mapping of metrics, e.g. '{key}: {{f1-score: \"> 0.9\"}}'.",
            title=_TITLE,
        )
    thresholds = []
    for raw_metric, bound_text in spec.items():
        metric = str(raw_metric)
        if metric not in CLASS_METRICS:
            raise UserError(
                f"{where}: '{key}': unknown metric '{metric}'; per class or average: "
                f"{', '.join(CLASS_METRICS)}.",
                title=_TITLE,
            )
        op, bound = _bound(bound_text, f"{key} {metric}", metric, where)
        thresholds.append(Threshold(key, metric, op, bound, slice_by))
    return thresholds


# --------------------------------------------------------------------------------------------- checking


def resolve_keys(
    thresholds: list[Threshold], class_names: list[str], flag: str = "--thresholds"
) -> list[Threshold]:
    """Match each threshold's class to the report's names (``true`` -> ``True``); UserError if unknown."""
    by_lower = {name.lower(): name for name in class_names if name.lower() in ("true", "false")}
    resolved = []
    for threshold in thresholds:
        key = threshold.key
        if key is None or key in AVERAGES or key in class_names:
            resolved.append(threshold)
            continue
        if key.lower() in by_lower:
            resolved.append(replace(threshold, key=by_lower[key.lower()]))
            continue
        raise UserError(
            f"{flag}: unknown class '{key}'; the report has the classes {', '.join(class_names)}, the "
            f"averages {', '.join(AVERAGES)} and the metrics {', '.join(SCALAR_METRICS)}.",
            title=_TITLE,
        )
    return resolved


def metric_value(metrics: dict[str, Any], key: str | None, metric: str) -> float | None:
    """A metric from the report dict (None when it could not be computed)."""
    value = metrics.get(metric) if key is None else metrics.get(key, {}).get(metric)
    return None if value is None else float(value)


def check_thresholds(
    thresholds: list[Threshold],
    metrics: dict[str, Any],
    intervals: dict[str, Any] | None = None,
    gate: Gate = Gate(),
) -> list[Check]:
    """One check per threshold, read by the gate (a point value, or its interval)."""
    checks = []
    for threshold in thresholds:
        value = metric_value(metrics, threshold.key, threshold.metric)
        interval = interval_of(intervals or {}, threshold.key, threshold.metric)
        outcome, passed = gate.outcome(threshold.passes, value, interval)
        is_class = threshold.key not in (None, *AVERAGES)
        label = f"class {threshold.key}: {threshold.metric}" if is_class else threshold.name
        if value is None:
            message = f"{label} could not be computed (see the notes), so it cannot be {threshold.text}"
        else:
            point = "" if threshold.passes(value) else "not "
            message = f"{label} {value:.4f} is {point}{threshold.text}"
            message += gate.reading(outcome, interval, threshold.text)
        checks.append(
            Check(
                name=threshold.name,
                kind="threshold",
                passed=passed,
                value=value,
                threshold=threshold.text,
                key=threshold.key,
                metric=threshold.metric,
                message=message,
                interval=interval,
                outcome=outcome,
            )
        )
    return checks
