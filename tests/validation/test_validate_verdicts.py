"""Inputs that used to give a verdict without a word: labels, column order, a split, NaN labels, the notes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from devtools.seed_case import SEED_THRESHOLDS, seed_split
from mlci import cli


def _dump(model: Any, path: Path) -> Path:
    import joblib

    joblib.dump(model, path)
    return path


def _run(*argv: str) -> int:
    return cli.main(["validate", "--trust-pickle", *argv])


def _one_line(capsys: pytest.CaptureFixture[str]) -> str:
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "Traceback" not in out, out
    return out.strip()


def _wine_frame() -> Any:
    from sklearn.datasets import load_wine

    return load_wine(as_frame=True).frame


# --------------------------------------------------------------------------------------------- 1. labels


def _text_label_model() -> Any:
    """A forest on wine that predicts 'class_0', 'class_1', 'class_2' (the data's labels are 0, 1, 2)."""
    import numpy as np
    from sklearn.datasets import load_wine
    from sklearn.ensemble import RandomForestClassifier

    X, y = load_wine(return_X_y=True)
    names = np.array(["class_0", "class_1", "class_2"])
    return RandomForestClassifier(n_estimators=20, random_state=0).fit(X, names[y])


def test_text_predictions_against_int_labels_are_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = str(_dump(_text_label_model(), tmp_path / "text.joblib"))
    split = ["--data", "sklearn:wine", "--test-size", "0.25", "--random-state", "42"]
    # One-vs-rest on 2: every 'class_2' was "not 2", and accuracy passed: now a refusal showing both sides.
    assert _run("--model", model, *split, "--positive-label", "2", "--thresholds", "accuracy: 0.5") == 2
    line = _one_line(capsys)
    assert "predictions and the labels share no type" in line
    assert "predictions 'class_0', 'class_1', 'class_2' (str), labels 0, 1, 2 (int64)" in line
    assert "--label-map" in line
    # Without one-vs-rest too.
    assert _run("--model", model, *split, "--thresholds", "accuracy: 0.5") == 2
    assert "share no type" in _one_line(capsys)
    # Mapped explicitly, the same model gets its real verdict, the seed's thresholds included.
    report = tmp_path / "report.json"
    mapped = ["--label-map", "class_0: 0, class_1: 1, class_2: 2", "--report", str(report)]
    assert (
        _run("--model", model, *split, "--positive-label", "2", "--thresholds", SEED_THRESHOLDS, *mapped) == 0
    )
    metrics = json.loads(report.read_text())["metrics"]
    _, _, _, y_test = seed_split()
    assert metrics["True"]["support"] == y_test.sum() and metrics["True"]["recall"] > 0.9
    assert json.loads(report.read_text())["data"]["label_map"] == {"class_0": 0, "class_1": 1, "class_2": 2}


def test_bool_predictions_against_int_labels_are_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from sklearn.datasets import load_wine
    from sklearn.tree import DecisionTreeClassifier

    X, y = load_wine(return_X_y=True)
    model = str(_dump(DecisionTreeClassifier(random_state=0).fit(X, y == 0), tmp_path / "bool.joblib"))
    # False would have counted as 0 (True as 1): a verdict on a question nobody asked.
    assert _run("--model", model, "--data", "sklearn:wine", "--thresholds", "accuracy: 0") == 2
    line = _one_line(capsys)
    assert "share no type" in line and "False, True (bool)" in line and "0, 1, 2 (int" in line
    # With one-vs-rest, bool predictions are the answer to "is it the positive label?": fine.
    argv = [
        "--model",
        model,
        "--data",
        "sklearn:wine",
        "--positive-label",
        "0",
        "--thresholds",
        "accuracy: 0.9",
    ]
    assert _run(*argv) == 0


def test_a_regressor_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from sklearn.datasets import load_wine
    from sklearn.linear_model import LinearRegression

    X, y = load_wine(return_X_y=True)
    model = str(_dump(LinearRegression().fit(X, y), tmp_path / "regressor.joblib"))
    assert _run("--model", model, "--data", "sklearn:wine", "--thresholds", "accuracy: 0") == 2
    line = _one_line(capsys)
    assert "share no values" in line and "(float64)" in line


def test_label_map_must_map_every_prediction(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = str(_dump(_text_label_model(), tmp_path / "text.joblib"))
    argv = ["--model", model, "--data", "sklearn:wine", "--thresholds", "accuracy: 0"]
    assert _run(*argv, "--label-map", "class_0: 0, class_1: 1") == 2
    assert "--label-map does not map the prediction 'class_2'" in _one_line(capsys)
    assert _run(*argv, "--label-map", "[1, 2]") == 2
    assert "--label-map [1, 2]: expected a mapping" in _one_line(capsys)


# --------------------------------------------------------------------------------------------- 2. columns


def test_named_model_reads_columns_by_name(tmp_path: Path) -> None:
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.metrics import accuracy_score

    frame = _wine_frame()
    X, y = frame.drop(columns="target"), frame["target"]
    model = RandomForestClassifier(n_estimators=20, random_state=0).fit(X, y)
    shuffled = frame[[*reversed(X.columns), "target"]]
    shuffled.to_csv(tmp_path / "shuffled.csv", index=False)
    report = tmp_path / "report.json"
    argv = ["--model", str(_dump(model, tmp_path / "m.joblib")), "--data", str(tmp_path / "shuffled.csv")]
    assert _run(*argv, "--target", "target", "--thresholds", "accuracy: 0", "--report", str(report)) == 0
    assert json.loads(report.read_text())["metrics"]["accuracy"] == accuracy_score(y, model.predict(X))


def test_unnamed_model_needs_the_feature_order(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.metrics import accuracy_score

    frame = _wine_frame()
    X, y = frame.drop(columns="target"), frame["target"]
    model = RandomForestClassifier(n_estimators=20, random_state=0).fit(X.to_numpy(), y.to_numpy())
    shuffled = frame[[*reversed(X.columns), "target"]]  # columns in another order than at training
    shuffled.to_parquet(tmp_path / "shuffled.parquet")
    argv = ["--model", str(_dump(model, tmp_path / "m.joblib")), "--data", str(tmp_path / "shuffled.parquet")]
    argv += ["--target", "target", "--thresholds", "accuracy: 0"]
    # Garbage metrics before: now a refusal that says how to give the order.
    assert _run(*argv) == 2
    line = _one_line(capsys)
    assert "fitted without column names" in line and "--features" in line
    report = tmp_path / "report.json"
    assert _run(*argv, "--features", ",".join(X.columns), "--report", str(report)) == 0
    expected = accuracy_score(y, model.predict(X.to_numpy()))
    assert json.loads(report.read_text())["metrics"]["accuracy"] == expected


def test_named_model_with_missing_columns_is_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from sklearn.tree import DecisionTreeClassifier

    frame = _wine_frame()
    model = DecisionTreeClassifier(random_state=0).fit(frame.drop(columns="target"), frame["target"])
    frame.drop(columns=["proline"]).to_csv(tmp_path / "data.csv", index=False)
    argv = ["--model", str(_dump(model, tmp_path / "m.joblib")), "--data", str(tmp_path / "data.csv")]
    assert _run(*argv, "--target", "target", "--thresholds", "accuracy: 0") == 2
    assert "needs the column(s) proline" in _one_line(capsys)


# --------------------------------------------------------------------------------------------- 3. split


def test_random_state_alone_takes_sklearns_default_test_size(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from devtools.seed_case import make_seed_models

    model = str(_dump(make_seed_models(n_estimators=10).good, tmp_path / "m.joblib"))
    report = tmp_path / "report.json"
    argv = ["--model", model, "--data", "sklearn:wine", "--positive-label", "2", "--random-state", "42"]
    assert _run(*argv, "--thresholds", "accuracy: 0", "--report", str(report)) == 0
    out = capsys.readouterr().out
    assert "--random-state 42 without --test-size: evaluating the test part of train_test_split" in out
    assert "test_size=0.25" in out
    data = json.loads(report.read_text())["data"]
    # train_test_split(X, y, random_state=42) on wine's 178 rows: 45 test rows, the seed's own.
    assert (data["evaluated_rows"], data["test_size"]) == (45, 0.25)


# --------------------------------------------------------------------------------------------- 5. NaN labels


def test_nan_labels_in_parquet_are_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq
    from sklearn.tree import DecisionTreeClassifier

    model = DecisionTreeClassifier(random_state=0).fit([[0.0], [1.0]], [0.0, 1.0])
    labels = pa.array([0.0, 1.0, float("nan"), 1.0, float("nan")] * 40)  # NaN, not null: as polars writes it
    pq.write_table(pa.table({"x": pa.array([0.0, 1.0] * 100), "label": labels}), tmp_path / "d.parquet")
    argv = ["--model", str(_dump(model, tmp_path / "m.joblib")), "--data", str(tmp_path / "d.parquet")]
    assert (
        _run(
            *argv, "--target", "label", "--features", "x", "--chunk-rows", "7", "--thresholds", "accuracy: 0"
        )
        == 2
    )
    line = _one_line(capsys)
    assert "the label column 'label' has 80 empty or NaN value(s)" in line


# --------------------------------------------------------------------------------------------- 8. notes


def test_notes_are_printed_in_the_terminal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import pandas as pd
    from sklearn.dummy import DummyClassifier

    model = DummyClassifier(strategy="constant", constant=1).fit([[0.0], [1.0]], [0, 1])
    pd.DataFrame({"x": [0.0, 1.0, 2.0], "label": [1, 1, 1]}).to_csv(tmp_path / "one-class.csv", index=False)
    argv = ["--model", str(_dump(model, tmp_path / "m.joblib")), "--data", str(tmp_path / "one-class.csv")]
    assert _run(*argv, "--target", "label", "--features", "x", "--thresholds", "roc_auc: 0.5") == 1
    out = capsys.readouterr().out
    assert "roc_auc could not be computed (see the notes)" in out
    # ...and the notes are right there, not only in the job summary.
    assert "- roc_auc is undefined: the evaluated rows hold only one class." in out.split("\nnotes:\n")[1]
