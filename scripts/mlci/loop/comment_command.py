"""``mlci comment``: one sticky pull-request comment per workflow and model, from the jobs' JSON reports.

Runs in a job of its own that holds only ``pull-requests: write``: the reports arrive as artifacts from the
jobs that trained, registered and validated, and each job's outcome (``needs.<job>.result``) tells a job that
failed before writing its report from one that did not run. Writes the Markdown to ``--markdown`` when asked
and posts it (GITHUB_TOKEN) on pull_request events; a comment is a report, not a check: exit 0 unless the
input is bad.
"""

from __future__ import annotations

import argparse
import json
import os
from datetime import datetime, timezone
from typing import Any

from mlci import gha
from mlci.errors import UserError

HELP = "Write the pull request's comment for one model (training, registration, validation) and post it."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register this command's options."""
    from mlci.loop.comment import OUTCOMES

    parser.add_argument(
        "--key",
        default="default",
        metavar="NAME",
        help="The model the comment is about: one comment per workflow and key. Default: 'default'.",
    )
    for part in ("training", "registration", "validation"):
        parser.add_argument(
            f"--{part}-report",
            metavar="PATH",
            help=f"mlci's JSON report of the {part} (a missing file: the job wrote none). Default: none.",
        )
        parser.add_argument(
            f"--{part}-outcome",
            choices=OUTCOMES,
            default="",
            metavar="RESULT",
            help=f"The {part} job's result (needs.<job>.result: success, failure, cancelled, skipped). "
            "Default: taken from the report.",
        )
    parser.add_argument("--markdown", metavar="PATH", help="Also write the comment's Markdown to PATH.")
    parser.add_argument(
        "--post",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="Post the comment on the pull request (GITHUB_TOKEN; skipped outside pull_request events). "
        "Default: post.",
    )
    parser.add_argument(
        "--workflow",
        default="continuous-training",
        metavar="NAME",
        help="Tells this workflow's comments from another's. Default: 'continuous-training'.",
    )
    parser.add_argument(
        "--sha", help="The commit the comment is about. Default: the PR head SHA, else GITHUB_SHA."
    )


def _report(flag: str, path: str | None) -> dict[str, Any] | None:
    if not path or not os.path.exists(path):
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            report = json.load(handle)
    except (OSError, ValueError) as exc:
        raise UserError(f"{flag} {path}: not readable as JSON ({exc}); pass the report mlci wrote.") from None
    if not isinstance(report, dict):
        raise UserError(f"{flag} {path}: not an mlci report (a JSON object).")
    return report


def run(args: argparse.Namespace) -> bool:
    from mlci.files import atomic_write
    from mlci.github import detect
    from mlci.loop.comment import Loop, Part, markdown

    context = detect(sha=args.sha)
    parts = {
        name: Part(
            _report(f"--{name}-report", getattr(args, f"{name}_report")), getattr(args, f"{name}_outcome")
        )
        for name in ("training", "registration", "validation")
    }
    registered = (parts["training"].report or {}).get("registered")
    if parts["registration"].report is None and isinstance(registered, dict):  # mlci train --register
        parts["registration"].report = registered
    loop = Loop(
        key=args.key,
        sha=context.sha,
        run_url=context.run_url,
        run_id=context.run_id,
        generated_at=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        **parts,
    )
    body = markdown(loop)
    if args.markdown:
        try:
            with atomic_write(args.markdown) as handle:
                handle.write(body)
        except OSError as exc:
            raise UserError(f"--markdown {args.markdown}: cannot write it ({exc.strerror or exc}).") from None
    gha.add_summary(body)
    if args.post:
        post(body, args.key, workflow=args.workflow, what="comment", title="mlci comment")
    return True


def post(body: str, key: str, *, workflow: str, what: str, title: str) -> None:
    """Create or update the sticky comment and say how it went (a failure is a warning, not a check); a
    comment a newer run wrote is left as it is."""
    from mlci.github import upsert
    from mlci.loop.comment import older_than

    outcome = upsert(body, key, workflow=workflow, keep=lambda existing: older_than(existing, body))
    if outcome.action == "failed":
        gha.warning(f"{what}: not posted: {outcome.detail}", title=title)
    elif outcome.action == "skipped":
        gha.notice(f"{what}: skipped: {outcome.detail}", title=title)
    else:
        gha.info(f"PR comment {outcome.action} on {outcome.detail}: {outcome.url}")
