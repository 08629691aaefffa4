"""bandit: its configuration (``-c pyproject.toml`` with ``[tool.bandit]``, a bandit YAML file, a ``.bandit``
INI file), its file selection (``include``, ``exclude_dirs``, ``exclude``) and its JSON output.

bandit has no configuration search: the gate passes the project's file with ``-c`` (and ``--ini .bandit``),
which is what "run by hand with the same configuration" means for bandit. Its exclusions match the path
string as bandit walks it (``./pkg/mod.py`` for ``bandit -r .``), glob or substring, so files are named in
that same form. Every severity and confidence is collected (and cached); ``--bandit-severity`` and
``--bandit-confidence`` filter afterwards, so changing them re-checks nothing.
"""

from __future__ import annotations

import fnmatch
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlci.errors import UserError
from mlci.quality.configfiles import load_toml, read_ini, toml_table
from mlci.quality.model import BANDIT_RANKS, Finding
from mlci.quality.project import Project, Source
from mlci.quality.tools.base import Linter, ToolRun, walk_components

if TYPE_CHECKING:
    from mlci.quality.runner import Options

DEFAULT_EXCLUDE = (".svn", "CVS", ".bzr", ".hg", ".git", "__pycache__", ".tox", ".eggs", "*.egg")
YAML_CONFIGS = ("bandit.yaml", "bandit.yml", ".bandit.yaml", ".bandit.yml")


def find_ini(project: Project) -> str | None:
    """The ``.bandit`` file ``bandit -r PATH...`` uses: the one found anywhere under the PATHs (bandit walks
    them for it); more than one is bandit's own error, so it is exit 2 here too."""
    found = [
        rel
        for rel in project.config_files
        if rel.rsplit("/", 1)[-1] == ".bandit"
        and any(arg == "." or rel == arg or rel.startswith(arg + "/") for arg in project.args)
    ]
    if (project.root / ".bandit").is_file() and ".bandit" not in found:
        found.insert(0, ".bandit")
    if len(found) > 1:
        raise UserError(
            f"bandit: several .bandit files under the PATHs ({', '.join(found)}); bandit -r refuses that "
            "too: keep one, or check each directory as a PATH of its own."
        )
    return found[0] if found else None


def load_config(root: Path, ini: str | None = ".bandit") -> tuple[list[str], dict[str, Any]]:
    """The ``-c``/``--ini`` arguments for the project (``ini``: its .bandit file, relative to the root), and
    the options they set."""
    argv: list[str] = []
    options: dict[str, Any] = {}
    pyproject = toml_table(load_toml(root / "pyproject.toml"), "tool.bandit")
    yaml_file = next((name for name in YAML_CONFIGS if (root / name).is_file()), None)
    if pyproject is not None:
        argv, options = ["-c", "pyproject.toml"], dict(pyproject)
    elif yaml_file is not None:
        import yaml  # bandit's own dependency: installed with bandit

        try:
            loaded = yaml.safe_load((root / yaml_file).read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise UserError(
                f"{root / yaml_file}: not valid YAML ({exc}); fix bandit's configuration."
            ) from exc
        argv, options = ["-c", yaml_file], loaded if isinstance(loaded, dict) else {}
    if ini is not None and (root / ini).is_file():
        argv += ["--ini", ini]
        parsed = read_ini(root / ini)
        if "bandit" in parsed and "exclude" in parsed["bandit"]:
            options["_ini_exclude"] = parsed["bandit"]["exclude"]
    return argv, options


def parse_report(stdout: str) -> dict[str, Any]:
    """bandit's JSON report (whatever it logged before it on stdout is skipped)."""
    start = stdout.find("{")
    if start < 0:
        raise ValueError("no JSON report")
    report = json.loads(stdout[start:])
    if not isinstance(report, dict) or "results" not in report:
        raise ValueError("not a bandit report")
    return report


def passes_thresholds(finding: Finding, severity: str, confidence: str) -> bool:
    """Whether a finding is at or above both thresholds (bandit's ``-l``/``-i`` semantics)."""
    return (
        BANDIT_RANKS.get((finding.severity or "").lower(), 0) >= BANDIT_RANKS[severity]
        and BANDIT_RANKS.get((finding.confidence or "").lower(), 0) >= BANDIT_RANKS[confidence]
    )


class Bandit(Linter):
    name = "bandit"
    homepage = "https://bandit.readthedocs.io/"
    plugin_groups = ("bandit.plugins", "bandit.blacklists", "bandit.formatters")
    config_files = (".bandit", *YAML_CONFIGS)
    pyproject_tables = ("tool.bandit",)
    search_parents = False
    hook_options = {"--skip": True, "-s": True, "--tests": True, "-t": True}
    cost_per_kib = 0.003
    startup = 0.25

    def __init__(self, project: Project) -> None:
        super().__init__(project)
        self.ini = find_ini(project)
        self.config_argv, options = load_config(self.root, self.ini)
        include = options.get("include")
        self.include = list(include) if isinstance(include, list) and include else ["*.py"]
        exclude_dirs = options.get("exclude_dirs")
        self.exclude = [str(p) for p in exclude_dirs] if isinstance(exclude_dirs, list) else []
        cli_exclude = options.get("_ini_exclude") or ",".join(DEFAULT_EXCLUDE)
        for path in cli_exclude.split(","):
            self.exclude.append(os.path.join(path, "*") if (self.root / path).is_dir() else path)

    def config_extra(self) -> list[str]:
        if self.ini is None or "/" not in self.ini:
            return []  # none, or the root's (a config file of the digest)
        return [f"{self.ini}:{(self.root / self.ini).read_text(encoding='utf-8', errors='replace')}"]

    def reads(self, path: Path) -> bool:
        return super().reads(path) or (path.name == ".bandit" and self.root in path.parents)

    def arg(self, source: Source) -> str:
        return walk_components(source)[-1]

    def counts(self, finding: Finding, options: Options) -> bool:
        return passes_thresholds(finding, options.bandit_severity, options.bandit_confidence)

    def selects(self, source: Source) -> bool:
        path = self.arg(source)
        walked = source.walk_from != source.rel
        if walked and not any(fnmatch.fnmatch(path, glob) for glob in self.include):
            return False
        return not any(fnmatch.fnmatch(path, glob) or glob in path for glob in self.exclude)

    def check_argv(self, files: Sequence[Source]) -> list[str]:
        return ["-f", "json", "-q", *self.config_argv, *self.hook_argv, "--", *map(self.arg, files)]

    def parse(self, files: Sequence[Source], run: ToolRun) -> dict[str, list[Finding]]:
        if run.returncode not in (0, 1):
            raise run.failure(self.name)
        try:
            report = parse_report(run.stdout)
        except ValueError:
            raise run.failure(self.name) from None
        names = self.index(files)
        results: dict[str, list[Finding]] = {source.rel: [] for source in files}
        for item in report.get("results", []):
            rel = self.lookup(names, item["filename"])
            if rel is None:
                raise run.failure(self.name)
            message = f"{item['issue_text']} (confidence {item['issue_confidence']}; {item['more_info']})"
            results[rel].append(
                self.finding(
                    rel,
                    line=item.get("line_number"),
                    col=int(item.get("col_offset", 0)) + 1,
                    code=item["test_id"],
                    message=message,
                    severity=item["issue_severity"],
                    confidence=item["issue_confidence"],
                )
            )
        for item in report.get("errors", []):
            rel = self.lookup(names, item.get("filename", ""))
            if rel is not None:
                message = f"bandit skipped this file: {item.get('reason', 'unknown reason')}"
                results[rel].append(
                    self.finding(rel, line=None, col=None, code="skipped", message=message, level="warning")
                )
        return results
