"""mlci's modules use each other through public, documented names only.

``mlci register`` and ``mlci promote`` talk to MLflow as ``mlci validate`` does (the same settings, the same
one-line errors): through the client interface that ``mlci.validation.sources.mlflow`` documents, not
through its private helpers, which it may change without a word.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "scripts" / "mlci"


def _private_imports() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "mlci":
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        found.append(f"{path.relative_to(PACKAGE)}: from {node.module} import {alias.name}")
    return found


def test_no_module_imports_another_modules_private_name() -> None:
    assert _private_imports() == []


def test_the_mlflow_client_interface_is_public_and_documented() -> None:
    from mlci.validation.sources import mlflow

    interface = (
        "resolve_tracking_uri",
        "client_settings",
        "is_connection_error",
        "unreachable",
        "refused_credentials",
        "CREDENTIALS_HINT",
    )
    doc = mlflow.__doc__ or ""
    for name in interface:
        assert hasattr(mlflow, name), name
        assert name in doc, f"{name} is not named in the module's docstring"
