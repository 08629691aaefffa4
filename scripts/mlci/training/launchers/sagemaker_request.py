"""The SageMaker launcher: build a CreateTrainingJob request, validate it before any call, create or attach.

The synced code becomes the ``code`` input channel (File mode: SageMaker copies the prefix to
``/opt/ml/input/data/code``). With ``--entry-point`` the job is set up for SageMaker framework containers
(scikit-learn, PyTorch, ...): ``sagemaker_program`` names the script and ``sagemaker_submit_directory``
points at the code channel's directory, which the training toolkit copies into place; hyperparameters are
JSON-encoded as the SageMaker Python SDK does.

Every job is tagged ``mlci:fingerprint``: the sha256 of its canonical request (everything but the name and
what derives from it). When CreateTrainingJob answers ResourceInUse (a re-run of the same step), mlci attaches
to the job of that name only if its fingerprint matches and it is InProgress or Completed; otherwise (another
request, or a job that failed or was stopped) it starts a new job under a suffixed name (``<name>-2``, ...).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from mlci.errors import UserError
from mlci.training import aws
from mlci.training.job_metrics import MetricDefinition
from mlci.training.launchers.identity import fingerprint, suffixed, validate_job_name
from mlci.training.launchers.mappings import encode_hyperparameters
from mlci.training.s3uri import S3Location

log = logging.getLogger(__name__)

CODE_CHANNEL = "code"
CODE_DIR = f"/opt/ml/input/data/{CODE_CHANNEL}"
CHECKPOINT_DIR = "/opt/ml/checkpoints"
MAX_RUNTIME_LIMIT = 28 * 24 * 3600  # SageMaker's ceiling for MaxRuntimeInSeconds
FINGERPRINT_TAG = "mlci:fingerprint"
#: A job of the same name with the same request and one of these statuses is this job (a re-run attaches).
ATTACHABLE = ("InProgress", "Completed")
_MAX_NAME_ATTEMPTS = 5
_SHARDED = "ShardedByS3Key"


def _mpi(options: dict[str, Any], instance_type: str) -> dict[str, Any]:
    found = {
        "sagemaker_mpi_enabled": True,
        "sagemaker_mpi_custom_mpi_options": options.get("custom_mpi_options", ""),
    }
    if options.get("processes_per_host"):
        found["sagemaker_mpi_num_of_processes_per_host"] = options["processes_per_host"]
    return found


def _smdistributed(options: dict[str, Any], instance_type: str) -> dict[str, Any]:
    dataparallel = options.get("dataparallel", options)
    return {
        "sagemaker_distributed_dataparallel_enabled": True,
        "sagemaker_instance_type": instance_type,
        "sagemaker_distributed_dataparallel_custom_mpi_options": dataparallel.get("custom_mpi_options", ""),
    }


#: ``--distribution`` as the SageMaker Python SDK's ``distribution=``: name -> the hyperparameters the
#: framework containers (their training toolkits) read, from the strategy's options and the instance type.
DISTRIBUTIONS: dict[str, Callable[[dict[str, Any], str], dict[str, Any]]] = {
    "torch_distributed": lambda options, itype: {
        "sagemaker_torch_distributed_enabled": True,
        "sagemaker_instance_type": itype,
    },
    "pytorchddp": lambda options, itype: {
        "sagemaker_pytorch_ddp_enabled": True,
        "sagemaker_instance_type": itype,
    },
    "mpi": _mpi,
    "smdistributed": _smdistributed,
    "parameter_server": lambda options, itype: {"sagemaker_parameter_server_enabled": True},
}

_ROLE_ARN = re.compile(r"^arn:aws[a-z\-]*:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+$")
_INSTANCE_TYPE = re.compile(r"^ml\.[a-z0-9\-]+\.[a-z0-9]+$")
_CHANNEL_NAME = re.compile(r"^[A-Za-z0-9\.\-_]+$")
_TAG_TEXT = re.compile(r"^[\w\s.:/=+\-@]*$")


@dataclass
class SageMakerJob:
    """Everything CreateTrainingJob needs, as mlci's flags give it."""

    job_name: str
    image_uri: str
    role_arn: str
    output: str
    instance_type: str = "ml.m5.large"
    instance_count: int = 1
    volume_size: int = 30
    max_runtime: int = 3600
    code: str | None = None
    entry_point: str | None = None
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    environment: dict[str, str] = field(default_factory=dict)
    channels: dict[str, str] = field(default_factory=dict)
    tags: list[tuple[str, str]] = field(default_factory=list)
    spot: bool = False
    max_wait: int | None = None
    checkpoint_s3_uri: str | None = None
    allowed_instance_types: list[str] = field(default_factory=list)
    region: str = ""
    metric_definitions: list[MetricDefinition] = field(default_factory=list)
    #: The SDK's ``distribution`` mapping, e.g. ``{"mpi": {"enabled": True, "processes_per_host": 4}}``.
    distribution: dict[str, Any] = field(default_factory=dict)
    #: Channels each instance gets a shard of (S3DataDistributionType ShardedByS3Key), not a full copy.
    sharded_channels: list[str] = field(default_factory=list)


def _channel(name: str, uri: str, sharded: bool = False) -> dict[str, Any]:
    return {
        "ChannelName": name,
        "DataSource": {
            "S3DataSource": {
                "S3DataType": "S3Prefix",
                "S3Uri": uri,
                "S3DataDistributionType": _SHARDED if sharded else "FullyReplicated",
            }
        },
        "InputMode": "File",
    }


def validate(job: SageMakerJob) -> None:
    """Check what SageMaker would reject, naming the flag, before any request is made."""
    validate_job_name(job.job_name)
    if not job.image_uri or any(c.isspace() for c in job.image_uri):
        raise UserError(
            "--image-uri: required for the sagemaker launcher (the training container's ECR image URI)."
        )
    if not _ROLE_ARN.match(job.role_arn or ""):
        raise UserError(
            f"--role-arn {job.role_arn!r}: expected the SageMaker execution role's ARN, "
            "arn:aws:iam::<account>:role/<name>."
        )
    if not _INSTANCE_TYPE.match(job.instance_type):
        raise UserError(
            f"--instance-type {job.instance_type!r}: expected a SageMaker instance type such as ml.m5.large."
        )
    if job.allowed_instance_types and job.instance_type not in job.allowed_instance_types:
        raise UserError(
            f"--instance-type {job.instance_type}: not in --allowed-instance-types "
            f"({', '.join(job.allowed_instance_types)}); pick one of those."
        )
    if not 1 <= job.volume_size <= 16384:
        raise UserError(f"--volume-size {job.volume_size}: expected 1 to 16384 GB.")
    if not 1 <= job.max_runtime <= MAX_RUNTIME_LIMIT:
        raise UserError(f"--max-runtime: {job.max_runtime} s is beyond SageMaker's limit of 28 days.")
    if job.max_wait is not None and (not job.spot or job.max_wait < job.max_runtime):
        raise UserError("--max-wait: only with --spot, and at least --max-runtime.")
    if job.entry_point and not job.code:
        raise UserError("--entry-point: needs --code s3://... (the synced code the entry point lives in).")
    for name in job.channels:
        if name == CODE_CHANNEL and job.code:
            raise UserError(
                f"--channel {name}: the name '{CODE_CHANNEL}' is taken by --code; rename the channel."
            )
        if not _CHANNEL_NAME.match(name):
            raise UserError(f"--channel {name}: channel names take letters, digits, '.', '-' and '_'.")
    for name in job.sharded_channels:
        if name not in job.channels:
            raise UserError(
                f"--sharded-channel {name}: no --channel of that name; shard one of the channels."
            )
    for strategy in job.distribution:
        if strategy not in DISTRIBUTIONS:
            raise UserError(
                f"--distribution {strategy}: not a strategy mlci knows; use one of "
                f"{', '.join(DISTRIBUTIONS)}."
            )
        if not job.entry_point:
            raise UserError(
                f"--distribution {strategy}: needs --entry-point (a SageMaker framework container)."
            )
    if len(job.hyperparameters) > 100:
        raise UserError("--hyperparameters: SageMaker takes at most 100 hyperparameters.")
    for key, value in encode_hyperparameters(job.hyperparameters, json_values=bool(job.entry_point)).items():
        if len(key) > 256 or len(value) > 2500:
            raise UserError(
                f"--hyperparameters: {key!r} is too long (keys up to 256, values up to 2500 characters)."
            )
    for key, value in job.tags:
        if (
            key.lower().startswith("aws:")
            or not _TAG_TEXT.match(key)
            or not _TAG_TEXT.match(value)
            or len(key) > 128
            or len(value) > 256
        ):
            raise UserError(
                f"--tag {key}={value}: not a valid tag (no 'aws:' prefix; letters, digits, spaces and "
                "_.:/=+-@)."
            )


def build_request(job: SageMakerJob) -> dict[str, Any]:
    """The CreateTrainingJob request (validated)."""
    validate(job)
    framework = bool(job.entry_point)
    hyperparameters = dict(job.hyperparameters)
    if framework:
        hyperparameters.update(
            {
                "sagemaker_program": job.entry_point,
                "sagemaker_submit_directory": CODE_DIR,
                "sagemaker_job_name": job.job_name,
                "sagemaker_region": job.region,
                "sagemaker_container_log_level": 20,
            }
        )
    for strategy, options in job.distribution.items():
        hyperparameters.update(
            DISTRIBUTIONS[strategy](options if isinstance(options, dict) else {}, job.instance_type)
        )
    channels = []
    if job.code:  # a directory: the trailing "/" keeps a sibling prefix (pr-1 vs pr-10) out of the channel
        code = S3Location.parse(job.code, "--code")
        channels.append(_channel(CODE_CHANNEL, f"s3://{code.bucket}/{code.list_prefix}"))
    for name, uri in job.channels.items():
        S3Location.parse(uri, f"--channel {name}=")
        channels.append(_channel(name, uri, sharded=name in job.sharded_channels))
    output = S3Location.parse(job.output, "--output")
    request: dict[str, Any] = {
        "TrainingJobName": job.job_name,
        "AlgorithmSpecification": {"TrainingImage": job.image_uri, "TrainingInputMode": "File"},
        "RoleArn": job.role_arn,
        "OutputDataConfig": {"S3OutputPath": str(output)},
        "ResourceConfig": {
            "InstanceType": job.instance_type,
            "InstanceCount": job.instance_count,
            "VolumeSizeInGB": job.volume_size,
        },
        "StoppingCondition": {"MaxRuntimeInSeconds": job.max_runtime},
        "HyperParameters": encode_hyperparameters(hyperparameters, json_values=framework),
        "Tags": [{"Key": key, "Value": value} for key, value in job.tags],
        "EnableManagedSpotTraining": job.spot,
    }
    if job.metric_definitions:
        request["AlgorithmSpecification"]["MetricDefinitions"] = [d.request() for d in job.metric_definitions]
    if channels:
        request["InputDataConfig"] = channels
    if job.environment:
        request["Environment"] = job.environment
    if job.spot:
        request["StoppingCondition"]["MaxWaitTimeInSeconds"] = job.max_wait or 2 * job.max_runtime
        checkpoints = job.checkpoint_s3_uri or str(output.child(f"{job.job_name}/checkpoints"))
        request["CheckpointConfig"] = {
            "S3Uri": str(S3Location.parse(checkpoints, "--checkpoint-s3-uri")),
            "LocalPath": CHECKPOINT_DIR,
        }
    return request


def _existing(client: Any, name: str) -> tuple[dict[str, Any], str]:
    """The job called ``name`` and its fingerprint tag (empty when it has none)."""
    try:
        description = client.describe_training_job(TrainingJobName=name)
    except Exception as exc:
        aws.raise_translated(exc, f"--job-name {name}: DescribeTrainingJob")
    return description, fingerprint_of(client, description)


def fingerprint_of(client: Any, description: dict[str, Any]) -> str:
    """The fingerprint tag of the job ``description`` describes (empty when it has none)."""
    try:
        tags = client.list_tags(ResourceArn=description["TrainingJobArn"]).get("Tags", [])
    except Exception as exc:
        aws.raise_translated(exc, f"training job {description.get('TrainingJobName', '')}: ListTags")
    return next((tag["Value"] for tag in tags if tag.get("Key") == FINGERPRINT_TAG), "")


def request_fingerprint(job: SageMakerJob) -> str:
    """The fingerprint of ``job``'s request: the same for a re-run of the same step, whatever the name."""
    request = build_request(replace(job, job_name="mlci-fingerprint"))
    request.pop("TrainingJobName")
    request["HyperParameters"].pop("sagemaker_job_name", None)
    if not job.checkpoint_s3_uri:
        request.pop("CheckpointConfig", None)  # derived from the name
    return fingerprint(request)


def create_or_attach(
    client: Any, job: SageMakerJob, before_create: Callable[[str, str], None] = lambda name, mark: None
) -> tuple[str, bool, list[str]]:
    """Create the job, or attach to the one of its name that has the same fingerprint and is InProgress or
    Completed. Returns (job ARN, attached, notes); ``job.job_name`` is the name finally used.

    ``before_create(name, fingerprint)`` runs before each CreateTrainingJob: a process killed before the
    answer arrives has still recorded the job it may have created (for ``mlci stop``)."""
    mark = request_fingerprint(job)
    notes: list[str] = []
    first = job.job_name
    for attempt in range(1, _MAX_NAME_ATTEMPTS + 1):
        if attempt > 1:
            job.job_name = suffixed(first, attempt)
        request = build_request(job)
        request["Tags"].append({"Key": FINGERPRINT_TAG, "Value": mark})
        name = job.job_name
        before_create(name, mark)
        try:
            return client.create_training_job(**request)["TrainingJobArn"], False, notes
        except Exception as exc:
            if aws.error_code(exc) != "ResourceInUse":
                aws.raise_translated(exc, f"--job-name {name}: CreateTrainingJob")
        description, theirs = _existing(client, name)
        status = description.get("TrainingJobStatus", "")
        if theirs == mark and status in ATTACHABLE:
            log.info(
                "a training job named %s with this request is %s (a re-run): attaching to it", name, status
            )
            notes.append(
                f"a job named {name} with the same request already existed ({status}, a re-run): followed it "
                "instead of starting another"
            )
            return description["TrainingJobArn"], True, notes
        why = "another request" if theirs != mark else f"the same request, {status}"
        notes.append(f"a job named {name} already exists ({why}): started a new one instead of attaching")
    raise UserError(
        f"--job-name {first}: {_MAX_NAME_ATTEMPTS} jobs of this name and its suffixes exist already; pass "
        "another "
        "--job-name or --job-key."
    )
