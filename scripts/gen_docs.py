#!/usr/bin/env python3
"""Write the input/output tables of the docs from the actions and reusable workflows they describe.

    python scripts/gen_docs.py           # rewrite every generated block in README.md and docs/*.md
    python scripts/gen_docs.py --check   # exit 1, naming each stale block, when one is out of date

A generated block sits between ``<!-- BEGIN GENERATED: <path> -->`` and ``<!-- END GENERATED -->``, <path>
being a composite action or a reusable workflow, relative to the repository root. For an action, the "mlci"
column says what the action's scripts turn each input into: a flag, a positional argument, a switch, a
library's environment variable, or a pip install. It is read from the scripts themselves: the step's
``env:`` variable, through the shell variables it is copied into (``x="$VAR"``, ``read``, ``for`` and
``while read`` loops), to the array handed to ``python -m mlci`` (or ``pip install``).
tests/repo/test_docs.py checks this reading against tests/repo/drift.py, which runs the scripts.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from mlci import cli  # scripts/ is on the path: this script's own directory

ROOT = Path(__file__).resolve().parents[1]

BLOCK = re.compile(
    r"(?P<begin><!-- BEGIN GENERATED: (?P<path>[^\s>]+) -->\n)(?P<body>.*?)(?P<end><!-- END GENERATED -->)",
    re.S,
)

_INPUT = re.compile(r"^\$\{\{\s*inputs\.([A-Za-z0-9_-]+)\s*\}\}$")
_VARIABLE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")
_WHOLE = re.compile(r"^\$(?:\{[A-Za-z_]\w*(?:\[@\]|:-[^}]*)?\}|[A-Za-z_]\w*)$")
_ASSIGN = re.compile(r"(?<![\w$-])([A-Za-z_]\w*)=\"([^\"]*)\"")
_EXPORT = re.compile(r"\bexport\s+([A-Za-z_]\w*)=\"([^\"]*)\"")
_READ = re.compile(r"\bread\s+(?:-\S+\s+)*([A-Za-z_]\w*)\s*<<<\s*(\S+)")
_WHILE = re.compile(r"\bwhile\s+IFS=\s+read\s+(?:-\S+\s+)*([A-Za-z_]\w*)\s*;\s*do\b")
_DONE = re.compile(r"\bdone\s*<<<\s*(\S+)")
_FOR = re.compile(r"\bfor\s+([A-Za-z_]\w*)\s+in\s+(.+?);\s*do\b")
_ARRAY = re.compile(r"(?<![\w$])([A-Za-z_]\w*)(\+?)=\(")
_CALL = re.compile(r"\s-m\s+(mlci|pip\s+install)\s+(.*)$")
_EXPANSION = re.compile(r"^\$\{([A-Za-z_]\w*)\[@\]\}$")
_SWITCH_CONDITION = re.compile(r"\"\$\{?(\w+)\}?\"\s*(==|=|!=)\s*\"?(true|false)\"?")


# ------------------------------------------------------------------------------------ reading the scripts


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


@dataclass
class _Token:
    text: str
    line: int | None  # the script line of the array piece it came from (None: on the call line itself)


def _names(text: str) -> set[str]:
    return set(_VARIABLE.findall(text))


def _closing(text: str, start: int) -> int:
    """The index of the unquoted ``)`` that closes an array opened just before ``start``."""
    depth, quote, index = 0, "", start
    while index < len(text):
        char = text[index]
        if quote:
            if char == "\\" and quote == '"':
                index += 1
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            if depth == 0:
                return index
            depth -= 1
        index += 1
    raise ValueError(f"unclosed array at offset {start}")


class Script:
    """One ``run:`` script of a composite action, with the inputs its ``env:`` hands it."""

    def __init__(self, text: str, env: dict[str, str]):
        self.text = text
        self.lines = text.splitlines()
        self.env = env  # variable -> input
        self.inputs: dict[str, set[str]] = {name: {value} for name, value in env.items()}
        self._follow()

    def _edges(self) -> Iterator[tuple[str, set[str]]]:
        """(variable, variables its value comes from) for each copy the script makes."""
        loops: list[str] = []
        for line in self.lines:
            for name, value in _ASSIGN.findall(line):
                yield name, _names(value)
            for pattern in (_READ, _FOR):
                for name, value in pattern.findall(line):
                    yield name, _names(value)
            loops += _WHILE.findall(line)
            done = _DONE.search(line)
            if done and loops:
                yield loops.pop(), _names(done[1])

    def _follow(self) -> None:
        edges = list(self._edges())
        changed = True
        while changed:
            changed = False
            for name, sources in edges:
                found = set().union(*(self.inputs.get(source, set()) for source in sources))
                if not found <= self.inputs.get(name, set()):
                    self.inputs[name] = self.inputs.get(name, set()) | found
                    changed = True

    def inputs_in(self, text: str) -> list[str]:
        return sorted(set().union(*(self.inputs.get(name, set()) for name in _names(text))))

    def _pieces(self, array: str, before: int) -> list[_Token]:
        """The tokens of ``array`` as built up to line ``before`` (from its last ``array=(...)``)."""
        tokens: list[_Token] = []
        for match in _ARRAY.finditer(self.text):
            line = self.text.count("\n", 0, match.start())
            if match[1] != array or line > before:
                continue
            end = _closing(self.text, match.end())
            if not match[2]:
                tokens = []
            tokens += [_Token(token, line) for token in shlex.split(self.text[match.end() : end])]
        return tokens

    def calls(self) -> Iterator[tuple[str, list[_Token]]]:
        """("mlci" or "pip", argv with arrays expanded) for each ``-m mlci`` / ``-m pip install`` line."""
        for number, line in enumerate(self.lines):
            call = _CALL.search(line)
            if not call:
                continue
            argv: list[_Token] = []
            for token in shlex.split(call[2]):
                expansion = _EXPANSION.match(token)
                pieces = self._pieces(expansion[1], number) if expansion else []
                argv += pieces or [_Token(token, None)]
            yield ("mlci" if call[1] == "mlci" else "pip"), argv

    def switch_input(self, line: int | None) -> tuple[list[str], str]:
        """The inputs an ``if "$X" = "true"`` around ``line`` tests, and the value that takes the branch."""
        if line is None:
            return [], ""
        candidates = [self.lines[line]]
        if line > 0 and self.lines[line - 1].rstrip().endswith("then"):
            candidates.append(self.lines[line - 1])
        for text in candidates:
            condition = _SWITCH_CONDITION.search(text)
            if condition:
                name, operator, literal = condition.groups()
                value = literal if operator != "!=" else ("false" if literal == "true" else "true")
                return sorted(self.inputs.get(name, set())), value
        return [], ""

    def exports(self) -> Iterator[tuple[str, list[str]]]:
        """(library variable, inputs) for each ``export NAME="$X"`` and each non-``MLCI_`` env: variable."""
        for name, value in _EXPORT.findall(self.text):
            yield name, self.inputs_in(value)
        for name, value in self.env.items():
            if not name.startswith("MLCI_"):
                yield name, [value]


def _subparser(parser: argparse.ArgumentParser, command: str) -> argparse.ArgumentParser | None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices.get(command)
    return None


def _positional_names(sub: argparse.ArgumentParser | None) -> list[str]:
    actions = [action for action in (sub._actions if sub else []) if not action.option_strings]
    return [str(action.metavar or action.dest.upper()) for action in actions] or ["ARGUMENT"]


def _command(argv: list[_Token]) -> tuple[int, str]:
    """The index and name of the mlci subcommand: the first argument that is not an option."""
    return next(
        ((index, t.text) for index, t in enumerate(argv) if not t.text.startswith("-")), (len(argv), "?")
    )


def _mlci_routes(script: Script, argv: list[_Token], parser: argparse.ArgumentParser) -> Iterator[Route]:
    start, command = _command(argv)
    sub = _subparser(parser, command)
    options = sub._option_string_actions if sub else {}
    positionals = _positional_names(sub)
    pending, count, options_done = "", 0, False
    for token in argv[start + 1 :]:
        text = token.text
        if text == "--" and not options_done:
            options_done = True
            continue
        if text.startswith("-") and not options_done and not pending:
            flag, equals, value = text.partition("=")
            if equals:
                kind = "flag" if _WHOLE.match(value) else "embedded"
                yield from (Route(name, command, kind, flag) for name in script.inputs_in(value))
            elif flag in options and options[flag].nargs != 0:
                pending = flag
            else:
                names, when = script.switch_input(token.line)
                yield from (Route(name, command, "switch", flag, when) for name in names)
            continue
        kind = "flag" if _WHOLE.match(text) else "embedded"
        if pending:
            yield from (Route(name, command, kind, pending) for name in script.inputs_in(text))
            pending = ""
            continue
        target = positionals[min(count, len(positionals) - 1)]
        yield from (Route(name, command, "positional", target) for name in script.inputs_in(text))
        count += 1


def _steps(spec: dict[str, Any]) -> Iterator[Script]:
    for step in (spec.get("runs") or {}).get("steps") or []:
        if "run" not in step:
            continue
        env = {}
        for name, value in (step.get("env") or {}).items():
            found = _INPUT.match(str(value).strip())
            if found:
                env[name] = found[1]
        yield Script(str(step["run"]), env)


def action_routes(path: Path, parser: argparse.ArgumentParser) -> dict[str, list[Route]]:
    """For each input of a composite action (in declaration order), where its scripts pass it."""
    spec = load(path)
    routes: dict[str, list[Route]] = {name: [] for name in spec.get("inputs") or {}}
    for script in _steps(spec):
        found: list[Route] = []
        commands = []
        for tool, argv in script.calls():
            if tool == "pip":
                found += [
                    Route(n, "pip", "install", "pip install") for t in argv for n in script.inputs_in(t.text)
                ]
            else:
                commands.append(_command(argv)[1])
                found += list(_mlci_routes(script, argv, parser))
        for variable, names in script.exports() if commands else ():
            found += [Route(name, commands[0], "env", variable) for name in names]
        for route in found:
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
    trigger = load(path).get("on")
    return isinstance(trigger, dict) and "workflow_call" in trigger


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
