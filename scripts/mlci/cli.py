"""Command line: ``python -m mlci <command> ...``, and the one place that maps errors to exit codes.

Exit codes, for every command:
  0  every check passed
  1  a check failed (a lint finding, a metric below its threshold, a failed training job)
  2  bad input, configuration or environment: one line names what was wrong and how to fix it
  3  an internal error in mlci itself (a bug: the traceback follows; please report it)

Each subcommand lives in a module that exposes ``HELP`` (one line), ``add_arguments(parser)`` and
``run(args) -> bool`` (True when every check passed). Those modules import only the standard library at
the top, so ``--help`` is instant and a Hugging Face validation never imports mlflow.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
import traceback
from collections.abc import Sequence
from typing import NoReturn

from mlci import __version__, gha
from mlci.errors import CheckFailure, UserError

log = logging.getLogger(__name__)

#: subcommand -> module that implements it
COMMANDS: dict[str, str] = {
    "quality": "mlci.quality.command",
    "validate": "mlci.validation.command",
    "model-requirements": "mlci.validation.requirements_command",
    "sync": "mlci.training.sync.command",
    "train": "mlci.training.train_command",
    "stop": "mlci.training.stop_command",
    "register": "mlci.loop.register_command",
    "comment": "mlci.loop.comment_command",
    "promote": "mlci.loop.promote_command",
}

EXIT_PASSED, EXIT_FAILED, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one exit-2 line, not a usage dump."""

    def error(self, message: str) -> NoReturn:
        raise UserError(
            f"{self.prog}: {message}. Run '{self.prog} --help' for the options.", title="mlci: bad usage"
        )


class _RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return gha.redact(super().format(record))


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser with every subcommand registered (imports each command module: they are light), or only
    the command ``only`` (a run of one command imports no other command's module)."""
    parser = _Parser(
        prog="mlci",
        allow_abbrev=False,  # an action's flag must match exactly, never as a prefix of another
        description="CI/CD for ML: a Python quality gate, model validation, and continuous training.",
        epilog="Exit codes: 0 passed, 1 a check failed, 2 bad input or environment, 3 internal error.",
    )
    parser.add_argument("--version", action="version", version=f"mlci {__version__}")
    verbosity = parser.add_mutually_exclusive_group()
    verbosity.add_argument("-v", "--verbose", action="store_true", help="Log debug detail. Default: off.")
    verbosity.add_argument("-q", "--quiet", action="store_true", help="Log warnings only. Default: off.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, module_name in COMMANDS.items():
        if only is not None and name != only:
            continue
        module = importlib.import_module(module_name)
        command = sub.add_parser(name, help=module.HELP, description=module.HELP, allow_abbrev=False)
        module.add_arguments(command)
        command.set_defaults(_run=module.run)
    return parser


def _configure_logging(args: argparse.Namespace) -> None:
    """Log to this run's stderr; :func:`main` puts the previous handlers back when the run ends."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_RedactingFormatter("%(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    level = logging.DEBUG if args.verbose else logging.WARNING if args.quiet else logging.INFO
    root.setLevel(logging.WARNING)  # keep libraries quiet...
    logging.getLogger("mlci").setLevel(level)  # ...and mlci as asked


def _error_report(message: str, code: int) -> None:
    """With MLCI_ERROR_REPORT set (a workflow step's report path), write the error there as the job's report,
    so that the job that comments can say what went wrong (``mlci comment``)."""
    path = os.environ.get("MLCI_ERROR_REPORT")
    if not path:
        return
    from mlci.files import write_json

    try:
        write_json(path, {"ok": False, "passed": False, "error": message, "exit_code": code})
    except UserError as exc:
        gha.warning(f"MLCI_ERROR_REPORT: {exc}", title="mlci")


def main(argv: Sequence[str] | None = None) -> int:
    """Run one mlci command; return its exit code."""
    root, mlci_logger = logging.getLogger(), logging.getLogger("mlci")
    saved_handlers, saved_levels = list(root.handlers), (root.level, mlci_logger.level)
    try:
        words = list(sys.argv[1:] if argv is None else argv)
        command = next((word for word in words if not word.startswith("-")), None)
        parser = build_parser(command if command in COMMANDS else None)
        args = parser.parse_args(words)
        if args.command is None:
            parser.print_help()
            return EXIT_USAGE
        _configure_logging(args)
        passed = args._run(args)
    except UserError as exc:
        gha.error(str(exc), title=exc.title)
        _error_report(str(exc), EXIT_USAGE)
        return EXIT_USAGE
    except CheckFailure as exc:
        gha.error(str(exc), title=exc.title)
        _error_report(str(exc), EXIT_FAILED)
        return EXIT_FAILED
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else EXIT_PASSED
    except KeyboardInterrupt:
        gha.error("interrupted", title="mlci: interrupted")
        return 130
    except Exception as exc:  # a bug in mlci: say so, show where, never print a secret
        print(gha.redact(traceback.format_exc()), file=sys.stderr)
        gha.error(
            f"internal error: {type(exc).__name__}: {exc}. This is a bug in mlci; please report it with the "
            "traceback above.",
            title="mlci: internal error",
        )
        _error_report(f"internal error: {type(exc).__name__}: {exc}", EXIT_INTERNAL)
        return EXIT_INTERNAL
    finally:
        sys.stdout.flush()
        # a later caller in this process (a test, a notebook) must not log into this run's closed stream
        root.handlers[:] = saved_handlers
        root.setLevel(saved_levels[0])
        mlci_logger.setLevel(saved_levels[1])
    return EXIT_PASSED if passed else EXIT_FAILED
