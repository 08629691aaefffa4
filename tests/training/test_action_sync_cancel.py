"""The action's Sync step cancelled mid-upload, as GitHub cancels: SIGINT, SIGTERM about 7.5 s later, then the
process tree killed 2.5 s after that.

mlci sync must get the signal itself (the step `exec`s it): it stops, aborts the multipart upload it had
started (a multipart upload left open is billed storage, invisible in a listing of objects) and exits 130.
Today bash holds the signal back and the upload runs on until it ends or is killed.

The proxy in front of moto holds every UploadPart until the step has been signalled, so the cancel lands
while the big file's parts are in flight; then they are let through.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from devtools.composite import run_cancelled
from training.fault_proxy import FaultProxy
from training.runner_cancel import like_the_runner
from training.tree_helpers import write_tree

ACTION = Path(__file__).resolve().parents[2] / "actions" / "continuous-training" / "action.yml"
GIVEN = {
    "python": {"python-path": sys.executable},
    **{step: {} for step in ("uv", "plan", "restore-env", "save-env")},
    "install": {"python": sys.executable},
}
MIB = 1024 * 1024


class HoldParts:
    """Proxy policy: every UploadPart waits until ``release`` is set; ``reached`` once the first arrives."""

    def __init__(self) -> None:
        self.reached, self.release = threading.Event(), threading.Event()

    def __call__(self, number: int, method: str, path: str) -> None:
        if method == "PUT" and "partNumber=" in path:
            self.reached.set()
            self.release.wait(120)


@pytest.mark.slow
def test_a_cancelled_sync_aborts_its_multipart_upload_and_exits_130(
    tmp_path: Path, bucket: str, s3: Any, aws_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = write_tree(
        tmp_path / "workspace",
        {"training/a-big.bin": b"\x01" * (20 * MIB), "training/train.py": b"print('train')\n"},
    )
    policy = HoldParts()
    # the parts in flight finish once the step is signalled; nothing new may start
    cancel = like_the_runner(policy.reached, after_sigint=policy.release.set)

    with FaultProxy(aws_env, policy) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        try:
            inputs = {
                "source": "training",
                "code-destination": f"s3://{bucket}/code",
                "launcher": "sagemaker",
            }
            run = run_cancelled(ACTION, inputs, workspace, GIVEN, "sync", cancel)
        finally:
            policy.release.set()
    assert run.returncodes["sync"] == 130, run.log  # mlci itself stopped, on the first signal
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []  # aborted, not left open
    assert "train" not in run.returncodes
    assert run.returncodes["stop"] == 0 and "nothing to stop" in run.log
