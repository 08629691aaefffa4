"""JSON reports, written whole or not at all.

A report goes through :func:`mlci.files.atomic_write`: a reader never sees half a report, and a failed run
never leaves one that looks complete.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from mlci.errors import UserError
from mlci.files import atomic_write
from mlci.gha import redact


def write_json(path: str | os.PathLike[str], data: Any) -> Path:
    """Write ``data`` as indented JSON to ``path`` atomically (secrets redacted); return the path."""
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
