"""The local launcher: run the training here, in the environment SageMaker's training toolkit builds.

For each run mlci lays out a SageMaker base directory under a temporary folder (``input/config`` with the
``hyperparameters.json``, ``inputdataconfig.json`` and ``resourceconfig.json`` that the same SageMaker
request implies, ``input/data/<channel>`` for ``code`` and every ``--channel``, ``model``, ``output/data``)
and asks the real toolkit (``sagemaker-training``, the library inside SageMaker's framework containers) for
the environment it gives an entry point: ``SM_TRAINING_ENV``, ``SM_MODEL_DIR``, ``SM_CHANNEL_<NAME>``,
``SM_HPS``, ``SM_HP_<NAME>``, ``SM_USER_ARGS``, ``SM_RESOURCE_CONFIG``, ``SM_MODULE_DIR``... The toolkit also
installs the code's ``requirements.txt`` as it does in the container. Then the command runs in the code
directory with ``python`` being mlci's interpreter, in its own process group, and with an allow-listed
environment (:data:`ALLOWED_ENV`) plus the toolkit's variables plus the user's ``--environment``: the
runner's tokens (``ACTIONS_ID_TOKEN_REQUEST_*``, ``ACTIONS_RUNTIME_TOKEN``) and AWS credentials never reach
the pull request's code.

The model (``SM_MODEL_DIR``) is copied to ``--output``; ``SM_OUTPUT_DATA_DIR`` (metrics.json...) is copied
beside it, to ``<output>-output-data``. A cancel event (SIGINT/SIGTERM), the max runtime or ``--wait-timeout``
ends the process group: SIGTERM, then SIGKILL after a grace period. One instance only: ``--instance-count``
above 1 is refused.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import signal
import subprocess  # nosec B404
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from mlci.errors import UserError
from mlci.training import job_metrics
from mlci.training.launchers import Hooks, TrainSpec
from mlci.training.launchers.result import (
    LOG_TAIL_LINES,
    SUCCESS,
    TrainResult,
    format_duration,
    tail_line,
)

_GRACE_SECONDS = 10.0
_FAILURE_REASON_CHARS = 1024  # what SageMaker keeps of /opt/ml/output/failure
CODE_CHANNEL = "code"
HOST = "algo-1"
INSTANCE_TYPE = "local"  # what SageMaker's own local mode calls it

#: What the training process keeps of mlci's environment (besides what the toolkit and --environment add).
ALLOWED_ENV = frozenset(
    {
        "PATH", "HOME", "USER", "LOGNAME", "SHELL", "TERM", "LANG", "LANGUAGE", "TZ",
        "TMPDIR", "TMP", "TEMP", "PYTHONUNBUFFERED", "PYTHONIOENCODING",
        "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
        "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL",
        "CI", "GITHUB_ACTIONS", "RUNNER_OS", "RUNNER_ARCH", "RUNNER_TEMP",
    }
)  # fmt: skip
_ALLOWED_PREFIXES = ("LC_",)
#: How mlci runs a child: its output, as text, interleaved into one stream; no input.
_PIPED: dict[str, Any] = {
    "stdout": subprocess.PIPE,
    "stderr": subprocess.STDOUT,
    "stdin": subprocess.DEVNULL,
    "text": True,
    "errors": "replace",
}

# Runs in a child interpreter: the toolkit reads SAGEMAKER_BASE_DIR when it is imported.
_TOOLKIT = """
import json, os, sys
from sagemaker_training import environment, errors, modules
try:
    env = environment.Environment()
    requirements = os.path.join(env.module_dir, "requirements.txt")
    if os.path.isfile(requirements) and env.user_entry_point.endswith(".py"):
        modules.install_requirements(env.module_dir)
except (errors.ClientError, OSError, ValueError) as exc:
    print(type(exc).__name__ + ": " + " ".join(str(exc).split()))
    sys.exit(1)
with open(sys.argv[1], "w", encoding="utf-8") as handle:
    json.dump(env.to_env_vars(), handle)
"""


def allowed_environment(environ: dict[str, str] | os._Environ[str]) -> dict[str, str]:
    """The part of ``environ`` the training process may see."""
    return {
        key: value
        for key, value in environ.items()
        if key in ALLOWED_ENV or key.startswith(_ALLOWED_PREFIXES)
    }


def _link(target: str, link: str) -> None:
    os.makedirs(os.path.dirname(link), exist_ok=True)
    os.symlink(os.path.abspath(target), link)


def write_base_dir(base: str, spec: TrainSpec, code_dir: str, entry_point: str) -> None:
    """The SageMaker base directory a job of ``spec`` would find in its container."""
    from mlci.training.launchers.mappings import encode_hyperparameters

    config = os.path.join(base, "input", "config")
    for relpath in ("model", "output/data", "output/intermediate", "code"):
        os.makedirs(os.path.join(base, relpath), exist_ok=True)
    os.makedirs(config, exist_ok=True)
    hyperparameters = {
        **spec.hyperparameters,
        "sagemaker_program": entry_point,
        "sagemaker_submit_directory": os.path.abspath(code_dir),
        "sagemaker_job_name": spec.job_name,
        "sagemaker_container_log_level": 20,
    }
    channels = {CODE_CHANNEL: code_dir, **spec.channels}
    group = {"instance_group_name": "homogeneousCluster", "instance_type": INSTANCE_TYPE, "hosts": [HOST]}
    documents = {
        "hyperparameters.json": encode_hyperparameters(hyperparameters, json_values=True),
        "inputdataconfig.json": {
            name: {
                "TrainingInputMode": "File",
                "S3DistributionType": "FullyReplicated",
                "RecordWrapperType": "None",
            }
            for name in channels
        },
        "resourceconfig.json": {
            "current_host": HOST,
            "current_instance_type": INSTANCE_TYPE,
            "current_group_name": "homogeneousCluster",
            "hosts": [HOST],
            "instance_groups": [group],
            "network_interface_name": "eth0",
        },
    }
    for name, document in documents.items():
        with open(os.path.join(config, name), "w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=2)
    for name, path in channels.items():
        _link(path, os.path.join(base, "input", "data", name))


def toolkit_environment(base: str, environ: dict[str, str], on_line: Callable[[str], None]) -> dict[str, str]:
    """The variables SageMaker's training toolkit gives an entry point on the base directory ``base``."""
    env = {**environ, "SAGEMAKER_BASE_DIR": base, "SM_STUDIO_LOCAL_MODE": "True"}
    answer = os.path.join(base, "toolkit-env.json")
    # mlci's own interpreter with the toolkit from requirements/training.txt; fixed code, no shell
    done = subprocess.run(  # nosec B603
        [sys.executable, "-c", _TOOLKIT, answer], env=env, check=False, **_PIPED
    )
    for line in done.stdout.splitlines():
        on_line(line)
    if done.returncode != 0:
        last = (done.stdout.strip().splitlines() or ["no output"])[-1]
        raise UserError(
            f"--source: the SageMaker training toolkit could not prepare the job ({last}); check the code's "
            "requirements.txt and --entry-point."
        )
    with open(answer, encoding="utf-8") as handle:
        variables: dict[str, str] = json.load(handle)
    return variables


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


def _copy(source: str, target: str, flag: str) -> str:
    try:
        shutil.copytree(source, target, dirs_exist_ok=True)
    except OSError as exc:
        raise UserError(f"{flag} {target}: cannot copy there ({exc.strerror or exc}).") from exc
    return os.path.abspath(target)


class LocalLauncher:
    """Train on this machine, the way a SageMaker framework container would."""

    name = "local"

    def add_arguments(self, group: argparse._ArgumentGroup) -> None:
        group.add_argument(
            "--command",
            dest="training_command",  # "command" is the subcommand's name in mlci's namespace
            metavar="CMD",
            help="The training command (split like a shell would, no shell involved); the hyperparameters "
            "are appended. Default: 'python <entry-point>'.",
        )

    def _command(self, args: argparse.Namespace, entry_point: str) -> list[str]:
        try:
            command = shlex.split(args.training_command) if args.training_command else ["python", entry_point]
        except ValueError as exc:  # an unbalanced quote
            raise UserError(
                f"--command {args.training_command!r}: {exc}; quote it as a shell would."
            ) from None
        if not command:
            raise UserError("--command: empty; pass the training command, e.g. 'python train.py'.")
        return command

    def _check(self, spec: TrainSpec, code_dir: str) -> None:
        if spec.instance_count != 1:
            raise UserError(
                f"--instance-count {spec.instance_count}: the local launcher runs one instance; use 1, or "
                "--launcher sagemaker for more."
            )
        if not os.path.isdir(code_dir):
            raise UserError(
                f"--source {code_dir}: not a directory; pass the directory with the training code."
            )
        output = spec.output or ""
        if output.startswith("s3://"):
            raise UserError(f"--output {output}: the local launcher writes the model to a local directory.")
        for name, path in spec.channels.items():
            if not os.path.exists(path):
                raise UserError(
                    f"--channel {name}={path}: no such file or directory (the local launcher reads local "
                    "paths)."
                )

    def launch(self, spec: TrainSpec, args: argparse.Namespace, hooks: Hooks) -> TrainResult:
        """Run the job to its end (or cancellation, or a time limit) and copy the model to ``--output``."""
        # Train from the synced copy when the code went to a directory: what was synced is what trains.
        code_dir = spec.code if spec.code and not spec.code.startswith("s3://") else spec.source
        self._check(spec, code_dir)
        entry_point = spec.entry_point or "train.py"
        command = self._command(args, entry_point)
        output = spec.output or os.path.join(os.environ.get("RUNNER_TEMP", "."), "mlci-model")
        limit, limit_flag = spec.max_runtime, "--max-runtime"
        if spec.wait_timeout is not None and spec.wait_timeout < limit:
            limit, limit_flag = spec.wait_timeout, "--wait-timeout"
        started = time.monotonic()
        tail: deque[str] = deque(maxlen=LOG_TAIL_LINES)
        log_metrics = job_metrics.LogMetrics(spec.metric_definitions)

        def keep(line: str) -> None:
            tail.append(tail_line(line))
            log_metrics.feed(line)
            hooks.on_log(line)

        with tempfile.TemporaryDirectory(prefix="mlci-local-") as base:
            write_base_dir(base, spec, code_dir, entry_point)
            environ = allowed_environment(os.environ)
            environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + environ.get("PATH", "")
            sm_env = toolkit_environment(base, environ, keep)
            env = {**environ, **sm_env, "TRAINING_JOB_NAME": spec.job_name, "PYTHONUNBUFFERED": "1"}
            env.update(spec.environment)
            argv = command + json.loads(sm_env.get("SM_USER_ARGS", "[]"))
            process = self._start(argv, code_dir, env)
            hooks.on_launched({"launcher": self.name, "job-name": spec.job_name, "pgid": str(process.pid)})

            def pump() -> None:
                for line in process.stdout or ():
                    keep(line.rstrip("\n"))

            reader = threading.Thread(target=pump, name="mlci-train-log", daemon=True)
            reader.start()
            stopped = ""
            while process.poll() is None:
                if hooks.cancel.is_set():
                    stopped = (
                        "cancelled: the workflow was cancelled (SIGINT/SIGTERM); the command was stopped"
                    )
                elif time.monotonic() - started > limit:
                    code = "MaxRuntimeExceeded" if limit_flag == "--max-runtime" else "timeout"
                    stopped = f"{code}: the command ran longer than {limit_flag} ({format_duration(limit)})"
                if stopped:
                    _end(process)
                    break
                hooks.cancel.wait(0.2)
            returncode = process.wait()
            reader.join(timeout=_GRACE_SECONDS)  # a daemon process that kept the pipe open is not waited for
            if not reader.is_alive() and process.stdout:
                process.stdout.close()
            result = self._result(spec, base, argv, returncode, stopped, list(tail))
            if result.status == SUCCESS:
                model = os.path.join(base, "model")
                if not os.listdir(model):
                    result.notes.append("the command succeeded but wrote nothing to SM_MODEL_DIR")
                result.model_artifacts = result.model_dir = _copy(model, output, "--output")
                if spec.download_model:
                    result.model_dir = _copy(model, spec.download_model, "--download-model")
            data = os.path.join(base, "output", "data")
            if os.listdir(data):  # metrics.json and friends, also of a failed run
                result.output_data = _copy(data, os.path.abspath(output) + "-output-data", "--output")
            name = spec.metrics_file or job_metrics.DEFAULT_METRICS_FILE
            metrics, notes = job_metrics.read_local(data, name, spec.metrics_file is not None)
            result.metrics = {**log_metrics.values, **metrics}
            result.notes += notes
        result.seconds = time.monotonic() - started
        result.cancelled = hooks.cancel.is_set()
        return result

    def _start(self, argv: list[str], cwd: str, env: dict[str, str]) -> subprocess.Popen[str]:
        try:
            # the user's own training command, by design; no shell
            return subprocess.Popen(  # nosec B603
                argv, cwd=cwd, env=env, bufsize=1, start_new_session=True, **_PIPED
            )
        except OSError as exc:
            raise UserError(
                f"--command {argv[0]!r}: cannot run it ({exc.strerror or exc}); check the command."
            ) from exc

    def _result(
        self, spec: TrainSpec, base: str, argv: list[str], returncode: int, stopped: str, tail: list[str]
    ) -> TrainResult:
        result = TrainResult(
            launcher=self.name,
            job_name=spec.job_name,
            status=SUCCESS,
            log_tail=tail,
            instance_type=INSTANCE_TYPE,
        )
        result.details = [("command", " ".join(argv)), ("exit code", str(returncode))]
        if stopped:
            result.status, result.failure_reason = "Stopped", stopped
        elif returncode != 0:
            result.status = "Failed"
            result.failure_reason = (
                _failure_file(os.path.join(base, "output")) or f"the command exited with code {returncode}"
            )
        return result

    def stop(self, record: dict[str, str]) -> str:
        """Kill the training command's process group, if it outlived mlci."""
        try:
            os.killpg(int(record["pgid"]), signal.SIGKILL)
        except (KeyError, ValueError):
            return "nothing to stop: the record names no process group"
        except ProcessLookupError:
            return f"{record.get('job-name', 'the job')}: the training command had already ended"
        return f"{record.get('job-name', 'the job')}: killed the training command's process group"


LAUNCHER = LocalLauncher()
