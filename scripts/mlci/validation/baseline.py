"""Champion/challenger: the candidate may not score more than ``--max-regression`` below a baseline model.

Both models are evaluated on the same rows in the same pass. The metrics compared are the ones the thresholds
name, plus ``accuracy`` and ``macro avg f1-score`` (so a baseline check means something without thresholds);
``support`` is a count, not a score, and is skipped. For a metric where lower is better (``log_loss``) a
regression is a rise.

The check reads the *regression* (how much worse the candidate is: baseline - candidate, or the reverse when
lower is better) against ``<= max_regression``, through the same gate as the thresholds: ``point`` reads the
observed regression, ``confident`` its interval from the paired bootstrap (:mod:`mlci.validation.statistics`),
so a candidate fails only when it is worse by more than allowed with the stated confidence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mlci.validation.metrics import METRICS
from mlci.validation.statistics import Draws
from mlci.validation.thresholds import Check, Gate, Threshold, metric_value

if TYPE_CHECKING:
    from mlci.validation.statistics import IntervalSpec

DEFAULT_COMPARED: tuple[tuple[str | None, str], ...] = ((None, "accuracy"), ("macro avg", "f1-score"))


@dataclass(frozen=True)
class Comparison:
    """One model against the baseline on one metric: the delta (candidate - baseline) and its interval."""

    key: str | None
    metric: str
    value: float | None
    reference: float | None
    delta: float | None
    interval: list[float] | None  # of the delta
    paired: bool  # the interval comes from the paired bootstrap (same rows), not from independent draws

    def to_json(self) -> dict[str, Any]:
        return {
            "class": self.key,
            "metric": self.metric,
            "value": self.value,
            "baseline": self.reference,
            "delta": self.delta,
            "interval": self.interval,
            "paired": self.paired,
        }


def compared_metrics(thresholds: list[Threshold]) -> list[tuple[str | None, str]]:
    """(class or average or None, metric) pairs to compare, in a stable order, without duplicates."""
    named = [(t.key, t.metric) for t in thresholds if not METRICS[t.metric].is_count]
    return list(dict.fromkeys([*named, *DEFAULT_COMPARED]))


def _name(key: str | None, metric: str) -> str:
    return metric if key is None else f"{key} {metric}"


def compare(
    candidate: dict[str, Any],
    baseline: dict[str, Any],
    pairs: list[tuple[str | None, str]],
    draws: tuple[Draws, Draws, Draws],
    spec: IntervalSpec,
) -> list[Comparison]:
    """Delta and interval per pair; ``draws`` = (paired differences, candidate's draws, baseline's draws)."""
    paired, own, reference_draws = draws
    comparisons = []
    for key, metric in pairs:
        value, reference = metric_value(candidate, key, metric), metric_value(baseline, key, metric)
        delta = None if value is None or reference is None else value - reference
        difference = paired.get((key, metric))
        is_paired = difference is not None
        if difference is None and (key, metric) in own and (key, metric) in reference_draws:
            difference = own[(key, metric)] - reference_draws[(key, metric)]
        interval = None if difference is None or delta is None else spec.bounds(difference)
        comparisons.append(Comparison(key, metric, value, reference, delta, interval, is_paired))
    return comparisons


def check_regressions(comparisons: list[Comparison], max_regression: float, gate: Gate) -> list[Check]:
    """One check per comparison: fail when the candidate trails the baseline by more than allowed."""
    checks = []
    for c in comparisons:
        name = _name(c.key, c.metric)
        if c.delta is None or c.value is None or c.reference is None:
            checks.append(
                Check(
                    name=f"{name} vs baseline",
                    kind="baseline",
                    passed=c.reference is None,
                    value=c.value,
                    key=c.key,
                    metric=c.metric,
                    message=f"{name} vs baseline: not comparable (a value is missing: see the notes)",
                )
            )
            continue
        lower = METRICS[c.metric].lower_is_better
        sign = 1.0 if lower else -1.0  # regression = sign * delta
        worse_by = sign * c.delta
        regression_interval = None if c.interval is None else sorted(sign * x + 0.0 for x in c.interval)
        outcome, passed = gate.outcome(lambda r: r <= max_regression, worse_by, regression_interval)
        direction = "above" if lower else "below"
        within = "within" if worse_by <= max_regression else "more than"
        message = (
            f"{name} {c.value:.4f} is {abs(worse_by):.4f} "
            f"{direction if worse_by > 0 else 'better than'} the baseline's {c.reference:.4f}: "
            f"{within} the allowed regression of {max_regression:g}"
        )
        if regression_interval is not None:
            message += gate.reading(outcome, regression_interval, f"<= {max_regression:g}").replace(
                "interval", "interval of the regression", 1
            )
        checks.append(
            Check(
                name=f"{name} vs baseline",
                kind="baseline",
                passed=passed,
                value=c.value,
                threshold=(
                    f"<= {c.reference:.4f} + {max_regression:g}"
                    if lower
                    else f">= {c.reference:.4f} - {max_regression:g}"
                ),
                key=c.key,
                metric=c.metric,
                message=message,
                interval=regression_interval,
                outcome=outcome,
            )
        )
    return checks
