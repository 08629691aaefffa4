#!/usr/bin/env python3
"""Write the input/output tables of the docs from the actions and reusable workflows they describe.

    python scripts/gen_docs.py           # make docs: rewrite every generated block in README.md, docs/*.md
    python scripts/gen_docs.py --check   # exit 1, naming each stale block, when one is out of date

A generated block sits between ``<!-- BEGIN GENERATED: <path> -->`` and ``<!-- END GENERATED -->``, <path>
being a composite action or a reusable workflow, relative to the repository root. For an action, the "mlci"
column says what the action's scripts turn each input into: a flag, a positional argument, a switch, a
library's environment variable, or a pip install. devtools.drift finds it by running the scripts with
bash, Python replaced by a recorder, and parsing the recorded ``python -m mlci`` calls with mlci's parser.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from devtools import drift
from mlci import cli

ROOT = Path(__file__).resolve().parents[2]

BLOCK = re.compile(
    r"(?P<begin><!-- BEGIN GENERATED: (?P<path>[^\s>]+) -->\n)(?P<body>.*?)(?P<end><!-- END GENERATED -->)",
    re.S,
)


# ------------------------------------------------------------------------------------ where inputs go


@dataclass(frozen=True)
class Route:
    """Where one input of an action goes."""

    input: str
    command: str  # the mlci subcommand, or "pip"
    kind: str  # "flag", "embedded", "positional", "switch", "env" or "install"
    target: str  # "--model", "SRC", "--no-cache", "HF_TOKEN" or "pip install"
    when: str = ""  # a switch: the input value that adds it

    def cell(self, with_command: bool) -> str:
        """The route as the docs show it."""
        prefix = f"{self.command} " if with_command and self.command != "pip" else ""
        if self.kind == "env":
            return f"`${self.target}`"
        if self.kind == "install":
            return "`pip install`"
        if self.kind == "embedded":
            return f"part of `{prefix}{self.target}`"
        if self.kind == "switch":
            return f"`{prefix}{self.target}` if `{self.when}`"
        return f"`{prefix}{self.target}`"


def _route(traced: drift.Route) -> Route:
    if traced.kind == "install":
        return Route(traced.input, "pip", "install", "pip install")
    target = traced.argument if traced.target == "positional" else traced.target
    return Route(
        traced.input, traced.command, traced.kind, target, traced.value if traced.kind == "switch" else ""
    )


def action_routes(path: Path, parser: argparse.ArgumentParser) -> dict[str, list[Route]]:
    """For each input of a composite action (in declaration order), where its scripts pass it."""
    with tempfile.TemporaryDirectory(prefix="gen-docs-") as scratch:
        traced = drift.trace(path, Path(scratch), parser)
    if not traced.commands:  # a step failed before mlci ran: every input would read as "the action's own"
        raise ValueError(f"{path}: the action never ran python -m mlci: {'; '.join(traced.log)}")
    routes: dict[str, list[Route]] = {name: [] for name in load(path).get("inputs") or {}}
    for route in map(_route, traced.routes):
        if route.input in routes and route not in routes[route.input]:
            routes[route.input].append(route)
    return routes


# ------------------------------------------------------------------------------------------ the tables


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if True in data:  # YAML 1.1 reads a workflow's `on:` as the boolean true
        data["on"] = data.pop(True)
    return data


def is_reusable_workflow(path: Path) -> bool:
    """A workflow for users to call: ``workflow_call`` is its only trigger (ci.yml, which release.yml calls
    too, also runs on this repository's own pushes and pull requests: it is not one)."""
    trigger = load(path).get("on")
    return isinstance(trigger, dict) and list(trigger) == ["workflow_call"]


def sources(root: Path = ROOT) -> list[Path]:
    """Every composite action and reusable workflow: what the docs must describe."""
    found = [root / "action.yml"] if (root / "action.yml").is_file() else []
    found += sorted(root.glob("actions/*/action.yml"))
    found += [path for path in sorted(root.glob(".github/workflows/*.yml")) if is_reusable_workflow(path)]
    return found


def pages(root: Path = ROOT) -> list[Path]:
    """The Markdown files that may hold generated blocks."""
    return [path for path in [root / "README.md", *sorted(root.glob("docs/*.md"))] if path.is_file()]


def _cell(value: Any) -> str:
    text = " ".join(str(value).split())
    return text.replace("|", "\\|").replace("<", "&lt;")


def _default(spec: dict[str, Any]) -> str:
    if "default" not in spec:
        return "—"
    value = spec["default"]
    text = "true" if value is True else "false" if value is False else str(value)
    return f"`{_cell(text)}`" if text else '`""`'


def _table(header: Sequence[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def _outputs(spec: dict[str, Any]) -> list[list[str]]:
    return [[f"`{name}`", _cell((item or {}).get("description", ""))] for name, item in spec.items()]


def render(path: Path, page_dir: Path, parser: argparse.ArgumentParser, root: Path = ROOT) -> str:
    """The body of the generated block for one action or reusable workflow."""
    name = path.relative_to(root).as_posix()
    link = f"[`{name}`]({Path(os.path.relpath(path, page_dir)).as_posix()})"
    spec = load(path)
    parts = []
    if "runs" in spec:
        routes = action_routes(path, parser)
        several = len({r.command for found in routes.values() for r in found if r.command != "pip"}) > 1
        rows = [
            [
                f"`{input_name}`",
                "yes" if item.get("required") else "no",
                _default(item),
                ", ".join(route.cell(several) for route in routes[input_name])
                or "— (the action's own set-up)",
                _cell(item.get("description", "")),
            ]
            for input_name, item in ((key, value or {}) for key, value in (spec.get("inputs") or {}).items())
        ]
        parts.append(
            f"Inputs of {link}; mlci: the flag, argument or variable the action turns the input into."
        )
        parts.append(_table(["input", "required", "default", "mlci", "description"], rows))
        outputs = spec.get("outputs") or {}
    else:
        call = spec["on"]["workflow_call"] or {}
        rows = [
            [
                f"`{input_name}`",
                str(item.get("type", "string")),
                "yes" if item.get("required") else "no",
                _default(item),
                _cell(item.get("description", "")),
            ]
            for input_name, item in ((key, value or {}) for key, value in (call.get("inputs") or {}).items())
        ]
        parts.append(f"Inputs of {link}:")
        parts.append(_table(["input", "type", "required", "default", "description"], rows))
        secrets = call.get("secrets") or {}
        if secrets:
            rows = [
                [
                    f"`{key}`",
                    "yes" if (value or {}).get("required") else "no",
                    _cell((value or {}).get("description", "")),
                ]
                for key, value in secrets.items()
            ]
            parts += ["Secrets:", _table(["secret", "required", "description"], rows)]
        outputs = call.get("outputs") or {}
    if outputs:
        parts += ["Outputs:", _table(["output", "description"], _outputs(outputs))]
    return "\n\n".join(parts) + "\n"


def regenerate(text: str, page: Path, parser: argparse.ArgumentParser, root: Path = ROOT) -> str:
    """``text`` with every generated block rewritten from the file it names."""

    def replace(match: re.Match[str]) -> str:
        source = root / match["path"]
        if not source.is_file():
            raise FileNotFoundError(
                f"{page.name}: a generated block names {match['path']}, which does not exist"
            )
        return match["begin"] + render(source, page.parent, parser, root) + match["end"]

    return BLOCK.sub(replace, text)


def blocks(text: str) -> list[str]:
    """The paths the generated blocks of a page name."""
    return [match["path"] for match in BLOCK.finditer(text)]


def stale(root: Path = ROOT) -> list[Path]:
    """The pages whose generated blocks differ from what the generator writes now."""
    parser = cli.build_parser()
    return [page for page in pages(root) if regenerate(_read(page), page, parser, root) != _read(page)]


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    options = argparse.ArgumentParser(description="Write the generated tables of README.md and docs/*.md.")
    options.add_argument("--check", action="store_true", help="Change nothing; exit 1 when a block is stale.")
    options.add_argument(
        "--root", type=Path, default=ROOT, help="The repository root. Default: this checkout."
    )
    args = options.parse_args(argv)
    try:
        outdated = stale(args.root)
        if not args.check:
            parser = cli.build_parser()
            for page in outdated:
                page.write_text(regenerate(_read(page), page, parser, args.root), encoding="utf-8")
    except (FileNotFoundError, ValueError, yaml.YAMLError) as exc:
        print(f"gen_docs: {exc}", file=sys.stderr)
        return 2
    for page in outdated:
        verb = "is stale: run python scripts/gen_docs.py" if args.check else "rewritten"
        print(f"{page.relative_to(args.root).as_posix()}: {verb}")
    return 1 if args.check and outdated else 0


if __name__ == "__main__":
    sys.exit(main())
