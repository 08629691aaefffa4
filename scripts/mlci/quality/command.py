"""`mlci ...`: placeholder until the capability lands."""

from __future__ import annotations

import argparse

from mlci.errors import UserError

HELP = "Run flake8, black, isort, bandit and pytest on a Python project, with annotations and a summary."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register this command's options."""


def run(args: argparse.Namespace) -> bool:
    """Not implemented yet."""
    raise UserError("this command is not implemented yet")
