"""`mlci sync SRC DIR`: the local-directory destination (the embedded default)."""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from mlci import cli
from mlci_testing import ActionsStep
from training.tree_helpers import touch_all, tree_contents, write_tree

FILES = {
    "train.py": b"print('train')\n",
    "requirements.txt": b"scikit-learn\n",
    "conf/params \u00e9t\u00e9.yaml": b"n_estimators: 50\n",
    "cache/tmp.pyc": b"\x00\x01",
    ".git/config": b"[core]\n",
}


@pytest.fixture
def source(tmp_path: Path) -> Path:
    return write_tree(tmp_path / "src", FILES)


def run_sync(tmp_path: Path, *args: str) -> tuple[int, dict[str, Any]]:
    report = tmp_path / "report.json"
    report.unlink(missing_ok=True)
    code = cli.main(["sync", *args, "--report", str(report)])
    return code, json.loads(report.read_text()) if report.exists() else {}


def test_copy_then_fresh_checkout_then_same_size_edit(source: Path, tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    code, report = run_sync(tmp_path, str(source), str(dest))
    assert (code, report["uploaded"]) == (0, 4)
    assert tree_contents(dest, skip_git=False) == tree_contents(source)  # .git not copied

    touch_all(source)
    assert run_sync(tmp_path, str(source), str(dest))[1]["uploaded"] == 0

    (source / "train.py").write_bytes(b"print('TRAIN')\n")
    code, report = run_sync(tmp_path, str(source), str(dest))
    assert (code, report["uploaded_files"]) == (0, ["train.py"])
    assert (dest / "train.py").read_bytes() == b"print('TRAIN')\n"
    assert not list(dest.rglob(".mlci-partial-*"))  # written through a temporary file, then renamed


def test_executable_bit_is_kept(source: Path, tmp_path: Path) -> None:
    os.chmod(source / "train.py", 0o755)
    run_sync(tmp_path, str(source), str(tmp_path / "dest"))
    assert os.stat(tmp_path / "dest" / "train.py").st_mode & 0o777 == 0o755


def test_delete_spares_excluded_files_and_prunes_empty_directories(source: Path, tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    run_sync(tmp_path, str(source), str(dest))
    write_tree(dest, {"local.pyc": b"kept: excluded", ".git/HEAD": b"kept: .git"})
    (source / "conf" / "params \u00e9t\u00e9.yaml").unlink()

    code, report = run_sync(tmp_path, str(source), str(dest), "--delete", "--exclude", "*.pyc")
    assert (code, report["deleted_files"]) == (0, ["conf/params \u00e9t\u00e9.yaml"])
    assert not (dest / "conf").exists()
    assert (dest / "local.pyc").read_bytes() == b"kept: excluded"
    assert (dest / "cache/tmp.pyc").exists()  # excluded now, so never deleted
    assert (dest / ".git/HEAD").exists()


def test_exclude_globs_match_files_and_directories(source: Path, tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    run_sync(tmp_path, str(source), str(dest), "--exclude", "cache", "--exclude", "*.yaml")
    assert sorted(tree_contents(dest)) == ["requirements.txt", "train.py"]


def test_dry_run_creates_nothing(source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, report = run_sync(tmp_path, str(source), str(tmp_path / "dest"), "--dry-run")
    assert (code, report["uploaded"], report["dry_run"]) == (0, 4, True)
    assert "would upload train.py (new, 15 B)" in capsys.readouterr().out
    assert not (tmp_path / "dest").exists()


def test_destination_inside_the_source_is_refused(
    source: Path, tmp_path: Path, actions: ActionsStep, capsys: pytest.CaptureFixture[str]
) -> None:
    before = tree_contents(source, skip_git=False)
    assert cli.main(["sync", str(source), str(source / "out")]) == 2
    assert "is inside SRC" in capsys.readouterr().out
    assert tree_contents(source, skip_git=False) == before  # nothing written


# ------------------------------------------------------------------------------- symbolic links


@pytest.fixture
def secret_outside(tmp_path: Path) -> Path:
    """A credentials file outside SRC, as ~/.aws/credentials is on a runner."""
    path = tmp_path / "home" / ".aws" / "credentials"
    path.parent.mkdir(parents=True)
    path.write_text("[default]\naws_secret_access_key = SENTINEL-do-not-upload\n")
    return path


@pytest.mark.parametrize("target", ["secret", "/proc/self/environ", "parent-dir"])
def test_links_out_of_the_source_are_refused(
    source: Path,
    tmp_path: Path,
    secret_outside: Path,
    target: str,
    actions: ActionsStep,
    capsys: pytest.CaptureFixture[str],
) -> None:
    links = {"secret": str(secret_outside), "/proc/self/environ": "/proc/self/environ", "parent-dir": "../.."}
    (source / "conf" / "leak").symlink_to(links[target])
    dest = tmp_path / "dest"
    assert cli.main(["sync", str(source), str(dest)]) == 2
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "conf/leak" in out and "outside SRC" in out
    assert not dest.exists()  # refused before anything was copied
    assert "SENTINEL" not in out


def test_links_into_git_are_refused(
    source: Path, tmp_path: Path, actions: ActionsStep, capsys: pytest.CaptureFixture[str]
) -> None:
    """actions/checkout keeps the token in .git/config: a link must not smuggle it out."""
    (source / "config.txt").symlink_to(source / ".git" / "config")
    assert cli.main(["sync", str(source), str(tmp_path / "dest")]) == 2
    assert "config.txt" in capsys.readouterr().out
    assert not (tmp_path / "dest").exists()


def test_links_inside_the_source_are_followed_as_aws_does(source: Path, tmp_path: Path) -> None:
    (source / "train_link.py").symlink_to("train.py")
    (source / "conf_link").symlink_to("conf", target_is_directory=True)
    (source / "conf" / "loop").symlink_to("..", target_is_directory=True)  # back up: would never end
    dest = tmp_path / "dest"
    code, report = run_sync(tmp_path, str(source), str(dest))
    assert code == 0
    synced = tree_contents(dest)
    assert synced["train_link.py"] == FILES["train.py"]
    assert synced["conf_link/params \u00e9t\u00e9.yaml"] == FILES["conf/params \u00e9t\u00e9.yaml"]
    assert not [path for path in synced if "loop" in path]
    assert not any(p.is_symlink() for p in dest.rglob("*"))  # regular files, as S3 would hold them


def test_broken_links_are_reported_and_skipped(
    source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (source / "gone.txt").symlink_to("nowhere.txt")
    code, report = run_sync(tmp_path, str(source), str(tmp_path / "dest"))
    assert (code, report["uploaded"]) == (0, 4)
    assert "SRC: skipping gone.txt: broken symbolic link (to nowhere.txt)" in capsys.readouterr().err


# ------------------------------------------------------------------------------- the workspace


def test_source_outside_the_workspace_is_refused_in_actions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, actions: ActionsStep, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = write_tree(tmp_path / "work" / "repo", {"train.py": b"x"})
    outside = write_tree(tmp_path / "etc", {"passwd": b"root:x:0:0"})
    monkeypatch.setenv("GITHUB_WORKSPACE", str(workspace))
    monkeypatch.chdir(workspace)
    assert cli.main(["sync", "../../etc", str(tmp_path / "dest")]) == 2
    out = capsys.readouterr().out
    assert "SRC ../../etc" in out and "outside the workspace" in out
    assert not (tmp_path / "dest").exists()
    assert outside.exists()
    assert cli.main(["sync", ".", str(tmp_path / "dest")]) == 0  # inside it: fine


def test_source_anywhere_is_fine_outside_actions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_tree(tmp_path / "etc", {"passwd": b"root:x:0:0"})
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)
    monkeypatch.chdir(write_tree(tmp_path / "work" / "repo", {"train.py": b"x"}))
    assert run_sync(tmp_path, "../../etc", str(tmp_path / "dest"))[0] == 0


@pytest.mark.parametrize("where", ["same", "parent"])
def test_destination_containing_the_source_is_refused(
    source: Path, tmp_path: Path, where: str, actions: ActionsStep, capsys: pytest.CaptureFixture[str]
) -> None:
    dest = source if where == "same" else source.parent
    assert cli.main(["sync", str(source), str(dest), "--delete"]) == 2
    assert "contains SRC" in capsys.readouterr().out
    assert tree_contents(source)  # untouched


def test_destination_that_is_a_file_is_exit_2(
    source: Path, tmp_path: Path, actions: ActionsStep, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "file").write_text("x")
    assert cli.main(["sync", str(source), str(tmp_path / "file")]) == 2
    assert "exists and is not a directory" in capsys.readouterr().out


def test_respect_gitignore(tmp_path: Path) -> None:
    import subprocess

    source = write_tree(
        tmp_path / "repo",
        {
            ".gitignore": b"*.ckpt\nbuild/\n",
            "train.py": b"x\n",
            "model.ckpt": b"big\n",
            "build/out.txt": b"o\n",
        },
    )
    subprocess.run(["git", "init", "-q", str(source)], check=True)
    dest = tmp_path / "dest"
    write_tree(dest, {"old.ckpt": b"ignored remotely: kept", "gone.py": b"deleted"})
    code, report = run_sync(tmp_path, str(source), str(dest), "--respect-gitignore", "--delete")
    assert code == 0
    assert sorted(tree_contents(dest)) == [".gitignore", "old.ckpt", "train.py"]
    assert report["deleted_files"] == ["gone.py"]


def test_respect_gitignore_outside_git_is_exit_2(
    source: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    actions: ActionsStep,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    assert cli.main(["sync", str(source), str(tmp_path / "d"), "--respect-gitignore"]) == 2
    assert "is not inside a git work tree" in capsys.readouterr().out


def test_src_and_dest_are_required(actions: ActionsStep, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["sync"]) == 2
    assert "SRC and DEST are required" in capsys.readouterr().out


def _progress_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.getMessage().startswith("sync: ")]


def _threads_started_since(before: set[threading.Thread]) -> list[str]:
    return [t.name for t in threading.enumerate() if t not in before]


def test_long_syncs_log_progress_in_files_and_bytes(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from mlci.training.sync.core import SyncOptions, sync

    source = write_tree(tmp_path / "src", {f"f{i}.txt": b"x" * 1024 for i in range(40)})
    before = set(threading.enumerate())
    with caplog.at_level("INFO", logger="mlci"):
        result = sync(str(source), str(tmp_path / "dest"), SyncOptions(progress_interval=0.0))
    assert result.ok and len(result.uploaded) == 40
    progress = _progress_records(caplog)
    files_done = [int(r.getMessage().split()[1].split("/")[0]) for r in progress]
    assert files_done == sorted(files_done)  # lines in order, whatever thread wrote them
    last = progress[-1]
    assert last.getMessage().startswith("sync: 40/40 files, 40.0 KiB/40.0 KiB (100%)")
    assert last.threadName == threading.current_thread().name  # written by the caller, after the workers
    assert not _threads_started_since(before)  # no copy or hash thread outlives sync()


def test_short_syncs_still_end_with_one_final_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from mlci.training.sync.core import SyncOptions, sync

    source = write_tree(tmp_path / "src", {"a.txt": b"a", "b.txt": b"bb"})
    with caplog.at_level("INFO", logger="mlci"):
        sync(str(source), str(tmp_path / "dest"), SyncOptions())  # default interval: no periodic line
    assert [r.getMessage().split(",")[0] for r in _progress_records(caplog)] == ["sync: 2/2 files"]


def test_failed_copies_leave_no_worker_thread(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from mlci.training.sync.core import SyncOptions, sync

    source = write_tree(tmp_path / "src", {f"d{i}/f.txt": b"x" for i in range(12)})
    dest = write_tree(tmp_path / "dest", {f"d{i}": b"a file where SRC has a directory" for i in range(6)})
    before = set(threading.enumerate())
    with caplog.at_level("INFO", logger="mlci"):
        result = sync(str(source), str(dest), SyncOptions())
    assert (len(result.uploaded), len(result.failed)) == (6, 6)
    assert _progress_records(caplog)[-1].getMessage().startswith("sync: 12/12 files")
    assert not _threads_started_since(before)


def test_cli_leaves_no_log_handler_on_a_closed_stream(
    source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A later caller in the same process (a test, a notebook) must not log into this run's stderr."""
    before = list(logging.getLogger().handlers)
    assert cli.main(["sync", str(source), str(tmp_path / "dest")]) == 0
    assert logging.getLogger().handlers == before


def test_an_interrupt_in_a_copy_joins_every_worker_before_it_propagates(tmp_path: Path) -> None:
    from mlci.training.sync.core import SyncOptions, sync

    class InterruptOnFirstLine(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.getMessage().startswith("sync: ") and record.threadName.startswith("mlci-copy"):
                raise KeyboardInterrupt  # what Ctrl-C does mid-transfer, raised where the work happens

    source = write_tree(tmp_path / "src", {f"f{i}.txt": b"x" * 64 for i in range(40)})
    logger = logging.getLogger("mlci.training.sync.progress")
    handler, level = InterruptOnFirstLine(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    before = set(threading.enumerate())
    try:
        with pytest.raises(KeyboardInterrupt):
            sync(str(source), str(tmp_path / "dest"), SyncOptions(progress_interval=0.0))
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert not _threads_started_since(before)
    assert not list((tmp_path / "dest").rglob(".mlci-partial-*"))  # no half-written file left behind
