"""The gate's findings as SARIF 2.1.0, for GitHub code scanning (``github/codeql-action/upload-sarif``).

One run per tool that ran (``tool.driver`` with its name, version and home page, and one rule per code it
reported), one result per finding that fails the gate or warns, and one per failed test. Locations are URIs
relative to the checkout (``%SRCROOT%``, the workspace in Actions) with forward slashes; upload-sarif adds its
own fingerprints. The output validates against the official schema (tests/fixtures/quality/sarif).
Pure functions: ``mlci.quality.command`` writes the file.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mlci.quality.model import Finding, QualityResult, ToolResult

VERSION = "2.1.0"
SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SRCROOT = "%SRCROOT%"
_RULE_ID = re.compile(r"[^A-Za-z0-9_.-]+")


def _rule_id(code: str) -> str:
    """``would reformat`` -> ``would-reformat``: rule ids without spaces."""
    return _RULE_ID.sub("-", code).strip("-") or "finding"


def _location(path: str | None, line: int | None, col: int | None, display: Callable[[str], str]) -> Any:
    if path is None:
        return None
    shown = display(path)
    artifact = (
        {"uri": Path(shown).as_uri()} if Path(shown).is_absolute() else {"uri": shown, "uriBaseId": SRCROOT}
    )
    physical: dict[str, Any] = {"artifactLocation": artifact}
    if line is not None and line >= 1:
        physical["region"] = {"startLine": line, **({"startColumn": col} if col and col >= 1 else {})}
    return {"physicalLocation": physical}


def _finding_result(finding: Finding, display: Callable[[str], str]) -> dict[str, Any]:
    notebook = finding.cell is not None  # the cell's line is not a line of the .ipynb file
    result: dict[str, Any] = {
        "ruleId": _rule_id(finding.code),
        "level": "error" if finding.level == "error" else "warning",
        "message": {"text": f"{finding.where}: {finding.message}" if notebook else finding.message},
    }
    location = _location(
        finding.path, None if notebook else finding.line, None if notebook else finding.col, display
    )
    if location is not None:
        result["locations"] = [location]
    return result


def _run(result: ToolResult, homepage: str | None, display: Callable[[str], str]) -> dict[str, Any]:
    results: list[dict[str, Any]] = [_finding_result(finding, display) for finding in result.findings]
    if result.pytest is not None:
        for failure in result.pytest.failures:
            item: dict[str, Any] = {
                "ruleId": "test-failed",
                "level": "error",
                "message": {"text": f"{failure.name}: {failure.message}"},
            }
            location = _location(failure.file, failure.line, None, display)
            if location is not None:
                item["locations"] = [location]
            results.append(item)
    rules = sorted({item["ruleId"] for item in results})
    driver: dict[str, Any] = {"name": result.tool, "rules": [{"id": rule} for rule in rules]}
    if result.version:
        driver["version"] = result.version
    if homepage:
        driver["informationUri"] = homepage
    for item in results:
        item["ruleIndex"] = rules.index(item["ruleId"])
    return {
        "tool": {"driver": driver},
        "automationDetails": {"id": f"mlci-quality/{result.tool}/"},
        "results": results,
    }


def sarif_log(
    quality: QualityResult, display: Callable[[str], str], homepages: dict[str, str]
) -> dict[str, Any]:
    """The SARIF log of the run; ``display`` turns an absolute path into the URI to report."""
    runs = [
        _run(result, homepages.get(result.tool), display)
        for result in quality.tools
        if result.status in ("passed", "failed")
    ]
    return {"$schema": SCHEMA, "version": VERSION, "runs": runs}
