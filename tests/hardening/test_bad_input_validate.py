"""``mlci validate`` refuses bad input with one clear line (see hardening/battery.py).

The Hugging Face and MLflow cases run against the real local servers of tests/validation.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from hardening.battery import Argv, Battery, Case, World, closed_port

HF_WINE = "hf://acme/wine/model.joblib"


def model_case(uri: str, names: str, setup: Callable[[World], object] | None = None) -> Case:
    """The seed's validation of the model ``uri``."""
    return Case(lambda w: w.seed(model=uri), names, setup)


def _offline(w: World) -> None:
    w.hf()
    w.monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def _bad_endpoint(w: World) -> None:
    w.hf()
    w.monkeypatch.setenv("HF_ENDPOINT", "hub.example.com")


def _unreachable_mlflow(w: World) -> Argv:
    """A closed port, behind a URI with a password: the password must not be printed either."""
    w.monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")  # the user's own knob: keeps the case fast
    w.private.append("hardening-password")
    uri = f"http://mlci:hardening-password@127.0.0.1:{closed_port()}"
    return w.seed(model="models:/wine@champion") + ["--mlflow-tracking-uri", uri]


def _no_proba_model() -> bytes:
    """A fitted classifier without predict_proba (a ridge classifier), as joblib bytes."""
    import io

    import joblib
    from sklearn.datasets import load_wine
    from sklearn.linear_model import RidgeClassifier

    X, y = load_wine(return_X_y=True)
    buffer = io.BytesIO()
    joblib.dump(RidgeClassifier().fit(X, y == 2), buffer)
    return buffer.getvalue()


CASES = {
    # ------------------------------------------------------------------------------------- the model
    "unknown-uri-scheme": model_case("ftp://host/model.joblib", "'ftp://' scheme"),
    "empty-model": model_case(" ", "--model is empty"),
    "missing-model-file": Case(
        lambda w: w.seed(model=str(w.tmp / "missing.joblib")), "missing.joblib: no such file"
    ),
    "model-dir-without-mlmodel": Case(lambda w: w.seed(model=str(w.tmp)), "without an MLmodel file"),
    "model-neither-pinned-nor-trusted": Case(lambda w: w.seed(model=w.model), "refusing to load good.joblib"),
    "model-corrupt": Case(
        lambda w: w.seed("--trust-pickle", model=w.file("corrupt.joblib", b"\x80\x04not a pickle")),
        "corrupt.joblib: cannot load the model",
    ),
    "model-skops-corrupt": Case(
        lambda w: w.seed(model=w.file("model.skops", b"PK\x03\x04 broken")), "model.skops"
    ),
    "model-not-a-classifier": Case(
        lambda w: w.seed("--trust-pickle", model=w.file("dict.pkl", b"\x80\x04}\x94.")), "no predict() method"
    ),
    "sha256-mismatch": Case(lambda w: w.seed("--sha256", "0" * 64), "as --sha256 pins it"),
    "sha256-not-hex": Case(lambda w: w.seed("--sha256", "not-a-digest"), "--sha256 not-a-digest"),
    # ------------------------------------------------------------------------------------- the data
    "missing-data-file": Case(
        lambda w: w.validate("--data", str(w.tmp / "missing.csv"), "--target", "label"),
        "missing.csv: no such file",
    ),
    "data-neither-csv-nor-parquet": Case(
        lambda w: w.validate("--data", w.file("data.txt", "a,b\n1,2\n"), "--target", "b"),
        "expected a .csv, .csv.gz or .parquet file",
    ),
    "unknown-dataset": Case(lambda w: w.validate("--data", "sklearn:nope"), "sklearn:nope"),
    "missing-target-column": Case(
        lambda w: w.validate("--data", w.csv(), "--target", "species"), "--target species"
    ),
    "no-target": Case(lambda w: w.validate("--data", w.csv()), "--target COLUMN is required"),
    "empty-data-file": Case(
        lambda w: w.validate(
            "--data", w.csv("empty.csv", rows=0), "--target", "label", "--features", "a,b,c"
        ),
        "empty.csv: there are no rows",
    ),
    "label-missing-values": Case(
        lambda w: w.validate(
            "--data", w.file("holes.csv", "a,label\n1,1\n2,\n"), "--target", "label", "--features", "a"
        ),
        "1 empty or NaN value",
    ),
    "parquet-not-parquet": Case(
        lambda w: w.validate("--data", w.file("data.parquet", "a,label\n1,0\n"), "--target", "label"),
        "data.parquet: cannot read the file",
    ),
    "feature-count-mismatch": Case(
        lambda w: w.validate("--data", w.csv(), "--target", "label", "--features", "a,b,c"),
        "X has 3 features",
    ),
    "unknown-feature-column": Case(
        lambda w: w.validate("--data", w.csv(), "--target", "label", "--features", "a,zzz"), "column(s) zzz"
    ),
    "positive-label-unknown": Case(lambda w: w.seed("--positive-label", "7"), "--positive-label 7"),
    "test-size-above-one": Case(
        lambda w: w.validate("--data", "sklearn:wine", "--test-size", "1.5"), "'1.5'"
    ),
    "test-size-more-rows-than-data": Case(
        lambda w: w.validate("--data", "sklearn:wine", "--test-size", "100000"), "--test-size 100000"
    ),
    "random-state-not-a-number": Case(
        lambda w: w.validate("--data", "sklearn:wine", "--random-state", "abc"), "--random-state"
    ),
    "stratify-without-test-size": Case(
        lambda w: w.validate("--data", "sklearn:wine", "--stratify"), "--stratify"
    ),
    "chunk-rows-zero": Case(lambda w: w.seed("--chunk-rows", "0"), "--chunk-rows"),
    # ------------------------------------------------------------------------------------- the checks
    "nothing-to-check": Case(
        lambda w: ["validate", "--model", w.model, "--data", "sklearn:wine"], "--thresholds"
    ),
    "malformed-thresholds-yaml": Case(
        lambda w: w.seed(thresholds="accuracy: [0.9"), "--thresholds: not valid YAML"
    ),
    "thresholds-not-a-mapping": Case(
        lambda w: w.seed(thresholds="- accuracy: 0.9"), "--thresholds: expected a mapping"
    ),
    "thresholds-missing-file": Case(
        lambda w: w.seed(thresholds=str(w.tmp / "thresholds.yml")), "thresholds.yml: no such file"
    ),
    "thresholds-file-not-utf8": Case(
        lambda w: w.seed(thresholds=w.file("thresholds.yml", b"accuracy: \xff\xfe")), "thresholds.yml"
    ),
    "unknown-class": Case(lambda w: w.seed(thresholds="Maybe: {f1-score: 0.9}"), "unknown class 'Maybe'"),
    "unknown-class-after-evaluation": Case(
        lambda w: w.validate(
            "--data", "sklearn:iris", "--trust-pickle", model=w.iris_model(), thresholds="3: {recall: 0.5}"
        ),
        "unknown class '3'",
    ),
    "unknown-class-metric": Case(
        lambda w: w.seed(thresholds="False: {f2-score: 0.9}"), "unknown metric 'f2-score'"
    ),
    "unknown-scalar-metric": Case(lambda w: w.seed(thresholds="auc: 0.9"), "'auc' is neither a metric"),
    "unknown-operator": Case(lambda w: w.seed(thresholds='accuracy: "=> 0.9"'), "unknown operator '=>'"),
    "bound-without-number": Case(lambda w: w.seed(thresholds='accuracy: "> high"'), "'> high'"),
    "bound-not-a-scalar": Case(lambda w: w.seed(thresholds="accuracy: [0.9]"), "accuracy"),
    "probability-metric-without-proba": Case(
        lambda w: w.seed(
            "--trust-pickle", model=w.file("m.joblib", _no_proba_model()), thresholds="roc_auc: 0.9"
        ),
        "roc_auc need predicted probabilities",
    ),
    "baseline-without-max-regression": Case(lambda w: w.seed("--baseline", w.model), "--max-regression"),
    "max-regression-without-baseline": Case(lambda w: w.seed("--max-regression", "0.01"), "--baseline"),
    "max-regression-negative": Case(lambda w: w.seed("--max-regression", "-1"), "--max-regression"),
    "report-unwritable": Case(
        lambda w: w.seed("--report", str(Path(w.file("taken", "x")) / "report.json")), "--report"
    ),
    # ------------------------------------------------------------------------------------- MLflow
    "mlflow-uri-without-version": model_case("models:/wine", "models:/wine:"),
    "mlflow-runs-uri-without-path": model_case("runs:/abc", "runs:/abc:"),
    "mlflow-no-tracking-server": model_case("models:/wine@champion", "MLFLOW_TRACKING_URI"),
    "mlflow-unknown-alias": model_case("models:/wine@nope", "alias 'nope'", World.mlflow),
    "mlflow-unknown-version": model_case("models:/wine/99", "models:/wine/99: Model Version", World.mlflow),
    "mlflow-unknown-model": model_case("models:/nope@champion", "models:/nope@champion", World.mlflow),
    "mlflow-run-not-found": model_case(
        "runs:/0123456789abcdef0123456789abcdef/model",
        "Run with id=0123456789abcdef0123456789abcdef not found",
        World.mlflow,
    ),
    "mlflow-unsupported-tracking-uri": Case(
        lambda w: w.seed("--mlflow-tracking-uri", "ftp://mlflow.example.com", model="models:/wine/1"),
        "--model models:/wine/1",
    ),
    "mlflow-unreachable-server": Case(_unreachable_mlflow, "cannot reach the MLflow tracking server"),
    # ------------------------------------------------------------------------------------- Hugging Face
    "hf-repo-not-found": model_case(
        "hf://acme/nope/model.joblib", "repository acme/nope not found", World.hf
    ),
    "hf-revision-not-found": model_case("hf://acme/wine@nope/model.joblib", "revision 'nope'", World.hf),
    "hf-file-not-found": model_case("hf://acme/wine/nope.joblib", "file 'nope.joblib'", World.hf),
    "hf-gated-repo": model_case("hf://acme/gated/model.joblib", "gated repository", World.hf),
    "hf-private-repo-wrong-token": model_case(
        "hf://acme/private/model.joblib", "repository acme/private not found", World.hf
    ),
    "hf-offline-empty-cache": model_case(HF_WINE, "HF_HUB_OFFLINE is set", _offline),
    "hf-endpoint-malformed": model_case(HF_WINE, f"--model {HF_WINE}", _bad_endpoint),
    "hf-path-escapes-repo": model_case("hf://acme/wine/../../etc/passwd", "'..'", World.hf),
    "hf-no-file-in-uri": model_case("hf://acme/wine", "hf://acme/wine:"),
    "hf-bad-repo-id": model_case("hf://ac me/wine/m.joblib", "is not a valid repository id"),
    "hf-dataset-repo": model_case("hf://datasets/acme/wine/data.csv", "only model repositories"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_validate_input(case: str, battery: Battery) -> None:
    battery.refuse(CASES[case])


def test_the_battery_is_broad() -> None:
    from hardening import test_bad_input_quality, test_bad_input_sync, test_bad_input_train

    sizes = [len(m.CASES) for m in (test_bad_input_quality, test_bad_input_sync, test_bad_input_train)]
    assert len(CASES) + sum(sizes) >= 25 and min(sizes) >= 5
