"""Seconds from nothing to a ready environment, per action environment: setup_env.py against plain pip.

For each environment (requirements/<env>.lock):
  pip       `python -m venv` + `pip install -r requirements/<env>.txt`, no pip cache (what the actions did)
  uv cold   `setup_env.py install`: venv + `uv pip install --require-hashes --no-deps` from the lock, uv's
            cache empty
  restored  what a cache hit costs: the cached venv directory copied back (actions/cache untars it) and
            `setup_env.py install` finding it ready

Both cold runs download from the package index. Usage: python bench/bench_env.py [ENV ...] (default: all).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import setup_env

ROOT = Path(__file__).resolve().parents[1]
UV = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")


def timed(action: Callable[[], None]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def run(command: Sequence[str], env: dict[str, str]) -> None:
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def bench(env_name: str, scratch: Path) -> tuple[float, float, float]:
    environ = {k: v for k, v in os.environ.items() if k != "GITHUB_OUTPUT"}
    environ.update(PIP_DISABLE_PIP_VERSION_CHECK="1", MLCI_UV=UV or "false", UV_CACHE_DIR=str(scratch / "uv"))
    venv = scratch / "pip-venv"
    requirements = str(setup_env.REQUIREMENTS / f"{env_name}.txt")

    def pip() -> None:
        run([sys.executable, "-m", "venv", str(venv)], environ)
        python = str(setup_env.venv_python(venv))
        run([python, "-m", "pip", "install", "--no-cache-dir", "-r", requirements], environ)

    root, cached = scratch / "runner-temp", scratch / "cached"
    install = [sys.executable, str(ROOT / "scripts" / "setup_env.py"), "install", "--env", env_name]
    install += ["--venv-root", str(root)]

    def restore() -> None:  # actions/cache puts the venv back where it was built (the same $RUNNER_TEMP)
        shutil.copytree(cached, root, symlinks=True)
        run(install, environ)

    pip_seconds = timed(pip)
    cold_seconds = timed(lambda: run(install, environ))
    shutil.move(str(root), str(cached))
    return pip_seconds, cold_seconds, timed(restore)


def main(argv: Sequence[str]) -> int:
    envs = list(argv) or list(setup_env.ENVS)
    print(
        f"uv: {UV or 'not found (the uv column is the pip fallback)'}; load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{'environment':<22}{'pip s':>9}{'uv cold s':>11}{'restored s':>12}{'uv/pip':>9}{'restored/pip':>14}"
    )
    for name in envs:
        with tempfile.TemporaryDirectory(prefix="bench-env-") as scratch:
            pip, cold, restored = bench(name, Path(scratch))
        print(f"{name:<22}{pip:>9.1f}{cold:>11.1f}{restored:>12.2f}{cold / pip:>9.2f}{restored / pip:>14.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
