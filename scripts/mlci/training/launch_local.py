"""The local launcher: run the training command here with SageMaker's conventions (one script for both).

The command runs in ``source`` with the Python environment running mlci first on PATH (``python`` is this
interpreter), its own process group, and what the SageMaker training toolkit gives an entry point:

* ``SM_MODEL_DIR``: save the model here (copied to ``output`` when the command succeeds);
* ``SM_OUTPUT_DATA_DIR``, ``SM_OUTPUT_DIR`` (write ``failure`` there to set the failure reason),
  ``SM_INPUT_DIR``, ``SM_INPUT_CONFIG_DIR`` (with ``hyperparameters.json``);
* ``SM_CHANNELS`` and one ``SM_CHANNEL_<NAME>`` per ``--channel NAME=PATH``;
* ``SM_HPS``, ``SM_HP_<NAME>``, and the hyperparameters appended to the command as ``--name value``;
* ``SM_CURRENT_HOST=algo-1``, ``SM_HOSTS``, ``SM_NUM_CPUS``, ``SM_NUM_GPUS=0``, ``TRAINING_JOB_NAME``.

The log streams through ``on_line`` as it comes; the last lines are kept for the summary. A cancel event
(SIGTERM/SIGINT) or the max runtime ends the process group: SIGTERM, then SIGKILL after a grace period.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess  # nosec B404
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mlci.errors import UserError
from mlci.training.mappings import string_value, to_cmd_args, to_env_vars
from mlci.training.train_result import LOG_TAIL_LINES, SUCCESS, TrainResult

_GRACE_SECONDS = 10.0
_FAILURE_REASON_CHARS = 1024  # what SageMaker keeps of /opt/ml/output/failure


@dataclass
class LocalJob:
    """What to run and with what."""

    job_name: str
    source: str
    command: list[str]
    output: str
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    environment: dict[str, str] = field(default_factory=dict)
    channels: dict[str, str] = field(default_factory=dict)
    max_runtime: float = 3600.0
    #: The metrics file in SM_OUTPUT_DATA_DIR (None: metrics.json when there is one).
    metrics_file: str | None = None


def _layout(root: str) -> dict[str, str]:
    dirs = {
        "SM_MODEL_DIR": os.path.join(root, "model"),
        "SM_OUTPUT_DIR": os.path.join(root, "output"),
        "SM_OUTPUT_DATA_DIR": os.path.join(root, "output", "data"),
        "SM_INPUT_DIR": os.path.join(root, "input"),
        "SM_INPUT_CONFIG_DIR": os.path.join(root, "input", "config"),
    }
    for path in dirs.values():
        os.makedirs(path, exist_ok=True)
    return dirs


def training_environment(job: LocalJob, dirs: dict[str, str]) -> dict[str, str]:
    """The child's environment: ours, plus SageMaker's variables (``dirs``: :func:`_layout`), plus the user's
    ``--environment``."""
    with open(
        os.path.join(dirs["SM_INPUT_CONFIG_DIR"], "hyperparameters.json"), "w", encoding="utf-8"
    ) as handle:
        json.dump({k: string_value(v) for k, v in job.hyperparameters.items()}, handle)
    env = dict(os.environ)
    env.update(dirs)
    env.update(to_env_vars(job.hyperparameters))
    env.update({f"SM_CHANNEL_{name.upper()}": os.path.abspath(path) for name, path in job.channels.items()})
    env.update(
        {
            "SM_CHANNELS": json.dumps(sorted(job.channels)),
            "SM_USER_ARGS": json.dumps(to_cmd_args(job.hyperparameters)),
            "SM_CURRENT_HOST": "algo-1",
            "SM_HOSTS": json.dumps(["algo-1"]),
            "SM_NUM_CPUS": str(os.cpu_count() or 1),
            "SM_NUM_GPUS": "0",
            "TRAINING_JOB_NAME": job.job_name,
            "PYTHONUNBUFFERED": "1",
            "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""),
        }
    )
    env.update(job.environment)
    return env


def _end(process: subprocess.Popen[str]) -> None:
    """SIGTERM the process group, then SIGKILL it if it is still there after the grace period."""
    for sig, wait in ((signal.SIGTERM, _GRACE_SECONDS), (signal.SIGKILL, None)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def _failure_file(output_dir: str) -> str:
    try:
        with open(os.path.join(output_dir, "failure"), encoding="utf-8", errors="replace") as handle:
            return handle.read(_FAILURE_REASON_CHARS).strip()
    except OSError:
        return ""


def run_local(job: LocalJob, on_line: Callable[[str], None], cancel: threading.Event) -> TrainResult:
    """Run the job to its end (or cancellation, or max runtime) and copy the model to ``job.output``."""
    if not os.path.isdir(job.source):
        raise UserError(f"--source {job.source}: not a directory; pass the directory with the training code.")
    for name, path in job.channels.items():
        if not os.path.exists(path):
            raise UserError(
                f"--channel {name}={path}: no such file or directory (the local launcher reads local paths)."
            )
    started = time.monotonic()
    tail: deque[str] = deque(maxlen=LOG_TAIL_LINES)
    with tempfile.TemporaryDirectory(prefix="mlci-local-") as root:
        dirs = _layout(root)
        env = training_environment(job, dirs)
        argv = job.command + to_cmd_args(job.hyperparameters)
        try:
            # the user's own training command, by design; no shell
            process = subprocess.Popen(  # nosec B603
                argv,
                cwd=job.source,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                text=True,
                errors="replace",
                bufsize=1,
                start_new_session=True,
            )
        except OSError as exc:
            raise UserError(
                f"--command {job.command[0]!r}: cannot run it ({exc.strerror or exc}); check the command."
            ) from exc

        def pump() -> None:
            for line in process.stdout or ():
                line = line.rstrip("\n")
                tail.append(line)
                on_line(line)

        reader = threading.Thread(target=pump, name="mlci-train-log", daemon=True)
        reader.start()
        stopped = ""
        while process.poll() is None:
            if cancel.is_set():
                stopped = (
                    "cancelled: the workflow was cancelled (SIGTERM/SIGINT); the training command was stopped"
                )
            elif time.monotonic() - started > job.max_runtime:
                stopped = (
                    f"MaxRuntimeExceeded: the command ran longer than --max-runtime ({job.max_runtime:.0f} s)"
                )
            if stopped:
                _end(process)
                break
            cancel.wait(0.2)
        returncode = process.wait()
        reader.join(timeout=_GRACE_SECONDS)  # a daemon process that kept the pipe open is not waited for
        if not reader.is_alive() and process.stdout:
            process.stdout.close()
        result = TrainResult(launcher="local", job_name=job.job_name, status=SUCCESS, log_tail=list(tail))
        result.details = [("command", " ".join(argv)), ("exit code", str(returncode))]
        if stopped:
            result.status, result.failure_reason = "Stopped", stopped
        elif returncode != 0:
            result.status = "Failed"
            result.failure_reason = (
                _failure_file(dirs["SM_OUTPUT_DIR"]) or f"the command exited with code {returncode}"
            )
        else:
            if not os.listdir(dirs["SM_MODEL_DIR"]):
                result.notes.append("the command succeeded but wrote nothing to SM_MODEL_DIR")
            try:
                shutil.copytree(dirs["SM_MODEL_DIR"], job.output, dirs_exist_ok=True)
            except OSError as exc:
                raise UserError(
                    f"--output {job.output}: cannot copy the model there ({exc.strerror or exc})."
                ) from exc
            result.model_artifacts = result.model_dir = os.path.abspath(job.output)
        from mlci.training.job_metrics import DEFAULT_METRICS_FILE, read_local

        result.metrics, notes = read_local(
            dirs["SM_OUTPUT_DATA_DIR"], job.metrics_file or DEFAULT_METRICS_FILE, job.metrics_file is not None
        )
        result.notes += notes
    result.seconds = time.monotonic() - started
    return result
