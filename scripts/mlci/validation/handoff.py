"""Hand a downloaded model from ``mlci model-requirements`` to ``mlci validate``: one download per action run.

In the model-validation action, ``mlci model-requirements --keep DIR`` downloads an MLflow model to read the
versions it was logged with (and checks its pin); ``mlci validate --fetched DIR --fetched-sha256 HEX`` then
evaluates those very files instead of downloading the model again, in the environment built from them.

``DIR`` holds the downloads and ``fetched.json``, the manifest: by flag (``--model``, ``--baseline``) the
URI, the download's path inside ``DIR``, its content hash (a directory's tree hash, a file's sha256: what
``--sha256`` pins), and what the URI resolved to. ``--fetched-sha256`` is the manifest's own sha256, which
the action passes from one step to the next as a step output (held by the runner, not in a file a later
step could rewrite). So before a handed-over model is used, validate checks the manifest against that sha256
and the model against the manifest's hash: a hand-off changed in between is exit 2, and nothing of it is
loaded. A hand-off inside the workspace (the pull request's files) is refused too. A model the manifest does
not list (another URI, a Hub or local model) is fetched as without ``--fetched``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlci.errors import UserError
from mlci.validation.sources import FetchedModel

log = logging.getLogger(__name__)

MANIFEST = "fetched.json"
_TITLE = "mlci validate: bad hand-off"


def content_sha256(path: Path) -> str:
    """What ``--sha256`` pins: a directory's tree hash, a file's sha256."""
    from mlci.validation.loading import file_sha256, tree_sha256

    return tree_sha256(path) if path.is_dir() else file_sha256(path)


def kept(fetched: FetchedModel) -> bool:
    """A model worth handing over: one that was downloaded here (an MLflow model; a Hub file is in the
    Hugging Face cache already, a local one is where it was)."""
    return fetched.identity.get("source") == "mlflow"


def write_manifest(directory: Path, models: dict[str, tuple[str, FetchedModel, str]]) -> str:
    """Write ``directory/fetched.json`` for ``flag -> (uri, fetched model, its content hash)``; return the
    manifest's sha256 (what ``--fetched-sha256`` takes)."""
    entries = {
        flag: {
            "uri": uri,
            "path": fetched.path.resolve().relative_to(directory.resolve()).as_posix(),
            "sha256": sha256,
            "identity": fetched.identity,
            "warnings": fetched.warnings,
        }
        for flag, (uri, fetched, sha256) in models.items()
    }
    data = json.dumps({"models": entries}, indent=2, sort_keys=True).encode("utf-8")
    (directory / MANIFEST).write_bytes(data)
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Handoff:
    """``--fetched DIR`` and ``--fetched-sha256 HEX``, read and checked (:func:`read_handoff`)."""

    directory: Path
    entries: dict[str, dict[str, Any]]

    def take(self, flag: str, uri: str) -> FetchedModel | None:
        """The handed-over download of ``flag uri``, re-verified by its hash; None when it is not listed."""
        entry = self.entries.get(flag)
        if not isinstance(entry, dict) or entry.get("uri") != uri:
            return None
        where = f"--fetched {self.directory}"
        path = (self.directory / str(entry.get("path", ""))).resolve()
        if not path.is_relative_to(self.directory.resolve()) or not path.exists():
            raise UserError(
                f"{where}: the manifest names {entry.get('path')!r} for {flag} {uri}, which is not inside "
                "the hand-off; run the action again (or leave --fetched out: the model is downloaded).",
                title=_TITLE,
            )
        actual = content_sha256(path)
        if actual != entry.get("sha256"):
            raise UserError(
                f"{where}: the files handed over for {flag} {uri} hash to {actual}, not "
                f"{entry.get('sha256')} as mlci model-requirements downloaded them: they changed in between "
                "and are not used; run the action again (or leave --fetched out: the model is downloaded).",
                title=_TITLE,
            )
        log.info("%s %s: the download mlci model-requirements verified (%s)", flag, uri, actual)
        identity, warnings = dict(entry.get("identity") or {}), list(entry.get("warnings") or [])
        return FetchedModel(path=path, identity=identity, warnings=warnings)


def read_handoff(directory: str, sha256: str | None) -> Handoff:
    """The manifest of ``--fetched DIR``, checked against ``--fetched-sha256``; UserError if unusable."""
    where = f"--fetched {directory}"
    if not sha256:
        raise UserError(
            f"{where}: give --fetched-sha256 too (the sha256 mlci model-requirements --keep wrote the "
            "manifest with): a hand-off is used only when it is unchanged.",
            title=_TITLE,
        )
    root = Path(directory)
    workspace = os.environ.get("GITHUB_WORKSPACE")
    if workspace and root.resolve().is_relative_to(Path(workspace).resolve()):
        raise UserError(
            f"{where}: it is inside the workspace ({workspace}), which the pull request's files fill; keep "
            "the hand-off in the runner's temp (RUNNER_TEMP).",
            title=_TITLE,
        )
    try:
        data = (root / MANIFEST).read_bytes()
    except OSError as exc:
        raise UserError(
            f"{where}: cannot read its {MANIFEST} ({exc.strerror or exc}); point --fetched at the folder "
            "mlci model-requirements --keep wrote.",
            title=_TITLE,
        ) from None
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha256.lower():
        raise UserError(
            f"{where}: its {MANIFEST} is {actual}, not {sha256.lower()} as --fetched-sha256 pins it: the "
            "hand-off changed after mlci model-requirements wrote it and is not used; run the action again.",
            title=_TITLE,
        )
    try:
        models = json.loads(data)["models"]
    except (ValueError, KeyError, TypeError):
        models = None
    if not isinstance(models, dict):
        raise UserError(f"{where}: its {MANIFEST} lists no models.", title=_TITLE)
    return Handoff(root, models)
