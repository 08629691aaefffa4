"""The model-validation action's validate step: every input it is given reaches ``mlci validate``.

The step hands its ``MLCI_*`` variables to ``setup_env.py run-validation``, which turns them into flags
(:data:`setup_env.VALIDATION_FLAGS`, :data:`setup_env.VALIDATION_SWITCHES`) or into the libraries' own
variables (:data:`setup_env.LIBRARY_VARIABLES`, the one table for those). An input added to the step and to
neither table would be dropped without a word: these tests say which.
"""

from __future__ import annotations

from pathlib import Path

import yaml

import setup_env
from mlci import cli

ROOT = Path(__file__).resolve().parents[2]
ACTION = ROOT / "actions" / "model-validation" / "action.yml"
#: the step's variables that are neither flags nor the libraries' variables, and why
NOT_FLAGS = {
    "MLCI_PYTHON": "the interpreter that runs setup_env.py",
    "MLCI_VALIDATE_PYTHON": "the interpreter that runs mlci validate",
    "MLCI_REPORT": "--report, with its default",
}


def _step_env(step_id: str) -> dict[str, str]:
    steps = yaml.safe_load(ACTION.read_text(encoding="utf-8"))["runs"]["steps"]
    return next(step for step in steps if step.get("id") == step_id)["env"]


def test_every_variable_of_the_step_is_a_flag_or_a_library_variable() -> None:
    consumed = {variable for variable, _ in (*setup_env.VALIDATION_FLAGS, *setup_env.VALIDATION_SWITCHES)}
    consumed |= {f"MLCI_{name}" for name in setup_env.LIBRARY_VARIABLES}
    assert set(_step_env("validate")) - consumed == set(NOT_FLAGS)
    assert consumed - set(_step_env("validate")) == set()  # and nothing in the tables is never given


def test_the_steps_that_talk_to_the_hub_or_mlflow_get_the_credential_inputs() -> None:
    hub = {"MLCI_HF_TOKEN", "MLCI_HF_ENDPOINT"}
    mlflow = {f"MLCI_{name}" for name in setup_env.LIBRARY_VARIABLES if name.startswith("MLFLOW_")}
    assert hub | mlflow <= set(_step_env("model-plan")) and hub | mlflow <= set(_step_env("validate"))
    assert hub <= set(_step_env("hub"))


def test_each_flag_is_one_mlci_validate_takes_and_a_value_that_looks_like_a_flag_stays_a_value(
    tmp_path: Path,
) -> None:
    environ = {variable: f"-value-of-{variable}" for variable, _ in setup_env.VALIDATION_FLAGS}
    environ |= {variable: "true" for variable, _ in setup_env.VALIDATION_SWITCHES}
    environ |= {"MLCI_GATE": "confident", "RUNNER_TEMP": str(tmp_path)}
    for variable in ("MLCI_TEST_SIZE", "MLCI_RANDOM_STATE", "MLCI_CHUNK_ROWS", "MLCI_MIN_SUPPORT"):
        environ[variable] = "7"
    environ |= {"MLCI_MAX_REGRESSION": "0.1", "MLCI_CONFIDENCE": "0.9", "MLCI_FEATURES": "a,b"}
    args = cli.build_parser().parse_args(setup_env.validation_argv(environ))
    assert args.model == "-value-of-MLCI_MODEL" and args.thresholds == "-value-of-MLCI_THRESHOLDS"
    assert args.fetched == "-value-of-MLCI_FETCHED" and args.features == ["a", "b"]
    assert args.stratify and args.strict and args.trust_pickle and args.pr_comment
    assert args.report == str(tmp_path / "mlci-model-validation.json")


def test_an_input_left_empty_leaves_the_callers_variable_alone() -> None:
    job = {"HF_TOKEN": "hf_from_the_job", "MLFLOW_TRACKING_URI": "http://job:5000"}
    environ = setup_env.library_environ(
        {**job, "MLCI_HF_TOKEN": "", "MLCI_MLFLOW_TRACKING_URI": "http://in:1"}
    )
    assert environ["HF_TOKEN"] == "hf_from_the_job" and environ["MLFLOW_TRACKING_URI"] == "http://in:1"
