"""``mlci train --launcher local|sagemaker``: the command-line glue around the two launchers."""

from __future__ import annotations

import argparse
import re
import shlex
import threading
from contextlib import ExitStack
from typing import TYPE_CHECKING

from mlci import gha
from mlci.errors import UserError
from mlci.github import add_provenance_arguments
from mlci.loop import register_command
from mlci.options import add_report_option, csv_list, non_negative_float, positive_int
from mlci.training import job_metrics
from mlci.training.durations import parse_duration

if TYPE_CHECKING:
    from mlci.training.train_result import TrainResult

HELP = "Launch a training job (local or SageMaker), follow it, and report the result."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Register this command's options."""
    parser.add_argument(
        "--launcher",
        choices=("local", "sagemaker"),
        default="local",
        help="Where to train: 'local' runs the command here with SageMaker's conventions; 'sagemaker' runs a "
        "SageMaker training job. Default: local.",
    )
    parser.add_argument(
        "--job-name",
        metavar="NAME",
        help="The training job's name (SageMaker's rules: 1-63 letters, digits, hyphens). Default: derived "
        "from repository, PR number, short SHA and run attempt, so a re-run attaches to its job.",
    )
    parser.add_argument(
        "--entry-point",
        metavar="FILE",
        help="The training script, relative to the code. local: run as 'python FILE' unless --command is "
        "given (default train.py). sagemaker: sets sagemaker_program/sagemaker_submit_directory for "
        "SageMaker framework containers. Default: none.",
    )
    parser.add_argument(
        "--hyperparameters",
        metavar="YAML",
        help="Hyperparameters as YAML/JSON text or a file path; passed as '--name value' arguments, SM_HPS "
        "and SM_HP_<NAME>. Default: none.",
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
        "--output",
        metavar="DIR_OR_S3",
        help="local: the directory the model is copied to (default mlci-model). sagemaker: the S3 output "
        "path (required).",
    )
    parser.add_argument(
        "--max-runtime",
        type=parse_duration,
        default=3600.0,
        metavar="DURATION",
        help="Stop the training after this long (3600, 90m, 2h). Always set. Default: 1h.",
    )
    local = parser.add_argument_group("local launcher")
    local.add_argument("--source", default=".", metavar="DIR", help="Where the command runs. Default: '.'.")
    local.add_argument(
        "--command",
        dest="training_command",  # "command" is the subcommand's name in mlci's namespace
        metavar="CMD",
        help="The training command (split like a shell would, no shell involved); the hyperparameters are "
        "appended. Default: 'python <entry-point>'.",
    )
    sagemaker = parser.add_argument_group("sagemaker launcher")
    sagemaker.add_argument("--image-uri", metavar="URI", help="The training image (ECR URI). Required.")
    sagemaker.add_argument("--role-arn", metavar="ARN", help="The SageMaker execution role. Required.")
    sagemaker.add_argument(
        "--code", metavar="S3_URI", help="The synced code (mlci sync's DEST), mounted as the 'code' channel."
    )
    sagemaker.add_argument(
        "--instance-type",
        default="ml.m5.large",
        metavar="TYPE",
        help="The training instance type. Default: ml.m5.large.",
    )
    sagemaker.add_argument(
        "--allowed-instance-types",
        type=csv_list,
        default=[],
        metavar="LIST",
        help="Refuse any --instance-type not in this comma-separated list. Default: no restriction.",
    )
    sagemaker.add_argument(
        "--instance-count",
        type=positive_int,
        default=1,
        metavar="N",
        help="Instances to train on. Default: 1.",
    )
    sagemaker.add_argument(
        "--volume-size",
        type=positive_int,
        default=30,
        metavar="GB",
        help="EBS volume per instance. Default: 30.",
    )
    sagemaker.add_argument(
        "--spot",
        action="store_true",
        help="Use managed spot training, with checkpoints synced to --checkpoint-s3-uri. Default: off.",
    )
    sagemaker.add_argument(
        "--max-wait",
        type=parse_duration,
        metavar="DURATION",
        help="With --spot: the longest wait for spot capacity plus training. Default: twice --max-runtime.",
    )
    sagemaker.add_argument(
        "--checkpoint-s3-uri",
        metavar="S3_URI",
        help="With --spot: where /opt/ml/checkpoints is synced. Default: <output>/<job-name>/checkpoints.",
    )
    sagemaker.add_argument(
        "--tag",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        help="An extra tag on the job (repository, PR and SHA are always tagged). Repeatable.",
    )
    sagemaker.add_argument(
        "--wait",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="Follow the job to its end (--no-wait: return once it is created). Default: wait.",
    )
    sagemaker.add_argument(
        "--wait-timeout",
        type=parse_duration,
        metavar="DURATION",
        help="Stop the job and give up after this long, e.g. 10 minutes less than the GitHub job's "
        "timeout-minutes. Default: no limit besides --max-runtime.",
    )
    sagemaker.add_argument(
        "--poll-interval",
        type=non_negative_float,
        default=30.0,
        metavar="SECONDS",
        help="How often to poll DescribeTrainingJob. Default: 30.",
    )
    sagemaker.add_argument(
        "--download-model",
        metavar="DIR",
        help="After a successful job, unpack its model.tar.gz into DIR (output model-dir). Default: no.",
    )
    add_provenance_arguments(parser)
    add_report_option(parser, "the training job's result")
    job_metrics.add_arguments(parser)
    register_command.add_train_arguments(parser)


def _pairs(flag: str, items: list[str]) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise UserError(f"{flag} {item!r}: expected NAME=VALUE.")
        pairs[key.strip()] = value.strip()
    return pairs


def _job_name(args: argparse.Namespace) -> tuple[str, list[tuple[str, str]]]:
    from mlci.training import github_context
    from mlci.training.jobname import default_job_name, validate_job_name

    context = github_context.detect(args.repository, args.pr_number, args.sha, args.run_attempt)
    if args.job_name:
        name = validate_job_name(args.job_name)
    elif args.launcher == "local" and not context.sha:
        name = "mlci-local"
    else:
        name = default_job_name(context.repository, context.pr_number, context.sha, context.run_attempt)
    return name, context.tags()


def _train_local(args: argparse.Namespace, job_name: str, cancel: threading.Event) -> TrainResult:
    from mlci.training.launch_local import LocalJob, run_local
    from mlci.training.mappings import environment_mapping, load_mapping

    try:
        command = (
            shlex.split(args.training_command)
            if args.training_command
            else ["python", args.entry_point or "train.py"]
        )
    except ValueError as exc:  # an unbalanced quote
        raise UserError(f"--command {args.training_command!r}: {exc}; quote it as a shell would.") from None
    if not command:
        raise UserError("--command: empty; pass the training command, e.g. 'python train.py'.")
    job = LocalJob(
        job_name=job_name,
        source=args.source,
        command=command,
        output=args.output or "mlci-model",
        hyperparameters=load_mapping("--hyperparameters", args.hyperparameters),
        environment=environment_mapping("--environment", args.environment),
        channels=_pairs("--channel", args.channel),
        max_runtime=args.max_runtime,
        metrics_file=args.metrics_file,
    )
    if job.output.startswith("s3://"):
        raise UserError(f"--output {job.output}: the local launcher writes the model to a local directory.")
    log_metrics = job_metrics.LogMetrics(job_metrics.parse_definitions(args.metric_definitions))

    def on_line(line: str) -> None:
        log_metrics.feed(line)
        gha.info(line)

    with gha.group(f"training log: {job_name}"), gha.untrusted_output():
        result = run_local(job, on_line=on_line, cancel=cancel)
    result.metrics = {**log_metrics.values, **result.metrics}
    return result


def _train_sagemaker(
    args: argparse.Namespace, job_name: str, tags: list[tuple[str, str]], cancel: threading.Event
) -> TrainResult:
    from mlci.training.launch_sagemaker import SageMakerJob
    from mlci.training.mappings import environment_mapping, load_mapping
    from mlci.training.sagemaker_run import WaitOptions, run_on_sagemaker

    if not args.output:
        raise UserError("--output: required for the sagemaker launcher (the S3 path for model artifacts).")
    extra_tags = list(_pairs("--tag", args.tag).items())
    job = SageMakerJob(
        job_name=job_name,
        image_uri=args.image_uri or "",
        role_arn=args.role_arn or "",
        output=args.output,
        instance_type=args.instance_type,
        instance_count=args.instance_count,
        volume_size=args.volume_size,
        max_runtime=int(args.max_runtime),
        code=args.code,
        entry_point=args.entry_point,
        hyperparameters=load_mapping("--hyperparameters", args.hyperparameters),
        environment=environment_mapping("--environment", args.environment),
        channels=_pairs("--channel", args.channel),
        tags=tags + extra_tags,
        spot=args.spot,
        max_wait=int(args.max_wait) if args.max_wait else None,
        checkpoint_s3_uri=args.checkpoint_s3_uri,
        allowed_instance_types=args.allowed_instance_types,
        metric_definitions=job_metrics.parse_definitions(args.metric_definitions),
    )
    options = WaitOptions(
        wait=args.wait,
        poll_interval=args.poll_interval,
        wait_timeout=args.wait_timeout,
        download_model=args.download_model,
        metrics_file=args.metrics_file,
    )
    with ExitStack() as stack:
        if args.wait:  # the job's log follows: fold it, and keep its text from issuing workflow commands
            stack.enter_context(gha.group(f"training job: {job_name}"))
            stack.enter_context(gha.untrusted_output())
        return run_on_sagemaker(job, options, cancel=cancel, on_status=gha.info, on_log=gha.info)


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
    if not result.ok:
        reason = f": {result.failure_reason}" if result.failure_reason else ""
        gha.error(
            f"training job {result.job_name} ended {result.status}{reason}", title="mlci train: job failed"
        )
    gha.set_outputs(result.outputs())
    summary = f"### mlci train: {gha.status_mark(result.ok)} {gha.md_escape(result.job_name)}\n\n"
    summary += gha.md_table(["", ""], rows)
    if result.log_tail and not result.ok:
        summary += f"\n\n<details><summary>Last {len(result.log_tail)} log lines</summary>\n\n"
        summary += _fenced(result.log_tail) + "\n\n</details>"
    gha.add_summary(summary)


def run(args: argparse.Namespace) -> bool:
    """Train with the chosen launcher, then render the result."""
    from mlci.report import write_json
    from mlci.training.cancellation import cancel_on_signals

    if args.register and args.launcher != "local":
        raise UserError(
            f"--register {args.register}: only with --launcher local; the job that holds AWS credentials "
            "must not load the model PR code produced: run 'mlci register' in a job without them."
        )
    job_name, tags = _job_name(args)
    with cancel_on_signals() as cancel:
        if args.launcher == "local":
            result = _train_local(args, job_name, cancel)
        else:
            result = _train_sagemaker(args, job_name, tags, cancel)
    render(result)
    if args.register:
        register_command.register_trained(args, result)
    if args.report:
        write_json(args.report, result.to_json())
    return result.ok
