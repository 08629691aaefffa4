"""`mlci ...`: placeholder until the capability lands."""

from __future__ import annotations

import argparse

from mlci.errors import UserError

HELP = "Pull a classifier from Hugging Face Hub, MLflow or a file, evaluate it, and assert its metrics."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register this command's options."""


def run(args: argparse.Namespace) -> bool:
    """Not implemented yet."""
    raise UserError("this command is not implemented yet")
