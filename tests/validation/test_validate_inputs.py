"""Inputs a user writes: model URIs, CSV files whose types change half-way, baselines; what gets imported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devtools.seed_case import SEED_DATA, SEED_THRESHOLDS
from mlci import cli
from mlci.validation.baseline import check_regressions, compare, compared_metrics
from mlci.validation.statistics import IntervalSpec
from mlci.validation.thresholds import Gate, Threshold
from mlci.validation.uri import HfUri, LocalUri, MlflowUri, parse_model_uri
from mlci_testing import run_python


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "hf://acme/wine/model.joblib",
            HfUri("hf://acme/wine/model.joblib", "acme/wine", None, "model.joblib"),
        ),
        (
            "hf://acme/wine@refs%2Fpr%2F3/sub/m.skops",  # HfFileSystem's spelling of a revision holding '/'
            HfUri("hf://acme/wine@refs%2Fpr%2F3/sub/m.skops", "acme/wine", "refs/pr/3", "sub/m.skops"),
        ),
        (
            "models:/wine@champion",
            MlflowUri("models:/wine@champion", "models", name="wine", alias="champion"),
        ),
        ("models:/wine/3", MlflowUri("models:/wine/3", "models", name="wine", version="3")),
        ("runs:/abc123/model", MlflowUri("runs:/abc123/model", "runs", run_id="abc123", path="model")),
        ("models/wine.joblib", LocalUri("models/wine.joblib", "models/wine.joblib")),
    ],
)
def test_model_uris(text: str, expected: object) -> None:
    assert parse_model_uri(text) == expected


def test_only_a_full_commit_pins_a_hub_file() -> None:
    assert parse_model_uri(f"hf://acme/wine@{'a' * 40}/m.joblib").pinned  # type: ignore[union-attr]
    assert not parse_model_uri("hf://acme/wine@v1/m.joblib").pinned  # type: ignore[union-attr]


def test_s3_uri_is_not_a_model_source(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        cli.main(
            ["validate", "--model", "s3://bucket/model.joblib", *SEED_DATA, "--thresholds", "accuracy: 0"]
        )
        == 2
    )
    assert "the 's3://' scheme is not supported" in capsys.readouterr().out


def test_csv_types_are_fixed_by_the_first_block(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import joblib
    import numpy as np
    import pandas as pd
    from sklearn.metrics import classification_report
    from sklearn.tree import DecisionTreeClassifier

    rng = np.random.default_rng(1)
    rows = 30_000  # ~150 kB: more than one block (64 kB at least)
    frame = pd.DataFrame(
        {"count": rng.integers(0, 50, rows).astype(object), "label": rng.integers(0, 2, rows)}
    )
    frame.loc[rows - 1, "count"] = 12.5  # far past the first block, an integer column holds a float
    X, y = frame[["count"]].to_numpy(dtype=float), frame["label"].to_numpy()
    model = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, y)
    joblib.dump(model, tmp_path / "model.joblib")
    data = tmp_path / "data.csv"
    frame.to_csv(data, index=False)
    argv = ["validate", "--model", str(tmp_path / "model.joblib"), "--trust-pickle", "--data", str(data)]
    argv += ["--target", "label", "--features", "count", "--thresholds", "accuracy: 0"]
    argv += ["--chunk-rows", "1000"]  # 64 kB blocks
    report = tmp_path / "report.json"
    assert cli.main([*argv, "--report", str(report)]) == 0
    expected = classification_report(y, model.predict(X), output_dict=True)
    metrics = json.loads(report.read_text())["metrics"]
    assert {k: metrics[k] for k in expected} == expected
    # A label that does not fit the label column's type is bad data, said in one line.
    with data.open("a") as handle:
        handle.write("3,oops\n")
    capsys.readouterr()
    assert cli.main(argv) == 2
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and f"--data {data}: cannot read the file" in out


def test_baseline_compares_the_threshold_metrics_in_the_right_direction() -> None:
    thresholds = [
        Threshold("True", "recall", ">=", 0.5),
        Threshold(None, "log_loss", "<", 1),
        Threshold("0", "support", ">", 1),
    ]
    pairs = compared_metrics(thresholds)
    assert pairs == [("True", "recall"), (None, "log_loss"), (None, "accuracy"), ("macro avg", "f1-score")]
    candidate = {
        "True": {"recall": 0.80},
        "log_loss": 0.30,
        "accuracy": 0.90,
        "macro avg": {"f1-score": 0.88},
    }
    baseline = {"True": {"recall": 0.82}, "log_loss": 0.20, "accuracy": 0.85, "macro avg": {"f1-score": 0.90}}
    comparisons = compare(candidate, baseline, pairs, ({}, {}, {}), IntervalSpec())
    checks = {check.name: check for check in check_regressions(comparisons, 0.05, Gate())}
    assert checks["True recall vs baseline"].passed  # 0.02 below: within 0.05
    assert not checks["log_loss vs baseline"].passed  # 0.10 higher, and lower is better
    assert checks["log_loss vs baseline"].message == (
        "log_loss 0.3000 is 0.1000 above the baseline's 0.2000: more than the allowed regression of 0.05"
    )
    assert checks["accuracy vs baseline"].passed  # better than the baseline


def test_a_file_validation_never_imports_mlflow(seed_files: dict[str, Path]) -> None:
    """The Hugging Face and file path runs where mlflow is not installed (only MLflow models install it)."""
    argv = ["-q", "validate", "--model", str(seed_files["good.joblib"]), "--trust-pickle", *SEED_DATA]
    argv += ["--thresholds", SEED_THRESHOLDS]
    code = (
        f"import sys; from mlci import cli; code = cli.main({argv!r}); "
        "print(code, sorted({m.split('.')[0] for m in sys.modules} & {'mlflow', 'boto3', 'botocore'}))"
    )
    result = run_python(code)
    assert result.stdout.splitlines()[-1] == "0 []"
