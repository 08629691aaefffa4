"""Thresholds: the YAML a user writes, what it means, and one clear line when it is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlci import cli
from mlci.errors import UserError
from mlci.validation.thresholds import Threshold, parse_thresholds


def test_natural_yaml_shape() -> None:
    text = """
False: {f1-score: "> 0.95", precision: "> 0.9"}
2: {recall: 0.5}
accuracy: ">= 0.9"
macro avg: {recall: 0.8}
roc_auc: "> 0.9"
log_loss: "<= 0.3"
balanced_accuracy: "<0.99"
"""
    assert parse_thresholds(text) == [
        Threshold("False", "f1-score", ">", 0.95),  # YAML's boolean False: kept as the report names it
        Threshold("False", "precision", ">", 0.9),
        Threshold("2", "recall", ">=", 0.5),  # an int class label, and a bare number meaning >=
        Threshold(None, "accuracy", ">=", 0.9),
        Threshold("macro avg", "recall", ">=", 0.8),
        Threshold(None, "roc_auc", ">", 0.9),
        Threshold(None, "log_loss", "<=", 0.3),
        Threshold(None, "balanced_accuracy", "<", 0.99),
    ]


def test_file_or_inline(tmp_path: Path) -> None:
    path = tmp_path / "thresholds.yml"
    path.write_text("accuracy: 0.9\n")
    assert (
        parse_thresholds(str(path))
        == parse_thresholds("accuracy: 0.9")
        == [Threshold(None, "accuracy", ">=", 0.9)]
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "False: {f1: 0.9}",
            "'False': unknown metric 'f1'; per class or average: precision, recall, f1-score, support",
        ),
        ('accuracy: "=> 0.9"', "accuracy: unknown operator '=>' in '=> 0.9'; use one of >, >=, <, <="),
        ('accuracy: "== 0.9"', "unknown operator '=='"),
        ('accuracy: "> high"', "accuracy: '> high' holds no number after the operator"),
        ("accuracy: [0.9]", "accuracy: expected a bound such as"),
        (
            "auc: 0.9",
            "'auc' is neither a metric (accuracy, balanced_accuracy, matthews_corrcoef, roc_auc, log_loss)",
        ),
        ("- accuracy: 0.9", "expected a mapping"),
        ("accuracy: >= 0.9", "not valid YAML"),
        ("missing.yml", "--thresholds missing.yml: no such file, and not inline YAML either"),
        # A YAML comment inside the quotes is part of the text: not a number, and never ">= nan".
        ('accuracy: "> 0.9 # strict"', "accuracy: '> 0.9 # strict' holds no number after the operator"),
        ("accuracy: .nan", "accuracy: the bound is NaN"),
        ('False: {recall: "> nan"}', "False recall: the bound is NaN"),
        ('accuracy: "> inf"', "accuracy: the bound is inf; give a number"),
        ("accuracy: 1.5", "accuracy: the bound 1.5 is outside the range of accuracy [0, 1]"),
        (
            'True: {f1-score: "> -0.1"}',
            "True f1-score: the bound -0.1 is outside the range of f1-score [0, 1]",
        ),
        ('matthews_corrcoef: ">= -1.5"', "outside the range of matthews_corrcoef [-1, 1]"),
        ('log_loss: "< -1"', "log_loss: the bound -1 is outside the range of log_loss [0, inf]"),
        ("accuracy: 0.9\naccuracy: 0.8", "duplicate key 'accuracy' (line 2)"),
        ("False: {recall: 0.9, recall: 0.8}", "duplicate key 'recall' (line 1)"),
        ("slices: [region]", "'slices' expects a column with thresholds"),
        ("slices: {region: 0.9}", "slices: 'region' expects thresholds"),
        ("slices: {region: {roc_auc: 0.9}}", "slices: region: roc_auc is not computed per slice"),
        ("slices: {region: {accuracy: 1.5}}", "slices: region: accuracy: the bound 1.5 is outside"),
    ],
)
def test_bad_thresholds_name_the_problem(text: str, message: str) -> None:
    with pytest.raises(UserError) as caught:
        parse_thresholds(text)
    assert message in str(caught.value)


def test_unknown_class_lists_what_exists(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import joblib
    from sklearn.datasets import load_iris
    from sklearn.tree import DecisionTreeClassifier

    X, y = load_iris(return_X_y=True)
    joblib.dump(DecisionTreeClassifier(random_state=0).fit(X, y), tmp_path / "iris.joblib")
    argv = ["validate", "--model", str(tmp_path / "iris.joblib"), "--trust-pickle", "--data", "sklearn:iris"]
    assert cli.main([*argv, "--thresholds", "3: {recall: 0.9}"]) == 2
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    assert (
        "--thresholds: unknown class '3'; the report has the classes 0, 1, 2, the averages macro avg, "
        "weighted avg "
        "and the metrics accuracy, balanced_accuracy, matthews_corrcoef, roc_auc, log_loss." in out
    )
    # The integer keys a user writes match the report's "0", "1", "2".
    assert (
        cli.main([*argv, "--thresholds", "0: {recall: 1}\n2: {f1-score: 0.99}\nmacro avg: {precision: 1}"])
        == 0
    )


def test_one_vs_rest_keys_are_checked_before_any_download(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["validate", "--model", "hf://acme/never-fetched/model.joblib", "--data", "sklearn:wine"]
    assert cli.main([*argv, "--positive-label", "2", "--thresholds", "Yes: {recall: 0.9}"]) == 2
    assert "unknown class 'Yes'; the report has the classes False, True" in capsys.readouterr().out
    assert cli.main([*argv, "--thresholds", "accuracy: 0.9", "--baseline", "x.joblib"]) == 2
    assert "--baseline needs --max-regression DELTA" in capsys.readouterr().out
    assert cli.main([*argv]) == 2
    assert "nothing to check: give --thresholds" in capsys.readouterr().out


def test_probability_metrics_need_predict_proba(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import joblib
    from sklearn.datasets import load_wine
    from sklearn.svm import LinearSVC

    X, y = load_wine(return_X_y=True)
    joblib.dump(LinearSVC().fit(X / X.max(axis=0), y), tmp_path / "svc.joblib")
    argv = ["validate", "--model", str(tmp_path / "svc.joblib"), "--trust-pickle", "--data", "sklearn:wine"]
    assert cli.main([*argv, "--thresholds", "roc_auc: 0.9"]) == 2
    assert (
        "roc_auc need predicted probabilities, and this joblib model has no predict_proba()"
        in capsys.readouterr().out
    )


def test_bound_edges_are_accepted() -> None:
    assert parse_thresholds('accuracy: "<= 1"\nmatthews_corrcoef: "> -1"\nlog_loss: "< 2.5"') == [
        Threshold(None, "accuracy", "<=", 1.0),
        Threshold(None, "matthews_corrcoef", ">", -1.0),
        Threshold(None, "log_loss", "<", 2.5),
    ]


@pytest.mark.parametrize(
    "text", ['accuracy: "> 0.9 # strict"', "accuracy: .nan", "accuracy: 1.5", "accuracy: 0.9\naccuracy: 0.8"]
)
def test_bad_bounds_exit_2_in_one_line(text: str, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["validate", "--model", "hf://acme/never-fetched/model.joblib", "--data", "sklearn:wine"]
    assert cli.main([*argv, "--thresholds", text]) == 2
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "accuracy" in out and "Traceback" not in out
