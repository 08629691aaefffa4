"""Cases a new user hits that no issue listed: each a wrong, unsafe or confusing result, found by audit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from devtools.seed_case import SEED_DATA, SEED_THRESHOLDS, Hub, Mlflow
from mlci import cli


def _one_line(capsys: pytest.CaptureFixture[str]) -> str:
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "Traceback" not in out, out
    return out.strip()


def _wine_csv(path: Path, sep: str = ",") -> Path:
    from sklearn.datasets import load_wine

    load_wine(as_frame=True).frame.to_csv(path, index=False, sep=sep)
    return path


def _array_model(path: Path) -> Path:
    """A forest fitted on a numpy array (no feature names): it reads columns by position."""
    import joblib
    from sklearn.datasets import load_wine
    from sklearn.ensemble import RandomForestClassifier

    X, y = load_wine(return_X_y=True)
    joblib.dump(RandomForestClassifier(n_estimators=10, random_state=0).fit(X, y), path)
    return path


def _refused(model: Path, data: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    """Validate ``model`` on the wine CSV ``data``: exit 2 and the one line it printed."""
    argv = ["validate", "--trust-pickle", "--model", str(model), "--data", str(data), "--target", "target"]
    assert cli.main([*argv, *extra, "--thresholds", "accuracy: 0.1"]) == 2
    return _one_line(capsys)


def _feature_names() -> list[str]:
    from sklearn.datasets import load_wine

    return list(load_wine().feature_names)


# --------------------------------------------------------------------------------------------- MLflow


@pytest.mark.slow
def test_one_model_has_one_pin_whichever_uri_names_it(mlflow_env: Mlflow, tmp_path: Path) -> None:
    """runs:/RUN/model and models:/wine/1 are the same logged model: the same tree hash pins both.

    MLflow 3 resolves runs:/RUN/NAME to the run's logged model and writes a ``registered_model_meta`` file
    into the download (model name and version: null): the tree hash of the very same model differed, so the
    pin that ``mlci register`` and a models:/ validation print failed a runs:/ validation as "the model
    changed".
    """
    report = tmp_path / "report.json"

    def pin(uri: str, *extra: str) -> tuple[int, Any]:
        argv = ["validate", "--model", uri, *SEED_DATA, "--thresholds", SEED_THRESHOLDS, *extra]
        code = cli.main([*argv, "--report", str(report)])
        return code, json.loads(report.read_text())["model"] if code == 0 else None

    code, by_version = pin("models:/wine/1", "--trust-pickle")
    assert code == 0
    code, by_run = pin(f"runs:/{mlflow_env.run_id}/model", "--sha256", by_version["sha256"])
    assert code == 0, "the models:/wine/1 pin must load the same model named by its run"
    assert by_run["sha256"] == by_version["sha256"]
    code, by_id = pin(f"models:/{mlflow_env.model_id}", "--sha256", by_version["sha256"])
    assert code == 0 and by_id["sha256"] == by_version["sha256"]


# --------------------------------------------------------------------------------------------- data


def test_features_naming_the_label_column_are_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A model given the label as a feature reads the answer: a perfect score, silently, was the verdict."""
    import joblib
    import numpy as np
    from sklearn.datasets import load_wine
    from sklearn.linear_model import LogisticRegression

    X, y = load_wine(return_X_y=True)
    leaky = tmp_path / "leaky.joblib"
    joblib.dump(LogisticRegression(max_iter=5000).fit(np.column_stack([X, y]), y), leaky)
    data = _wine_csv(tmp_path / "wine.csv")
    line = _refused(leaky, data, capsys, "--features", ",".join([*_feature_names(), "target"]))
    assert "--features" in line and "'target'" in line and "label column" in line


def test_a_feature_named_twice_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A column given twice shifts every later column by one for a model that reads them by position."""
    model = _array_model(tmp_path / "forest.joblib")
    data = _wine_csv(tmp_path / "wine.csv")
    names = _feature_names()
    twice = ",".join([names[0], *names[:-1]])  # 13 names, as many as the model takes; alcohol twice
    line = _refused(model, data, capsys, "--features", twice)
    assert "--features" in line and "'alcohol'" in line and "twice" in line


def test_a_semicolon_csv_names_the_separator(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A CSV written with ';' (Excel in many locales) is one column to a comma reader: say so."""
    model = _array_model(tmp_path / "forest.joblib")
    line = _refused(model, _wine_csv(tmp_path / "wine.csv", sep=";"), capsys)
    assert "';'" in line and "comma-separated" in line


def _signed_pyfunc(directory: Path, signed: bool = True) -> Any:
    """An MLflow pyfunc model (a python_model around a forest) whose signature names its int columns."""
    import warnings

    import numpy as np
    import pandas as pd
    from sklearn.ensemble import RandomForestClassifier

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"age": rng.integers(18, 90, 300), "visits": rng.integers(0, 20, 300)})
    label = (frame.age + 3 * frame.visits > 80).astype(int)
    forest = RandomForestClassifier(n_estimators=10, random_state=0).fit(frame.to_numpy(), label)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mlflow's advice on type hints, at import
        import mlflow.pyfunc
        from mlflow.models import infer_signature

        class Wrapped(mlflow.pyfunc.PythonModel):  # reads the columns by position: the signature names them
            def predict(self, context, model_input, params=None):
                return forest.predict(model_input[["age", "visits"]].to_numpy())

        mlflow.pyfunc.save_model(
            str(directory),
            python_model=Wrapped(),
            signature=infer_signature(frame, label) if signed else None,
            pip_requirements=["scikit-learn"],
        )
    return frame.assign(label=label)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_pyfunc_signature_names_its_columns(tmp_path: Path, suffix: str) -> None:
    """The signature names the columns (here int64): read by name in any order, integers from a CSV too.

    Before: "fitted without column names (on an array)" for a model whose signature names them; and once
    named, the CSV's integers (read as float64) were refused by MLflow's schema enforcement.
    """
    rows = _signed_pyfunc(tmp_path / "model")
    data = tmp_path / f"data{suffix}"
    shuffled = rows[["label", "visits", "age"]].assign(note="x")  # another order, a column it does not read
    shuffled.to_csv(data, index=False) if suffix == ".csv" else shuffled.to_parquet(data)
    report = tmp_path / "report.json"
    argv = ["validate", "--trust-pickle", "--model", str(tmp_path / "model"), "--data", str(data)]
    argv += ["--target", "label", "--thresholds", "accuracy: 0.95", "--report", str(report)]
    assert cli.main(argv) == 0
    written = json.loads(report.read_text())
    assert written["data"]["features"] == ["age", "visits"]
    assert written["metrics"]["accuracy"] > 0.95


# --------------------------------------------------------------------------------------------- Hugging Face


@pytest.mark.slow
def test_a_revision_with_a_slash_says_how_to_write_it(
    hub: Hub, hf_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The Hub names a pull request's revision refs/pr/N: written as is, it read as revision 'refs'.

    The message said "revision 'refs' not found; check the branch, tag or commit", which the user had
    given right; HfFileSystem writes such a revision URL-encoded, and the message says so.
    """
    hub.server.repos["acme/wine"].refs["refs/pr/1"] = hub.first_commit
    validate = ["validate", "--trust-pickle", *SEED_DATA, "--thresholds", SEED_THRESHOLDS, "--model"]
    assert cli.main([*validate, "hf://acme/wine@refs/pr/1/model.joblib"]) == 2
    line = _one_line(capsys)
    assert "revision 'refs' not found" in line
    assert "hf://acme/wine@refs%2Fpr%2F1/model.joblib" in line
    assert cli.main([*validate, "hf://acme/wine@refs%2Fpr%2F1/model.joblib"]) == 0  # the advice works


def test_a_pyfunc_without_signature_is_not_said_to_be_fitted_on_an_array(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = _signed_pyfunc(tmp_path / "model", signed=False)
    rows.to_csv(tmp_path / "data.csv", index=False)
    data = ["--data", str(tmp_path / "data.csv")]
    argv = ["validate", "--trust-pickle", "--model", str(tmp_path / "model"), *data]
    assert cli.main([*argv, "--target", "label", "--thresholds", "accuracy: 0.5"]) == 2
    line = _one_line(capsys)
    assert "has no signature naming its input columns" in line and "--features age,visits" in line
    assert "on an array" not in line


def test_a_schema_mismatch_says_what_mlflow_refused_not_the_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """MLflow's schema check starts its message with the whole DataFrame: the line showed rows of data."""
    rows = _signed_pyfunc(tmp_path / "model")
    rows.assign(visits=rows.visits.map(lambda v: f"{v} visits")).to_csv(tmp_path / "data.csv", index=False)
    argv = [
        "validate",
        "--trust-pickle",
        "--model",
        str(tmp_path / "model"),
        "--data",
        str(tmp_path / "data.csv"),
    ]
    assert cli.main([*argv, "--target", "label", "--thresholds", "accuracy: 0.5"]) == 2
    line = _one_line(capsys)
    assert "MLflow's schema check refused the data" in line
    assert "column visits" in line  # MLflow's own reason, which follows the data in its message
    assert "age     visits" not in line  # not the DataFrame's header (nor its rows)
