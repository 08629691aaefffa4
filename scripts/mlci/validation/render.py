"""How a validation result reads: Markdown for the job summary and PR comment, plain text for a terminal.

Pure functions of the result; ``mlci.validation.command`` decides where they go.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from mlci import gha
from mlci.validation.metrics import AVERAGES, CLASS_METRICS, SCALAR_METRICS
from mlci.validation.runner import ValidationResult
from mlci.validation.thresholds import Check

Table = Callable[[Sequence[str], Sequence[Sequence[object]]], str]


def _number(value: Any, metric: str | None = None) -> str:
    """A metric for people: 4 decimals (a count for ``support``), ``n/a`` when it could not be computed."""
    if value is None:
        return "n/a"
    if metric == "support":
        return str(int(value))
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def model_line(identity: dict[str, Any]) -> str:
    """One line naming what a model URI resolved to."""
    source = identity.get("source")
    if source == "huggingface":
        commit = str(identity.get("commit"))[:12]
        where = f"{identity['repo_id']} at commit {commit} (revision {identity['revision']})"
    elif source == "mlflow" and identity.get("version"):
        alias = f", alias {identity['alias']}" if identity.get("alias") else ""
        stage = f", stage {identity['stage']}" if identity.get("stage") else ""
        where = f"registered model {identity['name']} version {identity['version']}{alias}{stage}"
        where += f", run {identity['run_id']}"
    elif source == "mlflow" and identity.get("model_id"):
        where = f"logged model {identity['model_id']} ({identity['name']}), run {identity['run_id']}"
    elif source == "mlflow":
        where = f"run {identity['run_id']}, artifact {identity['artifact_path']}"
    else:
        where = ""
    sha = f", sha256 {identity['sha256'][:12]}…" if identity.get("sha256") else ""
    return f"{identity['uri']}{' -> ' + where if where else ''} ({identity.get('format')}{sha})"


def environment_line(versions: dict[str, str]) -> str:
    """``Python 3.11.9, scikit-learn 1.5.2, ...``: what evaluated the model."""
    return ", ".join(
        f"{'Python' if name == 'python' else name} {version}" for name, version in versions.items()
    )


def data_line(data: dict[str, Any]) -> str:
    """One line naming the evaluation rows."""
    commit = (data.get("resolved") or {}).get("commit")
    parts = [f"{data['spec']}{f' at commit {commit[:12]}' if commit else ''}, target {data['target']}"]
    if data.get("positive_label") is not None:
        parts.append(f"one-vs-rest: {data['target']} == {data['positive_label']}")
    if data.get("test_size") is not None:
        stratified = ", stratified" if data.get("stratify") else ""
        parts.append(
            f"test part: {data['evaluated_rows']} of {data['rows']} rows (test_size {data['test_size']}, "
            f"random_state {data['random_state']}{stratified})"
        )
    else:
        parts.append(f"{data['evaluated_rows']} rows")
    return "; ".join(parts)


def _marks(checks: list[Check], kind: str) -> dict[tuple[str | None, str], Check]:
    """The check of each (class, metric) of one kind; a failed one wins over a passed one."""
    marks: dict[tuple[str | None, str], Check] = {}
    for check in checks:
        if check.kind == kind and check.metric is not None:
            key = (check.key, check.metric)
            if key not in marks or marks[key].passed:
                marks[key] = check
    return marks


def _mark(check: Check | None, markdown: bool) -> str:
    if check is None:
        return ""
    if check.inconclusive:
        return ("❔" if check.passed else "❌") if markdown else ("??" if check.passed else "FAIL?")
    return ("✅" if check.passed else "❌") if markdown else ("ok" if check.passed else "FAIL")


def _interval(bounds: list[float] | None, signed: bool = False) -> str:
    if bounds is None:
        return ""
    shown = "{:+.4f}" if signed else "{:.4f}"
    return f"[{shown.format(bounds[0])}, {shown.format(bounds[1])}]"


def _metric_keys(result: ValidationResult) -> list[tuple[str | None, str]]:
    """(class or average, metric) for every reported metric, classes first, then the report's scalars."""
    metrics = result.evaluation.metrics
    keys: list[tuple[str | None, str]] = [
        (key, m)
        for key in [*result.evaluation.labels, *AVERAGES]
        if isinstance(metrics.get(key), dict)
        for m in CLASS_METRICS
        if m != "support"
    ]
    return keys + [(None, name) for name in SCALAR_METRICS if name in metrics]


def metrics_rows(result: ValidationResult, markdown: bool) -> tuple[list[str], list[list[str]]]:
    """One row per metric: value, interval, the threshold and its mark; with a baseline, the baseline's
    value, the delta with its interval, and the baseline mark (a separate column)."""
    metrics, intervals = result.evaluation.metrics, result.evaluation.intervals
    thresholds, baselines = _marks(result.checks, "threshold"), _marks(result.checks, "baseline")
    comparisons = {(c.key, c.metric): c for c in result.comparisons}
    level = f"{result.interval_spec.level:.0%} interval"
    headers = ["class", "metric", "value", level, "threshold", "vs threshold"]
    if result.baseline is not None:
        headers += ["baseline", "delta", f"delta {level}", "vs baseline"]
    rows = []
    for key, metric in _metric_keys(result):
        value = metrics.get(metric) if key is None else metrics[key].get(metric)
        found = intervals.get(metric) if key is None else intervals.get(key, {}).get(metric)
        threshold = thresholds.get((key, metric))
        support = "" if key is None else f" ({_number(metrics[key].get('support'), 'support')} rows)"
        row = [
            "" if key is None else f"{key}{support}" if key not in AVERAGES else key,
            metric,
            _number(value, metric),
            _interval(found),
            threshold.threshold or "" if threshold else "",
            _mark(threshold, markdown),
        ]
        if result.baseline is not None:
            comparison = comparisons.get((key, metric))
            reference = result.baseline_evaluation.metrics if result.baseline_evaluation else {}
            base = reference.get(metric) if key is None else reference.get(key, {}).get(metric)
            delta = None if comparison is None else comparison.delta
            row += [
                _number(base, metric),
                "" if delta is None else f"{delta:+.4f}",
                "" if comparison is None else _interval(comparison.interval, signed=True),
                _mark(baselines.get((key, metric)), markdown),
            ]
        rows.append(row)
    return headers, rows


def interval_line(result: ValidationResult) -> str:
    """How the intervals were computed, and how the gate reads them."""
    spec, gate = result.interval_spec, result.gate
    reading = {
        "point": "checks read the value (--gate point)",
        "confident": "checks fail only when the whole interval fails; a straddling interval is "
        + ("a failure (--strict)" if gate.strict else "inconclusive, a warning")
        + " (--gate confident)",
    }[gate.mode]
    return (
        f"Intervals: {spec.level:.0%}, percentile bootstrap of {spec.resamples} resamples "
        f"(seed {spec.seed}): "
        "multinomial on the confusion-matrix cells, paired on the same rows for the baseline delta; roc_auc "
        f"on the distinct-score table; log_loss a normal interval. {reading[0].upper()}{reading[1:]}."
    )


def checks_rows(result: ValidationResult) -> list[list[str]]:
    return [
        [
            check.name,
            "" if check.kind == "sanity" else _number(check.value, check.metric),
            check.threshold or "",
            (
                f"{'❔' if check.passed else '❌'} inconclusive"
                if check.inconclusive
                else gha.status_mark(check.passed)
            ),
        ]
        for check in result.checks
    ]


def slice_rows(result: ValidationResult, markdown: bool) -> tuple[list[str], list[list[str]]]:
    """One row per segment: its rows, accuracy and macro f1 with intervals, and its slice checks' mark."""
    level = f"{result.interval_spec.level:.0%} interval"
    headers = ["slice", "rows", "accuracy", level, "macro avg f1-score", level, "checks"]
    rows = []
    for column, segments in result.evaluation.slices.items():
        for segment, found in segments.items():
            name = f"{column}={segment}"
            checks = [c for c in result.checks if c.kind == "slice" and c.name.startswith(name + " ")]
            failed = [c for c in checks if not c.passed]
            rows.append(
                [
                    name,
                    str(found.rows),
                    _number(found.metrics.get("accuracy")),
                    _interval(found.intervals.get("accuracy")),
                    _number(found.metrics.get("macro avg", {}).get("f1-score")),
                    _interval(found.intervals.get("macro avg", {}).get("f1-score")),
                    _mark(failed[0] if failed else checks[0] if checks else None, markdown),
                ]
            )
    return headers, rows


def confusion_rows(result: ValidationResult) -> tuple[list[str], list[list[str]]]:
    labels = result.evaluation.labels
    headers = ["true \\ predicted", *labels]
    return headers, [
        [label, *(str(n) for n in row)] for label, row in zip(labels, result.evaluation.confusion)
    ]


def verdict(result: ValidationResult) -> str:
    total, failed, unsure = len(result.checks), len(result.failed), len(result.inconclusive)
    inconclusive = f", {unsure} inconclusive" if unsure else ""
    return (
        f"passed ({total} of {total} checks{inconclusive})"
        if not failed
        else f"failed ({failed} of {total} checks failed{inconclusive})"
    )


def _notes(result: ValidationResult) -> list[str]:
    return [*result.all_warnings, *result.notices, *result.low_support, *result.evaluation.notes]


def could_not_run(line: str) -> str:
    """The summary of a run that bad input stopped (exit 2): what replaces an earlier run's comment."""
    return f"## ❌ Model validation could not run\n\n**bad input (exit 2):** {gha.md_escape(line)}\n"


def markdown(result: ValidationResult) -> str:
    """The job summary (and the PR comment body)."""
    icon = "✅" if result.passed else "❌"
    lines = [
        f"## {icon} Model validation {verdict(result)}",
        "",
        f"**Model:** {gha.md_code(model_line(result.model.identity))}  ",
        f"**Data:** {gha.md_escape(data_line(result.data))}  ",
        f"**Evaluated with:** {gha.md_escape(environment_line(result.environment))}",
    ]
    if result.baseline is not None:
        lines.append(f"**Baseline:** {gha.md_code(model_line(result.baseline.identity))}")
    lines += ["", gha.md_table(["check", "value", "threshold", "result"], checks_rows(result))]
    if result.evaluation.metrics:
        headers, rows = metrics_rows(result, markdown=True)
        lines += [
            "",
            "### Metrics",
            "",
            gha.md_table(headers, rows),
            "",
            gha.md_escape(interval_line(result)),
        ]
        if result.evaluation.slices:
            headers, rows = slice_rows(result, markdown=True)
            lines += ["", "### Slices", "", gha.md_table(headers, rows)]
        headers, rows = confusion_rows(result)
        lines += ["", "### Confusion matrix", "", gha.md_table(headers, rows)]
    notes = _notes(result)
    if notes:
        lines += ["", "### Notes", "", *(f"- {gha.md_escape(note)}" for note in notes)]
    return "\n".join(lines) + "\n"


def text(result: ValidationResult) -> str:
    """The terminal report."""
    lines = [f"model validation {verdict(result)}", f"model: {model_line(result.model.identity)}"]
    if result.baseline is not None:
        lines.append(f"baseline: {model_line(result.baseline.identity)}")
    lines.append(f"data: {data_line(result.data)}")
    lines.append(f"evaluated with: {environment_line(result.environment)}")
    if result.evaluation.metrics:
        headers, rows = metrics_rows(result, markdown=False)
        lines += ["", gha.text_table(headers, rows), interval_line(result)]
        if result.evaluation.slices:
            headers, rows = slice_rows(result, markdown=False)
            lines += ["", gha.text_table(headers, rows)]
        headers, rows = confusion_rows(result)
        lines += ["", gha.text_table(headers, rows)]
    lines += ["", gha.text_table(["check", "value", "threshold", "result"], checks_rows(result))]
    if result.evaluation.notes:  # checks say "see the notes": here they are (warnings have their own lines)
        lines += ["", "notes:", *(f"- {note}" for note in result.evaluation.notes)]
    return "\n".join(lines)


def failure_annotations(result: ValidationResult) -> list[gha.Annotation]:
    """One error per failed check, naming class and metric; a warning per inconclusive check that passed."""
    return [
        gha.Annotation(
            message=check.message,
            title=f"mlci validate: {check.name}",
            level="error" if not check.passed else "warning",
        )
        for check in result.checks
        if not check.passed or check.inconclusive
    ]
