"""`mlci sync` killed half-way (SIGKILL: no cleanup at all), then run again.

The second run uploads exactly what the first did not finish, and the bucket ends up equal to the source byte
for byte. In between, nothing in the bucket may look complete while being partial: single PUTs are atomic,
and a multipart upload left unfinished is not an object.

The sync runs as a real subprocess against moto, through tests/training's FaultProxy. After a number of
uploads the proxy starts dropping every upload (the process keeps retrying), which is the moment it is killed.
CompleteMultipartUpload is always dropped, so the big file's multipart upload is sure to be left open.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from mlci import cli
from training.fault_proxy import FaultProxy
from training.tree_helpers import bucket_contents, tree_contents, write_tree

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
MIB = 1024 * 1024
UPLOADS_BEFORE_OUTAGE = 25
BIG = "a-big.bin"  # first in the plan: its multipart upload starts before the small files


class Outage:
    """The proxy's policy: forward the first uploads, then drop every upload; never complete a multipart."""

    def __init__(self, allowed: int) -> None:
        self.allowed = allowed
        self.begun = threading.Event()
        self.multipart_created = threading.Event()

    def __call__(self, number: int, method: str, path: str) -> str | None:
        if method == "POST" and path.endswith("?uploads"):
            self.multipart_created.set()
        if method == "POST" and "uploadId=" in path:  # CompleteMultipartUpload
            return "drop"
        if method != "PUT":
            return None
        if self.allowed > 0 and not self.begun.is_set():
            self.allowed -= 1
            return None
        self.begun.set()
        return "drop"


def _wait_for(*events: threading.Event, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not all(event.is_set() for event in events):
        assert process.poll() is None, "the sync ended before it could be killed"
        assert time.monotonic() < deadline, "the outage never began"
        time.sleep(0.05)


def test_killed_sync_resumes_with_only_what_is_missing(
    bucket: str, s3: Any, aws_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = {f"pkg/module_{i:03d}.py": f"VALUE = {i}\n".encode() * (i + 1) for i in range(80)}
    files[BIG] = os.urandom(9 * MIB)  # two parts of 8 MiB and 1 MiB
    source = write_tree(tmp_path / "src", files)
    dest = f"s3://{bucket}/code"
    report = tmp_path / "report.json"
    outage = Outage(UPLOADS_BEFORE_OUTAGE)

    with FaultProxy(aws_env, outage) as proxy:
        env = {**os.environ, "AWS_ENDPOINT_URL": proxy.url, "PYTHONPATH": str(SCRIPTS)}
        argv = [sys.executable, "-m", "mlci", "sync", str(source), dest, "--report", str(report)]
        with (tmp_path / "sync.log").open("wb") as log:
            process = subprocess.Popen(
                [*argv, "--max-attempts", "10", "--concurrency", "4"], env=env, stdout=log, stderr=log
            )
            try:
                _wait_for(outage.begun, outage.multipart_created, process=process)
            finally:
                process.send_signal(signal.SIGKILL)
                process.wait()
    assert process.returncode == -signal.SIGKILL

    # After the kill: no report, and every object in the bucket is a whole file of the source.
    assert not report.exists()
    present = bucket_contents(s3, bucket, "code")
    assert 0 < len(present) <= UPLOADS_BEFORE_OUTAGE
    assert all(files[path] == content for path, content in present.items())
    assert BIG not in present
    unfinished = s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    assert [upload["Key"] for upload in unfinished] == [f"code/{BIG}"]

    # The next run (the network is back) uploads exactly the rest.
    assert cli.main(["sync", str(source), dest, "--report", str(report)]) == 0
    second = json.loads(report.read_text())
    assert set(second["uploaded_files"]) == set(files) - set(present)
    assert (second["uploaded"], second["skipped"]) == (len(files) - len(present), len(present))
    assert bucket_contents(s3, bucket, "code") == tree_contents(source) == files
