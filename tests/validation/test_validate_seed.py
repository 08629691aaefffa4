"""The seed's own case end to end: its model, data, split and four thresholds, through `mlci validate`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devtools.seed_case import SEED_DATA, SEED_THRESHOLDS, SeedModels, seed_split
from mlci import cli
from mlci_testing import ActionsStep


def _sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_seed_model_passes_the_seed_thresholds(
    seed_files: dict[str, Path],
    seed_models: SeedModels,
    actions: ActionsStep,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from sklearn.metrics import classification_report

    model = seed_files["good.joblib"]
    report_path = tmp_path / "out" / "report.json"
    argv = ["validate", "--model", str(model), "--sha256", _sha256(model), *SEED_DATA]
    code = cli.main([*argv, "--thresholds", SEED_THRESHOLDS, "--report", str(report_path)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "::error" not in out

    # The seed's own assertions, on the seed's own computation...
    _, X_test, _, y_test = seed_split()
    predictions = seed_models.good.predict(X_test)
    expected = classification_report(y_test, predictions, output_dict=True)
    # ...give exactly the numbers mlci reports.
    report = json.loads(report_path.read_text())
    assert report["passed"] is True
    assert {k: report["metrics"][k] for k in expected} == expected
    assert [c["name"] for c in report["checks"]] == [
        "predictions",
        "False f1-score",
        "False precision",
        "True f1-score",
        "True precision",
    ]
    assert all(c["passed"] for c in report["checks"])
    assert report["model"]["sha256"] == _sha256(model)
    assert report["model"]["format"] == "joblib"
    assert report["data"]["evaluated_rows"] == len(y_test) == 45
    assert report["confusion_matrix"]["labels"] == ["False", "True"]

    outputs = actions.outputs
    assert outputs["passed"] == "true"
    assert outputs["report-path"] == str(report_path)
    assert json.loads(outputs["metrics"])["True"]["precision"] == expected["True"]["precision"]
    summary = actions.summary
    assert "Model validation passed (5 of 5 checks)" in summary
    assert "Confusion matrix" in summary and "| True | 0 | 12 |" in summary


def test_degraded_model_fails_naming_class_and_metric(
    seed_files: dict[str, Path], actions: ActionsStep, capsys: pytest.CaptureFixture[str]
) -> None:
    model = seed_files["degraded.joblib"]
    argv = ["validate", "--model", str(model), "--trust-pickle", *SEED_DATA, "--thresholds", SEED_THRESHOLDS]
    assert cli.main(argv) == 1
    errors = [line for line in capsys.readouterr().out.splitlines() if line.startswith("::error")]
    assert errors == [
        "::error title=mlci validate%3A False f1-score::class False: f1-score 0.9375 is not > 0.95",
        "::error title=mlci validate%3A True precision::class True: precision 0.7857 is not > 0.8",
    ]
    assert actions.outputs["passed"] == "false"
    summary = actions.summary
    assert "Model validation failed (2 of 5 checks failed)" in summary
    assert "| True precision | 0.7857 | > 0.8 | ❌ fail |" in summary
    assert "| True f1-score | 0.8462 | > 0.8 | ✅ pass |" in summary


def test_ill_defined_metric_is_a_note(
    tmp_path: Path, actions: ActionsStep, capsys: pytest.CaptureFixture[str]
) -> None:
    import joblib
    from sklearn.dummy import DummyClassifier

    X_train, _, y_train, _ = seed_split()
    model = tmp_path / "dummy.joblib"
    joblib.dump(DummyClassifier(strategy="most_frequent").fit(X_train, y_train), model)
    argv = ["validate", "--model", str(model), "--trust-pickle", *SEED_DATA, "--thresholds", SEED_THRESHOLDS]
    assert cli.main(argv) == 1
    # scikit-learn's warning about the ill-defined precision (no True predicted) is kept, not lost
    assert (
        "Precision is ill-defined and being set to 0.0 in labels with no predicted samples" in actions.summary
    )


def test_plain_text_outside_actions(seed_files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["validate", "--model", str(seed_files["degraded.joblib"]), "--trust-pickle", *SEED_DATA]
    assert cli.main([*argv, "--thresholds", "True: {precision: 0.8}"]) == 1
    out = capsys.readouterr().out
    assert "model validation failed (1 of 2 checks failed)" in out
    assert "error: [mlci validate: True precision] class True: precision 0.7857 is not >= 0.8" in out
    assert "::" not in out


def test_pickle_is_refused_without_trust(
    seed_files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    model = seed_files["good.joblib"]
    assert cli.main(["validate", "--model", str(model), *SEED_DATA, "--thresholds", SEED_THRESHOLDS]) == 2
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert "refusing to load good.joblib" in out
    assert f"--sha256 {_sha256(model)}" in out and "--trust-pickle" in out


class _Exploit:
    """Unpickling this runs `open(path, "w")`: the file appears if anything unpickles it."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (str(self.path), "w"))


def test_malicious_pickle_never_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import pickle

    witness = tmp_path / "pwned"
    model = tmp_path / "model.pkl"
    model.write_bytes(pickle.dumps(_Exploit(witness)))
    assert cli.main(["validate", "--model", str(model), *SEED_DATA, "--thresholds", "accuracy: 0.9"]) == 2
    assert "refusing to load model.pkl" in capsys.readouterr().out
    assert not witness.exists()
    # A wrong pin is no way in either.
    argv = [
        "validate",
        "--model",
        str(model),
        "--sha256",
        "0" * 64,
        *SEED_DATA,
        "--thresholds",
        "accuracy: 0.9",
    ]
    assert cli.main(argv) == 2
    assert f"the sha256 of model.pkl is {_sha256(model)}, not {'0' * 64}" in capsys.readouterr().out
    assert not witness.exists()


def test_skops_untrusted_types_are_named(
    seed_files: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    model = str(seed_files["good.skops"])
    argv = ["validate", "--model", model, *SEED_DATA, "--thresholds", SEED_THRESHOLDS]
    assert cli.main(argv) == 2
    out = capsys.readouterr().out
    assert "types skops does not trust by default: sklearn.tree._tree.Tree" in out
    assert cli.main([*argv, "--trust-pickle"]) == 0


def test_version_mismatch_is_reported(
    seed_models: SeedModels, tmp_path: Path, actions: ActionsStep, capsys: pytest.CaptureFixture[str]
) -> None:
    import sklearn

    current = sklearn.__version__.encode()
    old = b"0." + current[2:]  # same length, so the pickle stays valid
    model = tmp_path / "old.joblib"
    model.write_bytes(seed_models.good_joblib.replace(current, old))
    report = tmp_path / "report.json"
    argv = ["validate", "--model", str(model), "--trust-pickle", *SEED_DATA, "--thresholds", SEED_THRESHOLDS]
    assert cli.main([*argv, "--report", str(report)]) == 0
    out = capsys.readouterr().out
    expected = f"the model was saved with scikit-learn {old.decode()} and is loaded with {current.decode()}"
    assert f"::warning title=mlci validate::{expected}" in out
    assert "RandomForestClassifier" in out
    assert expected in json.loads(report.read_text())["model"]["warnings"][0]


def test_predictions_the_data_does_not_know_fail_the_sanity_check(
    tmp_path: Path, actions: ActionsStep, capsys: pytest.CaptureFixture[str]
) -> None:
    import joblib
    from sklearn.datasets import load_wine
    from sklearn.tree import DecisionTreeClassifier

    X, y = load_wine(return_X_y=True)
    model = tmp_path / "three.joblib"
    relabelled = y.copy()
    relabelled[y == 2] = 3  # the model calls class 2 "3": it shares the labels 0 and 1 with the data
    joblib.dump(DecisionTreeClassifier(random_state=0).fit(X, relabelled), model)
    argv = ["validate", "--model", str(model), "--trust-pickle", "--data", "sklearn:wine"]
    assert cli.main([*argv, "--thresholds", "accuracy: 0.5"]) == 1
    out = capsys.readouterr().out
    assert (
        "predictions: the model predicts label(s) the data does not have: 3 (the data's labels: 0, 1, 2)"
        in out
    )
    assert "model validation failed (1 of 2 checks failed)" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--data", "sklearn:nope"], "--data sklearn:nope: unknown scikit-learn dataset 'nope'"),
        (["--data", "missing.csv", "--target", "y"], "--data missing.csv: no such file"),
        (["--data", "sklearn:wine", "--stratify"], "--stratify splits the data: give --test-size too"),
        (
            ["--data", "sklearn:wine", "--positive-label", "7"],
            "--positive-label 7: no row of the label column",
        ),
        (
            ["--data", "sklearn:wine", "--positive-label", "x"],
            "--positive-label x: the labels here are int64",
        ),
        (["--data", "sklearn:wine", "--features", "alcohol,nope"], "--features needs the column(s) nope"),
    ],
)
def test_bad_data_options_are_one_line(
    seed_files: dict[str, Path], args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [
        "validate",
        "--model",
        str(seed_files["good.joblib"]),
        "--trust-pickle",
        *args,
        "--thresholds",
        "accuracy: 0",
    ]
    assert cli.main(argv) == 2
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and message in out, out


class _OneLabel:
    """A "model" whose predict() returns a single label, whatever it is asked."""

    def predict(self, X: object) -> list[bool]:
        return [True]


def test_predictions_of_the_wrong_length_fail_the_sanity_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import joblib

    joblib.dump(_OneLabel(), tmp_path / "one.joblib")
    argv = ["validate", "--model", str(tmp_path / "one.joblib"), "--trust-pickle", *SEED_DATA]
    assert cli.main([*argv, "--thresholds", SEED_THRESHOLDS]) == 1
    out = capsys.readouterr().out
    assert (
        "predictions: predict() returned an array of shape (1,) for 45 rows; expected one label per row."
        in out
    )
