"""A model file in a Hugging Face Hub repository, fetched with huggingface_hub's own download and cache.

HF_ENDPOINT, HF_TOKEN, HF_HUB_CACHE and HF_HUB_OFFLINE keep their meaning. They are read when the download
starts (huggingface_hub reads some of them once, at import), so a caller that changes them between two
validations in one process gets what it asked for.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from mlci.errors import UserError
from mlci.gha import public_url
from mlci.validation.sources import FetchedModel
from mlci.validation.uri import HfUri

log = logging.getLogger(__name__)

_TRUE = {"1", "ON", "YES", "TRUE"}  # huggingface_hub's own spelling of "true"
_TITLE = "mlci validate: Hugging Face Hub"


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").upper() in _TRUE


def _endpoint() -> str:
    """The Hub's address as messages and the report name it: without credentials (``user:token@``)."""
    return public_url(os.environ.get("HF_ENDPOINT") or "https://huggingface.co").rstrip("/")


def _revision_text(uri: HfUri) -> str:
    return uri.revision or "main"


def _translate(exc: Exception, uri: HfUri, flag: str) -> UserError:
    """One sentence for every way a Hub download fails; never the token, never a traceback."""
    from huggingface_hub import errors

    where = f"{flag} {uri.text}"
    revision = _revision_text(uri)
    if isinstance(exc, errors.GatedRepoError):
        why = (
            f"{uri.repo_id} is a gated repository; accept its conditions on the Hub and set HF_TOKEN to a "
            "token of an account that has access."
        )
    elif isinstance(exc, errors.RepositoryNotFoundError):
        why = (
            f"repository {uri.repo_id} not found at {_endpoint()}; check the name, and for a private "
            "repository set HF_TOKEN to a token that can read it."
        )
    elif isinstance(exc, errors.RevisionNotFoundError):
        why = f"revision '{revision}' not found in {uri.repo_id}; check the branch, tag or commit"
        why += _slash_hint(uri) + "."
    elif isinstance(exc, errors.RemoteEntryNotFoundError):
        why = f"file '{uri.path}' not found in {uri.repo_id} at revision '{revision}'; "
        why += "check the path in the repo."
    elif isinstance(exc, errors.LocalEntryNotFoundError):
        if _offline():
            why = (
                "HF_HUB_OFFLINE is set and the file is not in the Hugging Face cache "
                f"({os.environ.get('HF_HUB_CACHE') or 'the default cache'}); run once online to fill the "
                "cache."
            )
        else:
            why = (
                f"cannot reach {_endpoint()} and the file is not in the Hugging Face cache; check "
                "HF_ENDPOINT and the network, or run once online to fill the cache."
            )
    elif isinstance(exc, errors.HfHubHTTPError):
        status = exc.response.status_code if exc.response is not None else "?"
        hint = "set HF_TOKEN to a token that can read it" if status in (401, 403) else "retry later"
        why = f"{_endpoint()} answered HTTP {status} for {uri.repo_id}; {hint}."
    elif isinstance(exc, errors.HFValidationError):
        why = f"{exc}".splitlines()[0].rstrip(".") + "."
    else:  # OSError: a full disk, an unwritable cache, a proxy error...
        first_line = (str(exc).splitlines() or [type(exc).__name__])[0]
        why = f"download failed: {first_line}"
    return UserError(f"{where}: {why}", title=_TITLE)


def _slash_hint(uri: HfUri) -> str:
    """How to write a revision that holds ``/`` (the Hub's ``refs/pr/1``, a branch ``feature/x``) when the
    URI wrote it as is and it was read as a shorter revision and a longer path."""
    parts = uri.path.split("/")
    if uri.revision is None or len(parts) < 2:
        return ""
    taken = 2 if uri.revision == "refs" and len(parts) > 2 else 1  # refs/pr/N, refs/convert/NAME
    revision, rest = "/".join([uri.revision, *parts[:taken]]), "/".join(parts[taken:])
    prefix = "hf://datasets/" if uri.repo_type == "dataset" else "hf://"
    encoded = f"{prefix}{uri.repo_id}@{quote(revision, safe='')}/{rest}"
    return f"; a revision that holds '/' is written URL-encoded: {encoded}"


def _resolved_commit(local_path: str, uri: HfUri) -> str | None:
    """The commit the download resolved to: the snapshot folder that holds the file in the cache."""
    depth = len(PurePosixPath(uri.path).parts)
    folder = Path(local_path).parents[depth - 1].name
    return folder if len(folder) == 40 else None


def fetch(uri: HfUri, *, flag: str) -> FetchedModel:
    """Download (or find in the cache) the file and record the commit it came from."""
    import httpx2
    from huggingface_hub import hf_hub_download

    # huggingface_hub prints its warnings (a retried download...) through a stderr handler of its own, which
    # mlci's redacting handler then prints a second time: leave them to mlci's logging alone.
    logging.getLogger("huggingface_hub").handlers.clear()
    revision = _revision_text(uri)
    log.info("Fetching %s from %s (revision %s)", uri.path, uri.repo_id, revision)
    try:
        local_path = hf_hub_download(
            repo_id=uri.repo_id,
            repo_type=uri.repo_type,
            filename=uri.path,
            revision=revision,
            endpoint=os.environ.get("HF_ENDPOINT") or None,
            cache_dir=os.environ.get("HF_HUB_CACHE") or None,
            local_files_only=_offline(),
            library_name="mlci",
        )
    except (OSError, ValueError, httpx2.HTTPError) as exc:
        raise _translate(exc, uri, flag) from None
    commit = _resolved_commit(local_path, uri)
    warnings = []
    if not uri.pinned:
        warnings.append(
            f"{flag} {uri.text}: revision '{revision}' is a branch or tag, not a commit: it resolved to "
            f"{commit or 'an unknown commit'} now, but it can move. Pin the model with "
            f"hf://{uri.repo_id}@{commit or 'COMMIT'}/{uri.path}."
        )
    identity = {
        "source": "huggingface",
        "uri": uri.text,
        "repo_id": uri.repo_id,
        "revision": revision,
        "commit": commit,
        "path": uri.path,
        "endpoint": _endpoint(),
    }
    return FetchedModel(path=Path(local_path), identity=identity, warnings=warnings)
