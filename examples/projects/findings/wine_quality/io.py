"""Reading samples: isort would sort these imports."""

import json
import csv
from pathlib import Path


def read_samples(path: Path) -> list[dict[str, str]]:
    """Rows of a CSV file, or records of a JSON list."""
    if path.suffix == ".json":
        return json.loads(path.read_text())
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))
