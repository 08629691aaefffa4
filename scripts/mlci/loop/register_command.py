"""``mlci register``: log a trained model to MLflow and point an alias (``pr-<number>``) at it.

A command of its own so that the workflow runs it in a job *without* AWS credentials: registering loads the
model that pull-request code produced (to store it as skops), which never happens where the CI role is held.
``mlci train --register NAME`` does the same in one go, for the local launcher.
"""

from __future__ import annotations

import argparse
import json
import threading
from typing import TYPE_CHECKING, Any

from mlci import gha
from mlci.errors import UserError
from mlci.options import add_report_option

if TYPE_CHECKING:
    from mlci.github import RunContext
    from mlci.loop.register import Cancelled, Registration
    from mlci.training.launchers.result import TrainResult

HELP = "Register a trained model in MLflow (as skops) with the alias pr-<number>."


def _add_target(group: Any, prefix: str) -> None:
    group.add_argument(
        f"--{prefix}alias",
        dest="alias",
        metavar="ALIAS",
        help="The alias pointed at the new version. Default: pr-<number> of the pull request.",
    )
    group.add_argument(
        f"--{prefix}mlflow-tracking-uri",
        dest="mlflow_tracking_uri",
        metavar="URI",
        help="The MLflow tracking server (token: MLFLOW_TRACKING_TOKEN; basic auth: MLFLOW_TRACKING_USERNAME "
        "and MLFLOW_TRACKING_PASSWORD). Default: $MLFLOW_TRACKING_URI, else a local sqlite store "
        "(sqlite:///mlflow.db).",
    )
    group.add_argument(
        f"--{prefix}artifact-location",
        dest="artifact_location",
        metavar="URI",
        help="Where a new experiment keeps its artifacts. Default: the server's default.",
    )
    group.add_argument(
        f"--{prefix}trust-pickle",
        dest="trust_pickle",
        action="store_true",
        help="Load the trained pickle/joblib file to convert it to skops. Default: refuse a pickle that "
        "--sha256 does not pin.",
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register this command's options."""
    from mlci.github import add_provenance_arguments

    parser.add_argument(
        "--model",
        required=True,
        metavar="DIR_OR_TAR",
        help="The trained model: the local launcher's --output directory, or SageMaker's model.tar.gz (or "
        "the directory it was unpacked into). Required.",
    )
    parser.add_argument(
        "--name", required=True, metavar="NAME", help="The registered model's name. Required."
    )
    _add_target(parser, "")
    parser.add_argument("--sha256", metavar="HEX", help="Pin the trained model file's sha256 (trusts it).")
    parser.add_argument(
        "--training-report",
        metavar="PATH",
        help="mlci train's --report: its job name and metrics go to the run. Default: none.",
    )
    parser.add_argument(
        "--hyperparameters",
        metavar="YAML",
        help="The hyperparameters trained with (YAML/JSON text or file), logged as params. Default: none.",
    )
    add_provenance_arguments(parser)
    add_report_option(parser, "the registered name, version, alias, run and sha256")


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    """``mlci train --register NAME`` and its options (the same as this command's, prefixed)."""
    group = parser.add_argument_group("registration (MLflow)")
    group.add_argument(
        "--register",
        metavar="NAME",
        help="After a successful local training, log the model to MLflow as NAME (skops). Default: off.",
    )
    _add_target(group, "register-")


def _training_report(path: str | None) -> dict[str, Any]:
    if not path:
        return {}
    try:
        with open(path, encoding="utf-8") as handle:
            report = json.load(handle)
    except (OSError, ValueError) as exc:
        raise UserError(
            f"--training-report {path}: cannot read it as JSON ({exc}); pass mlci train's --report."
        )
    if not isinstance(report, dict):
        raise UserError(f"--training-report {path}: not an mlci train report (a JSON object).")
    return report


def registration(
    args: argparse.Namespace, model: str, name: str, context: RunContext, **extra: Any
) -> Registration:
    """The registration the options describe (``extra``: what the caller knows of the training)."""
    from mlci.loop.register import Registration, default_alias

    return Registration(
        model=model,
        name=name,
        alias=args.alias
        or default_alias(context, "--register-alias" if args.command == "train" else "--alias"),
        context=context,
        tracking_uri=args.mlflow_tracking_uri,
        artifact_location=args.artifact_location,
        trust_pickle=args.trust_pickle,
        **extra,
    )


def render(report: dict[str, Any]) -> None:
    """A line, the outputs and the summary of a registration."""
    gha.info(f"registered {report['name']} version {report['version']} as {report['model']}")
    baseline = report["baseline"]
    gha.set_outputs(
        {
            "registered-model": report["model"],
            "registered-version": report["version"],
            "registered-sha256": report["sha256"],
            # the version the baseline alias pointed at when this one was registered, pinned like it
            "baseline-model": (
                f"models:/{report['name']}/{baseline['version']}" if baseline["version"] else ""
            ),
            "baseline-sha256": baseline["sha256"] or "",
        }
    )
    rows = [
        ("model", report["model"]),
        ("version", report["version"]),
        ("run", report["run_link"] or report["run_id"]),
        ("sha256 (model.skops)", report["sha256"]),
        ("trained file", f"{report['source_file']} (sha256 {report['source_sha256']})"),
    ]
    gha.add_summary("### mlci register\n\n" + gha.md_table(["", ""], rows))


def render_cancelled(cancelled: Cancelled) -> None:
    """What a cancelled registration left: a warning line and the summary (no outputs: nothing registered)."""
    gha.warning(str(cancelled), title="mlci register: cancelled")
    gha.add_summary(f"### mlci register: ⏹️ cancelled\n\n{gha.md_escape(str(cancelled))}")


def run(args: argparse.Namespace) -> bool:
    from mlci.files import write_json
    from mlci.github import detect
    from mlci.loop.register import Cancelled, register
    from mlci.training.launchers.mappings import load_mapping
    from mlci.training.train_command import cancel_on_signals

    training = _training_report(args.training_report)
    context = detect(args.repository, args.pr_number, args.sha, args.run_attempt)
    metrics = training.get("metrics") or {}
    with cancel_on_signals("stopping the registration") as cancel:
        try:
            report = register(
                registration(
                    args,
                    args.model,
                    args.name,
                    context,
                    hyperparameters=load_mapping("--hyperparameters", args.hyperparameters),
                    metrics={k: float(v) for k, v in metrics.items() if isinstance(v, (int, float))},
                    job_name=str(training.get("job_name") or ""),
                    sha256=args.sha256,
                    cancel=cancel,
                )
            )
        except Cancelled as cancelled:
            render_cancelled(cancelled)
            raise  # cli.py: exit 130, as for any interrupt
    render(report)
    if args.report:
        write_json(args.report, report)
    return True


def register_trained(args: argparse.Namespace, result: TrainResult, cancel: threading.Event) -> None:
    """``mlci train --register NAME``: register what a successful local training wrote to --output, unless
    the run was cancelled (``cancel``: SIGINT/SIGTERM), before or while registering (then rolled back)."""
    from mlci.github import detect
    from mlci.loop.register import Cancelled, register
    from mlci.training.launchers.mappings import load_mapping

    if result.cancelled:
        return  # the run is over: train says so
    if not result.ok or not result.model_dir:
        gha.notice(f"--register {args.register}: not registered: the training ended {result.status}.")
        return
    context = detect(args.repository, args.pr_number, args.sha, args.run_attempt)
    try:
        report = register(
            registration(
                args,
                result.model_dir,
                args.register,
                context,
                hyperparameters=load_mapping("--hyperparameters", args.hyperparameters),
                metrics=result.metrics,
                job_name=result.job_name,
                flag="--output",
                cancel=cancel,
            )
        )
    except Cancelled as cancelled:
        result.cancelled, result.cancel_reason = True, str(cancelled)
        return
    render(report)
    result.registered = report
