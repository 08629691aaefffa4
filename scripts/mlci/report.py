"""JSON reports, written whole or not at all.

A report is written to a temporary file beside its destination and moved into place with ``os.replace``, so
a reader never sees half a report, and a failed run never leaves one that looks complete.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from mlci.errors import UserError
from mlci.gha import redact


def write_json(path: str | os.PathLike[str], data: Any) -> Path:
    """Write ``data`` as indented JSON to ``path`` atomically (secrets redacted); return the path."""
    target = Path(path)
    text = redact(json.dumps(data, indent=2, sort_keys=False, default=str)) + "\n"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(tmp, target)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError as exc:
        raise UserError(
            f"--report {path}: cannot write the report ({exc.strerror or exc}); choose a writable path."
        ) from exc
    return target
