"""Register a trained model (the challenger) in an MLflow registry, in a form mlci loads safely.

What a pull request's training produced (SM_MODEL_DIR copied to ``--output``, or SageMaker's ``model.tar.gz``)
is loaded once, under mlci's trust rule (:mod:`mlci.validation.loading`: a pickle only with ``--sha256`` or
``--trust-pickle``), and logged with ``mlflow.sklearn.log_model(serialization_format="skops")``: from then on
the registry holds a skops file, and the tree hash of the model directory (every file loading reads, see
:func:`mlci.validation.loading.tree_sha256`) is recorded on the model version (tag ``mlci.sha256``) and in the
report, so that ``mlci validate --model models:/NAME@ALIAS --sha256 HEX`` loads exactly that model.

The run gets the hyperparameters as params, the job's metrics, and tags: repository, pull request, commit,
run URL, training job name. The model version gets the same tags and the alias (``pr-<number>`` by default).

Tracking server: ``--mlflow-tracking-uri``, else MLFLOW_TRACKING_URI, else a local sqlite store
(``sqlite:///mlflow.db``, artifacts in mlflow's default ``./mlruns``). mlflow's own settings authenticate:
MLFLOW_TRACKING_TOKEN, or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD.
"""

from __future__ import annotations

import logging
import os
import tarfile
import tempfile
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlci.errors import UserError
from mlci.github import RunContext

log = logging.getLogger(__name__)

EMBEDDED_TRACKING_URI = "sqlite:///mlflow.db"
_TITLE = "mlci register"
_MODEL_SUFFIXES = (".skops", ".joblib", ".pkl", ".pickle", ".sav", ".jbl")


@dataclass
class Registration:
    """What to register and where."""

    model: str  # a directory (SM_MODEL_DIR's copy) or a model.tar.gz
    name: str
    alias: str
    context: RunContext
    tracking_uri: str | None = None
    artifact_location: str | None = None
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    job_name: str = ""
    sha256: str | None = None
    trust_pickle: bool = False
    flag: str = "--model"
    #: The alias of the model to compare with: its version and sha256 pin go into the report.
    baseline_alias: str = "champion"
    #: Set by SIGINT/SIGTERM (a cancelled workflow): the registration stops and what it did is rolled back.
    cancel: threading.Event | None = None


class Cancelled(KeyboardInterrupt):
    """The run was cancelled before the registration completed; what it had done was rolled back (exit 130).

    The message says what the alias points at now."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "cancelled"


def default_alias(context: RunContext, flag: str = "--alias") -> str:
    """``pr-<number>`` of the pull request the run belongs to."""
    if not context.pr_number:
        raise UserError(
            f"{flag}: no pull request number is known (not a pull_request event); pass {flag} NAME or "
            "--pr-number N."
        )
    return f"pr-{context.pr_number}"


def _model_file(directory: Path, flag: str) -> Path:
    """The one model file: a skops file first, else a pickle or joblib file."""
    files = sorted(p for p in directory.rglob("*") if p.is_file() and p.suffix in _MODEL_SUFFIXES)
    for suffix in _MODEL_SUFFIXES:
        found = [p for p in files if p.suffix == suffix]
        if len(found) > 1:
            names = ", ".join(str(p.relative_to(directory)) for p in found)
            raise UserError(f"{flag} {directory}: several {suffix} files ({names}); keep one model file.")
        if found:
            return found[0]
    raise UserError(
        f"{flag} {directory}: no model file ({', '.join(_MODEL_SUFFIXES)}) in it; save the fitted model to "
        "SM_MODEL_DIR, e.g. model.joblib."
    )


def _unpacked(path: Path, workdir: Path, flag: str) -> Path:
    if path.is_dir():
        return path
    if not path.is_file():
        raise UserError(
            f"{flag} {path}: no such file or directory; pass the model directory or model.tar.gz."
        )
    target = workdir / "model"
    try:
        with tarfile.open(path, "r:*") as tar:
            tar.extractall(target, filter="data")  # no absolute paths, no .., no links out, no devices
    except (tarfile.TarError, OSError) as exc:
        raise UserError(
            f"{flag} {path}: not a model directory nor a readable model.tar.gz ({exc})."
        ) from None
    return target


def _tags(registration: Registration) -> dict[str, str]:
    context = registration.context
    tags = {
        "mlci.repository": context.repository,
        "mlci.pull_request": context.pr_number,
        "mlci.sha": context.sha,
        "mlci.run_url": context.run_url,
        "mlci.job_name": registration.job_name,
        "mlflow.source.git.commit": context.sha,
    }
    return {key: value for key, value in tags.items() if value}


def _translate(exc: Exception, registration: Registration, server: str) -> UserError:
    from mlci.gha import public_url
    from mlci.validation.sources.mlflow import (
        CREDENTIALS_HINT,
        is_connection_error,
        refused_credentials,
        unreachable,
    )

    if is_connection_error(exc):
        return unreachable(f"registering {registration.name}@{registration.alias}", server, _TITLE)
    first = (str(exc).splitlines() or [type(exc).__name__])[0]
    hint = CREDENTIALS_HINT if refused_credentials(exc) else "check the server and the model name"
    return UserError(
        f"registering {registration.name}@{registration.alias} on {public_url(server)}: "
        f"{public_url(first)}; {hint}.",
        title=_TITLE,
    )


def _run_link(server: str, experiment_id: str, run_id: str) -> str:
    from mlci.gha import public_url

    if not server.startswith(("http://", "https://")):
        return ""
    return f"{public_url(server).rstrip('/')}/#/experiments/{experiment_id}/runs/{run_id}"


def register(registration: Registration) -> dict[str, Any]:
    """Load the model under the trust rule, log it to MLflow as skops, register it and point the alias at it.

    Returns the report: name, version, alias, model URI, run id and link, tree hash of the registered model.
    """
    from mlci.gha import public_url
    from mlci.validation.loading import Trust, file_sha256, load_model
    from mlci.validation.sources.mlflow import client_settings

    server = registration.tracking_uri or os.environ.get("MLFLOW_TRACKING_URI") or EMBEDDED_TRACKING_URI
    flag = registration.flag
    _Rollback(registration, None).checkpoint()  # cancelled before it began: nothing to undo
    with tempfile.TemporaryDirectory(prefix="mlci-register-") as tmp:
        directory = _unpacked(Path(registration.model), Path(tmp), flag)
        model_file = _model_file(directory, flag)
        trust = Trust(trust_pickle=registration.trust_pickle, sha256=registration.sha256)
        loaded = load_model(model_file, trust, f"{flag} {registration.model}")
        source_sha256 = loaded.sha256 or file_sha256(model_file)
        with client_settings(server):
            try:
                import mlflow.sklearn  # noqa: F401  (present: the import error is ours to word)
                import skops.io
                from mlflow.exceptions import MlflowException
            except ImportError as exc:
                raise UserError(
                    f"registering a model needs mlflow and skops ({exc.name} is missing); install "
                    "requirements/mlflow.txt.",
                    title=_TITLE,
                ) from None
            untrusted = skops.io.get_untrusted_types(data=skops.io.dumps(loaded.model))
            try:
                report = _log(registration, loaded.model, untrusted, server, Path(tmp))
            except (MlflowException, OSError) as exc:
                raise _translate(exc, registration, server) from None
    report.update(
        source_file=model_file.name,
        source_sha256=source_sha256,
        tracking_uri=public_url(server),
        model=f"models:/{registration.name}@{registration.alias}",
    )
    return report


def _requirements() -> list[str]:
    from importlib.metadata import version

    return [f"{name}=={version(name)}" for name in ("scikit-learn", "skops")]


class _Rollback:
    """What a registration has done so far, undone when the run is cancelled before the registration ends.

    ``checkpoint()`` between the steps: once SIGINT/SIGTERM set the registration's cancel event, the version
    it created is deleted, the alias goes back to the version it pointed at before (or is removed), the run
    is marked KILLED, and :class:`Cancelled` says so. A cancelled run never leaves @pr-N on its model."""

    def __init__(self, registration: Registration, client: Any) -> None:
        self.registration, self.client = registration, client
        self.run_id = self.version = ""
        self.previous: str | None = None  # the version the alias pointed at before this registration
        self.alias_set = False

    def checkpoint(self) -> None:
        cancel = self.registration.cancel
        if cancel is not None and cancel.is_set():
            raise Cancelled(
                f"the workflow was cancelled (SIGINT/SIGTERM) before {self.registration.name} was registered "
                f"as @{self.registration.alias}: not registered; {self._undo()}"
            )

    def _undo(self) -> str:
        name, alias, client = self.registration.name, self.registration.alias, self.client
        if not self.version:
            return f"@{alias} was left as it was"
        from mlflow.exceptions import MlflowException

        try:
            if self.previous:
                client.set_registered_model_alias(name, alias, self.previous)
            elif self.alias_set:
                client.delete_registered_model_alias(name, alias)
            client.delete_model_version(name, self.version)
            if self.run_id:
                client.set_terminated(self.run_id, "KILLED")
        except (MlflowException, OSError) as exc:
            first = (str(exc).splitlines() or [type(exc).__name__])[0]
            return (
                f"rolling back failed ({first}): delete version {self.version} of {name} in MLflow and check "
                f"@{alias}"
            )
        kept = (
            f"@{alias} points at version {self.previous} again" if self.previous else f"@{alias} is not set"
        )
        return f"version {self.version} was deleted and {kept}"


def alias_version(client: Any, name: str, alias: str) -> Any | None:
    """The version ``models:/NAME@ALIAS`` points at, or None when MLflow answers that there is no such alias
    (or no such model) yet. Any other failure (a 5xx, a refused token, a dropped connection) is raised: read
    as "no champion", it would switch the comparison against the champion off."""
    from mlflow.exceptions import MlflowException

    try:
        return client.get_model_version_by_alias(name, alias)
    except MlflowException as exc:
        code = getattr(exc, "error_code", "")
        # MLflow's registry: an unknown model is RESOURCE_DOES_NOT_EXIST; an unknown alias of a known model
        # is INVALID_PARAMETER_VALUE "Registered model alias ALIAS not found."
        missing_alias = code == "INVALID_PARAMETER_VALUE" and "not found" in str(exc)
        if code == "RESOURCE_DOES_NOT_EXIST" or missing_alias:
            return None
        raise


def _log(
    registration: Registration, model: Any, untrusted: list[str], server: str, tmp: Path
) -> dict[str, Any]:
    import mlflow
    import mlflow.sklearn
    from mlflow import MlflowClient

    from mlci.validation.loading import tree_sha256

    client = MlflowClient(tracking_uri=server)
    done = _Rollback(registration, client)
    done.checkpoint()
    experiment = client.get_experiment_by_name(registration.name)
    experiment_id = (
        experiment.experiment_id
        if experiment is not None
        else client.create_experiment(registration.name, artifact_location=registration.artifact_location)
    )
    tags = _tags(registration)
    # both aliases are read before anything is created: a failed read leaves nothing behind
    previous = alias_version(client, registration.name, registration.alias)
    baseline: dict[str, Any] = {"alias": registration.baseline_alias, "version": None, "sha256": None}
    if registration.baseline_alias != registration.alias:
        found = alias_version(client, registration.name, registration.baseline_alias)
        if found is not None:  # else no champion yet: the first model has nothing to be compared with
            baseline.update(version=str(found.version), sha256=(found.tags or {}).get("mlci.sha256"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mlflow's advice to model authors (signatures, pip) is noise in CI
        # the server reaches mlflow's fluent API through MLFLOW_TRACKING_URI (client_settings, in register)
        with mlflow.start_run(experiment_id=experiment_id, tags=tags) as run:
            done.run_id = run.info.run_id
            if registration.hyperparameters:
                mlflow.log_params({k: str(v)[:6000] for k, v in registration.hyperparameters.items()})
            if registration.metrics:
                mlflow.log_metrics(registration.metrics)
            info = mlflow.sklearn.log_model(
                model,
                name="model",
                serialization_format="skops",
                skops_trusted_types=untrusted,
                registered_model_name=registration.name,
                pip_requirements=_requirements(),  # known: inferring them costs a minute
            )
    version = done.version = str(info.registered_model_version)
    done.checkpoint()
    local = mlflow.artifacts.download_artifacts(
        artifact_uri=client.get_model_version_download_uri(registration.name, version),
        dst_path=str(tmp / "registered"),
        tracking_uri=server,
    )
    sha256 = tree_sha256(Path(local))  # what --sha256 pins for an MLflow model directory
    for key, value in {**tags, "mlci.sha256": sha256}.items():
        client.set_model_version_tag(registration.name, version, key, value)
    done.previous = str(previous.version) if previous is not None else None
    done.checkpoint()
    done.alias_set = True
    client.set_registered_model_alias(registration.name, registration.alias, version)
    done.checkpoint()  # a signal while the alias was being set: it goes back too
    log.info("registered models:/%s/%s as @%s", registration.name, version, registration.alias)
    return {
        "name": registration.name,
        "version": version,
        "alias": registration.alias,
        "run_id": run.info.run_id,
        "run_link": _run_link(server, experiment_id, run.info.run_id),
        "sha256": sha256,
        "tags": tags,
        "skops_untrusted_types": untrusted,
        "baseline": baseline,
    }
