"""The PR comment shows names as the user wrote them: code spans are literal, whatever a name holds.

In Markdown a backslash inside a code span is a character, not an escape (CommonMark, "Code spans"): an
escaped name in backticks showed its backslashes (`wine\\_v2`), and a name holding a backtick ended the code
span early, so the rest of it (an ``@mention``) became Markdown. Outside code spans names are escaped.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from mlci import cli
from mlci_testing import ActionsStep


def _comment(tmp_path: Path, key: str, **reports: dict[str, object]) -> str:
    argv = ["comment", "--key", key, "--no-post", "--sha", "a1b2c3d4e5f6" * 3]
    for part, report in reports.items():
        path = tmp_path / f"{part}.json"
        path.write_text(json.dumps(report))
        argv += [f"--{part}-report", str(path)]
    markdown = tmp_path / "comment.md"
    assert cli.main([*argv, "--markdown", str(markdown)]) == 0
    return markdown.read_text()


TRAINING = {"ok": True, "job_name": "mlci-wine-pr7-a1b2c3d-99-1", "launcher": "local", "status": "Completed"}


def test_names_in_code_spans_show_no_backslashes(tmp_path: Path) -> None:
    registration = {
        "ok": True, "name": "wine_v2", "version": "3", "model": "models:/wine_v2@pr-7",
        "run_id": "abc", "sha256": "0" * 64,
    }  # fmt: skip
    body = _comment(tmp_path, "wine_v2", training=TRAINING, registration=registration)
    assert "`wine_v2`" in body and "wine\\_v2" not in body, body
    assert "`models:/wine_v2@pr-7`" in body


def test_the_job_name_cell_is_code_not_escaped_backticks(tmp_path: Path) -> None:
    body = _comment(tmp_path, "wine", training=TRAINING)
    row = next(line for line in body.splitlines() if line.startswith("| job |"))
    assert "\\`" not in row, row  # escaped backticks render as literal backticks, not as code
    assert "`mlci-wine-pr7-a1b2c3d-99-1`" in row


@pytest.mark.parametrize("key", ["a`b @octocat", "`@octocat`", "x``y"])
def test_a_backtick_in_a_name_does_not_end_its_code_span(tmp_path: Path, key: str) -> None:
    body = _comment(tmp_path, key, training=TRAINING)
    heading = body.splitlines()[0]
    # A code span opened by a run of N backticks ends at the next run of exactly N (CommonMark): the name
    # is inside one when the fence is longer than any run of backticks in it.
    fence = "`" * (max(len(run) for run in re.findall("`+", key)) + 1)
    assert f"{fence} {key} {fence}" in heading, heading


def test_the_validation_summary_shows_a_model_path_with_a_backtick_as_code(
    tmp_path: Path, seed_files: dict[str, Path], actions: ActionsStep
) -> None:
    from devtools.seed_case import SEED_DATA, SEED_THRESHOLDS

    model = tmp_path / "odd`name.joblib"
    model.write_bytes(seed_files["good.joblib"].read_bytes())
    argv = ["validate", "--trust-pickle", "--model", str(model), *SEED_DATA, "--thresholds", SEED_THRESHOLDS]
    assert cli.main(argv) == 0
    line = next(line for line in actions.summary.splitlines() if line.startswith("**Model:**"))
    assert line.startswith(f"**Model:** `` {model} (joblib, sha256 "), line


def test_md_code_escapes_a_pipe_only_in_a_table_cell() -> None:
    from mlci import gha

    # GFM drops the backslash of "\|" inside a code span only in a table cell: elsewhere it would show.
    assert gha.md_code("a|b") == "`a|b`" and gha.md_code("a|b", cell=True) == "`a\\|b`"
    assert gha.md_code("") == ""  # not "``", which GitHub shows as two backticks
