"""Argument types and options shared by several subcommands.

Each ``type=`` function raises ``argparse.ArgumentTypeError`` with a sentence that says what is expected;
the parser turns it into one exit-2 line naming the flag.
"""

from __future__ import annotations

import argparse


def positive_int(text: str) -> int:
    """An integer > 0."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number greater than 0, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a whole number greater than 0, got {text!r}")
    return value


def non_negative_float(text: str) -> float:
    """A number >= 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value >= 0:  # also rejects nan
        raise argparse.ArgumentTypeError(f"expected a number of 0 or more, got {text!r}")
    return value


def csv_list(text: str) -> list[str]:
    """A comma- or whitespace-separated list (``flake8,black`` or ``flake8 black``)."""
    return [item for item in text.replace(",", " ").split() if item]


def add_report_option(parser: argparse.ArgumentParser | argparse._ArgumentGroup, what: str) -> None:
    """``--report PATH``: the same result as JSON, written atomically."""
    parser.add_argument(
        "--report",
        metavar="PATH",
        help=f"Write {what} as JSON to PATH (written whole or not at all). Default: no JSON report.",
    )
