"""Paths that a pull request controls: keep what mlci reads inside the checkout.

One rule for every command that reads a directory a pull request wrote (``mlci sync SRC``, ``mlci train
--source``): in GitHub Actions (``GITHUB_WORKSPACE`` set), the path must resolve, symbolic links followed, to
the workspace or below it. Outside Actions any path is the user's own choice.
"""

from __future__ import annotations

import os

from mlci.errors import UserError


def is_within(path: str, root: str) -> bool:
    """True when ``path`` is ``root`` or lies below it (both already resolved)."""
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def check_in_workspace(path: str, flag: str, also_runner_temp: bool = False) -> None:
    """In GitHub Actions, raise UserError naming ``flag`` when ``path`` resolves outside GITHUB_WORKSPACE
    (``also_runner_temp``: or outside RUNNER_TEMP, where ``mlci sync`` puts a checked copy of the code)."""
    workspace = os.environ.get("GITHUB_WORKSPACE")
    if not workspace:
        return
    roots = [workspace]
    if also_runner_temp and os.environ.get("RUNNER_TEMP"):
        roots.append(os.environ["RUNNER_TEMP"])
    if not any(is_within(os.path.realpath(path), os.path.realpath(root)) for root in roots):
        where = " or RUNNER_TEMP" if len(roots) > 1 else ""
        raise UserError(
            f"{flag} {path}: outside the workspace {workspace} (GITHUB_WORKSPACE){where}; in GitHub Actions "
            "mlci only reads what the checkout holds: pass a directory inside the workspace."
        )
