"""Kept for tests written against it: the one composite runner is :mod:`devtools.composite`."""

from devtools.composite import CompositeRun, run_composite

__all__ = ["CompositeRun", "run_composite"]
