"""One adapter per linter. pytest is never cached and lives in ``mlci.quality.pytest_run``."""

from __future__ import annotations

from mlci.quality.tools.bandit import Bandit
from mlci.quality.tools.base import Linter, ToolFailed, ToolRun
from mlci.quality.tools.black import Black
from mlci.quality.tools.flake8 import Flake8
from mlci.quality.tools.isort import Isort

LINTER_CLASSES: dict[str, type[Linter]] = {"flake8": Flake8, "black": Black, "isort": Isort, "bandit": Bandit}

__all__ = ["LINTER_CLASSES", "Linter", "ToolFailed", "ToolRun"]
