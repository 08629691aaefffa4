"""Read the Markdown docs the way a reader uses them: code blocks, command lines, links, make targets.

Used by ``test_docs.py``. Every function takes text (or a path) and returns what it found, so the negative
tests can feed it deliberately broken samples.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from repo import hygiene as h

#: this repository as consumers spell it in ``uses:``
HOME = h.HOME_REPOSITORY

_FENCE = re.compile(r"^```(?P<lang>[\w-]*)[^\n]*\n(?P<body>.*?)^```[ \t]*$", re.M | re.S)
_INLINE_CODE = re.compile(r"`[^`\n]+`")
_LINK = re.compile(r"\]\((?P<target>[^()\s]+)(?:\s+\"[^\"]*\")?\)")
_HEADING = re.compile(r"^#{1,6}\s+(?P<text>.+?)\s*#*\s*$", re.M)
_PLACEHOLDER = re.compile(r"<[A-Za-z0-9][A-Za-z0-9 _./-]*>")
_SUBSTITUTION = re.compile(r"\$\([^()]*\)")
_CONTINUATION = re.compile(r"\\[ \t]*\n")
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_MAKE = re.compile(r"(?:^|[\s;&(])make\s+(?P<target>[A-Za-z][\w.-]*)")
_MAKEFILE_TARGET = re.compile(r"^(?P<target>[A-Za-z][\w.-]*)\s*:(?!=)", re.M)
_TABLE_FIRST_CELL = re.compile(r"^\|(?P<cell>[^|]*)\|", re.M)
_FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")
SHELL_LANGUAGES = {"sh", "bash", "shell"}


def doc_files(root: Path = h.REPO) -> list[Path]:
    return [root / "README.md", *sorted(root.glob("docs/*.md"))]


@dataclass
class CodeBlock:
    where: str  # "docs/quality.md:42": the block's first line of code
    lang: str
    body: str


@dataclass
class CommandLine:
    where: str
    text: str
    argv: list[str]  # what follows ``mlci``


def code_blocks(text: str, name: str) -> list[CodeBlock]:
    return [
        CodeBlock(f"{name}:{text.count(chr(10), 0, match.start('body')) + 1}", match["lang"], match["body"])
        for match in _FENCE.finditer(text)
    ]


def prose(text: str) -> str:
    """The text without fenced code blocks and inline code: what renders as Markdown."""
    return _INLINE_CODE.sub("", _FENCE.sub("", text))


def inline_code(text: str) -> list[str]:
    return [span.strip("`") for span in _INLINE_CODE.findall(_FENCE.sub("", text))]


# ------------------------------------------------------------------------------------------ command lines


def shell_commands(body: str) -> Iterator[tuple[int, str]]:
    """(line offset, command) for each command of a shell block: continuation lines and quotes that span
    lines are joined, as the shell would."""
    buffer: list[str] = []
    start = 0
    for number, line in enumerate(body.splitlines()):
        if not buffer:
            start = number
        buffer.append(line)
        if line.rstrip().endswith("\\"):
            continue
        text = _CONTINUATION.sub(" ", "\n".join(buffer))
        try:
            shlex.split(text, comments=True)
        except ValueError:  # a quote still open: the command goes on
            continue
        buffer = []
        if text.strip():
            yield start, text


def mlci_argv(command: str) -> list[str] | None:
    """The arguments after ``mlci`` (``python -m mlci``, ``PYTHONPATH=... python -m mlci`` or ``mlci``), with
    ``<placeholders>`` and ``$(substitutions)`` replaced by a word; None when the line runs something else."""
    text = _SUBSTITUTION.sub("SUBSTITUTION", _PLACEHOLDER.sub("PLACEHOLDER", command))
    lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    tokens = list(lexer)
    end = next((index for index, token in enumerate(tokens) if set(token) <= set("();<>|&")), len(tokens))
    tokens = tokens[:end]
    for index, token in enumerate(tokens):
        after_m = index > 0 and tokens[index - 1] == "-m"
        if token == "mlci" and (after_m or all(_ASSIGNMENT.match(word) for word in tokens[:index])):
            return tokens[index + 1 :]
    return None


def mlci_commands(text: str, name: str) -> list[CommandLine]:
    found = []
    for block in code_blocks(text, name):
        if block.lang not in SHELL_LANGUAGES:
            continue
        file, line = block.where.rsplit(":", 1)
        for offset, command in shell_commands(block.body):
            argv = mlci_argv(command)
            if argv is not None:
                found.append(CommandLine(f"{file}:{int(line) + offset}", command.strip(), argv))
    return found


# ------------------------------------------------------------------------------------------------- links


def relative_links(text: str) -> list[str]:
    """Link targets that point into the repository (not http(s), not mailto)."""
    targets = [match["target"] for match in _LINK.finditer(prose(text))]
    return [target for target in targets if not re.match(r"^[a-z][a-z0-9+.-]*:", target)]


def anchors(text: str) -> set[str]:
    """The anchors GitHub gives the headings of a Markdown file."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    for match in _HEADING.finditer(_FENCE.sub("", text)):
        heading = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", match["text"])
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        found.add(slug if count == 0 else f"{slug}-{count}")
    return found


# ------------------------------------------------------------------------------------- make and options


def make_targets(text: str) -> set[str]:
    """The make targets named in code (fenced blocks and inline spans)."""
    code = [block.body for block in code_blocks(text, "") if block.lang in SHELL_LANGUAGES | {""}]
    return {match["target"] for snippet in [*code, *inline_code(text)] for match in _MAKE.finditer(snippet)}


def makefile_targets(text: str) -> set[str]:
    return set(_MAKEFILE_TARGET.findall(text))


def table_flags(text: str) -> set[str]:
    """The ``--flags`` in the first cell of table rows (the options tables of the docs)."""
    cells = [match["cell"] for match in _TABLE_FIRST_CELL.finditer(_FENCE.sub("", text))]
    return {flag for cell in cells if cell.strip().startswith("`--") for flag in _FLAG.findall(cell)}


# ------------------------------------------------------------------------------------ uses: in examples


def mlci_uses(data: Any) -> Iterator[dict[str, Any]]:
    """Every mapping with a ``uses:`` of this repository (a step, or a job calling a reusable workflow)."""
    if isinstance(data, dict):
        uses = data.get("uses")
        if isinstance(uses, str) and (uses.startswith(f"{HOME}@") or uses.startswith(f"{HOME}/")):
            yield data
        for value in data.values():
            yield from mlci_uses(value)
    elif isinstance(data, list):
        for item in data:
            yield from mlci_uses(item)


def local_file(uses: str, root: Path = h.REPO) -> Path:
    """``mlci-dev/mlci/actions/x@sha`` -> ``actions/x/action.yml`` (a workflow path stays itself)."""
    inside = uses.split("@", 1)[0][len(HOME) :].strip("/")
    return root / inside if inside.endswith((".yml", ".yaml")) else root / inside / "action.yml"
