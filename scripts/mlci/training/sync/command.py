"""``mlci sync SRC DEST``: the command-line glue around :func:`mlci.training.sync.core.sync`."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from mlci import gha
from mlci.errors import UserError
from mlci.options import add_report_option, positive_int
from mlci.training.sync.progress import human_bytes

if TYPE_CHECKING:
    from mlci.training.sync.result import SyncResult

HELP = "Sync a source tree to s3://BUCKET/PREFIX or a local directory, by content hash."

_MAX_FAILURE_LINES = 20


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register this command's options."""
    parser.add_argument(
        "src", metavar="SRC", nargs="?", help="The directory to sync (e.g. the training code)."
    )
    parser.add_argument(
        "dest",
        metavar="DEST",
        nargs="?",
        help="s3://BUCKET/PREFIX (credentials, region and AWS_ENDPOINT_URL as boto3 finds them) or a local "
        "directory.",
    )
    parser.add_argument(
        "--exclude",
        metavar="GLOB",
        action="append",
        default=[],
        help="Leave out paths matching GLOB (relative to SRC; '*' also matches '/'; a match on a directory "
        "leaves out its contents). Repeatable. .git/ is always left out. Default: none.",
    )
    parser.add_argument(
        "--respect-gitignore",
        action="store_true",
        help="Also leave out what .gitignore ignores (needs SRC in a git work tree). Default: off.",
    )
    parser.add_argument(
        "--delete",
        action="store_true",
        help="Delete files under DEST that are gone from SRC (never excluded ones). Default: off.",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="Print what would be uploaded and deleted; change nothing."
    )
    parser.add_argument(
        "--concurrency", type=positive_int, default=10, metavar="N", help="Parallel transfers. Default: 10."
    )
    parser.add_argument(
        "--max-attempts",
        type=positive_int,
        default=5,
        metavar="N",
        help="Attempts per S3 request (botocore standard retry mode). Default: 5.",
    )
    add_report_option(parser, "the sync summary and plan")


def _render_plan(result: SyncResult) -> None:
    for item in result.plan.uploads:
        gha.info(f"would upload {item.entry.relpath} ({item.reason}, {human_bytes(item.entry.size)})")
    for entry in result.plan.deletes:
        gha.info(f"would delete {entry.relpath}")


def run(args: argparse.Namespace) -> bool:
    """Sync, then print the summary table, failures, outputs, step summary and report."""
    from mlci.files import write_json
    from mlci.training.sync.core import SyncOptions, sync

    if not args.src or not args.dest:
        raise UserError("mlci sync: SRC and DEST are required, e.g. 'mlci sync . s3://my-bucket/code/pr-1'.")
    options = SyncOptions(
        excludes=args.exclude,
        respect_gitignore=args.respect_gitignore,
        delete=args.delete,
        dry_run=args.dry_run,
        concurrency=args.concurrency,
        max_attempts=args.max_attempts,
    )
    result = sync(args.src, args.dest, options)
    if result.dry_run:
        _render_plan(result)
    for failure in result.failed[:_MAX_FAILURE_LINES]:
        gha.error(f"{failure.relpath}: {failure.message}", title="mlci sync: transfer failed")
    if len(result.failed) > _MAX_FAILURE_LINES:
        gha.error(f"... and {len(result.failed) - _MAX_FAILURE_LINES} more failed transfers (see --report).")

    counts = result.counts()
    headers = ["destination", "uploaded", "skipped", "deleted", "failed", "bytes", "time"]
    row = [
        result.destination + (" (dry run)" if result.dry_run else ""),
        counts["uploaded"],
        counts["skipped"],
        counts["deleted"],
        counts["failed"],
        human_bytes(counts["bytes"]),
        f"{counts['seconds']:.1f} s",
    ]
    gha.info(gha.text_table(headers, [row]))
    gha.set_outputs({"destination": result.destination, **{k: str(v) for k, v in counts.items()}})
    verdict = "dry run" if result.dry_run else gha.status_mark(result.ok)
    gha.add_summary(f"### mlci sync: {verdict}\n\n" + gha.md_table(headers, [row]))
    if args.report:
        write_json(args.report, result.to_json())
    return result.ok
