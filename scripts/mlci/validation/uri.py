"""Model URIs: which ecosystem a ``--model`` value names, parsed into its parts.

The forms follow each ecosystem's own convention:

- ``hf://OWNER/REPO[@REVISION]/PATH/IN/REPO``, as huggingface_hub's ``HfFileSystem`` writes it (a revision
  holding ``/`` is URL-encoded there: ``@refs%2Fpr%2F1``);
- MLflow's own, every form ``mlflow.artifacts.download_artifacts`` resolves: ``models:/NAME/VERSION``,
  ``models:/NAME@ALIAS``, ``models:/NAME/latest``, ``models:/NAME/STAGE``, ``models:/MODEL_ID`` (MLflow 3's
  logged models, ``models:/m-...``, what ``log_model`` returns as ``model_uri``) and ``runs:/RUN_ID/PATH``;
- anything else is a local path (a file, or an MLflow model directory holding an ``MLmodel`` file).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from mlci.errors import UserError

_HF_REPO_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_MLFLOW_NAME = re.compile(r"^[^/@]+$")
_COMMIT = re.compile(r"^[0-9a-f]{40}$")


@dataclass(frozen=True)
class HfUri:
    """A file in a Hugging Face model repository."""

    text: str
    repo_id: str
    revision: str | None
    path: str
    repo_type: str = "model"  # or "dataset" (hf://datasets/..., evaluation data)

    @property
    def pinned(self) -> bool:
        """True when the revision is a full commit hash, so the file cannot change under the caller."""
        return self.revision is not None and _COMMIT.fullmatch(self.revision) is not None


@dataclass(frozen=True)
class MlflowUri:
    """A model in an MLflow registry (``models:/``) or a run's artifact (``runs:/``).

    ``models:/`` names one of: a version, an alias, a stage (``latest``: the highest version), or a logged
    model's id (``name`` empty), as MLflow's own parser reads it.
    """

    text: str
    scheme: str  # "models" or "runs"
    name: str = ""  # registered model name (models:/)
    version: str | None = None
    alias: str | None = None
    stage: str | None = None  # a stage, or "latest"
    model_id: str | None = None  # models:/MODEL_ID
    run_id: str = ""  # runs:/
    path: str = ""  # runs:/ artifact path


@dataclass(frozen=True)
class LocalUri:
    """A path on this machine."""

    text: str
    path: str


ModelUri = HfUri | MlflowUri | LocalUri


def _bad(flag: str, text: str, why: str, form: str) -> UserError:
    return UserError(f"{flag} {text}: {why}; expected {form}.", title="mlci validate: bad model URI")


def parse_hf_uri(text: str, flag: str = "--model", repo_type: str = "model") -> HfUri:
    """``hf://[datasets/]OWNER/REPO[@REVISION]/PATH``: a file in a model (or dataset) repository."""
    prefix = "hf://datasets/" if repo_type == "dataset" else "hf://"
    form = f"{prefix}OWNER/REPO[@REVISION]/PATH/IN/REPO"
    rest = text[len(prefix) :]
    for other in ("datasets/", "spaces/"):
        if rest.startswith(other):
            raise _bad(flag, text, f"only model repositories hold models, not {other.rstrip('/')}", form)
    rest = rest.removeprefix("models/")
    parts = rest.split("/")
    if len(parts) < 3 or not all(parts):
        raise _bad(flag, text, "it names no file inside an OWNER/REPO repository", form)
    owner, repo_rev, path_parts = parts[0], parts[1], parts[2:]
    repo, _, revision = repo_rev.partition("@")
    if not (_HF_REPO_PART.fullmatch(owner) and _HF_REPO_PART.fullmatch(repo)):
        raise _bad(flag, text, f"'{owner}/{repo}' is not a valid repository id", form)
    if "@" in repo_rev and not revision:
        raise _bad(flag, text, "the revision after '@' is empty", form)
    return HfUri(
        text=text,
        repo_id=f"{owner}/{repo}",
        revision=unquote(revision) or None,
        path="/".join(path_parts),
        repo_type=repo_type,
    )


def _parse_models(text: str, flag: str) -> MlflowUri:
    """MLflow's own grammar (``mlflow.store.artifact.utils.models._parse_model_uri``), not importing it."""
    form = (
        "models:/NAME/VERSION, models:/NAME@ALIAS, models:/NAME/latest, models:/NAME/STAGE, models:/MODEL_ID"
    )
    rest = text[len("models:/") :].lstrip("/")
    parts = rest.split("/")
    if len(parts) > 2 or not parts[0].strip():
        raise _bad(flag, text, "it is not a model URI", form)
    if len(parts) == 2:
        name, suffix = parts
        if not suffix.strip() or "@" in name:
            raise _bad(flag, text, "the version, stage or 'latest' after the name is missing", form)
        if suffix.isdigit():
            return MlflowUri(text=text, scheme="models", name=name, version=suffix)
        return MlflowUri(text=text, scheme="models", name=name, stage=suffix)
    if "@" in rest:
        name, _, alias = rest.rpartition("@")
        if not (name and alias.strip()):
            raise _bad(flag, text, "the model name or alias is missing", form)
        return MlflowUri(text=text, scheme="models", name=name, alias=alias)
    return MlflowUri(text=text, scheme="models", model_id=rest)


def _parse_runs(text: str, flag: str) -> MlflowUri:
    form = "runs:/RUN_ID/PATH"
    run_id, _, path = text[len("runs:/") :].strip("/").partition("/")
    if not (run_id and path):
        raise _bad(flag, text, "the run id or the artifact path is missing", form)
    return MlflowUri(text=text, scheme="runs", run_id=run_id, path=path)


def parse_model_uri(text: str, flag: str = "--model") -> ModelUri:
    """Parse a model URI; raise UserError naming ``flag`` when it is malformed."""
    if not text.strip():
        raise UserError(f"{flag} is empty; give an hf://, models:/, runs:/ URI or a local path.")
    if text.startswith("hf://"):
        return parse_hf_uri(text, flag)
    if text.startswith("models:/"):
        return _parse_models(text, flag)
    if text.startswith("runs:/"):
        return _parse_runs(text, flag)
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", text):
        scheme = text.split(":", 1)[0]
        raise UserError(
            f"{flag} {text}: the '{scheme}://' scheme is not supported; use "
            "hf://OWNER/REPO[@REVISION]/PATH, models:/NAME/VERSION, models:/NAME@ALIAS, models:/MODEL_ID, "
            "runs:/RUN_ID/PATH or a local path.",
            title="mlci validate: bad model URI",
        )
    return LocalUri(text=text, path=text)
