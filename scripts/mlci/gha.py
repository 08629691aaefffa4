"""GitHub Actions I/O: the one place that writes workflow commands, outputs and the step summary.

Inside Actions (``GITHUB_ACTIONS=true``) results become workflow commands (``::error file=...::``,
``::group::``), step outputs (``$GITHUB_OUTPUT``) and Markdown in ``$GITHUB_STEP_SUMMARY``.
Outside Actions the same results print as plain text (``path:line:col: error: ...``), so the CLI reads well on
a laptop; outputs and summary are still written when their files are named in the environment (``act`` does).

Every line this module prints passes through :func:`redact`, which replaces the value of every known secret
environment variable with ``***`` and drops the ``user:password@``
part of every URL (:func:`public_url`).

Reference: https://docs.github.com/en/actions/reference/workflow-commands-for-github-actions
"""

from __future__ import annotations

import json
import os
import re
import secrets as _secrets
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal, TextIO

#: Environment variables whose values are secrets wherever they appear.
SECRET_ENV_VARS = (
    "HF_TOKEN",
    "HUGGING_FACE_HUB_TOKEN",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "GITHUB_TOKEN",
    "GH_TOKEN",
    "MLFLOW_TRACKING_TOKEN",
    "MLFLOW_TRACKING_PASSWORD",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "ACTIONS_RUNTIME_TOKEN",
)
_MIN_SECRET_LENGTH = 4  # masking "a" would garble every line

Level = Literal["error", "warning", "notice"]


def in_actions() -> bool:
    """True when running as a GitHub Actions step (also under ``act``, which sets the same variable)."""
    return os.environ.get("GITHUB_ACTIONS") == "true"


# --------------------------------------------------------------------------------------------- secrets


def _secret_values() -> list[str]:
    values = {os.environ.get(name, "") for name in SECRET_ENV_VARS}
    # Longest first, so a secret that contains another is replaced whole.
    return sorted((v for v in values if len(v) >= _MIN_SECRET_LENGTH), key=len, reverse=True)


_URL_CREDENTIALS = re.compile(r"(?<=://)[^/@\s]*@")


def public_url(text: str) -> str:
    """``text`` (a URL, or a message holding URLs) without the ``user:password@`` part of any URL.

    The one rule for credentials in URLs (MLFLOW_TRACKING_URI, HF_ENDPOINT, ...): sources apply it to what
    they record, and :func:`redact` to everything printed or written.
    """
    return _URL_CREDENTIALS.sub("", text)


def redact(text: str, secrets: Sequence[str] | None = None) -> str:
    """Replace every known secret value in ``text`` with ``***``; drop credentials from URLs. ``secrets``:
    the values :func:`_secret_values` gave, for a caller that redacts many texts at once (a table)."""
    for value in _secret_values() if secrets is None else secrets:
        text = text.replace(value, "***")
    return public_url(text)


# --------------------------------------------------------------------------------------------- escaping


def escape_data(text: str) -> str:
    """Escape the message part of a workflow command (``%``, CR, LF)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a property value of a workflow command (also ``:`` and ``,``)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _emit(line: str, stream: TextIO | None = None) -> None:
    _emit_all([line], stream)


def _emit_all(lines: Iterable[str], stream: TextIO | None = None) -> None:
    """Print the lines, each redacted (the secrets read once), and flush once at the end."""
    secrets = _secret_values()
    target = stream or sys.stdout
    for line in lines:
        print(redact(line, secrets), file=target)
    target.flush()


# --------------------------------------------------------------------------------------------- annotations


@dataclass(frozen=True)
class Annotation:
    """One finding, placed on a file and line when it has one."""

    message: str
    level: Level = "error"
    title: str | None = None
    file: str | None = None
    line: int | None = None
    col: int | None = None
    end_line: int | None = None
    end_col: int | None = None

    def command(self) -> str:
        """The workflow command, e.g. ``::error file=a.py,line=3,title=E501::line too long``."""
        props = [
            (key, value)
            for key, value in (
                ("file", self.file),
                ("line", self.line),
                ("endLine", self.end_line),
                ("col", self.col),
                ("endColumn", self.end_col),
                ("title", self.title),
            )
            if value is not None
        ]
        rendered = ",".join(f"{key}={escape_property(str(value))}" for key, value in props)
        return f"::{self.level}{' ' + rendered if rendered else ''}::{escape_data(self.message)}"

    def plain(self) -> str:
        """The laptop form, e.g. ``a.py:3:80: error: [E501] line too long`` (editors make it clickable)."""
        where = ":".join(str(part) for part in (self.file, self.line, self.col) if part is not None)
        title = f"[{self.title}] " if self.title else ""
        return f"{where + ': ' if where else ''}{self.level}: {title}{self.message}"


def annotate(annotation: Annotation) -> None:
    """Print one annotation: a workflow command in Actions, a compiler-style line elsewhere."""
    annotate_all([annotation])


def annotate_all(annotations: Iterable[Annotation]) -> None:
    """Print many annotations at once (thousands of lint findings: one look at the secrets, one flush)."""
    actions = in_actions()
    _emit_all(annotation.command() if actions else annotation.plain() for annotation in annotations)


def error(message: str, *, title: str | None = None) -> None:
    """Print one error line with no file position (the exit-2 path uses this)."""
    annotate(Annotation(message=message, title=title))


def warning(message: str, *, title: str | None = None) -> None:
    """Print one warning line with no file position."""
    annotate(Annotation(message=message, level="warning", title=title))


def notice(message: str, *, title: str | None = None) -> None:
    """Print one notice line with no file position."""
    annotate(Annotation(message=message, level="notice", title=title))


def info(message: str) -> None:
    """Print a plain line of output (redacted)."""
    _emit(message)


# --------------------------------------------------------------------------------------------- log groups


@contextmanager
def group(title: str) -> Iterator[None]:
    """Fold what is printed inside into a collapsible log group (a plain heading outside Actions)."""
    sys.stderr.flush()
    _emit(f"::group::{escape_data(title)}" if in_actions() else f"--- {title}")
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        if in_actions():
            _emit("::endgroup::")


@contextmanager
def untrusted_output() -> Iterator[None]:
    """Print third-party text (a tool's diff, a training log) with workflow commands switched off.

    A file can contain ``::set-output`` or ``::add-mask`` text; between ``::stop-commands::TOKEN`` and
    ``::TOKEN::`` the runner treats it as plain text.
    """
    if not in_actions():
        yield
        return
    token = _secrets.token_hex(16)
    _emit(f"::stop-commands::{token}")
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        _emit(f"::{token}::")


# --------------------------------------------------------------------------------------------- outputs


def set_output(name: str, value: object) -> None:
    """Write one step output to ``$GITHUB_OUTPUT`` (multi-line safe); a no-op when it is not set.

    Non-string values are written as compact JSON (``true``, ``3``, ``{"a":1}``).
    """
    path = os.environ.get("GITHUB_OUTPUT")
    if not path:
        return
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"), sort_keys=True)
    text = redact(text)
    delimiter = f"ghadelimiter_{_secrets.token_hex(16)}"
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(f"{name}<<{delimiter}\n{text}\n{delimiter}\n")


def set_outputs(values: Mapping[str, object]) -> None:
    """Write several step outputs."""
    for name, value in values.items():
        set_output(name, value)


def add_summary(markdown: str) -> None:
    """Append Markdown to the job summary (``$GITHUB_STEP_SUMMARY``); a no-op when it is not set."""
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        return
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(redact(markdown).rstrip("\n") + "\n\n")


# --------------------------------------------------------------------------------------------- Markdown


#: What GitHub's Markdown would read as markup inside a line: emphasis (``__init__.py`` as **init**.py),
#: code, links, HTML and entities, strike-through, headings, table cells.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<|~#&])")
#: A mention (``@octocat``, ``@org/team``) or an issue reference (``#12``, ``owner/repo#12``): GitHub links
#: these after Markdown, so a backslash does not stop them (github/markup#1168); a zero-width space after
#: the ``@`` or ``#`` does, and looks the same (what Dependabot does in the release notes it quotes).
_MD_REFERENCE = re.compile(r"([@#])(?=[A-Za-z0-9])")
_ZWSP = "\u200b"


class Markdown(str):
    """Text that is Markdown already (a link mlci built from escaped parts): md_escape leaves it as it is."""


def md_escape(text: object, secrets: Sequence[str] | None = None) -> str:
    """Make ``text`` literal inside a Markdown line or table cell (a line break becomes ``<br>``).

    Secrets are redacted first: once escaped (``ghs\\_abc``) a secret would slip past :func:`redact`.
    """
    if isinstance(text, Markdown):
        return text
    escaped = _MD_SPECIAL.sub(r"\\\1", _MD_REFERENCE.sub(r"\1" + _ZWSP, redact(str(text), secrets)))
    return escaped.replace("\r", " ").replace("\n", "<br>")


def md_code(text: object, cell: bool = False) -> Markdown:
    """``text`` as a code span, literal whatever it holds (inside one a backslash is not an escape).

    The fence is one backtick longer than the longest run of backticks in the text, padded with spaces when
    needed (CommonMark, "Code spans"); in a table ``cell``, ``|`` is escaped (GFM: only there does the
    escape hold inside a code span); secrets are redacted first.
    """
    value = redact(str(text)).replace("\r", " ").replace("\n", " ")
    if not value:
        return Markdown("")
    fence = "`" * (max((len(run) for run in re.findall("`+", value)), default=0) + 1)
    pad = " " if "`" in value else ""
    if cell:
        value = value.replace("|", "\\|")
    return Markdown(f"{fence}{pad}{value}{pad}{fence}")


def md_link(text: object, url: str) -> Markdown:
    """``[text](url)`` with the text escaped: one table cell or inline part."""
    return Markdown(f"[{md_escape(text)}]({url.replace(')', '%29').replace(' ', '%20')})")


def md_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A GitHub-flavoured Markdown table."""
    secrets = _secret_values()  # once for the table, not per cell
    lines = [
        "| " + " | ".join(md_escape(h, secrets) for h in headers) + " |",
        "|" + "|".join("---" for _ in headers) + "|",
    ]
    lines += ["| " + " | ".join(md_escape(cell, secrets) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def text_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A plain-text table with aligned columns, for the terminal."""
    grid = [[str(h) for h in headers]] + [[str(cell) for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in grid) for i in range(len(headers))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in grid]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def status_mark(passed: bool | None) -> str:
    """The mark a summary cell shows for a pass, a failure, or a skip (None)."""
    return {True: "✅ pass", False: "❌ fail", None: "➖ skip"}[passed]
