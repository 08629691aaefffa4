"""Hyperparameters and environments: read from YAML/JSON, encoded the way SageMaker and its toolkit do.

A training script sees its hyperparameters the same way under both launchers, because both hand them to
SageMaker's training toolkit as ``hyperparameters.json`` (the container's ``/opt/ml/input/config``, every
value a string): the toolkit passes them as ``--name value`` arguments, ``SM_HPS`` and ``SM_HP_<NAME>``.

For SageMaker framework containers (``--entry-point`` given) values are JSON-encoded, as the SageMaker Python
SDK does for its framework estimators, so the toolkit decodes ``"100"`` back to ``100`` and ``"\\"gini\\""``
to ``"gini"``. For other containers a value is sent as its plain string (numbers and booleans as JSON).
"""

from __future__ import annotations

import json
import os
from typing import Any

from mlci.errors import UserError

#: Hyperparameters mlci sets itself (from --entry-point, --code, the job name): a user's own would be lost.
RESERVED_HYPERPARAMETERS = (
    "sagemaker_program",
    "sagemaker_submit_directory",
    "sagemaker_job_name",
    "sagemaker_region",
    "sagemaker_container_log_level",
)


def hyperparameters(text: str | None) -> dict[str, Any]:
    """``--hyperparameters``: a mapping without the names mlci sets itself."""
    values = load_mapping("--hyperparameters", text)
    reserved = sorted(set(values) & set(RESERVED_HYPERPARAMETERS))
    if reserved:
        raise UserError(
            f"--hyperparameters: {reserved[0]} is set by mlci (from --entry-point, --code and the job name); "
            "remove it, and name the script with --entry-point."
        )
    return values


def load_mapping(flag: str, text: str | None) -> dict[str, Any]:
    """A mapping from a YAML/JSON file path or inline YAML/JSON text (``{}`` when empty)."""
    value = load_yaml(flag, text, "a mapping")
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise UserError(
            f"{flag}: expected a mapping such as 'n-estimators: 100', got {type(value).__name__}."
        )
    return {str(key): item for key, item in value.items()}


def load_yaml(flag: str, text: str | None, expected: str) -> Any:
    """The value of a YAML/JSON file path or of inline YAML/JSON text (None when empty)."""
    if not text or not text.strip():
        return None
    import yaml

    source = text
    if "\n" not in text and os.path.isfile(text):
        try:
            with open(text, encoding="utf-8") as handle:
                source = handle.read()
        except OSError as exc:
            raise UserError(f"{flag} {text}: cannot read the file ({exc.strerror or exc}).") from exc
    try:
        value = yaml.safe_load(source)
    except yaml.YAMLError as exc:
        raise UserError(
            f"{flag}: not valid YAML or JSON ({str(exc).splitlines()[0]}); pass {expected}."
        ) from exc
    return value


def string_value(value: Any) -> str:
    """A value as SageMaker stores it for a non-framework container: strings as is, others as JSON."""
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, separators=(",", ":"))


def encode_hyperparameters(hyperparameters: dict[str, Any], *, json_values: bool) -> dict[str, str]:
    """The ``HyperParameters`` of CreateTrainingJob (string to string)."""
    if json_values:
        return {key: json.dumps(value) for key, value in hyperparameters.items()}
    return {key: string_value(value) for key, value in hyperparameters.items()}


def environment_mapping(flag: str, text: str | None) -> dict[str, str]:
    """Environment variables for the training container: names checked, values as strings."""
    import re

    env = {key: string_value(value) for key, value in load_mapping(flag, text).items()}
    for key in env:
        if not re.match(r"^[a-zA-Z_][a-zA-Z0-9_]{0,511}$", key):
            raise UserError(f"{flag}: {key!r} is not a valid environment variable name.")
    return env


def pairs(flag: str, items: list[str]) -> dict[str, str]:
    """``NAME=VALUE`` items (``--channel``, ``--tag``) as a mapping; UserError naming ``flag`` otherwise."""
    found: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise UserError(f"{flag} {item!r}: expected NAME=VALUE.")
        found[key.strip()] = value.strip()
    return found
