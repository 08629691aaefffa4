"""Train the wine classifier: a RandomForest telling class 2 from the rest, the SageMaker way.

Runs unchanged under ``mlci train --launcher local`` and in a SageMaker scikit-learn container:

* hyperparameters arrive as arguments (``--n-estimators 200``; SageMaker passes ``--<name> <value>``) with
  the JSON in ``SM_HPS`` as the fallback;
* the model is saved into ``SM_MODEL_DIR`` (SageMaker uploads it as model.tar.gz) twice: ``model.skops``,
  which validation loads without running code from the file, and ``model.joblib``;
* metrics go to ``SM_OUTPUT_DATA_DIR/metrics.json`` and to the log as ``name=value`` lines;
* when ``MLFLOW_TRACKING_URI`` and ``REGISTERED_MODEL_NAME`` are set, the run is logged to MLflow and the
  model registered under that name, with the alias ``REGISTERED_MODEL_ALIAS`` (default ``candidate``) pointing
  at the new version: ``mlci validate --model models:/NAME@ALIAS`` then validates exactly this model (a new
  experiment keeps its artifacts under ``EXPERIMENT_ARTIFACT_LOCATION`` when set).

Data: scikit-learn's bundled wine data set (no download), one-vs-rest ``y == 2``, split with
``train_test_split(test_size=0.25, random_state=42)``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    hps = json.loads(os.environ.get("SM_HPS") or "{}")

    def hp(name: str, default: object) -> object:
        return hps.get(name, hps.get(name.replace("-", "_"), default))

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-estimators", "--n_estimators", type=int, default=hp("n-estimators", 100))
    parser.add_argument("--max-depth", "--max_depth", type=int, default=hp("max-depth", None))
    parser.add_argument("--random-state", "--random_state", type=int, default=hp("random-state", 42))
    parser.add_argument("--model-dir", default=os.environ.get("SM_MODEL_DIR", "model"))
    parser.add_argument("--output-data-dir", default=os.environ.get("SM_OUTPUT_DATA_DIR", "output"))
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    import joblib
    from sklearn.datasets import load_wine
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.model_selection import train_test_split

    wine = load_wine()
    X, y = wine.data, wine.target == 2  # one-vs-rest: classes False/True
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=42)
    model = RandomForestClassifier(
        n_estimators=args.n_estimators, max_depth=args.max_depth, random_state=args.random_state
    )
    model.fit(X_train, y_train)
    predicted = model.predict(X_test)
    metrics = {"accuracy": accuracy_score(y_test, predicted), "f1": f1_score(y_test, predicted)}
    for name, value in metrics.items():
        print(f"{name}={value:.4f}")

    Path(args.model_dir).mkdir(parents=True, exist_ok=True)
    joblib.dump(model, Path(args.model_dir) / "model.joblib")
    import skops.io

    skops.io.dump(model, Path(args.model_dir) / "model.skops")
    Path(args.output_data_dir).mkdir(parents=True, exist_ok=True)
    (Path(args.output_data_dir) / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
    print(f"saved {Path(args.model_dir) / 'model.joblib'} (n_estimators={args.n_estimators})")
    if os.environ.get("MLFLOW_TRACKING_URI") and os.environ.get("REGISTERED_MODEL_NAME"):
        register(model, vars(args), metrics)
    return 0


def register(model: object, params: dict[str, object], metrics: dict[str, float]) -> None:
    """Log the run to MLflow, register the model, and point the alias at the new version."""
    import mlflow
    from mlflow import MlflowClient

    name = os.environ["REGISTERED_MODEL_NAME"]
    alias = os.environ.get("REGISTERED_MODEL_ALIAS", "candidate")
    experiment = os.environ.get("MLFLOW_EXPERIMENT_NAME", "wine")
    if mlflow.get_experiment_by_name(experiment) is None:  # artifacts where asked, not in the code directory
        mlflow.create_experiment(experiment, artifact_location=os.environ.get("EXPERIMENT_ARTIFACT_LOCATION"))
    mlflow.set_experiment(experiment)
    with mlflow.start_run():
        mlflow.log_params({key: value for key, value in params.items() if not key.endswith("_dir")})
        mlflow.log_metrics(metrics)
        # MLflow saves scikit-learn models with skops; a forest's tree nodes are a type skops asks us to vouch
        # for, and we can: this process built them a moment ago.
        info = mlflow.sklearn.log_model(
            model, name="model", registered_model_name=name, skops_trusted_types=["sklearn.tree._tree.Tree"]
        )
    version = info.registered_model_version
    MlflowClient().set_registered_model_alias(name, alias, version)
    print(f"registered models:/{name}/{version} as models:/{name}@{alias}")


if __name__ == "__main__":
    sys.exit(main())
