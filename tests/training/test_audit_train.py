"""Training cases nobody listed, found by audit: what a pull request's script can print."""

from __future__ import annotations

import json
from pathlib import Path

from mlci import cli
from mlci_testing import ActionsStep
from training.tree_helpers import write_tree

#: GitHub refuses a step's whole job summary above 1 MiB ("upload aborted, supports content up to 1024k").
SUMMARY_LIMIT = 1 << 20


def test_a_huge_last_log_line_keeps_the_summary_within_githubs_limit(
    tmp_path: Path, actions: ActionsStep
) -> None:
    """A script that dies printing a huge line (a traceback with a DataFrame's repr, a dumped array)."""
    script = b"import sys\nprint('epoch 1 done')\n"
    script += b"print('ValueError: bad row ' + 'x' * 3_000_000)\nsys.exit(1)\n"
    source = write_tree(tmp_path / "code", {"train.py": script})
    report = tmp_path / "report.json"
    assert cli.main(["train", "--source", str(source), "--report", str(report)]) == 1
    assert len(actions.summary.encode()) < SUMMARY_LIMIT
    assert "epoch 1 done" in actions.summary and "ValueError: bad row xxx" in actions.summary
    tail = json.loads(report.read_text())["log_tail"]
    assert tail[0] == "epoch 1 done"
    assert tail[1].startswith("ValueError: bad row xxx") and "more characters" in tail[1]
    assert len(report.read_bytes()) < SUMMARY_LIMIT
