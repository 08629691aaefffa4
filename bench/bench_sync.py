"""`mlci sync` against `aws s3 sync` (awscli v1) on the same local moto S3 server.

For each tree: a cold sync into an empty prefix, then a re-sync after touching every file (what a fresh
checkout does: new mtimes, same content). Both tools run as fresh processes with the same endpoint, the same
dummy credentials, their default concurrency (10) and a bucket each. Printed: wall time of each, the ratio
mlci/aws, what each re-sync uploaded, and the bytes of objects under mlci's prefix that are not SRC files
(an earlier mlci kept a manifest there: 864 KB for 5,000 files; S3's own checksums need none).
Goals: cold ratio <= 1.0; re-sync uploads 0 bytes with ratio <= 0.5; 0 extra bytes in the prefix.

    .venv/bin/python bench/bench_sync.py            # ~800 small files + 4 x 1 MiB, then 5,000 files
    .venv/bin/python bench/bench_sync.py --quick    # the small tree only

Needs awscli in the same environment: `make bench` installs requirements/bench.lock (hashed) first.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MIB = 1024 * 1024


def make_tree(root: Path, small: int, large: int, seed: int) -> int:
    """``small`` files of 200 B-8 KiB in nested directories, plus ``large`` files of 1 MiB; returns bytes."""
    rng = random.Random(seed)
    total = 0
    for i in range(small):
        path = root / f"pkg{i % 40:02d}" / f"sub{i % 7}" / f"module_{i:05d}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        data = rng.randbytes(rng.randint(200, 8192))
        path.write_bytes(data)
        total += len(data)
    for i in range(large):
        path = root / "weights" / f"layer_{i}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(rng.randbytes(MIB))
        total += MIB
    return total


def touch_all(root: Path) -> None:
    later = time.time() + 60
    for path in root.rglob("*"):
        os.utime(path, (later, later))


def timed(command: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"failed ({result.returncode}): {' '.join(command)}\n{result.stdout}\n{result.stderr}")
    return elapsed, result.stdout


def aws_sync(src: Path, dest: str, endpoint: str, env: dict[str, str]) -> tuple[float, int]:
    aws = shutil.which("aws", path=str(Path(sys.executable).parent)) or "aws"
    elapsed, out = timed(
        [aws, "s3", "sync", str(src), dest, "--endpoint-url", endpoint, "--no-progress"], env
    )
    return elapsed, sum(1 for line in out.splitlines() if line.startswith("upload:"))


def mlci_sync(src: Path, dest: str, report: Path, env: dict[str, str]) -> tuple[float, dict]:
    command = [sys.executable, "-m", "mlci", "-q", "sync", str(src), dest, "--report", str(report)]
    elapsed, _ = timed(command, env)
    return elapsed, json.loads(report.read_text())


def extra_bytes(s3: Any, bucket: str, prefix: str, src: Path) -> int:
    """Bytes of the objects under ``prefix`` that are not files of ``src`` (what mlci adds of its own)."""
    total = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            if not (src / item["Key"][len(prefix) :]).is_file():
                total += item["Size"]
    return total


def scenario(
    name: str, small: int, large: int, endpoint: str, env: dict[str, str], work: Path
) -> list[list[str]]:
    import boto3

    src = work / name
    size = make_tree(src, small, large, seed=small)
    s3 = boto3.client("s3", endpoint_url=endpoint)
    buckets = {tool: f"bench-{name}-{tool}-{os.getpid()}" for tool in ("aws", "mlci")}
    for bucket in buckets.values():  # one bucket each: neither tool pays for the other's objects
        s3.create_bucket(Bucket=bucket)
    files = small + large
    print(f"== {name}: {files} files, {size / MIB:.1f} MiB", flush=True)

    mlci_cold, cold = mlci_sync(src, f"s3://{buckets['mlci']}/code", work / "cold.json", env)
    aws_cold, aws_cold_files = aws_sync(src, f"s3://{buckets['aws']}/code", endpoint, env)
    assert cold["uploaded"] == files == aws_cold_files, (cold["uploaded"], aws_cold_files)
    touch_all(src)
    mlci_re, re = mlci_sync(src, f"s3://{buckets['mlci']}/code", work / "re.json", env)
    aws_re, aws_re_files = aws_sync(src, f"s3://{buckets['aws']}/code", endpoint, env)
    if re["bytes"] != 0:
        sys.exit(f"mlci re-sync after touch uploaded {re['bytes']} bytes: expected 0")
    extra = extra_bytes(s3, buckets["mlci"], "code/", src)
    return [
        [
            f"{name} cold",
            f"{aws_cold:.2f}",
            f"{mlci_cold:.2f}",
            f"{mlci_cold / aws_cold:.2f}",
            f"{files} / {files}",
            f"{extra}",
        ],
        [
            f"{name} re-sync (touched)",
            f"{aws_re:.2f}",
            f"{mlci_re:.2f}",
            f"{mlci_re / aws_re:.2f}",
            f"{aws_re_files} / {re['uploaded']} ({re['bytes']} B)",
            f"{extra}",
        ],
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="Only the ~800-file tree.")
    args = parser.parse_args()
    from moto.server import ThreadedMotoServer

    sys.path.insert(0, str(ROOT / "scripts"))
    from mlci.gha import text_table

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    with tempfile.TemporaryDirectory(prefix="mlci-bench-") as tmp:
        work = Path(tmp)
        (work / "empty").touch()
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT / "scripts"),
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench-secret",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_CONFIG_FILE": str(work / "empty"),
            "AWS_SHARED_CREDENTIALS_FILE": str(work / "empty"),
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        os.environ.update(
            {k: env[k] for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")}
        )
        rows = scenario("repo-800", 800, 4, endpoint, env, work)
        if not args.quick:
            rows += scenario("repo-5k", 5_000, 0, endpoint, env, work)
    server.stop()
    headers = [
        "scenario",
        "aws s3 sync (s)",
        "mlci sync (s)",
        "ratio mlci/aws",
        "files uploaded aws / mlci",
        "mlci's own bytes in prefix",
    ]
    print(text_table(headers, rows))
    print("goals: cold ratio <= 1.0; re-sync after touch uploads 0 bytes and ratio <= 0.5; 0 own bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
