"""``mlci train --launcher NAME``: the flags every launcher shares, the launcher registry, and the report.

Each launcher (:mod:`mlci.training.launchers`) adds its own flag group; a flag of another launcher that is
set (differs from its default) is refused, so nothing is silently ignored. SIGINT and SIGTERM (a cancelled
workflow) set an event the launcher watches: it stops its job, the summary and outputs are still written,
and the exit code is 130. ``--launched FILE`` records the job as soon as it exists, for the action's
``if: cancelled()`` step (``mlci stop``) in case the process was killed before it could stop the job.
"""

from __future__ import annotations

import argparse
import logging
import re
import signal
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from types import FrameType
from typing import TYPE_CHECKING

from mlci import gha
from mlci.errors import UserError
from mlci.github import add_provenance_arguments
from mlci.loop import register_command
from mlci.options import add_report_option, positive_int
from mlci.training import job_metrics
from mlci.training.launchers import LAUNCHERS, Hooks, TrainSpec, get
from mlci.training.launchers.result import parse_duration

if TYPE_CHECKING:
    from mlci.training.launchers.result import TrainResult

log = logging.getLogger(__name__)

HELP = "Launch a training job (local or SageMaker), follow it, and report the result."

#: argparse dests of each launcher's own flags (filled when the parser is built)
_OWN_FLAGS: dict[str, list[argparse.Action]] = {}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register the shared options, then each launcher's group."""
    parser.add_argument(
        "--launcher",
        choices=tuple(LAUNCHERS),
        default="local",
        help="Where to train: 'local' runs here in the environment SageMaker's training toolkit builds; "
        "'sagemaker' runs a SageMaker training job. Default: local.",
    )
    parser.add_argument(
        "--job-name",
        metavar="NAME",
        help="The training job's name (SageMaker's rules: 1-63 letters, digits, hyphens). Default: derived "
        "from repository, PR number, short SHA, run id, run attempt and --job-key.",
    )
    parser.add_argument(
        "--job-key",
        default="",
        metavar="KEY",
        help="What tells this training apart from others in the same run (a matrix entry, a model name); "
        "part of the default job name. Default: none.",
    )
    parser.add_argument(
        "--entry-point",
        metavar="FILE",
        help="The training script, relative to the code (sagemaker_program for SageMaker framework "
        "containers; local: run as 'python FILE' unless --command is given). Default: train.py for local.",
    )
    parser.add_argument(
        "--hyperparameters",
        metavar="YAML",
        help="Hyperparameters as YAML/JSON text or a file path; the script gets them as '--name value' "
        "arguments, SM_HPS and SM_HP_<NAME>. Default: none.",
    )
    parser.add_argument(
        "--environment",
        metavar="YAML",
        help="Environment variables for the training code (YAML/JSON mapping or file). Default: none.",
    )
    parser.add_argument(
        "--channel",
        metavar="NAME=URI",
        action="append",
        default=[],
        help="An input channel (SM_CHANNEL_<NAME>): a local path for 'local', s3://... for 'sagemaker'. "
        "Repeatable. Default: none.",
    )
    parser.add_argument(
        "--code",
        metavar="DIR_OR_S3",
        help="The synced code (mlci sync's DEST): the 'code' channel. local trains from it when it is a "
        "directory, else from --source. Default: none.",
    )
    parser.add_argument(
        "--source",
        default=".",
        metavar="DIR",
        help="local: the code directory when --code is none. Default: '.'.",
    )
    parser.add_argument(
        "--output",
        metavar="DIR_OR_S3",
        help="local: the directory the model is copied to (default $RUNNER_TEMP/mlci-model, else "
        "./mlci-model). sagemaker: the S3 output path (required).",
    )
    parser.add_argument(
        "--download-model",
        metavar="DIR",
        help="After a successful job, put the model in DIR on this machine (output model-dir; sagemaker "
        "unpacks its model.tar.gz). Default: no.",
    )
    parser.add_argument(
        "--max-runtime",
        type=parse_duration,
        default=3600.0,
        metavar="DURATION",
        help="Stop the training after this long (3600, 90m, 2h). Always set. Default: 1h.",
    )
    parser.add_argument(
        "--instance-count",
        type=positive_int,
        default=1,
        metavar="N",
        help="Instances to train on (local: 1 only). Default: 1.",
    )
    parser.add_argument(
        "--wait-timeout",
        type=parse_duration,
        metavar="DURATION",
        help="Stop the job and give up after this long, e.g. 10 minutes less than the GitHub job's "
        "timeout-minutes. Default: no limit besides --max-runtime.",
    )
    parser.add_argument(
        "--launched",
        metavar="FILE",
        help="Write which job was launched to FILE as soon as it exists (for `mlci stop`). Default: no.",
    )
    for name in LAUNCHERS:
        group = parser.add_argument_group(f"{name} launcher")
        get(name).add_arguments(group)
        _OWN_FLAGS[name] = list(group._group_actions)
    provenance = add_provenance_arguments(parser)
    provenance.add_argument("--run-id", help="Default: GITHUB_RUN_ID.")
    add_report_option(parser, "the training job's result")
    job_metrics.add_arguments(parser)
    register_command.add_train_arguments(parser)


def _refuse_foreign_flags(args: argparse.Namespace) -> None:
    for name, actions in _OWN_FLAGS.items():
        if name == args.launcher:
            continue
        for action in actions:
            if getattr(args, action.dest) != action.default:
                raise UserError(
                    f"{action.option_strings[0]}: only the {name} launcher takes it, not "
                    f"--launcher {args.launcher}; remove it or use --launcher {name}."
                )


def _spec(args: argparse.Namespace) -> TrainSpec:
    from mlci.training.launchers import identity
    from mlci.training.launchers.mappings import environment_mapping, hyperparameters, pairs
    from mlci.training.path_safety import check_in_workspace

    # The code a pull request wrote is read from the checkout (or mlci sync's copy of it), nowhere else.
    check_in_workspace(args.source, "--source")
    if args.code and not args.code.startswith("s3://"):
        check_in_workspace(args.code, "--code", also_runner_temp=True)

    context = identity.detect(args.repository, args.pr_number, args.sha, args.run_attempt, run_id=args.run_id)
    if not args.job_name and not context.sha and args.launcher != "local":
        raise UserError(
            "--job-name: cannot derive a name without a commit SHA (GITHUB_SHA or --sha); pass --job-name."
        )
    name = (
        identity.validate_job_name(args.job_name)
        if args.job_name
        else identity.default_job_name(context, args.job_key)
    )
    return TrainSpec(
        job_name=name,
        context=context,
        code=args.code,
        source=args.source,
        entry_point=args.entry_point,
        hyperparameters=hyperparameters(args.hyperparameters),
        environment=environment_mapping("--environment", args.environment),
        channels=pairs("--channel", args.channel),
        output=args.output,
        max_runtime=args.max_runtime,
        wait_timeout=args.wait_timeout,
        instance_count=args.instance_count,
        download_model=args.download_model,
        job_key=args.job_key,
        metrics_file=args.metrics_file,
        metric_definitions=job_metrics.parse_definitions(args.metric_definitions),
    )


@contextmanager
def cancel_on_signals(
    doing: str = "stopping the training job, registering nothing",
) -> Iterator[threading.Event]:
    """Yield an Event set by SIGTERM or SIGINT (handlers restored on exit; a no-op off the main thread); the
    log says what the command does about it (``doing``)."""
    event = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield event
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        log.warning("received %s: %s", signal.Signals(signum).name, doing)
        event.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield event
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _record_launch(path: str | None, record: dict[str, str]) -> None:
    gha.set_output("job-name", record.get("job-name", ""))  # known early, for a step that runs after a kill
    if path:
        from mlci.files import write_json

        write_json(path, record)


def _fenced(lines: list[str]) -> str:
    """A Markdown code block that the text itself cannot close."""
    text = "\n".join(lines)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


def render(result: TrainResult) -> None:
    """Table on the log, warnings, the failure line, outputs, step summary."""
    rows = result.rows()
    gha.info(gha.text_table(["field", "value"], rows))
    for note in result.notes:
        gha.warning(note, title="mlci train")
    if result.cancel_reason:
        gha.warning(result.cancel_reason, title="mlci train: cancelled")
    if not result.ok:
        reason = f": {result.failure_reason}" if result.failure_reason else ""
        gha.error(
            f"training job {result.job_name} ended {result.status}{reason}", title="mlci train: job failed"
        )
    gha.set_outputs(result.outputs())
    mark = "⏹️ cancelled" if result.cancelled else gha.status_mark(result.ok)
    summary = f"### mlci train: {mark} {gha.md_escape(result.job_name)}\n\n"
    summary += gha.md_table(["", ""], rows)
    if result.log_tail and not result.ok:
        summary += f"\n\n<details><summary>Last {len(result.log_tail)} log lines</summary>\n\n"
        summary += _fenced(result.log_tail) + "\n\n</details>"
    gha.add_summary(summary)


def run(args: argparse.Namespace) -> bool:
    """Train with the chosen launcher, then render the result; a cancelled run ends as an interrupt (130)."""
    from mlci.files import write_json

    if args.register and args.launcher != "local":
        raise UserError(
            f"--register {args.register}: only with --launcher local; the job that holds AWS credentials "
            "must not load the model PR code produced: run 'mlci register' in a job without them."
        )
    _refuse_foreign_flags(args)
    spec = _spec(args)
    launcher = get(args.launcher)
    with cancel_on_signals() as cancel:
        with ExitStack() as stack:
            follows = args.launcher == "local" or args.wait
            if follows:  # the job's log follows: fold it, and keep its text from issuing workflow commands
                stack.enter_context(gha.group(f"training log: {spec.job_name}"))
                stack.enter_context(gha.untrusted_output())
            hooks = Hooks(
                cancel=cancel,
                on_log=gha.info,
                on_status=gha.info,
                on_launched=lambda record: _record_launch(args.launched, record),
            )
            result = launcher.launch(spec, args, hooks)
        # A cancel after the job ended still cancels the run: nothing is registered as if it had completed.
        result.cancelled = result.cancelled or cancel.is_set()
        if result.cancelled and result.ok:
            result.cancel_reason = "the workflow was cancelled after the training ended" + (
                ": not registered" if args.register else ""
            )
        try:
            if args.register:
                register_command.register_trained(args, result, cancel)
        finally:
            render(result)  # also when registering failed: the training's own summary and outputs stay
    if args.report:
        write_json(args.report, result.to_json())
    if result.cancelled:
        raise KeyboardInterrupt  # cli.py: exit 130, as for any interrupt
    return result.ok
