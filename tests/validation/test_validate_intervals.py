"""Gates that account for chance: intervals for every metric, --gate confident, the paired baseline test."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from devtools.seed_case import SEED_DATA, SEED_THRESHOLDS, seed_split
from mlci import cli
from mlci_testing import ActionsStep

RESAMPLES = 2000


def _run(argv: list[str], report: Path) -> tuple[int, dict[str, Any]]:
    code = cli.main([*argv, "--report", str(report)])
    return code, json.loads(report.read_text())


def _row_bootstrap(y_true: Any, y_pred: Any, metric: Any, draws: int = RESAMPLES) -> list[float]:
    """The textbook bootstrap: resample the rows with replacement, recompute on the resampled rows.

    ``metric(t, p)`` takes (draws, rows) arrays and returns one value per draw.
    """
    import numpy as np

    rows = np.random.default_rng(123).integers(0, len(y_true), (draws, len(y_true)))
    values = metric(np.asarray(y_true)[rows], np.asarray(y_pred)[rows])
    return [float(v) for v in np.quantile(values, [0.025, 0.975])]


def _accuracy(t: Any, p: Any) -> Any:
    return (t == p).mean(axis=1)


def _precision(t: Any, p: Any) -> Any:
    tp, predicted = (t & p).sum(axis=1), p.sum(axis=1)
    return tp / predicted


def _f1_of_false(t: Any, p: Any) -> Any:
    tp = (~t & ~p).sum(axis=1)
    return 2 * tp / ((~t).sum(axis=1) + (~p).sum(axis=1))


def _mcc(t: Any, p: Any) -> Any:
    tp, tn = (t & p).sum(axis=1), (~t & ~p).sum(axis=1)
    fp, fn = (~t & p).sum(axis=1), (t & ~p).sum(axis=1)
    return (tp * tn - fp * fn) / ((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn)) ** 0.5


def _auc(t: Any, score: Any) -> Any:
    """Mann-Whitney: the mean rank of the positives (ties averaged), per draw."""
    from scipy.stats import rankdata

    ranks = rankdata(score, axis=1)
    positives = t.sum(axis=1)
    negatives = t.shape[1] - positives
    return ((ranks * t).sum(axis=1) - positives * (positives + 1) / 2) / (positives * negatives)


def test_every_metric_has_an_interval_like_a_row_bootstrap(
    seed_files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = seed_files["good.joblib"]
    argv = ["validate", "--model", str(model), "--trust-pickle", *SEED_DATA, "--thresholds", SEED_THRESHOLDS]
    code, report = _run([*argv, "--resamples", str(RESAMPLES)], tmp_path / "a.json")
    assert code == 0, capsys.readouterr().out
    metrics, intervals = report["metrics"], report["intervals"]
    assert report["interval_method"]["level"] == 0.95
    assert report["interval_method"]["resamples"] == RESAMPLES
    assert "multinomial" in report["interval_method"]["method"]
    # Keyed like metrics: every score of every class and average, and every scalar metric.
    for key in ("False", "True", "macro avg", "weighted avg"):
        assert set(intervals[key]) == {"precision", "recall", "f1-score"}  # support is a count
        for metric, (low, high) in intervals[key].items():
            assert low <= metrics[key][metric] <= high
    for metric in ("accuracy", "balanced_accuracy", "matthews_corrcoef"):
        low, high = intervals[metric]
        assert low <= metrics[metric] <= high

    # The draws from the confusion matrix give what resampling the rows gives (up to bootstrap noise).
    _, X_test, _, y_test = seed_split()
    from joblib import load

    predicted = load(model).predict(X_test)
    expected = {
        "accuracy": _row_bootstrap(y_test, predicted, _accuracy),
        "matthews_corrcoef": _row_bootstrap(y_test, predicted, _mcc),
        "True precision": _row_bootstrap(y_test, predicted, _precision),
        "False f1-score": _row_bootstrap(y_test, predicted, _f1_of_false),
    }
    got = {
        "accuracy": intervals["accuracy"],
        "matthews_corrcoef": intervals["matthews_corrcoef"],
        "True precision": intervals["True"]["precision"],
        "False f1-score": intervals["False"]["f1-score"],
    }
    for name, bounds in expected.items():
        assert got[name] == pytest.approx(bounds, abs=0.03), name

    # Seeded: the same run gives the same intervals; another seed gives other draws.
    assert _run([*argv, "--resamples", str(RESAMPLES)], tmp_path / "b.json")[1]["intervals"] == intervals
    other = _run([*argv, "--resamples", str(RESAMPLES), "--bootstrap-seed", "7"], tmp_path / "c.json")[1]
    assert other["interval_method"]["seed"] == 7
    assert other["intervals"] != intervals


def test_probability_metrics_have_row_level_intervals(tmp_path: Path) -> None:
    import joblib
    import numpy as np
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = load_breast_cancer(return_X_y=True)
    model = make_pipeline(StandardScaler(), LogisticRegression(C=0.01)).fit(X[::3], y[::3])
    joblib.dump(model, tmp_path / "lr.joblib")
    argv = [
        "validate",
        "--model",
        str(tmp_path / "lr.joblib"),
        "--trust-pickle",
        "--data",
        "sklearn:breast_cancer",
    ]
    argv += ["--thresholds", 'roc_auc: "> 0.9"\nlog_loss: "< 0.5"', "--resamples", str(RESAMPLES)]
    code, report = _run(argv, tmp_path / "r.json")
    assert code == 0
    proba = model.predict_proba(X)[:, 1]
    assert report["intervals"]["roc_auc"] == pytest.approx(_row_bootstrap(y == 1, proba, _auc), abs=0.01)
    losses = -np.log(np.where(y == 1, proba, 1 - proba))
    half = 1.96 * losses.std() / np.sqrt(len(losses))
    assert report["intervals"]["log_loss"] == pytest.approx(
        [losses.mean() - half, losses.mean() + half], abs=0.005
    )


def test_confident_gate_on_the_seed_case(
    seed_files: dict[str, Path], tmp_path: Path, actions: ActionsStep, capsys: pytest.CaptureFixture[str]
) -> None:
    model = seed_files["good.joblib"]
    argv = ["validate", "--model", str(model), "--trust-pickle", *SEED_DATA, "--thresholds", SEED_THRESHOLDS]
    # point (the default): today's verdict, the intervals only reported.
    code, report = _run(argv, tmp_path / "point.json")
    assert code == 0 and {c["outcome"] for c in report["checks"]} == {"pass"}
    capsys.readouterr()

    # confident: on 45 rows two of the four thresholds cannot be told from chance: warnings, not failures.
    code, report = _run([*argv, "--gate", "confident"], tmp_path / "confident.json")
    out = capsys.readouterr().out
    assert code == 0
    outcomes = {c["name"]: c["outcome"] for c in report["checks"]}
    assert outcomes == {
        "predictions": "pass",
        "False f1-score": "inconclusive",
        "False precision": "pass",
        "True f1-score": "pass",
        "True precision": "inconclusive",
    }
    assert (
        "::warning title=mlci validate%3A True precision::class True: precision 0.9231 is > 0.8; its 95%25 "
        in out
    )
    assert "straddles the bound: inconclusive" in out
    assert "::error" not in out
    assert actions.outputs["inconclusive"] == "2"
    assert "Model validation passed (5 of 5 checks, 2 inconclusive)" in actions.summary
    assert (
        "::notice title=mlci validate%3A few rows::class True: 12 row(s), fewer than --min-support 30" in out
    )
    assert "class False: 33" not in out  # 33 rows: enough
    assert report["low_support"] == [
        next(line for line in out.splitlines() if "few rows" in line).split("::")[-1]
    ]

    # --strict: inconclusive fails.
    code, report = _run([*argv, "--gate", "confident", "--strict"], tmp_path / "strict.json")
    assert code == 1 and not report["passed"]
    assert [c["name"] for c in report["checks"] if not c["passed"]] == ["False f1-score", "True precision"]


def test_confident_gate_fails_when_the_whole_interval_fails(
    seed_files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["validate", "--model", str(seed_files["degraded.joblib"]), "--trust-pickle", *SEED_DATA]
    argv += ["--gate", "confident", "--thresholds", 'True: {f1-score: "> 0.97", precision: "> 0.8"}']
    code, report = _run(argv, tmp_path / "r.json")
    assert code == 1
    checks = {c["name"]: c for c in report["checks"]}
    assert checks["True f1-score"]["outcome"] == "fail"
    assert checks["True f1-score"]["interval"][1] < 0.97
    assert checks["True precision"]["outcome"] == "inconclusive"  # 0.7857 < 0.8, but not surely
    assert "its whole 95% interval [0.6667, 0.9" in capsys.readouterr().out


def test_bad_gate_options_are_one_line(
    seed_files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [
        "validate",
        "--model",
        str(seed_files["good.joblib"]),
        *SEED_DATA,
        "--thresholds",
        "accuracy: 0.9",
    ]
    assert cli.main([*argv, "--strict"]) == 2
    assert "--strict fails inconclusive checks, which only --gate confident has" in capsys.readouterr().out
    assert cli.main([*argv, "--confidence", "95"]) == 2
    assert "--confidence 95: give a level between 0 and 1" in capsys.readouterr().out


def _memorising_trees(tmp_path: Path, X: Any, y: Any, flip: list[int]) -> tuple[Path, Path]:
    """A baseline that is right on every row, and a challenger that is wrong exactly on the rows ``flip``."""
    import joblib
    from sklearn.tree import DecisionTreeClassifier

    flipped = y.copy()
    flipped[flip] = ~flipped[flip] if flipped.dtype == bool else 1 - flipped[flip]
    baseline = DecisionTreeClassifier(random_state=0).fit(X, y)
    challenger = DecisionTreeClassifier(random_state=0).fit(X, flipped)
    assert (baseline.predict(X) != y).sum() == 0 and (challenger.predict(X) != y).sum() == len(flip)
    joblib.dump(baseline, tmp_path / "baseline.joblib")
    joblib.dump(challenger, tmp_path / "challenger.joblib")
    return tmp_path / "challenger.joblib", tmp_path / "baseline.joblib"


def test_one_row_wobble_does_not_fail_the_paired_baseline_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, X_test, _, y_test = seed_split()
    challenger, baseline = _memorising_trees(tmp_path, X_test, y_test, flip=[0])
    argv = ["validate", "--model", str(challenger), "--baseline", str(baseline), "--max-regression", "0.01"]
    argv += ["--trust-pickle", *SEED_DATA]
    # Reading the point delta, one row of 45 (0.022) is more than 0.01: today's verdict, kept as --gate point.
    assert _run(argv, tmp_path / "point.json")[0] == 1
    capsys.readouterr()
    code, report = _run([*argv, "--gate", "confident"], tmp_path / "confident.json")
    out = capsys.readouterr().out
    assert code == 0, out
    compared = {(c["class"], c["metric"]): c for c in report["baseline"]["comparisons"]}
    accuracy = compared[(None, "accuracy")]
    assert accuracy["delta"] == pytest.approx(-1 / 45)
    assert accuracy["paired"] is True
    low, high = accuracy["interval"]
    assert low < -0.01 < high <= 0.0  # paired: the baseline is never worse on a row, so never above 0
    assert "accuracy vs baseline" in out and "inconclusive" in out
    # The metrics table shows the delta and its interval, with the baseline mark in its own column.
    assert "-0.0222  [-0.0" in out


def test_a_real_regression_fails_the_paired_baseline_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from sklearn.datasets import load_breast_cancer

    X, y = load_breast_cancer(return_X_y=True)
    wrong = list(range(0, len(y), 10))  # 57 of 569 rows: a regression of 0.10
    challenger, baseline = _memorising_trees(tmp_path, X, y, flip=wrong)
    argv = ["validate", "--model", str(challenger), "--baseline", str(baseline), "--max-regression", "0.05"]
    argv += ["--trust-pickle", "--data", "sklearn:breast_cancer", "--gate", "confident"]
    code, report = _run(argv, tmp_path / "r.json")
    assert code == 1
    accuracy = next(c for c in report["checks"] if c["name"] == "accuracy vs baseline")
    assert accuracy["outcome"] == "fail"
    assert accuracy["interval"][0] > 0.05  # the whole interval of the regression is above what is allowed
    assert "its whole 95% interval of the regression" in capsys.readouterr().out
