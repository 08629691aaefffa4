"""`mlci ...`: placeholder until the capability lands."""

from __future__ import annotations

import argparse

from mlci.errors import UserError

HELP = "Sync a source tree to s3://BUCKET/PREFIX or a local directory, by content hash."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register this command's options."""


def run(args: argparse.Namespace) -> bool:
    """Not implemented yet."""
    raise UserError("this command is not implemented yet")
