"""Champion/challenger: the candidate may not score more than ``--max-regression`` below a baseline model.

Both models are evaluated on the same rows in the same pass. The metrics compared are the ones the thresholds
name, plus ``accuracy`` and ``macro avg f1-score`` (so a baseline check means something without thresholds);
``support`` is a count, not a score, and is skipped. For ``log_loss`` smaller is better: a regression is a
rise.
"""

from __future__ import annotations

from typing import Any

from mlci.validation.metrics import METRICS
from mlci.validation.thresholds import Check, Threshold, metric_value

DEFAULT_COMPARED: tuple[tuple[str | None, str], ...] = ((None, "accuracy"), ("macro avg", "f1-score"))


def compared_metrics(thresholds: list[Threshold]) -> list[tuple[str | None, str]]:
    """(class or average or None, metric) pairs to compare, in a stable order, without duplicates."""
    named = [(t.key, t.metric) for t in thresholds if not METRICS[t.metric].is_count]
    return list(dict.fromkeys([*named, *DEFAULT_COMPARED]))


def _name(key: str | None, metric: str) -> str:
    return metric if key is None else f"{key} {metric}"


def check_regressions(
    candidate: dict[str, Any],
    baseline: dict[str, Any],
    pairs: list[tuple[str | None, str]],
    max_regression: float,
) -> list[Check]:
    """One check per compared metric: fail when the candidate trails the baseline by more than allowed."""
    checks = []
    for key, metric in pairs:
        value, reference = metric_value(candidate, key, metric), metric_value(baseline, key, metric)
        name = _name(key, metric)
        if value is None or reference is None:
            checks.append(
                Check(
                    name=f"{name} vs baseline",
                    kind="baseline",
                    passed=reference is None,
                    value=value,
                    key=key,
                    metric=metric,
                    message=f"{name} vs baseline: not comparable (a value is missing: see the notes)",
                )
            )
            continue
        lower = METRICS[metric].lower_is_better
        worse_by = value - reference if lower else reference - value
        passed = worse_by <= max_regression
        direction = "above" if lower else "below"
        verdict = "within" if passed else "more than"
        checks.append(
            Check(
                name=f"{name} vs baseline",
                kind="baseline",
                passed=passed,
                value=value,
                threshold=(
                    f"<= {reference:.4f} + {max_regression:g}"
                    if lower
                    else f">= {reference:.4f} - {max_regression:g}"
                ),
                key=key,
                metric=metric,
                message=(
                    f"{name} {value:.4f} is {abs(worse_by):.4f} "
                    f"{direction if worse_by > 0 else 'better than'} the baseline's {reference:.4f}: "
                    f"{verdict} the allowed regression of {max_regression:g}"
                ),
            )
        )
    return checks
