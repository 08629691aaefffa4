"""``mlci promote``: move the ``champion`` alias to the version a merged pull request registered (opt-in).

Promotion stays a person's decision: merging the pull request is that decision, and this command only acts
on what was validated. It runs on a push to the default branch, after ``mlci validate`` passed there on
``models:/NAME@pr-<N>`` against the champion, and moves the alias only when the validation report passed and
names the very version that ``pr-<N>`` points at now (a version re-pointed in between is refused).

The pull request: ``--pr-number``, else the one the pushed commit came from (``GET
/repos/{repo}/commits/{sha}/pulls``, which needs ``contents: read`` and ``pull-requests: read``). The MLflow
token must be allowed to set aliases on the registered model.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from mlci import gha
from mlci.errors import CheckFailure, UserError
from mlci.options import add_report_option

HELP = "Move the champion alias to the version a merged pull request registered, once validated."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register this command's options."""
    parser.add_argument("--name", required=True, metavar="NAME", help="The registered model. Required.")
    parser.add_argument(
        "--validation-report",
        required=True,
        metavar="PATH",
        help="mlci validate's --report on models:/NAME@pr-<N>; it must have passed. Required.",
    )
    parser.add_argument(
        "--pr-number",
        metavar="N",
        help="The merged pull request. Default: the one the pushed commit (GITHUB_SHA) came from.",
    )
    parser.add_argument("--to-alias", default="champion", metavar="ALIAS", help="Default: 'champion'.")
    parser.add_argument(
        "--mlflow-tracking-uri",
        metavar="URI",
        help="The MLflow tracking server. Default: $MLFLOW_TRACKING_URI.",
    )
    add_report_option(parser, "the promotion (version, aliases before and after)")


def _validated(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as handle:
            report = json.load(handle)
    except (OSError, ValueError) as exc:
        raise UserError(f"--validation-report {path}: cannot read it as JSON ({exc}).") from None
    if not isinstance(report, dict) or not isinstance(report.get("model"), dict):
        raise UserError(f"--validation-report {path}: not an mlci validate report.")
    return report


def run(args: argparse.Namespace) -> bool:
    import os

    from mlci.files import write_json
    from mlci.gha import public_url
    from mlci.github import merged_pull_request
    from mlci.loop.register import alias_version
    from mlci.validation.sources.mlflow import (
        CREDENTIALS_HINT,
        client_settings,
        refused_credentials,
        resolve_tracking_uri,
    )

    report = _validated(args.validation_report)
    number = args.pr_number or merged_pull_request(os.environ.get("GITHUB_SHA", ""))
    if not number:
        raise UserError(
            "--pr-number: the pushed commit names no merged pull request; pass --pr-number N (promotion acts "
            "only on a pull request's validated version)."
        )
    source_alias = f"pr-{number}"
    model = report["model"]
    if model.get("name") != args.name or model.get("alias") != source_alias:
        raise UserError(
            f"--validation-report {args.validation_report}: it validated {model.get('uri')}, not "
            f"models:/{args.name}@{source_alias}; validate that model first."
        )
    if report.get("passed") is not True:
        raise CheckFailure(
            f"models:/{args.name}@{source_alias} did not pass validation; {args.to_alias} stays where it is.",
            title="mlci promote: not promoted",
        )
    server = resolve_tracking_uri(args.mlflow_tracking_uri, "--mlflow-tracking-uri", f"models:/{args.name}")
    with client_settings(server):
        from mlflow import MlflowClient
        from mlflow.exceptions import MlflowException

        client = MlflowClient(tracking_uri=server)
        try:
            version = str(client.get_model_version_by_alias(args.name, source_alias).version)
            if version != str(model.get("version")):
                raise UserError(
                    f"models:/{args.name}@{source_alias} points at version {version} now, but version "
                    f"{model.get('version')} was validated; validate again."
                )
            previous = alias_version(client, args.name, args.to_alias)
            before = str(previous.version) if previous is not None else None
            client.set_registered_model_alias(args.name, args.to_alias, version)
        except MlflowException as exc:
            first = public_url((str(exc).splitlines() or [""])[0]).rstrip(".")
            hint = f"; {CREDENTIALS_HINT}" if refused_credentials(exc) else ""
            raise UserError(
                f"promoting models:/{args.name}@{source_alias} on {public_url(server)}: {first}{hint}."
            ) from None
    result = {"name": args.name, "alias": args.to_alias, "version": version, "previous_version": before,
              "pull_request": str(number)}  # fmt: skip
    gha.info(f"models:/{args.name}@{args.to_alias} -> version {version} (was {before or 'unset'})")
    gha.set_outputs({"promoted-version": version})
    gha.add_summary(
        f"### mlci promote\n\n`models:/{args.name}@{args.to_alias}` now points at version {version} "
        f"(pull request #{number}; before: {before or 'unset'})."
    )
    if args.report:
        write_json(args.report, result)
    return True
