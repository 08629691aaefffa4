"""A model in an MLflow registry (models:/NAME/VERSION, @ALIAS, /latest, /STAGE), a logged model
(models:/MODEL_ID) or a run (runs:/RUN_ID/PATH).

Only the MLflow client is used (mlflow-skinny is enough): the registry resolves an alias, a stage or 'latest'
to a version, with MLflow's own resolver, and the model's artifacts are downloaded into a local directory.
Nothing is loaded here: the MLmodel file says which flavour and which pickle, and
``mlci.validation.loading`` decides whether that may be unpickled.

The client interface every mlci command that talks to MLflow shares (validate, model-requirements, register,
promote), so that they find the server, time out and word a failure alike:

- :func:`resolve_tracking_uri`: the server, from ``--mlflow-tracking-uri`` or MLFLOW_TRACKING_URI;
- :func:`client_settings`: the environment mlflow's client reads while it talks to that server;
- :func:`is_connection_error`, :func:`unreachable`: a server that does not answer, and its one line;
- :func:`refused_credentials`, :data:`CREDENTIALS_HINT`: a server that refuses who the client is.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mlci.errors import UserError
from mlci.gha import public_url
from mlci.validation.sources import FetchedModel
from mlci.validation.uri import MlflowUri

log = logging.getLogger(__name__)

_TITLE = "mlci validate: MLflow"

#: Client settings mlci chooses when the caller has not: a CI job should fail in seconds, not retry for
#: minutes, when the server is down; and progress bars only clutter a log.
_CLIENT_DEFAULTS = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "3",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "60",
    "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
}


@contextmanager
def client_settings(server: str, registry: str | None = None) -> Iterator[None]:
    """Point mlflow at the server, with :data:`_CLIENT_DEFAULTS` where unset; restore the environment after.

    The server goes through MLFLOW_TRACKING_URI / MLFLOW_REGISTRY_URI, not only through arguments: mlflow
    resolves ``models:/`` and logged-model artifacts with a client built from its global settings. The
    registry is ``registry``, else MLFLOW_REGISTRY_URI, else the tracking server itself.
    """
    registry = registry or os.environ.get("MLFLOW_REGISTRY_URI") or server
    settings = {
        **{name: value for name, value in _CLIENT_DEFAULTS.items() if name not in os.environ},
        "MLFLOW_TRACKING_URI": server,
        "MLFLOW_REGISTRY_URI": registry,
    }
    saved = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def resolve_tracking_uri(flag_value: str | None, flag: str, model: str) -> str:
    """The tracking server: ``--mlflow-tracking-uri``, else MLFLOW_TRACKING_URI."""
    uri = flag_value or os.environ.get("MLFLOW_TRACKING_URI")
    if not uri:
        raise UserError(
            f"{flag} {model}: no MLflow tracking server is given; set MLFLOW_TRACKING_URI or pass "
            "--mlflow-tracking-uri (e.g. http://mlflow.example.com:5000).",
            title=_TITLE,
        )
    return uri


#: A connection failure as mlflow writes it into the text of a multi-file download's error (no chain)
_CONNECTION_TEXT = re.compile(
    r"Connection (aborted|refused|reset)|RemoteDisconnected|NewConnectionError|timed out"
)


def is_connection_error(exc: BaseException) -> bool:
    """The client could not talk to the server at all (refused, reset, timed out), however mlflow wraps it."""
    seen: BaseException | None = exc
    while seen is not None:
        if type(seen).__name__ in ("ConnectionError", "ConnectTimeout", "ReadTimeout", "NewConnectionError"):
            return True
        seen = seen.__cause__ or seen.__context__
    return _CONNECTION_TEXT.search(str(exc)) is not None


def unreachable(where: str, server: str, title: str = _TITLE) -> UserError:
    """The one line for a tracking server that does not answer (validate and register say it alike)."""
    return UserError(
        f"{where}: cannot reach the MLflow tracking server at {public_url(server)}; check "
        "MLFLOW_TRACKING_URI (or --mlflow-tracking-uri) and that the server is up.",
        title=title,
    )


CREDENTIALS_HINT = "set MLFLOW_TRACKING_TOKEN (or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD)"


def refused_credentials(exc: BaseException) -> bool:
    """The server refused who the client is: HTTP 401/403, or MLflow's error code for it."""
    first = (str(exc).splitlines() or [""])[0]
    return getattr(exc, "error_code", "") in ("PERMISSION_DENIED", "UNAUTHENTICATED") or bool(
        re.search(r"\b(401|403)\b", first)
    )


def _translate(exc: Exception, uri: MlflowUri, flag: str, server: str) -> UserError:
    where = f"{flag} {uri.text}"
    if is_connection_error(exc):
        return unreachable(where, server)
    code = getattr(exc, "error_code", "")
    lines = [line.strip() for line in str(exc).splitlines() if line.strip() and not line.startswith("#####")]
    message = lines[0] if lines else type(exc).__name__
    if message.endswith(":") and len(lines) > 1:  # a heading (a download's failures): add the first one
        message = f"{message} {lines[1]}"
    message = public_url(message.removeprefix(f"{code}: ").rstrip("."))  # no user:password@ from a URL
    if uri.model_id is not None and code in (
        "RESOURCE_DOES_NOT_EXIST",
        "INVALID_PARAMETER_VALUE",
        "NOT_FOUND",
    ):
        hint = (
            f"check the logged model id on {public_url(server)}; a registered model needs a version, alias "
            "or "
            f"stage: models:/{uri.model_id}/1, models:/{uri.model_id}@ALIAS, models:/{uri.model_id}/latest"
        )
    elif uri.scheme == "models" and code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"):
        what = (
            f"alias '{uri.alias}'"
            if uri.alias
            else f"stage '{uri.stage}'" if uri.stage else f"version {uri.version}"
        )
        hint = f"check the model name and {what} in the registry at {public_url(server)}"
    elif code == "RESOURCE_DOES_NOT_EXIST":
        hint = f"check the run id and the artifact path on {public_url(server)}"
    elif refused_credentials(exc):
        hint = CREDENTIALS_HINT
    else:
        hint = f"check the URI and the server at {public_url(server)}"
    return UserError(f"{where}: {message}; {hint}.", title=_TITLE)


def fetch(uri: MlflowUri, *, flag: str, workdir: Path, tracking_uri: str | None) -> FetchedModel:
    """Resolve the URI through the registry (alias -> version) and download the model's artifacts."""
    server = resolve_tracking_uri(tracking_uri, flag, uri.text)
    registry = os.environ.get("MLFLOW_REGISTRY_URI") or server
    destination = workdir / "mlflow"
    destination.mkdir(parents=True, exist_ok=True)
    with client_settings(server, registry):
        try:
            from mlflow.exceptions import MlflowException
        except ImportError:
            raise UserError(
                f"{flag} {uri.text}: MLflow models need the MLflow client, which is not installed; install "
                "requirements/mlflow.txt (mlflow-skinny is enough).",
                title=_TITLE,
            ) from None

        try:
            artifact_uri, identity = _resolve(uri, server, registry)
            log.info("Downloading %s from %s", artifact_uri, public_url(server))
            from mlflow.artifacts import download_artifacts

            local = download_artifacts(
                artifact_uri=artifact_uri,
                dst_path=str(destination),
                tracking_uri=server,
                registry_uri=registry,
            )
        except (MlflowException, OSError) as exc:
            raise _translate(exc, uri, flag, server) from None
    return FetchedModel(path=Path(local), identity=identity)


def _resolve(uri: MlflowUri, server: str, registry: str) -> tuple[str, dict[str, Any]]:
    """The artifact URI to download, and what the registry said about it."""
    identity: dict[str, Any] = {"source": "mlflow", "uri": uri.text, "tracking_uri": public_url(server)}
    from mlflow import MlflowClient
    from mlflow.store.artifact.utils.models import get_model_name_and_version

    client = MlflowClient(tracking_uri=server, registry_uri=registry)
    if uri.scheme == "runs":
        identity.update(run_id=uri.run_id, artifact_path=uri.path)
        logged = _logged_model_of_run(client, uri)
        if logged is None:
            return uri.text, identity
        # MLflow 3 reads runs:/RUN/NAME as the run's logged model NAME, through models:/m-..., and writes a
        # registered_model_meta file into the download: from its artifact location, the files are the same
        # as under models:/ (one model, one tree hash, one pin).
        rest = uri.path.partition("/")[2]
        identity.update(model_id=logged.model_id, name=logged.name, model_source=logged.artifact_location)
        return f"{logged.artifact_location.rstrip('/')}/{rest}".rstrip("/"), identity
    if uri.model_id is not None:  # MLflow 3's logged model: models:/m-...
        logged = client.get_logged_model(uri.model_id)
        identity.update(
            model_id=logged.model_id,
            name=logged.name,
            run_id=logged.source_run_id,
            model_source=logged.artifact_location,
        )
        return logged.artifact_location, identity
    name = uri.name
    if uri.alias:
        version = client.get_model_version_by_alias(name, uri.alias)
    else:  # a stage or 'latest' resolves to a version as download_artifacts itself would resolve it
        number = uri.version or get_model_name_and_version(client, uri.text)[-1]
        version = client.get_model_version(name, str(number))
    identity.update(
        name=name,
        alias=uri.alias,
        stage=uri.stage,
        version=str(version.version),
        run_id=version.run_id,
        model_id=getattr(version, "model_id", None),
        model_source=version.source,
    )
    # The artifact location, not models:/ again: mlflow resolves models:/ URIs against its global registry
    # URI, not the one given to download_artifacts.
    return client.get_model_version_download_uri(name, str(version.version)), identity


def _logged_model_of_run(client: Any, uri: MlflowUri) -> Any:
    """The logged model named by the first part of a runs:/ path, as MLflow 3's RunsArtifactRepository
    finds it (a model of that name whose source run is this run); None for a plain run artifact, and, as
    there, when the lookup fails (a server without logged models): the download then says what is wrong."""
    from mlflow.exceptions import MlflowException

    name = uri.path.split("/")[0]
    if "'" in name or not hasattr(client, "search_logged_models"):  # MLflow 2 has no logged models
        return None
    token = None
    try:
        experiment_id = client.get_run(uri.run_id).info.experiment_id
        while True:
            page = client.search_logged_models(
                experiment_ids=[experiment_id], filter_string=f"name = '{name}'", page_token=token
            )
            found = next((model for model in page if model.source_run_id == uri.run_id), None)
            if found is not None or not page.token:
                return found
            token = page.token
    except MlflowException:
        return None
