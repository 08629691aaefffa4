"""Durations on the command line: ``3600``, ``90s``, ``45m``, ``2h``, ``1h30m``, ``1d``."""

from __future__ import annotations

import argparse
import re

_PART = re.compile(r"(\d+(?:\.\d+)?)([smhd])")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> float:
    """Seconds in ``text``; a bare number is seconds."""
    value = text.strip().lower()
    try:
        seconds = float(value)
    except ValueError:
        parts = _PART.findall(value)
        if not parts or "".join(n + u for n, u in parts) != value.replace(" ", ""):
            raise argparse.ArgumentTypeError(
                f"expected a duration such as 3600, 90s, 45m, 2h or 1h30m, got {text!r}"
            ) from None
        seconds = sum(float(number) * _UNIT[unit] for number, unit in parts)
    if not seconds > 0:
        raise argparse.ArgumentTypeError(f"expected a duration greater than 0, got {text!r}")
    return seconds


def format_duration(seconds: float) -> str:
    """``3725`` -> ``'1h 2m 5s'``."""
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [
        f"{hours}h" if hours else "",
        f"{minutes}m" if minutes else "",
        f"{secs}s" if secs or not seconds else "",
    ]
    return " ".join(part for part in parts if part)
