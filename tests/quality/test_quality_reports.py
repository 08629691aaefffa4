"""Reports that scale: annotations picked by what the change touched, SARIF for code scanning, a summary
whose Markdown renders what the tools said."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from markdown_it import MarkdownIt

from mlci_testing import ActionsStep

Gate = Callable[..., Any]
SCHEMA = Path(__file__).resolve().parents[1] / "fixtures" / "quality" / "sarif" / "sarif-schema-2.1.0.json"


def _errors(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith("::error ")]


def _many_findings(root: Path, git: Callable[..., str]) -> None:
    """Twelve unused imports in an old file on main, and a branch that adds one line with one more."""
    legacy = root / "shop" / "legacy.py"
    legacy.write_text("".join(f"import mod{i}\n" for i in range(12)))
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "legacy")
    git(root, "checkout", "-q", "-b", "feature")
    legacy.write_text("import zlib\n" + legacy.read_text())
    git(root, "commit", "-q", "-am", "one more import")


def test_changed_lines_are_annotated_first_and_every_finding_stays_in_summary_and_report(
    project: Callable[..., Path], gate: Gate, git: Callable[..., str], actions: ActionsStep
) -> None:
    root = project("findings", git_repo=True)
    _many_findings(root, git)
    run = gate("--checks", "flake8", "--annotate", "changed-lines", "--changed-since", "main")
    # the branch's new line 1 is the one annotation; the 12 older findings are in the summary and report
    assert [line.split("::")[1] for line in _errors(run.out)] == [
        "error file=shop/legacy.py,line=1,col=1,title=flake8 F401"
    ]
    assert "12 finding(s) not on changed lines are not annotated (--annotate changed-lines)" in run.out
    assert len(run.findings("flake8")) == 13
    assert sum(line.startswith("| shop/legacy.py:") for line in actions.summary.splitlines()) == 13


def test_annotate_orders_changed_lines_first_and_says_what_github_hides(
    project: Callable[..., Path],
    gate: Gate,
    git: Callable[..., str],
    actions: ActionsStep,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = project("findings", git_repo=True)
    _many_findings(root, git)
    git(root, "update-ref", "refs/remotes/origin/main", "main")  # what actions/checkout fetches for a PR
    monkeypatch.setenv("GITHUB_BASE_REF", "main")
    run = gate("--checks", "flake8", "--annotate", "changed-files")
    errors = _errors(run.out)
    assert errors[0].startswith("::error file=shop/legacy.py,line=1,")  # the PR's line before the rest
    assert {line.split(",")[0] for line in errors} == {"::error file=shop/legacy.py"}  # not pricing.py
    assert len(errors) == 13
    run = gate("--checks", "flake8", "--annotate", "all")
    errors = _errors(run.out)
    assert len(errors) == 14
    assert errors[0].startswith("::error file=shop/legacy.py,line=1,")
    assert "14 error annotations: GitHub shows the first 10 of a step" in run.out


def test_sarif_validates_against_the_official_schema_with_relative_uris(
    project: Callable[..., Path],
    gate: Gate,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    actions: ActionsStep,
) -> None:
    project("findings")
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path))
    sarif = tmp_path / "out" / "quality.sarif"
    run = gate("--checks", "flake8,black,isort,bandit,pytest", "--sarif", str(sarif))
    assert run.code == 1
    log = json.loads(sarif.read_text())
    jsonschema.validate(log, json.loads(SCHEMA.read_text()))
    assert log["version"] == "2.1.0"
    runs = {r["tool"]["driver"]["name"]: r for r in log["runs"]}
    assert set(runs) == {"flake8", "black", "isort", "bandit", "pytest"}
    assert len({r["automationDetails"]["id"] for r in log["runs"]}) == 5  # one category per tool
    (flake8,) = runs["flake8"]["results"]
    assert flake8["ruleId"] == "F401"
    location = flake8["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "findings/shop/pricing.py", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": 3, "startColumn": 1}
    assert runs["black"]["results"][0]["ruleId"] == "would-reformat"
    assert runs["bandit"]["results"][0]["ruleId"] == "B307"
    assert runs["pytest"]["results"][0]["ruleId"] == "test-failed"
    assert runs["flake8"]["tool"]["driver"]["version"] == run.tool("flake8")["version"]
    assert actions.outputs["sarif-path"] == str(sarif)


def test_sarif_for_a_notebook_names_the_cell(
    tmp_path: Path, gate: Gate, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "nb"
    root.mkdir()
    cells = [
        {
            "cell_type": "code",
            "metadata": {},
            "source": ["print(missing)\n"],
            "outputs": [],
            "execution_count": None,
        }
    ]
    (root / "a.ipynb").write_text(
        json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    )
    monkeypatch.chdir(root)
    gate("--checks", "ruff", "--sarif", "out.sarif")
    log = json.loads((root / "out.sarif").read_text())
    jsonschema.validate(log, json.loads(SCHEMA.read_text()))
    (result,) = log["runs"][0]["results"]
    assert result["message"]["text"].startswith("cell 1, line 1: Undefined name `missing`")
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "a.ipynb"


def _rendered_text(markdown: str) -> str:
    """The HTML a GitHub-flavoured renderer makes of the summary (tables, strike-through)."""
    return MarkdownIt("commonmark").enable("table").enable("strikethrough").render(markdown)


def test_summary_markdown_shows_file_names_and_messages_as_written(
    project: Callable[..., Path], gate: Gate, actions: ActionsStep
) -> None:
    root = project("findings")
    init = root / "shop" / "__init__.py"
    init.write_text(init.read_text() + "import os\n")
    (root / "shop" / "_x_ <b>.py").write_text("import sys\n")  # file names are the users' too
    gate("--checks", "flake8")
    html = _rendered_text(actions.summary)
    assert "<strong>" not in html and "<em>" not in html and "<b>" not in html
    assert "<td>shop/__init__.py:2</td>" in html  # not shop/<strong>init</strong>.py
    assert "<td>shop/_x_ &lt;b&gt;.py:1</td>" in html
    assert "<td>'os' imported but unused</td>" in html


@pytest.mark.parametrize(
    ("paths", "path", "workspace", "shown"),
    [
        # the same function with Windows' path module: what a windows-latest runner computes
        ("ntpath", r"D:\a\proj\proj\pkg\mod.py", r"D:\a\proj\proj", "pkg/mod.py"),
        ("ntpath", r"pkg\sub\mod.py", r"D:\a\proj\proj", "pkg/sub/mod.py"),
        ("ntpath", r"C:\hostedtoolcache\x.py", r"D:\a\proj\proj", "C:/hostedtoolcache/x.py"),  # another drive
        ("posixpath", "/home/runner/work/p/p/pkg/mod.py", "/home/runner/work/p/p", "pkg/mod.py"),
        ("posixpath", "/opt/other/x.py", "/home/runner/work/p/p", "/opt/other/x.py"),
        ("posixpath", "/home/runner/work/p/p/..data/x.py", "/home/runner/work/p/p", "..data/x.py"),
    ],
)
def test_annotation_paths_are_forward_slashes_relative_to_the_workspace_on_every_os(
    paths: str, path: str, workspace: str, shown: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib

    from mlci.quality import command

    module = importlib.import_module(paths)
    if paths == "ntpath":  # relpath of a relative path starts from the current directory: the workspace
        monkeypatch.setattr(module, "abspath", lambda p: p if module.isabs(p) else module.join(workspace, p))
    assert command._display(path, workspace, module) == shown
