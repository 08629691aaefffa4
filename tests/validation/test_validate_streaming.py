"""Streaming evaluation (tiny chunks, so many are used) gives scikit-learn's in-memory numbers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mlci import cli

CHUNK = ["--chunk-rows", "97"]  # a prime, so chunks and split boundaries never line up
PROBA_THRESHOLDS = 'roc_auc: 0\nlog_loss: "< 1000"\naccuracy: 0'


def _frame(n_classes: int, labels: list[Any] | None = None, rows: int = 1500) -> Any:
    import numpy as np
    import pandas as pd
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples=rows, n_features=5, n_informative=3, n_redundant=0, n_classes=n_classes, random_state=3
    )
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(5)])
    frame["f4"] = np.round(frame["f4"] * 3).astype(int)  # an integer feature, as CSV files often have
    frame["label"] = np.asarray(labels, dtype=object)[y] if labels else y
    return frame


def _expected(model: Any, X: Any, y: Any, proba_column: int | None = None) -> dict[str, Any]:
    """The metrics the way a user computes them with scikit-learn, all rows in memory."""
    from sklearn.metrics import (
        balanced_accuracy_score,
        classification_report,
        log_loss,
        matthews_corrcoef,
        roc_auc_score,
    )

    predictions = model.predict(X)
    proba = model.predict_proba(X)
    expected = classification_report(y, predictions, output_dict=True)
    expected["balanced_accuracy"] = balanced_accuracy_score(y, predictions)
    expected["matthews_corrcoef"] = matthews_corrcoef(y, predictions)
    if proba.shape[1] == 2:
        expected["roc_auc"] = roc_auc_score(y, proba[:, 1])
    else:
        expected["roc_auc"] = roc_auc_score(y, proba, multi_class="ovr")
    expected["log_loss"] = log_loss(y, proba, labels=model.classes_)
    return expected


def _run(model_path: Path, data: Path, tmp_path: Path, *extra: str) -> dict[str, Any]:
    report = tmp_path / "report.json"
    argv = [
        "validate",
        "--model",
        str(model_path),
        "--trust-pickle",
        "--data",
        str(data),
        "--target",
        "label",
    ]
    assert cli.main([*argv, *CHUNK, "--thresholds", PROBA_THRESHOLDS, "--report", str(report), *extra]) == 0
    return json.loads(report.read_text())


def _assert_same(got: dict[str, Any], expected: dict[str, Any]) -> None:
    log_loss = got.pop("log_loss")
    assert log_loss == pytest.approx(expected.pop("log_loss"), rel=1e-12)  # summation order only
    assert got == expected  # everything else: exactly, floats, names and all


def _write(frame: Any, tmp_path: Path, kind: str) -> Path:
    path = tmp_path / f"data.{kind}"
    if kind == "csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, row_group_size=250)
    return path


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_multiclass_text_labels_named_features(tmp_path: Path, kind: str) -> None:
    import joblib
    from sklearn.linear_model import LogisticRegression

    frame = _frame(3, ["cat", "dog", "eel"])
    X, y = frame.drop(columns="label"), frame["label"]
    model = LogisticRegression(max_iter=500).fit(X, y)  # fitted on a DataFrame: named features
    joblib.dump(model, tmp_path / "model.joblib")
    report = _run(tmp_path / "model.joblib", _write(frame, tmp_path, kind), tmp_path)
    assert report["data"]["evaluated_rows"] == len(frame)
    _assert_same(report["metrics"], _expected(model, X, y))


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_binary_int_labels_unnamed_features(tmp_path: Path, kind: str) -> None:
    import joblib
    from sklearn.ensemble import RandomForestClassifier

    frame = _frame(2)
    X, y = frame.drop(columns="label"), frame["label"]
    model = RandomForestClassifier(n_estimators=20, random_state=0).fit(X.to_numpy(), y.to_numpy())
    joblib.dump(model, tmp_path / "model.joblib")
    data = _write(frame, tmp_path, kind)
    report = _run(tmp_path / "model.joblib", data, tmp_path, "--features", ",".join(X.columns))
    _assert_same(report["metrics"], _expected(model, X.to_numpy(), y.to_numpy()))
    assert report["confusion_matrix"]["labels"] == ["0", "1"]


@pytest.mark.parametrize("stratify", [False, True])
def test_positive_label_on_the_test_part_of_a_file(tmp_path: Path, stratify: bool) -> None:
    import joblib
    import numpy as np
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.metrics import classification_report, log_loss, roc_auc_score
    from sklearn.model_selection import train_test_split

    frame = _frame(3)
    X, y = frame.drop(columns="label").to_numpy(), frame["label"].to_numpy()
    model = RandomForestClassifier(n_estimators=20, random_state=0).fit(X, y)  # multiclass: 0, 1, 2
    joblib.dump(model, tmp_path / "model.joblib")
    split = ["--test-size", "0.3", "--random-state", "7", *(["--stratify"] if stratify else [])]
    report = _run(
        tmp_path / "model.joblib",
        _write(frame, tmp_path, "parquet"),
        tmp_path,
        "--positive-label",
        "2",
        "--features",
        ",".join(frame.columns.drop("label")),
        *split,
    )

    # The seed's way: one-vs-rest target, then train_test_split, then the report on the test part.
    binary = y == 2
    _, X_test, _, y_test = train_test_split(
        X, binary, test_size=0.3, random_state=7, stratify=binary if stratify else None
    )
    expected = classification_report(y_test, model.predict(X_test) == 2, output_dict=True)
    p_true = model.predict_proba(X_test)[:, 2]
    got = report["metrics"]
    assert {k: got[k] for k in expected} == expected
    assert got["roc_auc"] == roc_auc_score(y_test, p_true)
    assert got["log_loss"] == pytest.approx(
        log_loss(y_test, np.column_stack([1 - p_true, p_true])), rel=1e-12
    )
    assert report["data"] | {"rows": 1500, "evaluated_rows": 450} == report["data"]


def test_score_table_merges_exactly(tmp_path: Path) -> None:
    """Many distinct scores (a linear model's): the table merges while rows arrive and stays exact."""
    import numpy as np
    from sklearn.metrics import roc_auc_score

    from mlci.validation.metrics import ScoreTable

    rng = np.random.default_rng(0)
    y = rng.random(300_000) < 0.3
    scores = np.round(rng.random(300_000) + y * 0.2, 5)  # ties, and more distinct values than one merge holds
    table = ScoreTable()
    for start in range(0, len(y), 20_000):
        table.add(scores[start : start + 20_000], y[start : start + 20_000])
    notes: list[str] = []
    assert table.roc_auc(notes) == roc_auc_score(y, scores)
    assert notes == []
