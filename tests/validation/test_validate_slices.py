"""Slices: thresholds that must hold in every segment of a column, so a model fine overall but failing one
segment is caught."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlci import cli
from mlci.validation.thresholds import Threshold, parse_thresholds


def _data_and_model(tmp_path: Path) -> tuple[Path, Path]:
    """breast_cancer with a 'region' column; the model is right everywhere but on 40% of the south's rows."""
    import joblib
    import numpy as np
    from sklearn.datasets import load_breast_cancer
    from sklearn.tree import DecisionTreeClassifier

    data = load_breast_cancer(as_frame=True).frame
    features = [c for c in data.columns if c != "target"]
    region = np.where(np.arange(len(data)) % 5 == 0, "south", "north")  # 114 south, 455 north
    south = np.flatnonzero(region == "south")
    learned = data["target"].to_numpy().copy()
    wrong = south[: int(len(south) * 0.4)]
    learned[wrong] = 1 - learned[wrong]
    model = DecisionTreeClassifier(random_state=0).fit(data[features], learned)
    data.insert(0, "region", region)
    data.to_csv(tmp_path / "eval.csv", index=False)
    joblib.dump(model, tmp_path / "model.joblib")
    return tmp_path / "eval.csv", tmp_path / "model.joblib"


def test_a_failing_segment_is_caught(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data, model = _data_and_model(tmp_path)
    thresholds = 'accuracy: ">= 0.9"\nslices: {region: {accuracy: ">= 0.9", "1": {recall: 0.5}}}'
    argv = ["validate", "--model", str(model), "--trust-pickle", "--data", str(data), "--target", "target"]
    code = cli.main([*argv, "--thresholds", thresholds, "--report", str(tmp_path / "r.json")])
    out = capsys.readouterr().out
    assert code == 1, out
    report = json.loads((tmp_path / "r.json").read_text())
    checks = {c["name"]: c for c in report["checks"]}
    assert checks["accuracy"]["passed"] is True  # fine overall: 0.92
    assert checks["region=north accuracy"]["passed"] is True
    assert checks["region=north accuracy"]["value"] == 1.0
    south = checks["region=south accuracy"]
    assert south["passed"] is False and south["kind"] == "slice"
    assert south["value"] == pytest.approx(1 - 45 / 114)
    assert "slice region=south (114 rows): accuracy 0.6053 is not >= 0.9" in out
    assert "region=south  114   0.6053" in out  # the slices table of the terminal report
    assert checks["region=south 1 recall"]["kind"] == "slice"
    # Per-slice metrics and intervals in the report; the slice column was not given to the model.
    segments = report["slices"]["region"]
    assert {name: s["rows"] for name, s in segments.items()} == {"north": 455, "south": 114}
    low, high = segments["south"]["intervals"]["accuracy"]
    assert low < segments["south"]["metrics"]["accuracy"] < high
    assert "region" not in report["data"]["features"]


def test_slices_parse() -> None:
    assert parse_thresholds('slices: {device: {accuracy: 0.8, True: {recall: "> 0.7"}}}') == [
        Threshold(None, "accuracy", ">=", 0.8, "device"),
        Threshold("True", "recall", ">", 0.7, "device"),
    ]


def test_unknown_slice_column_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data, model = _data_and_model(tmp_path)
    argv = ["validate", "--model", str(model), "--trust-pickle", "--data", str(data), "--target", "target"]
    assert cli.main([*argv, "--thresholds", "slices: {country: {accuracy: 0.9}}"]) == 2
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "--thresholds slices needs the column(s) country" in out
