"""The wheels the old-scikit-learn tests install offline, fetched once by ``make test-wheels``.

A model pickled under scikit-learn OLD_SKLEARN is trained in a throwaway venv and then validated by the
model-validation action, which builds the environment the model needs: mlci's mlflow lock with the model's
own requirements over it. Both venvs are installed with ``--no-index --find-links`` from one folder that holds
the lock's wheels (hash-checked) and the old scikit-learn's, keyed by that version and the lock's content: the
tests need no package index. Run as a script (stdlib only: ``make test-wheels`` calls it) it downloads them
with pip from the registry the machine is configured for.
"""

from __future__ import annotations

import hashlib
import subprocess  # nosec B404: pip download, argument lists, no shell
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: the older scikit-learn the models are pickled with (cp311 wheels; runs with the lock's numpy 2)
OLD_SKLEARN = "1.5.2"
LOCK = ROOT / "requirements" / "mlflow.lock"
#: OLD_SKLEARN's wheels with their hashes (uv pip compile --generate-hashes, the command in its header)
OLD_LOCK = Path(__file__).with_name("old-sklearn.lock")
FETCH = "make test-wheels"


def wheelhouse() -> Path:
    """The folder for this scikit-learn version and this lock (a new lock gets a new folder)."""
    digest = hashlib.sha256(LOCK.read_bytes()).hexdigest()[:12]
    return ROOT / ".cache" / "test-wheels" / f"scikit-learn-{OLD_SKLEARN}-mlflow-lock-{digest}"


def missing() -> str | None:
    """Why the wheels cannot be used (a sentence naming the fix), or None when they are there."""
    folder = wheelhouse()
    if not (folder / "complete").is_file():
        return f"the test wheels are not in {folder}: run '{FETCH}' (it downloads them once)"
    return None


def fetch() -> Path:
    if f"scikit-learn=={OLD_SKLEARN} " not in OLD_LOCK.read_text(encoding="utf-8"):
        raise SystemExit(
            f"{OLD_LOCK} is not for scikit-learn {OLD_SKLEARN}: regenerate it (its header says how)"
        )
    folder = wheelhouse()
    if (folder / "complete").is_file():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    pip = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check"]
    pip += ["--only-binary=:all:", "--no-deps", "-d", str(folder)]
    for lock in (LOCK, OLD_LOCK):  # both hashed: pip checks every wheel it downloads
        subprocess.run([*pip, "--require-hashes", "-r", str(lock)], check=True)  # nosec B603: argument list
    (folder / "complete").write_text("", encoding="utf-8")
    return folder


if __name__ == "__main__":
    print(f"test wheels: {fetch()}")
