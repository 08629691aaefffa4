"""Cases nobody had listed, each as a user meets it: the answer is scikit-learn's own on the same rows.

- A label column that pandas wrote to Parquet as a categorical (dictionary-encoded, as polars and pyarrow
  write strings too), with a category no row uses: the classes are the values, not the categories.
- A CSV's integer labels (read in chunks as float64): the report and the threshold keys name them ``2``, as
  classification_report does for integers, not ``2.0``.
- ``--test-size`` as a fraction or a row count, with and without ``--stratify``: the evaluated rows are
  ``train_test_split``'s test part, cell for cell of the confusion matrix.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mlci import cli


@pytest.fixture(scope="module")
def iris(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    import joblib
    from sklearn.datasets import load_iris
    from sklearn.tree import DecisionTreeClassifier

    root = tmp_path_factory.mktemp("iris")
    frame = load_iris(as_frame=True).frame
    frame["target"] = frame["target"].map({0: "setosa", 1: "versicolor", 2: "virginica"})
    model = DecisionTreeClassifier(max_depth=3, random_state=0).fit(
        frame.drop(columns="target"), frame["target"]
    )
    joblib.dump(model, root / "model.joblib")
    return {"root": root, "frame": frame, "model": model}


@pytest.fixture(scope="module")
def wine(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    import joblib
    from sklearn.datasets import load_wine
    from sklearn.tree import DecisionTreeClassifier

    root = tmp_path_factory.mktemp("wine-csv")
    frame = load_wine(as_frame=True).frame
    model = DecisionTreeClassifier(max_depth=2, random_state=0).fit(
        frame.drop(columns="target"), frame["target"]
    )
    joblib.dump(model, root / "model.joblib")
    frame.to_csv(root / "wine.csv", index=False)
    return {"root": root, "frame": frame, "model": model}


def _report(model: Path, data: Path, tmp_path: Path, *extra: str, thresholds: str = "accuracy: 0.1") -> Any:
    report = tmp_path / "report.json"
    argv = ["validate", "--model", str(model), "--trust-pickle", "--data", str(data), "--target", "target"]
    assert cli.main([*argv, "--thresholds", thresholds, "--report", str(report), *extra]) == 0
    return json.loads(report.read_text(encoding="utf-8"))


def test_categorical_parquet_labels_are_their_values(iris: dict[str, Any], tmp_path: Path) -> None:
    import pandas as pd
    from sklearn.metrics import accuracy_score

    frame = iris["frame"].copy()
    frame["target"] = pd.Categorical(
        frame["target"], categories=["virginica", "setosa", "versicolor", "unused"]
    )
    frame.to_parquet(tmp_path / "iris.parquet")
    report = _report(
        iris["root"] / "model.joblib", tmp_path / "iris.parquet", tmp_path, thresholds="setosa: {recall: 0.9}"
    )
    assert report["confusion_matrix"]["labels"] == ["setosa", "versicolor", "virginica"]
    expected = accuracy_score(
        iris["frame"]["target"], iris["model"].predict(iris["frame"].drop(columns="target"))
    )
    assert report["metrics"]["accuracy"] == pytest.approx(expected)


def test_integer_labels_of_a_csv_are_named_as_integers(wine: dict[str, Any], tmp_path: Path) -> None:
    report = _report(
        wine["root"] / "model.joblib", wine["root"] / "wine.csv", tmp_path, thresholds='"2": {recall: 0.5}'
    )
    assert report["confusion_matrix"]["labels"] == ["0", "1", "2"]
    assert [check["name"] for check in report["checks"]][1:] == ["2 recall"]


@pytest.mark.parametrize("stratify", [False, True])
@pytest.mark.parametrize("test_size", ["0.3", "40"])
def test_the_split_is_train_test_splits_test_part(
    wine: dict[str, Any], tmp_path: Path, test_size: str, stratify: bool
) -> None:
    from sklearn.metrics import confusion_matrix
    from sklearn.model_selection import train_test_split

    X, y = wine["frame"].drop(columns="target"), wine["frame"]["target"]
    size = float(test_size) if "." in test_size else int(test_size)
    _, X_test, _, y_test = train_test_split(
        X, y, test_size=size, random_state=7, stratify=y if stratify else None
    )
    extra = [
        "--test-size",
        test_size,
        "--random-state",
        "7",
        "--resamples",
        "0",
        *(["--stratify"] * stratify),
    ]
    report = _report(wine["root"] / "model.joblib", wine["root"] / "wine.csv", tmp_path, *extra)
    assert (
        report["confusion_matrix"]["matrix"]
        == confusion_matrix(y_test, wine["model"].predict(X_test)).tolist()
    )
    assert report["data"]["evaluated_rows"] == len(y_test)
