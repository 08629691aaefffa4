"""``mlci validate`` without the command line: fetch, load, evaluate, check; return a result object.

Order matters for the user: everything that can be wrong with the *input* (thresholds, data path, URIs) is
checked before anything is downloaded, and nothing is unpickled before the trust rule allows it.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from mlci.errors import UserError
from mlci.validation.baseline import Comparison, check_regressions, compare, compared_metrics
from mlci.validation.data import Dataset, parse_data_spec
from mlci.validation.evaluate import Candidate, Evaluation, LabelMap, Task, coerce_label, evaluate
from mlci.validation.handoff import Handoff, read_handoff
from mlci.validation.loading import LoadedModel, Trust, load_model
from mlci.validation.metrics import PROBA_METRICS
from mlci.validation.sources import fetch, fetch_data
from mlci.validation.split import holdout_mask
from mlci.validation.statistics import IntervalSpec, low_support
from mlci.validation.thresholds import (
    Check,
    Gate,
    Threshold,
    check_thresholds,
    parse_thresholds,
    resolve_keys,
)
from mlci.validation.uri import ModelUri, parse_model_uri


@dataclass(frozen=True)
class Options:
    """What the user asked for (the command line, or the action's inputs through it)."""

    model: str
    data: str
    thresholds: str | None = None
    target: str | None = None
    features: list[str] | None = None
    positive_label: str | None = None
    label_map: str | None = None
    test_size: float | int | None = None
    random_state: int | None = None
    stratify: bool = False
    baseline: str | None = None
    max_regression: float | None = None
    sha256: str | None = None
    baseline_sha256: str | None = None
    trust_pickle: bool = False
    mlflow_tracking_uri: str | None = None
    fetched: str | None = None  # a hand-off of mlci model-requirements --keep (mlci.validation.handoff)
    fetched_sha256: str | None = None
    chunk_rows: int = 200_000
    gate: str = "point"  # point | confident
    strict: bool = False  # with --gate confident: an inconclusive check fails
    confidence: float = 0.95
    resamples: int = 1000
    seed: int = 0
    min_support: int = 30

    @property
    def interval_spec(self) -> IntervalSpec:
        return IntervalSpec(self.confidence, self.resamples, self.seed, self.min_support)

    @property
    def gate_rule(self) -> Gate:
        return Gate(self.gate, self.strict, self.confidence)


@dataclass
class ModelReport:
    """A model's identity (what its URI resolved to, what was loaded) and what mlci noticed on the way."""

    identity: dict[str, Any]
    warnings: list[str] = field(default_factory=list)


@dataclass
class ValidationResult:
    """Everything the report, the summary and the annotations show."""

    model: ModelReport
    evaluation: Evaluation
    data: dict[str, Any]
    checks: list[Check]
    baseline: ModelReport | None = None
    baseline_evaluation: Evaluation | None = None
    warnings: list[str] = field(default_factory=list)  # about the run itself (e.g. a split that changes)
    comparisons: list[Comparison] = field(default_factory=list)  # against the baseline
    low_support: list[str] = field(default_factory=list)  # classes with fewer rows than --min-support
    interval_spec: IntervalSpec = IntervalSpec()
    gate: Gate = Gate()
    notices: list[str] = field(default_factory=list)  # what mlci chose for the user (e.g. a default split)
    environment: dict[str, str] = field(
        default_factory=dict
    )  # the versions that evaluated it (evaluated_with)

    @property
    def all_warnings(self) -> list[str]:
        """Every warning of the run: the model's, the baseline's, the run's own."""
        baseline = [f"baseline: {w}" for w in self.baseline.warnings] if self.baseline else []
        return [*self.model.warnings, *baseline, *self.warnings]

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)

    @property
    def inconclusive(self) -> list[Check]:
        return [check for check in self.checks if check.inconclusive]

    @property
    def failed(self) -> list[Check]:
        return [check for check in self.checks if not check.passed]

    def to_json(self) -> dict[str, Any]:
        """The ``--report`` document."""
        return {
            "passed": self.passed,
            "model": {**self.model.identity, "warnings": self.model.warnings},
            "data": self.data,
            "metrics": self.evaluation.metrics,
            "intervals": self.evaluation.intervals,
            "interval_method": self.interval_spec.describe(),
            "gate": {"mode": self.gate.mode, "strict": self.gate.strict},
            "slices": {
                column: {segment: found.to_json() for segment, found in segments.items()}
                for column, segments in self.evaluation.slices.items()
            },
            "confusion_matrix": {"labels": self.evaluation.labels, "matrix": self.evaluation.confusion},
            "checks": [check.to_json() for check in self.checks],
            "notes": self.evaluation.notes,
            "warnings": self.warnings,
            "low_support": self.low_support,
            "notices": self.notices,
            "environment": self.environment,
            "baseline": (
                None
                if self.baseline is None or self.baseline_evaluation is None
                else {
                    **self.baseline.identity,
                    "warnings": self.baseline.warnings,
                    "metrics": self.baseline_evaluation.metrics,
                    "intervals": self.baseline_evaluation.intervals,
                    "comparisons": [comparison.to_json() for comparison in self.comparisons],
                }
            ),
        }


#: The libraries whose versions decide how a model loads and predicts: the report names those installed.
EVALUATED_WITH = (
    "scikit-learn",
    "numpy",
    "scipy",
    "pandas",
    "joblib",
    "cloudpickle",
    "skops",
    "xgboost",
    "lightgbm",
    "catboost",
)


def evaluated_with() -> dict[str, str]:
    """The Python and the EVALUATED_WITH libraries (those installed) this process evaluates a model with."""
    import platform
    from importlib import metadata

    versions = {"python": platform.python_version()}
    for name in EVALUATED_WITH:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def _validate_options(options: Options) -> None:
    if options.label_map is not None:
        parse_label_map(options.label_map)
    if options.stratify and options.test_size is None:
        raise UserError("--stratify splits the data: give --test-size too (e.g. --test-size 0.25).")
    if options.strict and options.gate != "confident":
        raise UserError("--strict fails inconclusive checks, which only --gate confident has: add it.")
    if options.resamples < 0:
        raise UserError(f"--resamples {options.resamples}: give 0 (no intervals) or more, e.g. 1000.")
    if options.gate == "confident" and options.resamples == 0:
        raise UserError(
            "--gate confident reads intervals, and --resamples 0 computes none: give --resamples N."
        )
    if not 0 < options.confidence < 1:
        raise UserError(f"--confidence {options.confidence:g}: give a level between 0 and 1, e.g. 0.95.")
    if options.baseline and options.max_regression is None:
        raise UserError(
            "--baseline needs --max-regression DELTA: how far below the baseline a metric may fall."
        )
    if options.max_regression is not None and not options.baseline:
        raise UserError("--max-regression compares with a baseline model: give --baseline URI too.")
    if not (options.thresholds or options.baseline):
        raise UserError("nothing to check: give --thresholds (a YAML file or inline YAML) or --baseline URI.")
    if options.fetched_sha256 and not options.fetched:
        raise UserError("--fetched-sha256 checks a hand-off: give --fetched DIR too.")
    pins = (
        ("--sha256", options.sha256),
        ("--baseline-sha256", options.baseline_sha256),
        ("--fetched-sha256", options.fetched_sha256),
    )
    for flag, value in pins:
        if value is not None and not (len(value) == 64 and all(c in "0123456789abcdefABCDEF" for c in value)):
            raise UserError(f"{flag} {value}: expected the 64 hexadecimal digits of a sha256.")


@dataclass(frozen=True)
class _ModelInput:
    flag: str  # --model or --baseline
    uri: str
    sha256: str | None
    parsed: ModelUri  # parsed up front: a typo fails before any download

    @property
    def where(self) -> str:
        return f"{self.flag} {self.uri}"

    @property
    def sha256_flag(self) -> str:
        return "--baseline-sha256" if self.flag == "--baseline" else "--sha256"


def _model_inputs(options: Options) -> list[_ModelInput]:
    given = [("--model", options.model, options.sha256)]
    if options.baseline:
        given.append(("--baseline", options.baseline, options.baseline_sha256))
    return [_ModelInput(flag, uri, sha256, parse_model_uri(uri, flag)) for flag, uri, sha256 in given]


def _load(
    given: _ModelInput,
    options: Options,
    workdir: Path,
    proba_metrics: frozenset[str],
    handoff: Handoff | None = None,
) -> LoadedModel:
    """Fetch (or take from the hand-off) and load one model; UserError when the thresholds need what it
    cannot give."""
    fetched = handoff.take(given.flag, given.uri) if handoff is not None else None
    if fetched is None:
        fetched = fetch(
            given.parsed, flag=given.flag, workdir=workdir, mlflow_tracking_uri=options.mlflow_tracking_uri
        )
    trust = Trust(trust_pickle=options.trust_pickle, sha256=given.sha256, sha256_flag=given.sha256_flag)
    loaded = load_model(fetched.path, trust, given.where)
    if proba_metrics and not loaded.has_proba:
        raise UserError(
            f"{given.where}: {', '.join(sorted(proba_metrics))} need predicted probabilities, and this "
            f"{loaded.format} model has no predict_proba(); drop that threshold.",
            title="mlci validate: bad thresholds",
        )
    loaded.identity = {**fetched.identity, **loaded.describe()}
    loaded.warnings = fetched.warnings + loaded.warnings
    return loaded


def _features(
    options: Options, model: LoadedModel, dataset: Dataset, where: str, slices: tuple[str, ...] = ()
) -> list[str]:
    """The columns the model reads, in the order it was fitted with.

    A model fitted on named columns reads them by name (in its own order, whatever the data's); one fitted on
    an array reads them by position, so the order must come from --features or from the data's source.
    """
    given = options.features or []
    twice = sorted({name for name in given if given.count(name) > 1})
    if twice:
        raise UserError(
            f"--features: the column '{twice[0]}' is named twice; name each feature column once, in the "
            "order the model was fitted on.",
            title="mlci validate: bad data",
        )
    if dataset.target in given:
        raise UserError(
            f"--features names the label column '{dataset.target}': the model would read the answer; "
            "leave it out of --features.",
            title="mlci validate: bad data",
        )
    if model.feature_names is not None:
        names = model.feature_names
        if options.features and set(options.features) != set(names):
            raise UserError(
                f"--features {','.join(options.features)}: {where} was fitted on the columns "
                f"{','.join(names)}; leave --features out (the model names its columns) or give those.",
                title="mlci validate: bad data",
            )
        dataset.check_columns(names, f"{where} (fitted on named columns)")
        return names
    if options.features:
        dataset.check_columns(options.features, "--features")
        return options.features
    if dataset.feature_order is not None:
        return dataset.feature_order  # the source's own order (sklearn:NAME), a slice column included
    columns = ",".join(name for name in dataset.columns if name != dataset.target and name not in slices)
    unnamed, fix = "was fitted without column names (on an array)", "re-fit the model on a DataFrame"
    if model.kind == "pyfunc":
        unnamed, fix = "has no signature naming its input columns", "log the model with a signature"
    raise UserError(
        f"{where} {unnamed}, so the columns of {options.data} cannot be matched to its features by name: "
        "pass them in the order the model was fitted on with --features "
        f"(in the file's order: --features {columns}), or {fix}.",
        title="mlci validate: bad data",
    )


#: train_test_split's test_size when it is given none (scikit-learn's documented default)
SKLEARN_TEST_SIZE = 0.25


def _test_size(options: Options, notices: list[str]) -> float | int | None:
    """--test-size; with --random-state alone, scikit-learn's default (as train_test_split reads it)."""
    if options.test_size is not None or options.random_state is None:
        return options.test_size
    notices.append(
        f"--random-state {options.random_state} without --test-size: evaluating the test part of "
        f"train_test_split(test_size={SKLEARN_TEST_SIZE}, random_state={options.random_state}), "
        "scikit-learn's default split; give --test-size to choose another."
    )
    return SKLEARN_TEST_SIZE


def _mask(options: Options, test_size: float | int | None, dataset: Dataset, warnings: list[str]) -> Any:
    if test_size is None:
        return None
    if options.random_state is None:
        warnings.append("--test-size without --random-state: the test rows change on every run.")
    if not options.stratify:
        return holdout_mask(dataset.count_rows(), test_size, options.random_state)
    stratify = dataset.read_target()  # one pass gives the labels and the row count
    if options.positive_label is not None:
        stratify = stratify == coerce_label(options.positive_label, stratify)
    return holdout_mask(len(stratify), test_size, options.random_state, stratify)


def parse_label_map(text: str) -> dict[Any, Any]:
    """``--label-map``: ``class_0: 0, class_1: 1`` (a YAML mapping, braces optional)."""
    import yaml

    stripped = text.strip()
    try:
        pairs = yaml.safe_load(stripped if stripped[:1] in "{[" else f"{{{stripped}}}")
    except yaml.YAMLError:
        pairs = None
    scalar = (str, int, float, bool)
    if not (
        isinstance(pairs, dict)
        and pairs
        and all(isinstance(k, scalar) and isinstance(v, scalar) for k, v in pairs.items())
    ):
        raise UserError(
            f"--label-map {text}: expected a mapping PREDICTION: LABEL such as 'class_0: 0, class_1: 1'.",
            title="mlci validate: bad --label-map",
        )
    return pairs


def _sanity(evaluation: Evaluation, rows: int) -> Check:
    if evaluation.problem:
        message = f"predictions: {evaluation.problem}"
    else:
        message = f"predictions: one label per row for {rows} rows, every label known to the data"
    return Check(name="predictions", kind="sanity", passed=evaluation.problem is None, message=message)


def _slice_checks(thresholds: list[Threshold], evaluation: Evaluation, gate: Gate) -> list[Check]:
    """The ``slices:`` thresholds, checked in every segment of their column."""
    checks = []
    for column, segments in evaluation.slices.items():
        of_column = [t for t in thresholds if t.slice_by == column]
        for segment, found in segments.items():
            where = f"{column}={segment}"
            for check in check_thresholds(of_column, found.metrics, found.intervals, gate):
                checks.append(
                    replace(
                        check,
                        name=f"{where} {check.name}",
                        kind="slice",
                        message=f"slice {where} ({found.rows} rows): {check.message}",
                    )
                )
    return checks


def _checks(
    options: Options, thresholds: list[Threshold], evaluations: list[Evaluation], rows: int
) -> tuple[list[Check], list[Comparison]]:
    """The sanity check, one check per threshold, and one per baseline comparison."""
    evaluation, gate = evaluations[0], options.gate_rule
    if evaluation.metrics:
        thresholds = resolve_keys(thresholds, evaluation.labels)
    overall = [t for t in thresholds if t.slice_by is None]
    checks = [
        _sanity(evaluation, rows),
        *check_thresholds(overall, evaluation.metrics, evaluation.intervals, gate),
        *_slice_checks(thresholds, evaluation, gate),
    ]
    comparisons: list[Comparison] = []
    if len(evaluations) > 1:
        baseline = evaluations[1]
        if baseline.problem:
            raise UserError(f"--baseline {options.baseline}: {baseline.problem}")
        allowed = options.max_regression or 0.0  # given: _validate_options checked it
        draws = (evaluation.paired, evaluation.draws, baseline.draws)
        pairs = compared_metrics(thresholds)
        comparisons = compare(evaluation.metrics, baseline.metrics, pairs, draws, options.interval_spec)
        checks += check_regressions(comparisons, allowed, gate)
    return checks, comparisons


def validate(options: Options) -> ValidationResult:
    """Run a validation; UserError for bad input, a result (passed or not) otherwise."""
    import numpy as np

    _validate_options(options)
    thresholds: list[Threshold] = parse_thresholds(options.thresholds) if options.thresholds else []
    spec = parse_data_spec(options.data)
    given = _model_inputs(options)
    if options.positive_label is not None:
        thresholds = resolve_keys(thresholds, ["False", "True"])
    proba_metrics = frozenset(t.metric for t in thresholds if t.metric in PROBA_METRICS)
    warnings: list[str] = []
    notices: list[str] = []
    test_size = _test_size(options, notices)
    handoff = read_handoff(options.fetched, options.fetched_sha256) if options.fetched else None

    with tempfile.TemporaryDirectory(prefix="mlci-validate-") as tmp:
        models = [_load(g, options, Path(tmp) / g.flag.strip("-"), proba_metrics, handoff) for g in given]
        local = fetch_data(spec, workdir=Path(tmp) / "data", mlflow_tracking_uri=options.mlflow_tracking_uri)
        dataset = Dataset(local, options.target)
        slices = tuple(dict.fromkeys(t.slice_by for t in thresholds if t.slice_by is not None))
        dataset.check_columns(list(slices), "--thresholds slices")
        candidates = [
            Candidate(model, _features(options, model, dataset, g.flag, slices), g.where)
            for model, g in zip(models, given)
        ]
        label_map = (
            LabelMap(parse_label_map(options.label_map), dataset.label_sample())
            if options.label_map is not None
            else None
        )
        task = Task(
            positive_label=options.positive_label,
            label_map=label_map,
            mask=_mask(options, test_size, dataset, warnings),
            proba_metrics=proba_metrics,
            chunk_rows=options.chunk_rows,
            intervals=options.interval_spec,
            slices=slices,
        )
        evaluations, summary = evaluate(candidates, dataset, task)

    data = {
        "spec": options.data,
        "resolved": local.resolved,  # a Hub dataset's commit
        "target": dataset.target,
        "features": candidates[0].features,
        "positive_label": options.positive_label,
        "label_map": label_map.pairs if label_map is not None else None,
        "test_size": test_size,
        "random_state": options.random_state,
        "stratify": options.stratify,
        "rows": summary.rows,
        "evaluated_rows": summary.evaluated_rows,
        "labels": summary.labels,
    }
    checks, comparisons = _checks(options, thresholds, evaluations, summary.evaluated_rows)
    matrix = np.asarray(evaluations[0].confusion)
    few_rows = low_support(evaluations[0].labels, matrix, options.min_support) if matrix.size else []
    return ValidationResult(
        model=ModelReport(models[0].identity, models[0].warnings),
        evaluation=evaluations[0],
        data=data,
        checks=checks,
        comparisons=comparisons,
        low_support=few_rows,
        interval_spec=options.interval_spec,
        gate=options.gate_rule,
        baseline=ModelReport(models[1].identity, models[1].warnings) if len(models) > 1 else None,
        baseline_evaluation=evaluations[1] if len(evaluations) > 1 else None,
        warnings=warnings,
        notices=notices,
        environment=evaluated_with(),
    )
