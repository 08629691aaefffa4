"""``mlci sync`` refuses bad input with one clear line (see hardening/battery.py)."""

from __future__ import annotations

import os

import pytest

from hardening.battery import Battery, Case, World


def _without_access_key(w: World) -> None:
    w.aws()
    w.monkeypatch.delenv("AWS_ACCESS_KEY_ID")  # the secret key alone: botocore cannot sign


def _source_with_link_out(w: World) -> list[str]:
    source = w.source()
    os.symlink("/proc/self/environ", os.path.join(source, "leak"))
    return ["sync", source, str(w.tmp / "out")]


def _outside_workspace(w: World) -> list[str]:
    w.monkeypatch.setenv("GITHUB_WORKSPACE", os.path.dirname(w.source()))
    return ["sync", "../..", str(w.tmp / "out")]


CASES = {
    "missing-source": Case(
        lambda w: ["sync", str(w.tmp / "nope"), str(w.tmp / "out")], "nope: not a directory"
    ),
    "source-is-a-file": Case(
        lambda w: ["sync", w.file("train.py", ""), str(w.tmp / "out")], "train.py: not a directory"
    ),
    "missing-destination": Case(lambda w: ["sync", w.source()], "SRC and DEST are required"),
    "s3-without-bucket": Case(lambda w: ["sync", w.source(), "s3://"], "DEST s3://"),
    "s3-invalid-bucket": Case(lambda w: ["sync", w.source(), "s3://a_/code"], "DEST s3://a_/code"),
    "s3-uppercase-bucket": Case(
        lambda w: ["sync", w.source(), "s3://My_Bucket/x"], "DEST s3://My_Bucket/x: 'My_Bucket' is an invalid"
    ),
    "s3-one-slash": Case(lambda w: ["sync", w.source(), "s3:/bucket/code"], "DEST s3:/bucket/code"),
    "unsupported-scheme": Case(lambda w: ["sync", w.source(), "ftp://x"], "DEST ftp://x"),
    "missing-bucket": Case(
        lambda w: ["sync", w.source(), "s3://mlci-no-such-bucket/code"],
        "DEST s3://mlci-no-such-bucket/code: the bucket does not exist",
        setup=World.aws,
    ),
    "partial-aws-credentials": Case(
        lambda w: ["sync", w.source(), "s3://mlci-hardening/code"], "credentials", setup=_without_access_key
    ),
    "destination-holds-source": Case(lambda w: ["sync", w.source(), str(w.tmp)], "contains SRC"),
    "destination-inside-source": Case(
        lambda w: ["sync", w.source(), os.path.join(w.source(), "out")], "is inside SRC"
    ),
    "symlink-out-of-source": Case(
        _source_with_link_out, "SRC: leak is a symbolic link to /proc/self/environ"
    ),
    "source-outside-workspace": Case(_outside_workspace, "SRC ../..: outside the workspace"),
    "destination-is-a-file": Case(lambda w: ["sync", w.source(), w.file("taken", "x")], "taken: exists"),
    "respect-gitignore-outside-git": Case(
        lambda w: ["sync", w.source(), str(w.tmp / "out"), "--respect-gitignore"], "--respect-gitignore"
    ),
    "concurrency-zero": Case(
        lambda w: ["sync", w.source(), str(w.tmp / "out"), "--concurrency", "0"], "--concurrency"
    ),
    "max-attempts-not-a-number": Case(
        lambda w: ["sync", w.source(), str(w.tmp / "out"), "--max-attempts", "many"], "--max-attempts"
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_sync_input(case: str, battery: Battery) -> None:
    battery.refuse(CASES[case])
