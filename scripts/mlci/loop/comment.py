"""The pull request's comment for one model: training, registration and validation against the champion.

Pure functions of the JSON reports that ``mlci train``, ``mlci register`` and ``mlci validate`` write (and of
the outcome GitHub gives each job, for a job that died before writing one). Every outcome renders: a report
that says the job failed, a report that holds an error (``MLCI_ERROR_REPORT``: exit 2 or 3), no report at
all. The comment names the commit and the run, so a stale one is visibly stale.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from mlci import gha

#: What ``needs.<job>.result`` says in a workflow (and "" for a step that was not run there).
OUTCOMES = ("success", "failure", "cancelled", "skipped", "")


@dataclass
class Part:
    """One job's part of the comment: its report (or None) and the outcome GitHub gives the job."""

    report: dict[str, Any] | None = None
    outcome: str = ""

    @property
    def error(self) -> str:
        report = self.report or {}
        return str(report.get("error") or "")

    @property
    def ran(self) -> bool:
        return self.report is not None or self.outcome not in ("", "skipped")


@dataclass
class Loop:
    """Everything the comment shows."""

    key: str
    training: Part = field(default_factory=Part)
    registration: Part = field(default_factory=Part)
    validation: Part = field(default_factory=Part)
    sha: str = ""
    run_url: str = ""
    generated_at: str = ""
    run_id: str = ""


#: The hidden line naming the workflow run a comment comes from (GITHUB_RUN_ID: a newer push, a newer run).
_RUN_MARK = re.compile(r"<!-- mlci:run:(\d+) -->")


def older_than(existing: str, body: str) -> str | None:
    """Why ``body`` must not replace the comment ``existing``: a newer run wrote that one (its verdict is
    about a newer push); None when it may (same run re-run, or no run known)."""
    theirs, ours = _RUN_MARK.search(existing), _RUN_MARK.search(body)
    if theirs and ours and int(theirs[1]) > int(ours[1]):
        return f"the comment is a newer run's (run {theirs[1]}; this is run {ours[1]}): left as it is"
    return None


def _ok(part: Part, field_name: str) -> bool | None:
    """True/False from the report, False for an error or a failed job without one, None when not run."""
    if part.error:
        return False
    if part.report is not None:
        return bool(part.report.get(field_name, True))
    if part.outcome in ("failure", "cancelled"):
        return False
    return None


def _mark(ok: bool | None) -> str:
    return {True: "✅", False: "❌", None: "➖"}[ok]


def _missing(part: Part, title: str) -> str:
    what = title.lower().replace(" against the champion", "")
    if part.outcome == "cancelled":
        return f"The {what} job was cancelled before it wrote its report."
    if part.outcome == "failure":
        return f"The {what} job failed before it wrote its report: see the run's log."
    return f"The {what} job wrote no report."


def _error_lines(part: Part) -> list[str]:
    report = part.report or {}
    exit_code = report.get("exit_code")
    kind = "bad input" if exit_code == 2 else "internal error" if exit_code == 3 else "error"
    return [f"**{kind} (exit {exit_code}):** {gha.md_escape(part.error)}"]


def _number(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _duration(seconds: Any) -> str:
    from mlci.training.launchers.result import format_duration

    return format_duration(float(seconds)) if isinstance(seconds, (int, float)) else "n/a"


def _heading(part: Part, field_name: str, title: str, not_run: str) -> tuple[list[str], bool]:
    """The section's heading, and its body when the part has no report to show (an error, none, not run)."""
    lines = [f"### {_mark(_ok(part, field_name))} {title}"]
    if part.error:
        return lines + ["", *_error_lines(part)], True
    if part.report is None:
        return lines + ["", _missing(part, title) if part.ran else not_run], True
    return lines, False


def training_section(part: Part) -> list[str]:
    lines, done = _heading(part, "ok", "Training", "Not run.")
    report = part.report
    if done or report is None:
        return lines
    details = report.get("details") or {}
    status = str(report.get("status", ""))
    if report.get("failure_reason"):
        status += f": {report['failure_reason']}"
    cost = report.get("cost") or {}
    job = gha.md_code(report.get("job_name", ""), cell=True)
    rows: list[tuple[str, str]] = [
        ("job", gha.Markdown(f"{job} ({gha.md_escape(report.get('launcher', ''))})")),
        ("status", status),
        ("duration", _duration(report.get("seconds"))),
    ]
    if details.get("instance"):
        rows.append(("instance", str(details["instance"])))
    if details.get("billable seconds"):
        rows.append(("billable seconds", str(details["billable seconds"])))
    if cost:
        rows.append(("estimated cost", f"${cost['usd']:.2f} ({cost['basis']})"))
    if details.get("console"):
        rows.append(("SageMaker console", gha.md_link(report.get("job_name", "job"), details["console"])))
    lines += ["", gha.md_table(["", ""], rows)]
    metrics = report.get("metrics") or {}
    if metrics:
        lines += [
            "",
            gha.md_table(["training metric", "value"], [(k, _number(v)) for k, v in metrics.items()]),
        ]
    return lines


def registration_section(part: Part) -> list[str]:
    if not part.ran:
        return []
    lines, done = _heading(part, "ok", "Registration", "")
    report = part.report
    if done or report is None:
        return lines
    run = (
        f" · [MLflow run]({report['run_link']})"
        if report.get("run_link")
        else f" · run {gha.md_code(report.get('run_id'))}"
    )
    return lines + [
        "",
        f"{gha.md_code(report.get('model'))} = version {gha.md_escape(report.get('version'))} of "
        f"{gha.md_code(report.get('name'))}{run}  ",
        f"sha256 {gha.md_code(report.get('sha256'))}",
    ]


def _interval(intervals: Any, key: str, metric: str | None) -> list[float] | None:
    node = (intervals or {}).get(key)
    if metric is not None and isinstance(node, dict):
        node = node.get(metric)
    return node if isinstance(node, list) and len(node) == 2 else None


def _metric(metrics: Any, key: str, metric: str | None) -> float | None:
    node = (metrics or {}).get(key)
    if metric is not None and isinstance(node, dict):
        node = node.get(metric)
    return float(node) if isinstance(node, (int, float)) and not isinstance(node, bool) else None


def _compared(report: dict[str, Any]) -> list[tuple[str, str | None]]:
    """The metrics the checks look at (class and metric), else accuracy and the macro F1."""
    keys: list[tuple[str, str | None]] = []
    for check in report.get("checks") or []:
        cls, metric = check.get("class"), check.get("metric")
        key = (str(cls), metric) if cls is not None else (str(metric), None)
        if metric and key not in keys:
            keys.append(key)
    return keys or [("accuracy", None), ("macro avg", "f1-score")]


def _with_interval(value: float | None, interval: list[float] | None) -> str:
    if value is None:
        return "n/a"
    text = f"{value:.4f}"
    return f"{text} [{interval[0]:.3f}, {interval[1]:.3f}]" if interval else text


def delta_rows(report: dict[str, Any]) -> list[list[str]]:
    """Challenger, champion and the difference for each compared metric, with intervals where reported."""
    baseline = report.get("baseline") or {}
    rows = []
    for key, metric in _compared(report):
        ours = _metric(report.get("metrics"), key, metric)
        theirs = _metric(baseline.get("metrics"), key, metric)
        delta = "n/a" if ours is None or theirs is None else f"{ours - theirs:+.4f}"
        rows.append(
            [
                f"{key} {metric}" if metric else key,
                _with_interval(ours, _interval(report.get("intervals"), key, metric)),
                _with_interval(theirs, _interval(baseline.get("intervals"), key, metric)),
                delta,
            ]
        )
    return rows


def validation_section(part: Part) -> list[str]:
    report = part.report
    heading = "Validation against the champion" if report and report.get("baseline") else "Validation"
    lines, done = _heading(part, "passed", heading, "Not run (no model to validate).")
    if done or report is None:
        return lines
    checks = report.get("checks") or []
    failed = [c for c in checks if not c.get("passed")]
    verdict = f"{len(checks) - len(failed)} of {len(checks)} checks passed"
    model = report.get("model") or {}
    version = gha.md_escape(model.get("version", "n/a"))
    lines += ["", f"{verdict} on {gha.md_code(model.get('uri', ''))} (version {version})."]
    rows = [
        [c.get("name", ""), "" if c.get("value") is None else _number(c.get("value")),
         c.get("threshold") or "", gha.status_mark(bool(c.get("passed")))]
        for c in checks
    ]  # fmt: skip
    lines += ["", gha.md_table(["check", "value", "threshold", "result"], rows)]
    baseline = report.get("baseline")
    if baseline:
        lines += [
            "",
            f"Champion: {gha.md_code(baseline.get('uri', ''))} (version "
            f"{gha.md_escape(baseline.get('version', 'n/a'))}). Intervals, "
            "where shown, are the validation's confidence intervals.",
            "",
            gha.md_table(["metric", "challenger", "champion", "Δ"], delta_rows(report)),
        ]
    for check in failed:
        if check.get("message"):
            lines.append(f"- {gha.md_escape(check['message'])}")
    return lines


def overall(loop: Loop) -> bool:
    """True when every part that ran succeeded and the model was validated."""
    parts = [
        _ok(loop.training, "ok"),
        _ok(loop.registration, "ok"),
        _ok(loop.validation, "passed"),
    ]
    return all(p is not False for p in parts) and parts[2] is True


def markdown(loop: Loop) -> str:
    """The comment's body (without the marker, which :func:`mlci.github.upsert` adds)."""
    passed = overall(loop)
    failed = any(p is False for p in (_ok(loop.training, "ok"), _ok(loop.validation, "passed")))
    verdict = "passes" if passed else "fails" if failed else "is not validated"
    where = [f"commit {gha.md_code(loop.sha[:12])}" if loop.sha else "commit unknown"]
    if loop.run_url:
        where.append(f"[workflow run]({loop.run_url})")
    if loop.generated_at:
        where.append(f"updated {loop.generated_at}")
    lines = [
        f"## {_mark(passed or (False if failed else None))} mlci: {gha.md_code(loop.key)} "
        f"challenger {verdict}",
        "",
        " · ".join(where),
        "",
        *training_section(loop.training),
    ]
    registration = registration_section(loop.registration)
    if registration:
        lines += ["", *registration]
    lines += ["", *validation_section(loop.validation)]
    if loop.run_id.isdigit():
        lines += ["", f"<!-- mlci:run:{loop.run_id} -->"]
    return gha.redact("\n".join(lines) + "\n")
