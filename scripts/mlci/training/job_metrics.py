"""What a training job reports about itself: a metrics file in its output data, and metrics from its log.

Two sources, as SageMaker has them:

* **The metrics file** (``metrics.json``, or ``--metrics-file NAME``): a JSON object the script writes to
  ``SM_OUTPUT_DATA_DIR``. The local launcher reads it from that directory when the command ends; on SageMaker
  the directory comes back as ``output.tar.gz`` beside ``model.tar.gz`` (``<S3OutputPath>/<job>/output/``),
  read here through boto3 without unpacking anything else to disk. Numbers are kept; a nested object becomes
  dotted names (``{"val": {"f1": 0.9}}`` -> ``val.f1``); anything else is a note, never a failure.
* **Metric definitions** (``--metric-definitions``): ``Name``/``Regex`` pairs as the SageMaker Python SDK's
  ``metric_definitions`` (the first group of the regex is the value). SageMaker applies them to the job's log
  itself and answers the final values in ``FinalMetricDataList``; for the local launcher mlci applies them to
  each log line, and the last value wins as on SageMaker.
"""

from __future__ import annotations

import json
import math
import os
import re
import tarfile
from dataclasses import dataclass, field
from typing import Any

from mlci.errors import UserError

DEFAULT_METRICS_FILE = "metrics.json"
_MAX_DEFINITIONS = 40  # SageMaker's limit on AlgorithmSpecification.MetricDefinitions
_MAX_NAME, _MAX_REGEX = 255, 500
_MAX_FILE_BYTES = 1 << 20  # a metrics file, not a data set


@dataclass(frozen=True)
class MetricDefinition:
    """One SageMaker metric definition: ``Name`` and a ``Regex`` whose first group is the value."""

    name: str
    regex: str

    def request(self) -> dict[str, str]:
        """The CreateTrainingJob form (AlgorithmSpecification.MetricDefinitions item)."""
        return {"Name": self.name, "Regex": self.regex}


def _definition(item: Any, flag: str) -> MetricDefinition:
    if not (isinstance(item, dict) and set(item) == {"Name", "Regex"}):
        raise UserError(
            f"{flag}: expected a list of {{Name: ..., Regex: ...}} items (as the SageMaker SDK's "
            f"metric_definitions) or a mapping NAME: REGEX; got {item!r}."
        )
    name, regex = str(item["Name"]).strip(), str(item["Regex"])
    if not 1 <= len(name) <= _MAX_NAME or not 1 <= len(regex) <= _MAX_REGEX:
        raise UserError(
            f"{flag} {name!r}: names take 1 to {_MAX_NAME} characters, regexes 1 to {_MAX_REGEX} "
            "(SageMaker's limits)."
        )
    try:
        groups = re.compile(regex).groups
    except re.error as exc:
        raise UserError(f"{flag} {name}: the regex {regex!r} does not compile ({exc}).") from None
    if groups < 1:
        raise UserError(
            f"{flag} {name}: the regex {regex!r} has no group; put the value in one, e.g. 'loss=([0-9.]+)'."
        )
    return MetricDefinition(name, regex)


def parse_definitions(text: str | None, flag: str = "--metric-definitions") -> list[MetricDefinition]:
    """Definitions from YAML/JSON text or a file: ``[{Name, Regex}, ...]`` or ``{NAME: REGEX}``."""
    from mlci.training.launchers.mappings import load_yaml

    data = load_yaml(flag, text, "a list of {Name, Regex} items")
    if data is None:
        return []
    if isinstance(data, dict) and set(data) != {"Name", "Regex"}:
        data = [{"Name": name, "Regex": regex} for name, regex in data.items()]
    elif isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not data:
        raise UserError(f"{flag}: expected a list of {{Name, Regex}} items or a mapping NAME: REGEX.")
    definitions = [_definition(item, flag) for item in data]
    names = [d.name for d in definitions]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise UserError(f"{flag}: the metric {duplicates[0]!r} is defined twice; keep one definition.")
    if len(definitions) > _MAX_DEFINITIONS:
        raise UserError(f"{flag}: SageMaker takes at most {_MAX_DEFINITIONS} metric definitions.")
    return definitions


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


@dataclass
class LogMetrics:
    """Apply metric definitions to log lines as SageMaker does: the last value of each metric wins."""

    definitions: list[MetricDefinition]
    values: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._compiled = [(d.name, re.compile(d.regex)) for d in self.definitions]

    def feed(self, line: str) -> None:
        for name, pattern in self._compiled:
            for match in pattern.finditer(line):
                value = _number(match.group(1))
                if value is not None:
                    self.values[name] = value


def final_metrics(description: dict[str, Any]) -> dict[str, float]:
    """``FinalMetricDataList`` of a DescribeTrainingJob answer, as ``{name: value}``."""
    metrics: dict[str, float] = {}
    for item in description.get("FinalMetricDataList") or []:
        value = _number(item.get("Value"))
        if item.get("MetricName") and value is not None:
            metrics[str(item["MetricName"])] = value
    return metrics


def parse_metrics(data: bytes, where: str) -> tuple[dict[str, float], list[str]]:
    """The numbers of a metrics file (nested objects as dotted names), and notes on what was left out."""
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        return {}, [f"{where}: not valid JSON ({exc}); no metrics read from it"]
    if not isinstance(document, dict):
        return {}, [f"{where}: expected a JSON object of metric names and numbers; no metrics read from it"]
    metrics: dict[str, float] = {}
    skipped: list[str] = []

    def walk(prefix: str, node: dict[str, Any]) -> None:
        for key, value in node.items():
            name = f"{prefix}{key}"
            if isinstance(value, dict):
                walk(f"{name}.", value)
            elif isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
                metrics[name] = float(value)
            else:
                skipped.append(name)

    walk("", document)
    notes = [f"{where}: not a finite number, left out: {', '.join(skipped[:10])}"] if skipped else []
    return metrics, notes


def read_local(output_data_dir: str, name: str, explicit: bool) -> tuple[dict[str, float], list[str]]:
    """The metrics file in the local launcher's SM_OUTPUT_DATA_DIR (a missing default file is no note)."""
    path = os.path.join(output_data_dir, name)
    try:
        with open(path, "rb") as handle:
            data = handle.read(_MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        return {}, (
            [f"--metrics-file {name}: the job wrote no such file to SM_OUTPUT_DATA_DIR"] if explicit else []
        )
    except OSError as exc:
        return {}, [f"--metrics-file {name}: cannot read it ({exc.strerror or exc})"]
    if len(data) > _MAX_FILE_BYTES:
        return {}, [f"--metrics-file {name}: larger than 1 MiB; not read"]
    return parse_metrics(data, f"SM_OUTPUT_DATA_DIR/{name}")


def output_archive_uri(model_artifacts: str) -> str:
    """``.../<job>/output/output.tar.gz``: SageMaker uploads SM_OUTPUT_DATA_DIR beside ``model.tar.gz``."""
    base, _, _ = model_artifacts.rpartition("/")
    return f"{base}/output.tar.gz"


def _member(tar: tarfile.TarFile, name: str) -> bytes | None:
    wanted = name.strip("/")
    for info in tar:  # a stream: members in order, each read once
        if info.isfile() and os.path.normpath(info.name).lstrip("./") == wanted:
            if info.size > _MAX_FILE_BYTES:
                return b""
            handle = tar.extractfile(info)
            return handle.read() if handle else None
    return None


def read_output_archive(
    s3: Any, model_artifacts: str, name: str, explicit: bool
) -> tuple[dict[str, float], list[str]]:
    """The metrics file inside the job's ``output.tar.gz`` on S3 (streamed, only that member read)."""
    from mlci.training import aws
    from mlci.training.s3uri import S3Location

    uri = output_archive_uri(model_artifacts)
    location = S3Location.parse(uri, "output data")
    try:
        body = s3.get_object(Bucket=location.bucket, Key=location.prefix)["Body"]
    except Exception as exc:
        if aws.error_code(exc) in ("NoSuchKey", "404"):
            return {}, [f"--metrics-file {name}: the job uploaded no {uri}"] if explicit else []
        return {}, [f"{uri}: cannot read it ({aws.error_code(exc) or exc}); no metrics from the output data"]
    try:
        with tarfile.open(fileobj=body, mode="r|gz") as tar:
            data = _member(tar, name)
    except (tarfile.TarError, OSError, EOFError) as exc:
        return {}, [f"{uri}: not a readable tar.gz ({exc}); no metrics from the output data"]
    if data is None:
        return {}, [f"--metrics-file {name}: not in {uri}"] if explicit else []
    if not data:
        return {}, [f"{uri}: {name} is larger than 1 MiB; not read"]
    return parse_metrics(data, f"{uri}:{name}")


def add_arguments(parser: Any) -> None:
    """``--metrics-file`` and ``--metric-definitions`` (for ``mlci train``)."""
    group = parser.add_argument_group("training metrics")
    group.add_argument(
        "--metrics-file",
        metavar="NAME",
        help="The JSON file of metrics the script writes to SM_OUTPUT_DATA_DIR (on SageMaker read back from "
        f"output.tar.gz). Default: {DEFAULT_METRICS_FILE}, when the job writes one.",
    )
    group.add_argument(
        "--metric-definitions",
        metavar="YAML",
        help="Metrics in the log, as the SageMaker SDK's metric_definitions: a list of {Name, Regex} (or a "
        "mapping NAME: REGEX), YAML/JSON text or a file; the regex's first group is the value, the last "
        "value wins. Default: none.",
    )
