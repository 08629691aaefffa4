"""The seed's case: its data, split, thresholds and model (plus a degraded one), for tests and benchmarks.

The seed was a pytest file: a RandomForestClassifier trained on scikit-learn's wine data, one-vs-rest
(``y == 2``), split with ``train_test_split(X, y, test_size=0.25, random_state=42)``, asserting four
thresholds of ``classification_report``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from devtools.hub_server import HubServer

SEED_THRESHOLDS = """\
False: {f1-score: "> 0.95", precision: "> 0.9"}
True: {f1-score: "> 0.8", precision: "> 0.8"}
"""
SEED_DATA = ["--data", "sklearn:wine", "--positive-label", "2", "--test-size", "0.25", "--random-state", "42"]


@dataclass(frozen=True)
class SeedModels:
    """The seed's model (a forest on wine, one-vs-rest y == 2) and a degraded one, as objects and files."""

    good: Any
    degraded: Any
    good_joblib: bytes
    degraded_joblib: bytes
    good_skops: bytes


def joblib_bytes(model: Any) -> bytes:
    import joblib

    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    return buffer.getvalue()


def seed_split() -> tuple[Any, Any, Any, Any]:
    """The seed's data: wine, y == 2, train_test_split(test_size=0.25, random_state=42)."""
    from sklearn.datasets import load_wine
    from sklearn.model_selection import train_test_split

    X, y = load_wine(return_X_y=True)
    return train_test_split(X, y == 2, test_size=0.25, random_state=42)


def make_seed_models(n_estimators: int = 50) -> SeedModels:
    import skops.io
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.tree import DecisionTreeClassifier

    X_train, _, y_train, _ = seed_split()
    good = RandomForestClassifier(n_estimators=n_estimators, random_state=42).fit(X_train, y_train)
    # One split on one feature (flavanoids): fails two of the seed's four thresholds.
    one_feature = ColumnTransformer([("flavanoids", "passthrough", [6])])
    tree = DecisionTreeClassifier(max_depth=1, random_state=0)
    degraded = make_pipeline(one_feature, tree).fit(X_train, y_train)
    return SeedModels(good, degraded, joblib_bytes(good), joblib_bytes(degraded), skops.io.dumps(good))


@dataclass
class Hub:
    """The tests' local Hub: acme/wine holds the good model at its first commit, the degraded one after."""

    server: HubServer
    first_commit: str  # acme/wine: the good model (also tags v1 and stable)
    second_commit: str  # acme/wine: main moved on to the degraded model


@dataclass(frozen=True)
class Mlflow:
    """The tests' MLflow server: 'wine' version 1 (alias champion) is good, 2 (challenger) degraded."""

    uri: str
    run_id: str  # the run that logged the good model (artifact path "model")
    model_id: str = ""  # MLflow 3's logged-model id of the good model (log_model's model_uri: models:/<id>)
