"""The content-hash cache: what a re-run checks again, as the report's files_checked/files_cached show."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mlci.quality.cache import cache_home

Gate = Callable[..., Any]
SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
NOTHING = {"flake8": 0, "black": 0, "isort": 0, "bandit": 0}
# files each tool checks in the findings fixture (bandit skips tests/, as its exclude_dirs says)
EVERYTHING = {"flake8": 6, "black": 6, "isort": 6, "bandit": 5}


def _titles(run: Any) -> list[tuple[str, str, int | None]]:
    return [(f["path"], f["title"], f["line"]) for f in run.report["results"]]


def test_unchanged_rerun_checks_nothing_and_reports_the_same(
    project: Callable[..., Path], gate: Gate
) -> None:
    project("findings")
    cold = gate()
    assert cold.checked() == EVERYTHING
    warm = gate()
    assert warm.checked() == NOTHING
    assert warm.cached() == EVERYTHING
    assert (warm.code, _titles(warm)) == (cold.code, _titles(cold))
    assert '+    return "item: " + name' in warm.out  # black's diff comes back from the cache too


def test_a_fresh_checkout_elsewhere_is_served_from_the_cache(
    project: Callable[..., Path], gate: Gate, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = project("findings")
    gate()
    clone = tmp_path / "elsewhere" / "findings"
    shutil.copytree(root, clone)  # new paths, new mtimes, same content
    for path in clone.rglob("*.py"):
        os.utime(path, (1, 1))
    monkeypatch.chdir(clone)
    assert gate().checked() == NOTHING


def test_one_edit_rechecks_that_file_only(project: Callable[..., Path], gate: Gate) -> None:
    root = project("findings")
    gate()
    pricing = root / "shop/pricing.py"
    pricing.write_text(pricing.read_text().replace("\nimport json\n", ""))
    run = gate()
    assert run.checked() == {"flake8": 1, "black": 1, "isort": 1, "bandit": 1}
    assert run.findings("flake8") == []
    assert len(run.findings("black")) == 1  # labels.py, from the cache


def test_a_tool_config_change_rechecks_that_tool_only(project: Callable[..., Path], gate: Gate) -> None:
    root = project("findings")
    gate()
    pyproject = root / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace("[tool.black]\nline-length = 100", "[tool.black]\nline-length = 60")
    )
    run = gate()
    assert run.checked() == {**NOTHING, "black": 6}
    (root / ".flake8").write_text("[flake8]\nmax-line-length = 60\n")
    run = gate()
    assert run.checked() == {**NOTHING, "flake8": 6}
    assert {f["title"] for f in run.findings("flake8")} >= {"flake8 E501", "flake8 F401"}


def test_a_new_top_level_package_rechecks_isort_only(project: Callable[..., Path], gate: Gate) -> None:
    """isort sorts `import x` as first party when x lies in the project: the layout is part of its key."""
    root = project("findings")
    gate()
    (root / "json").mkdir()
    (root / "json" / "__init__.py").write_text("")
    run = gate()
    assert run.checked() == {**NOTHING, "isort": 7, "flake8": 1, "black": 1, "bandit": 1}


def test_a_tool_version_change_rechecks_that_tool_only(
    project: Callable[..., Path], gate: Gate, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project("findings")
    gate()
    # Another black version on the import path first: what `pip install black==<other>` changes for mlci.
    site = tmp_path / "site"
    info = site / "black-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: black\nVersion: 0.1\n")
    monkeypatch.syspath_prepend(str(site))
    assert gate().checked() == {**NOTHING, "black": 6}


def test_no_cache_checks_and_stores_nothing(project: Callable[..., Path], gate: Gate) -> None:
    project("findings")
    assert gate("--no-cache").checked() == EVERYTHING
    assert not (cache_home() / "quality").exists()
    assert gate().checked() == EVERYTHING


def test_cache_lives_under_xdg_cache_home(
    project: Callable[..., Path], gate: Gate, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project("findings")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    gate("--checks", "flake8")
    entries = list((tmp_path / "xdg" / "mlci" / "quality" / "flake8").rglob("*.json"))
    assert len(entries) == 6


def test_entries_unused_for_a_month_are_pruned_once_a_day(project: Callable[..., Path], gate: Gate) -> None:
    project("findings")
    gate("--checks", "flake8")
    flake8_dir = cache_home() / "quality" / "flake8"
    entries = sorted(flake8_dir.rglob("*.json"))
    stale = flake8_dir / "00" / ("0" * 64 + ".json")  # an entry no file of the project matches any more
    stale.parent.mkdir(exist_ok=True)
    stale.write_text('{"findings": []}')
    month_ago = time.time() - 31 * 24 * 3600
    for entry in [*entries, stale]:  # a cache restored from a month ago
        os.utime(entry, (month_ago, month_ago))
    (cache_home() / "quality" / ".pruned").unlink()
    run = gate("--checks", "flake8")
    assert run.checked() == {"flake8": 0}  # the entries in use were refreshed by their hits...
    assert all(entry.exists() for entry in entries)
    assert not stale.exists()  # ...and the unused one is gone
    os.utime(stale.parent, None)
    stale.write_text('{"findings": []}')
    os.utime(stale, (month_ago, month_ago))
    gate("--checks", "flake8")
    assert stale.exists()  # pruned at most once a day


# --------------------------------------------------------------------------------------------- never stale

PLUGIN = '''"""A team's own flake8 rule, loaded as a local plugin."""


class Rule:
    name = "house-rules"
    version = "1"

    def __init__(self, tree):
        self.tree = tree

    def run(self):
        yield 1, 0, "X100 WORDING", type(self)
'''


def test_editing_a_flake8_local_plugin_rechecks_every_file(project: Callable[..., Path], gate: Gate) -> None:
    root = project("clean")
    (root / "plugins").mkdir()
    plugin = root / "plugins" / "house_rules.py"
    plugin.write_text(PLUGIN.replace("WORDING", "first wording"))
    (root / "setup.cfg").write_text(
        "[flake8]\nmax-line-length = 100\n\n[flake8:local-plugins]\nextension =\n    X1 = house_rules:Rule\n"
        "paths = ./plugins\n"
    )
    first = gate("--checks", "flake8")
    assert {f["message"] for f in first.findings("flake8")} == {"first wording"}
    plugin.write_text(PLUGIN.replace("WORDING", "second wording"))
    second = gate("--checks", "flake8")
    assert {f["message"] for f in second.findings("flake8")} == {"second wording"}
    assert len(second.findings("flake8")) == len(first.findings("flake8"))


NAMESPACE_APP = "import os\n\nimport ns.inner.other\nimport zzlib\n\nprint(os, ns, zzlib)\n"


def test_a_nested_namespace_package_gaining_an_init_flips_isort(
    tmp_path: Path, gate: Gate, monkeypatch: pytest.MonkeyPatch
) -> None:
    """isort follows namespace packages as deep as they go: ns/inner without __init__.py is a namespace, so
    ns.inner.other (not in the project) is third party; with ns/inner/__init__.py it is first party."""
    root = tmp_path / "app"
    (root / "ns" / "inner" / "deep").mkdir(parents=True)
    (root / "ns" / "inner" / "deep" / "mod.py").write_text("X = 1\n")
    (root / "pyproject.toml").write_text('[tool.isort]\nprofile = "black"\n')
    (root / "app.py").write_text(NAMESPACE_APP)
    monkeypatch.chdir(root)
    assert gate("--checks", "isort").code == 0
    (root / "ns" / "inner" / "__init__.py").write_text('"""Now a regular package."""\n')
    by_hand = subprocess.run(
        [sys.executable, "-m", "isort", "--check-only", "app.py"], cwd=root, capture_output=True, check=False
    )
    assert by_hand.returncode == 1  # isort itself now sorts ns.inner.other as first party
    run = gate("--checks", "isort")
    assert run.code == 1
    assert [f["path"] for f in run.findings("isort")] == ["app.py"]


def test_a_change_to_mlci_itself_reaches_cached_files(project: Callable[..., Path], tmp_path: Path) -> None:
    """A parser fix in mlci's quality code must not be hidden by entries an older mlci stored."""
    root = project("findings")
    scripts = tmp_path / "mlci-copy"
    shutil.copytree(SCRIPTS / "mlci", scripts / "mlci", ignore=shutil.ignore_patterns("__pycache__"))
    env = {**os.environ, "PYTHONPATH": str(scripts)}

    def messages() -> set[str]:
        report = tmp_path / "report.json"
        subprocess.run(
            [sys.executable, "-m", "mlci", "quality", "--checks", "flake8", "--report", str(report)],
            cwd=root,
            env=env,
            capture_output=True,
            check=False,
        )
        return {f["message"] for f in json.loads(report.read_text())["results"]}

    assert messages() == {"'json' imported but unused"}
    parser = scripts / "mlci" / "quality" / "tools" / "flake8.py"
    source = parser.read_text()
    assert "message=text" in source
    parser.write_text(source.replace("message=text", 'message="fixed: " + text'))
    assert messages() == {"fixed: 'json' imported but unused"}


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("setup.cfg", "[flake8]\nmax-line-length = 40\n"),
        (".flake8", "[flake8]\nmax-line-length = 40\n"),
        ("tox.ini", "[flake8]\nmax-line-length = 40\n"),
    ],
)
def test_changed_since_a_config_change_runs_every_file(
    project: Callable[..., Path], gate: Gate, git: Callable[..., str], name: str, content: str
) -> None:
    root = project("clean", git_repo=True)
    git(root, "checkout", "-q", "-b", "feature")
    if name != "setup.cfg":
        (root / "setup.cfg").unlink()
    (root / name).write_text(content)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "stricter lines")
    run = gate("--checks", "flake8", "--changed-since", "main")
    assert run.code == 1
    assert run.checked() == {"flake8": 3}
    assert "flake8 E501" in {f["title"] for f in run.findings("flake8")}


def test_changed_since_a_pyproject_table_change_runs_every_file(
    project: Callable[..., Path], gate: Gate, git: Callable[..., str]
) -> None:
    root = project("clean", git_repo=True)
    git(root, "checkout", "-q", "-b", "feature")
    pyproject = root / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("line-length = 100", "line-length = 40"))
    git(root, "commit", "-q", "-am", "narrower")
    run = gate("--checks", "black", "--changed-since", "main")
    assert run.code == 1
    assert run.checked() == {"black": 3}
