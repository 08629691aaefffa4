"""The tools of the quality gate: one module per tool, registered here once.

pytest is not a linter (never cached, per project rather than per file) and lives in
``mlci.quality.pytest_run``.
"""

from __future__ import annotations

from mlci.quality.tools.bandit import Bandit
from mlci.quality.tools.base import Linter, ToolFailed, ToolRun
from mlci.quality.tools.black import Black
from mlci.quality.tools.flake8 import Flake8
from mlci.quality.tools.isort import Isort
from mlci.quality.tools.ruff import Ruff, RuffFormat

#: Every linter by its check name, in report order.
TOOLS: dict[str, type[Linter]] = {
    tool.name: tool for tool in (Flake8, Black, Isort, Bandit, Ruff, RuffFormat)
}
#: The checks run when --checks is not given.
DEFAULT_CHECKS = tuple(name for name, tool in TOOLS.items() if tool.default)
#: Everything --checks accepts.
ALL_CHECKS = (*TOOLS, "pytest")
#: Each check's home page (SARIF's tool.driver.informationUri).
HOMEPAGES = {**{name: tool.homepage for name, tool in TOOLS.items()}, "pytest": "https://docs.pytest.org/"}

__all__ = ["ALL_CHECKS", "DEFAULT_CHECKS", "HOMEPAGES", "TOOLS", "Linter", "ToolFailed", "ToolRun"]
