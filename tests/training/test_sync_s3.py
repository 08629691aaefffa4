"""`mlci sync SRC s3://...` against a real moto server: content-based change detection end to end."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest

from mlci import cli
from mlci_testing import ActionsStep
from training.tree_helpers import bucket_contents, touch_all, tree_contents, write_tree

SOURCE_FILES = {
    "train.py": b"import sys\nprint('training')\n",
    "pkg/__init__.py": b"",
    "pkg/model.py": b"WEIGHTS = [1, 2, 3]\n",
    "data/my file \u00fc.csv": b"a,b\n1,2\n",
    "\u65e5\u672c/\u30ce\u30fc\u30c8 1.txt": b"non-ASCII name with a space\n",
    "notes.log": b"local log\n",
    ".git/HEAD": b"ref: refs/heads/main\n",
    "sub/.git": b"gitdir: ../.git/modules/sub\n",
}
SYNCED = {path: data for path, data in SOURCE_FILES.items() if ".git" not in path.split("/")}


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "src", SOURCE_FILES)


def run_sync(tmp_path: Path, *args: str) -> tuple[int, dict[str, Any]]:
    """Run `mlci sync ... --report`, return the exit code and the report."""
    report = tmp_path / f"report-{len(list(tmp_path.glob('report-*')))}.json"
    code = cli.main(["sync", *args, "--report", str(report)])
    return code, json.loads(report.read_text()) if report.exists() else {}


def test_cold_sync_uploads_everything_but_git(
    source: Path, bucket: str, s3: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = run_sync(tmp_path, str(source), f"s3://{bucket}/code/pr-1")
    assert code == 0
    assert bucket_contents(s3, bucket, "code/pr-1") == SYNCED  # keys with spaces and non-ASCII arrive as is
    assert (report["uploaded"], report["skipped"], report["deleted"], report["failed"]) == (
        len(SYNCED),
        0,
        0,
        0,
    )
    assert report["bytes"] == sum(len(data) for data in SYNCED.values())
    table = capsys.readouterr().out
    assert f"s3://{bucket}/code/pr-1" in table and "uploaded" in table


def test_fresh_checkout_uploads_nothing(source: Path, bucket: str, s3: Any, tmp_path: Path) -> None:
    dest = f"s3://{bucket}/code"
    assert run_sync(tmp_path, str(source), dest)[0] == 0
    touch_all(source)  # every mtime new, no content changed
    code, report = run_sync(tmp_path, str(source), dest)
    assert code == 0
    assert (report["uploaded"], report["skipped"], report["bytes"]) == (0, len(SYNCED), 0)


def test_same_size_edit_uploads_exactly_that_file(source: Path, bucket: str, s3: Any, tmp_path: Path) -> None:
    dest = f"s3://{bucket}/code"
    run_sync(tmp_path, str(source), dest)
    (source / "pkg/model.py").write_bytes(b"WEIGHTS = [3, 2, 1]\n")  # same size, new content
    code, report = run_sync(tmp_path, str(source), dest)
    assert code == 0
    assert report["uploaded_files"] == ["pkg/model.py"]
    assert report["plan"]["upload"] == [{"path": "pkg/model.py", "reason": "content changed", "bytes": 20}]
    assert bucket_contents(s3, bucket, "code")["pkg/model.py"] == b"WEIGHTS = [3, 2, 1]\n"


def test_multipart_file_round_trip_and_same_size_edit(bucket: str, s3: Any, tmp_path: Path) -> None:
    big = bytearray(os.urandom(9 * 1024 * 1024))  # above the 8 MiB multipart threshold: two parts
    source = write_tree(tmp_path / "src", {"weights.bin": bytes(big), "small.txt": b"x\n"})
    dest = f"s3://{bucket}/m"
    assert run_sync(tmp_path, str(source), dest)[0] == 0
    assert s3.head_object(Bucket=bucket, Key="m/weights.bin")["ETag"].endswith('-2"')

    touch_all(source)
    assert run_sync(tmp_path, str(source), dest)[1]["uploaded"] == 0

    big[5 * 1024 * 1024] ^= 0xFF  # one byte in the first part, same size
    (source / "weights.bin").write_bytes(bytes(big))
    code, report = run_sync(tmp_path, str(source), dest)
    assert (code, report["uploaded_files"]) == (0, ["weights.bin"])
    assert bucket_contents(s3, bucket, "m") == tree_contents(source)


def test_single_part_files_uploaded_by_another_tool_compare_by_md5(
    source: Path, bucket: str, s3: Any, tmp_path: Path
) -> None:
    for relpath, data in SYNCED.items():
        s3.put_object(Bucket=bucket, Key=f"byhand/{relpath}", Body=data)
    code, report = run_sync(tmp_path, str(source), f"s3://{bucket}/byhand")
    assert (code, report["uploaded"], report["skipped"]) == (0, 0, len(SYNCED))


def test_objects_carry_s3_verified_sha256_and_the_prefix_holds_only_src(
    source: Path, bucket: str, s3: Any, tmp_path: Path
) -> None:
    """No file of mlci's own lands in the training container's code directory."""
    big = os.urandom(9 * 1024 * 1024)
    (source / "weights.bin").write_bytes(big)
    assert run_sync(tmp_path, str(source), f"s3://{bucket}/code")[0] == 0
    assert bucket_contents(s3, bucket, "code") == {**SYNCED, "weights.bin": big}
    head = s3.head_object(Bucket=bucket, Key="code/train.py", ChecksumMode="ENABLED")
    expected = base64.b64encode(hashlib.sha256(SYNCED["train.py"]).digest()).decode()
    assert head["ChecksumSHA256"] == expected
    parts = [big[: 8 * 1024 * 1024], big[8 * 1024 * 1024 :]]
    composite = hashlib.sha256(b"".join(hashlib.sha256(p).digest() for p in parts)).digest()
    head = s3.head_object(Bucket=bucket, Key="code/weights.bin", ChecksumMode="ENABLED")
    assert head["ChecksumSHA256"].split("-")[0] == base64.b64encode(composite).decode()


def test_an_old_manifest_is_removed_from_the_prefix(
    source: Path, bucket: str, s3: Any, tmp_path: Path
) -> None:
    s3.put_object(Bucket=bucket, Key="code/.mlci-sync-manifest.json", Body=b'{"files": {}}')
    assert run_sync(tmp_path, str(source), f"s3://{bucket}/code")[0] == 0
    assert bucket_contents(s3, bucket, "code") == SYNCED


def test_an_object_replaced_behind_mlcis_back_is_uploaded_again(
    source: Path, bucket: str, s3: Any, tmp_path: Path
) -> None:
    dest = f"s3://{bucket}/code"
    run_sync(tmp_path, str(source), dest)
    s3.put_object(Bucket=bucket, Key="code/train.py", Body=b"import sys\nprint('TRAINING')\n")  # same size
    code, report = run_sync(tmp_path, str(source), dest)
    assert (code, report["uploaded_files"]) == (0, ["train.py"])
    assert bucket_contents(s3, bucket, "code") == SYNCED


def test_delete_is_scoped_to_the_prefix_and_spares_excluded_objects(
    source: Path, bucket: str, s3: Any, tmp_path: Path
) -> None:
    dest = f"s3://{bucket}/code"
    run_sync(tmp_path, str(source), dest)
    s3.put_object(Bucket=bucket, Key="code/remote-only.log", Body=b"kept: excluded")
    s3.put_object(Bucket=bucket, Key="code-2/train.py", Body=b"sibling prefix")
    s3.put_object(Bucket=bucket, Key="elsewhere/x", Body=b"outside")
    (source / "pkg/model.py").unlink()

    code, report = run_sync(tmp_path, str(source), dest, "--exclude", "*.log")
    assert (code, report["deleted"]) == (0, 0)  # --delete is opt-in
    assert "pkg/model.py" in bucket_contents(s3, bucket, "code")

    code, report = run_sync(tmp_path, str(source), dest, "--delete", "--exclude", "*.log")
    assert (code, report["deleted_files"]) == (0, ["pkg/model.py"])
    remaining = bucket_contents(s3, bucket, "code")
    assert "pkg/model.py" not in remaining
    assert remaining["remote-only.log"] == b"kept: excluded"
    assert (
        remaining["notes.log"] == SOURCE_FILES["notes.log"]
    )  # uploaded by the first sync, excluded now: kept
    assert bucket_contents(s3, bucket, "code-2") == {"train.py": b"sibling prefix"}
    assert bucket_contents(s3, bucket, "elsewhere") == {"x": b"outside"}


def test_dry_run_prints_the_plan_and_touches_nothing(
    source: Path, bucket: str, s3: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    s3.put_object(Bucket=bucket, Key="code/stale.py", Body=b"old")
    code, report = run_sync(tmp_path, str(source), f"s3://{bucket}/code", "--dry-run", "--delete")
    assert code == 0
    out = capsys.readouterr().out
    assert "would upload train.py (new, 29 B)" in out
    assert "would delete stale.py" in out
    assert (report["dry_run"], report["uploaded"], report["deleted"]) == (True, len(SYNCED), 1)
    assert bucket_contents(s3, bucket, "code") == {"stale.py": b"old"}
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket, Prefix="code/.mlci")


def test_outputs_and_summary_in_actions(
    source: Path, bucket: str, actions: ActionsStep, tmp_path: Path
) -> None:
    assert run_sync(tmp_path, str(source), f"s3://{bucket}/code")[0] == 0
    outputs = actions.outputs
    assert outputs["uploaded"] == str(len(SYNCED))
    assert (outputs["skipped"], outputs["deleted"], outputs["failed"]) == ("0", "0", "0")
    assert outputs["destination"] == f"s3://{bucket}/code"
    assert "### mlci sync: ✅ pass" in actions.summary
    assert "| destination | uploaded | skipped | deleted | failed | bytes | time |" in actions.summary


def test_s3_progress_ends_with_one_final_line_from_the_caller(
    bucket: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import threading

    from mlci.training.sync.core import SyncOptions, sync

    source = write_tree(tmp_path / "src", {f"f{i}.txt": b"y" * 2048 for i in range(30)})
    before = set(threading.enumerate())
    with caplog.at_level("INFO", logger="mlci"):
        result = sync(str(source), f"s3://{bucket}/p", SyncOptions(progress_interval=0.0))
    assert result.ok
    lines = [r for r in caplog.records if r.getMessage().startswith("sync: ")]
    done = [int(r.getMessage().split()[1].split("/")[0]) for r in lines]
    assert done == sorted(done)
    assert lines[-1].getMessage().startswith("sync: 30/30 files, 60.0 KiB/60.0 KiB (100%)")
    assert lines[-1].threadName == threading.current_thread().name
    # no transfer thread outlives sync() (the moto server's request threads are daemons)
    assert not [t.name for t in threading.enumerate() if t not in before and not t.daemon]
