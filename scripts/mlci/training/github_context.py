"""Kept for imports from before the move: the run's provenance now lives in :mod:`mlci.github` (one place
reads the GitHub event payload)."""

from __future__ import annotations

from mlci.github import RunContext, detect

__all__ = ["RunContext", "detect"]
