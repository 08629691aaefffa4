"""Files written whole or not at all: JSON reports, cache entries, locally synced files.

A file is written to a temporary file beside its destination and moved into place with ``os.replace``, so a
reader never sees half of it and a crash never leaves one that looks complete (:func:`atomic_write`); a JSON
report goes the same way, its secrets redacted (:func:`write_json`).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any


@contextlib.contextmanager
def atomic_write(
    path: str | os.PathLike[str], *, binary: bool = False, prefix: str | None = None
) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; on a clean exit it replaces ``path``, on an error it is removed.

    ``prefix`` names the temporary file (default ``.<name>.``), so a reader can tell partial files apart.
    """
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=prefix or f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb" if binary else "w", encoding=None if binary else "utf-8") as handle:
            yield handle
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_json(path: str | os.PathLike[str], data: Any) -> Path:
    """Write ``data`` as indented JSON to ``path`` atomically (secrets redacted); return the path."""
    from mlci.errors import UserError
    from mlci.gha import redact

    target = Path(path)
    text = redact(json.dumps(data, indent=2, sort_keys=False, default=str)) + "\n"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(target) as handle:
            handle.write(text)
    except OSError as exc:
        raise UserError(
            f"--report {path}: cannot write the report ({exc.strerror or exc}); choose a writable path."
        ) from exc
    return target
