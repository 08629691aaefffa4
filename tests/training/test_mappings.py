"""Hyperparameters and environments: parsing, and SageMaker's encodings."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlci.errors import UserError
from mlci.training.launchers.mappings import encode_hyperparameters, environment_mapping, load_mapping, pairs
from mlci.training.launchers.result import format_duration, parse_duration


def test_inline_yaml_json_and_file(tmp_path: Path) -> None:
    assert load_mapping("--hyperparameters", "n-estimators: 50\ncriterion: gini") == {
        "n-estimators": 50,
        "criterion": "gini",
    }
    assert load_mapping("--hyperparameters", '{"lr": 0.1}') == {"lr": 0.1}
    path = tmp_path / "hp.yaml"
    path.write_text("depth: 3\n")
    assert load_mapping("--hyperparameters", str(path)) == {"depth": 3}
    assert load_mapping("--hyperparameters", "") == {}


@pytest.mark.parametrize("text", ["[1, 2]", "just text", "a: [unclosed"])
def test_not_a_mapping_is_a_user_error(text: str) -> None:
    with pytest.raises(UserError, match="--hyperparameters"):
        load_mapping("--hyperparameters", text)


def test_sagemaker_encodings() -> None:
    """Framework containers get JSON values (the toolkit decodes them), other containers plain strings."""
    hps = {"n-estimators": 100, "criterion": "gini", "layers": [1, 2], "flag": True}
    assert encode_hyperparameters(hps, json_values=True) == {
        "n-estimators": "100",
        "criterion": '"gini"',
        "layers": "[1, 2]",
        "flag": "true",
    }
    assert encode_hyperparameters(hps, json_values=False)["criterion"] == "gini"
    assert encode_hyperparameters(hps, json_values=False)["flag"] == "true"


def test_name_value_pairs() -> None:
    assert pairs("--tag", ["team=ml", " a = b=c "]) == {"team": "ml", "a": "b=c"}
    with pytest.raises(UserError, match="--tag 'team': expected NAME=VALUE"):
        pairs("--tag", ["team"])


def test_environment_names_are_checked() -> None:
    assert environment_mapping("--environment", "A: 1\nB_2: x") == {"A": "1", "B_2": "x"}
    with pytest.raises(UserError, match="not a valid environment variable name"):
        environment_mapping("--environment", "1BAD: x")


@pytest.mark.parametrize(
    ("text", "seconds"), [("3600", 3600), ("90s", 90), ("45m", 2700), ("1h30m", 5400), ("1d", 86400)]
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "0", "-5", "5x", "h"])
def test_bad_durations(text: str) -> None:
    import argparse

    with pytest.raises(argparse.ArgumentTypeError):
        parse_duration(text)


def test_format_duration() -> None:
    assert (format_duration(0), format_duration(3725), format_duration(60)) == ("0s", "1h 2m 5s", "1m")
