"""How a validation result reads: Markdown for the job summary and PR comment, plain text for a terminal.

Pure functions of the result; ``mlci.validation.command`` decides where they go.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from mlci import gha
from mlci.validation.runner import ValidationResult
from mlci.validation.thresholds import AVERAGES, CLASS_METRICS, SCALAR_METRICS, Check

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


def data_line(data: dict[str, Any]) -> str:
    """One line naming the evaluation rows."""
    parts = [f"{data['spec']}, target {data['target']}"]
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


def _marks(checks: list[Check]) -> dict[tuple[str | None, str], bool]:
    marks: dict[tuple[str | None, str], bool] = {}
    for check in checks:
        if check.metric is not None:
            key = (check.key, check.metric)
            marks[key] = marks.get(key, True) and check.passed
    return marks


def _cell(value: Any, metric: str, mark: bool | None, markdown: bool) -> str:
    text = _number(value, metric)
    if mark is None:
        return text
    return f"{text} {'✅' if mark else '❌'}" if markdown else f"{text} {'ok' if mark else 'FAIL'}"


def metrics_rows(result: ValidationResult, markdown: bool) -> tuple[list[str], list[list[str]]]:
    """The classification report as a table (classes and averages), with a mark on checked cells."""
    metrics, marks = result.evaluation.metrics, _marks(result.checks)
    keys = [*result.evaluation.labels, *AVERAGES]
    rows = [
        [key, *(_cell(metrics.get(key, {}).get(m), m, marks.get((key, m)), markdown) for m in CLASS_METRICS)]
        for key in keys
        if isinstance(metrics.get(key), dict)
    ]
    return ["", *CLASS_METRICS], rows


def scalar_rows(result: ValidationResult, markdown: bool) -> list[list[str]]:
    metrics, marks = result.evaluation.metrics, _marks(result.checks)
    return [
        [name, _cell(metrics.get(name), name, marks.get((None, name)), markdown)]
        for name in SCALAR_METRICS
        if name in metrics
    ]


def checks_rows(result: ValidationResult) -> list[list[str]]:
    return [
        [
            check.name,
            "" if check.kind == "sanity" else _number(check.value, check.metric),
            check.threshold or "",
            gha.status_mark(check.passed),
        ]
        for check in result.checks
    ]


def confusion_rows(result: ValidationResult) -> tuple[list[str], list[list[str]]]:
    labels = result.evaluation.labels
    headers = ["true \\ predicted", *labels]
    return headers, [
        [label, *(str(n) for n in row)] for label, row in zip(labels, result.evaluation.confusion)
    ]


def verdict(result: ValidationResult) -> str:
    total, failed = len(result.checks), len(result.failed)
    return (
        f"passed ({total} of {total} checks)" if not failed else f"failed ({failed} of {total} checks failed)"
    )


def _notes(result: ValidationResult) -> list[str]:
    return [*result.all_warnings, *result.notices, *result.evaluation.notes]


def markdown(result: ValidationResult) -> str:
    """The job summary (and the PR comment body)."""
    icon = "✅" if result.passed else "❌"
    lines = [
        f"## {icon} Model validation {verdict(result)}",
        "",
        f"**Model:** `{model_line(result.model.identity)}`  ",
        f"**Data:** {gha.md_escape(data_line(result.data))}",
    ]
    if result.baseline is not None:
        lines.append(f"**Baseline:** `{model_line(result.baseline.identity)}`")
    lines += ["", gha.md_table(["check", "value", "threshold", "result"], checks_rows(result))]
    if result.evaluation.metrics:
        headers, rows = metrics_rows(result, markdown=True)
        lines += ["", "### Metrics", "", gha.md_table(headers, rows), ""]
        lines += [gha.md_table(["metric", "value"], scalar_rows(result, markdown=True))]
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
    if result.evaluation.metrics:
        headers, rows = metrics_rows(result, markdown=False)
        lines += [
            "",
            gha.text_table(headers, rows),
            "",
            gha.text_table(["metric", "value"], scalar_rows(result, False)),
        ]
        headers, rows = confusion_rows(result)
        lines += ["", gha.text_table(headers, rows)]
    lines += ["", gha.text_table(["check", "value", "threshold", "result"], checks_rows(result))]
    if result.evaluation.notes:  # checks say "see the notes": here they are (warnings have their own lines)
        lines += ["", "notes:", *(f"- {note}" for note in result.evaluation.notes)]
    return "\n".join(lines)


def failure_annotations(result: ValidationResult) -> list[gha.Annotation]:
    """One error per failed check, naming class and metric."""
    return [
        gha.Annotation(message=check.message, title=f"mlci validate: {check.name}") for check in result.failed
    ]
