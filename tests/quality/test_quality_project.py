"""Which projects and files a run considers: project roots, git or a walk, and the walk each tool retraces."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from mlci.errors import UserError
from mlci.quality.project import Project, Source, changed_since, discover, group_paths
from mlci.quality.tools.base import walk_components
from mlci.quality.tools.flake8 import Flake8
from mlci.quality.tools.isort import Isort


def _touch(root: Path, *names: str) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x = 1\n")


def test_a_directory_with_its_own_config_is_its_own_project(tmp_path: Path) -> None:
    _touch(tmp_path, "src/app/a.py", "services/api/pyproject.toml", "services/api/main.py")
    projects = group_paths(["src/app", "services/api", "services/api/main.py", "."], tmp_path)
    assert [(p.root, p.args) for p in projects] == [
        (tmp_path, ["src/app", "."]),
        (tmp_path / "services/api", [".", "main.py"]),
    ]
    with pytest.raises(UserError, match="PATH nope: no such file or directory"):
        group_paths(["nope"], tmp_path)


def test_walk_skips_environments_and_build_output(tmp_path: Path) -> None:
    _touch(
        tmp_path,
        "pkg/a.py",
        "pkg/b.pyi",
        "bin/tool",
        ".venv/lib/x.py",
        "build/lib/y.py",
        "pkg/__pycache__/a.py",
        "README.md",
    )
    project = Project(root=tmp_path, args=["."])
    assert [s.rel for s in discover(project)] == ["bin/tool", "pkg/a.py", "pkg/b.pyi"]
    assert not project.in_git


def test_git_lists_tracked_files_and_unignored_untracked_ones(
    tmp_path: Path, git: Callable[..., str]
) -> None:
    _touch(tmp_path, "pkg/a.py", "build/gen.py", "ignored/z.py", ".mlci/scripts/m.py", "new.py")
    (tmp_path / ".gitignore").write_text("ignored/\n")
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "pkg", "build", ".gitignore")
    git(tmp_path, "commit", "-q", "-m", "x")
    project = Project(root=tmp_path, args=["."])
    sources = {s.rel: s.tracked for s in discover(project)}
    # tracked files count even under build/; an untracked .mlci checkout and ignored files do not
    assert sources == {"build/gen.py": True, "new.py": False, "pkg/a.py": True}
    git(tmp_path, "checkout", "-q", "-b", "topic")
    (tmp_path / "pkg/a.py").write_text("x = 2\n")
    assert changed_since(project, "main") == {"pkg/a.py", "new.py"}


def test_walk_components_follow_the_path_argument() -> None:
    assert walk_components(Source("a/b/c.py", ".")) == [".", "./a", "./a/b", "./a/b/c.py"]
    assert walk_components(Source("a/b/c.py", "a")) == ["a", "a/b", "a/b/c.py"]
    assert walk_components(Source("a/b/c.py", "a/b/c.py")) == ["a/b/c.py"]


def test_flake8_excludes_a_directory_by_name_even_deep_down(tmp_path: Path) -> None:
    (tmp_path / ".flake8").write_text("[flake8]\nextend-exclude = migrations,legacy/old.py\n")
    flake8 = Flake8(Project(root=tmp_path))
    assert not flake8.selects(Source("app/migrations/0001.py", "."))
    assert not flake8.selects(Source("legacy/old.py", "."))
    assert flake8.selects(Source("app/models.py", "."))
    assert not flake8.selects(Source("app/models.pyi", "."))  # flake8's filename patterns: *.py
    assert flake8.selects(Source("tool", "tool"))  # named explicitly: checked whatever its name


def test_isort_checks_an_explicit_file_whatever_its_skip_settings(tmp_path: Path) -> None:
    (tmp_path / ".isort.cfg").write_text("[settings]\nskip = vendor\n")
    _touch(tmp_path, "vendor/lib.py", "app.py")
    isort = Isort(Project(root=tmp_path))
    assert isort.select([Source("vendor/lib.py", "."), Source("app.py", ".")]) == [Source("app.py", ".")]
    assert isort.select([Source("vendor/lib.py", "vendor/lib.py")]) == [
        Source("vendor/lib.py", "vendor/lib.py")
    ]
