"""`mlci sync` when things go wrong: flaky S3, an interrupted sync, opaque (SSE-KMS) ETags, broken set-ups."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from mlci import cli
from mlci_testing import ActionsStep
from training.fault_proxy import FaultProxy, every_nth
from training.tree_helpers import SECRET, bucket_contents, touch_all, tree_contents, write_tree

MIB = 1024 * 1024


@pytest.fixture
def source(tmp_path: Path) -> Path:
    files = {f"pkg/module_{i:02d}.py": f"VALUE = {i}\n".encode() * (i + 1) for i in range(30)}
    files["model weights \u00e9.bin"] = os.urandom(9 * MIB)  # multipart: its parts go through the proxy too
    return write_tree(tmp_path / "src", files)


def sync_via(
    endpoint: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *args: str
) -> tuple[int, dict[str, Any]]:
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    report = tmp_path / "report.json"
    report.unlink(missing_ok=True)
    code = cli.main(["sync", *args, "--report", str(report)])
    return code, json.loads(report.read_text()) if report.exists() else {}


def test_flaky_s3_still_converges_byte_for_byte(
    source: Path, bucket: str, s3: Any, aws_env: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    dest = f"s3://{bucket}/code"
    with FaultProxy(aws_env, every_nth(4)) as proxy:  # 500, 503 and dropped connections, in turn
        codes = [sync_via(proxy.url, monkeypatch, tmp_path, str(source), dest, "--max-attempts", "4")[0]]
        while codes[-1] != 0 and len(codes) < 4:
            codes.append(
                sync_via(proxy.url, monkeypatch, tmp_path, str(source), dest, "--max-attempts", "4")[0]
            )
    assert {fault for fault, _, _ in proxy.faults} == {"500", "503", "drop"}
    assert any("partNumber=" in path for _, path in proxy.forwarded)  # the multipart upload went through it
    assert codes[-1] == 0
    assert bucket_contents(s3, bucket, "code") == tree_contents(source)


def test_interrupted_sync_exits_1_and_the_next_run_uploads_only_what_is_missing(
    source: Path,
    bucket: str,
    s3: Any,
    aws_env: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    dest = f"s3://{bucket}/code"
    puts = {"count": 0}

    def outage_after_ten_uploads(number: int, method: str, path: str) -> str | None:
        if method == "PUT":
            puts["count"] += 1
        return "500" if puts["count"] > 10 else None

    with FaultProxy(aws_env, outage_after_ten_uploads) as proxy:
        code, first = sync_via(proxy.url, monkeypatch, tmp_path, str(source), dest, "--max-attempts", "2")
    assert code == 1
    failed = {failure["path"] for failure in first["failures"]}
    assert failed and first["uploaded_files"]
    assert failed | set(first["uploaded_files"]) == set(tree_contents(source))
    assert "error: [mlci sync: transfer failed]" in capsys.readouterr().out

    code, second = sync_via(aws_env, monkeypatch, tmp_path, str(source), dest)
    assert code == 0
    assert set(second["uploaded_files"]) == failed  # nothing uploaded twice
    assert bucket_contents(s3, bucket, "code") == tree_contents(source)


def test_opaque_etags_sse_kms_compare_by_s3_checksums(
    bucket: str, s3: Any, aws_env: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Under SSE-KMS an ETag is not the content's MD5: S3's own SHA-256 keeps a fresh checkout at 0 bytes."""
    big = bytearray(os.urandom(9 * MIB))
    source = write_tree(tmp_path / "src", {"a.py": b"a = 1\n", "b.py": b"b = 2\n", "big.bin": bytes(big)})
    dest = f"s3://{bucket}/kms"
    with FaultProxy(aws_env, opaque_etags=True) as proxy:
        assert sync_via(proxy.url, monkeypatch, tmp_path, str(source), dest)[1]["uploaded"] == 3
        touch_all(source)
        before = len(proxy.forwarded)
        code, report = sync_via(proxy.url, monkeypatch, tmp_path, str(source), dest)
        assert (code, report["uploaded"], report["bytes"]) == (0, 0, 0)
        heads = [path for method, path in proxy.forwarded[before:] if method == "HEAD"]
        assert len(heads) == 3  # one per object: its checksum, since the ETag proves nothing
        big[5 * MIB] ^= 0xFF  # a same-size edit inside the first part
        (source / "big.bin").write_bytes(bytes(big))
        (source / "a.py").write_bytes(b"a = 9\n")
        report = sync_via(proxy.url, monkeypatch, tmp_path, str(source), dest)[1]
        assert sorted(report["uploaded_files"]) == ["a.py", "big.bin"]
        # Objects another tool wrote without a SHA-256 checksum: cannot be proven equal, so upload them.
        s3.put_object(Bucket=bucket, Key="kms/b.py", Body=b"b = 2\n", ChecksumAlgorithm="CRC32")
        assert sync_via(proxy.url, monkeypatch, tmp_path, str(source), dest)[1]["uploaded_files"] == ["b.py"]
    assert bucket_contents(s3, bucket, "kms") == tree_contents(source)


def _one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    assert SECRET not in captured.out + captured.err
    assert "Traceback" not in captured.err
    lines = [line for line in captured.out.splitlines() if line.startswith("::error")]
    assert len(lines) == 1, captured.out
    return lines[0]


def test_missing_bucket_is_exit_2(
    source: Path, aws_env: str, actions: ActionsStep, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["sync", str(source), "s3://mlci-no-such-bucket/code"]) == 2
    line = _one_error_line(capsys)
    assert "DEST s3://mlci-no-such-bucket/code: the bucket does not exist" in line


@pytest.mark.parametrize(
    ("denied", "expected"),
    [
        ({"GET", "PUT", "POST", "DELETE"}, "access denied (Access Denied)"),
        ({"PUT", "POST"}, "transfers failed"),  # a role that may list but not write
    ],
)
def test_access_denied_is_exit_2(
    source: Path,
    bucket: str,
    aws_env: str,
    denied: set[str],
    expected: str,
    monkeypatch: pytest.MonkeyPatch,
    actions: ActionsStep,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with FaultProxy(aws_env, lambda n, method, path: "403" if method in denied else None) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        assert cli.main(["sync", str(source), f"s3://{bucket}/code"]) == 2
    line = _one_error_line(capsys)
    assert f"DEST s3://{bucket}/code: access denied" in line and expected in line


def test_no_credentials_is_exit_2(
    source: Path,
    bucket: str,
    monkeypatch: pytest.MonkeyPatch,
    actions: ActionsStep,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    assert cli.main(["sync", str(source), f"s3://{bucket}/code"]) == 2
    assert "no usable AWS credentials (NoCredentialsError)" in _one_error_line(capsys)


@pytest.mark.parametrize(
    ("dest", "expected"),
    [
        ("s3://", "'' is an invalid bucket name: 3 to 63 characters"),
        ("s3://ab/code", "'ab' is an invalid bucket name: 3 to 63 characters"),
        ("s3://My_Bucket/x", "'My_Bucket' is an invalid bucket name: lowercase letters"),
        ("s3://-bucket/x", "'-bucket' is an invalid bucket name: it must start and end"),
        ("s3://my..bucket/x", "'my..bucket' is an invalid bucket name: two adjacent dots"),
        ("s3://192.168.5.4/x", "'192.168.5.4' is an invalid bucket name: an IP address"),
        ("s3:/bucket/code", "expected s3://BUCKET/PREFIX"),
        ("gs://bucket/code", "unsupported scheme"),
    ],
)
def test_bad_dest_is_exit_2(
    source: Path,
    aws_env: str,
    dest: str,
    expected: str,
    actions: ActionsStep,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["sync", str(source), dest]) == 2
    assert expected in _one_error_line(capsys)


def test_missing_source_is_exit_2(
    tmp_path: Path, actions: ActionsStep, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["sync", str(tmp_path / "nope"), str(tmp_path / "out")]) == 2
    assert "not a directory" in _one_error_line(capsys)
