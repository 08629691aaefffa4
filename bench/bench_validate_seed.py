"""Benchmark: the seed's own check against `mlci validate`, same model, data and thresholds (prints figures).

The seed was a pytest file: download a RandomForestClassifier (joblib) trained on wine one-vs-rest (y == 2),
split with train_test_split(test_size=0.25, random_state=42), assert classification_report's numbers. Here
both sides fetch the same model from the same local Hugging Face Hub (scripts/devtools/hub_server.py, via
HF_ENDPOINT) and assert the same four thresholds:

- seed: `python -m pytest seed_test.py` (hf_hub_download, joblib.load, classification_report);
- mlci: `python -m mlci validate --model hf://acme/wine@<commit>/model.joblib --sha256 ... --data sklearn:wine
  --positive-label 2 --test-size 0.25 --random-state 42 --thresholds ...`.

Each run is a fresh process timed end to end; runs alternate and each figure is the median of --repeat runs.
"warm": the Hugging Face cache already holds the file (a CI re-run); "cold": an empty cache for every run.

    python bench/bench_validate_seed.py [--repeat 7]

Goal: mlci / seed <= 1.0 (lazy imports: mlci loads what the validation needs, nothing more).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from devtools.hub_server import HubServer  # noqa: E402 - the local Hub the tests use too
from devtools.seed_case import SEED_DATA, SEED_THRESHOLDS, make_seed_models  # noqa: E402

SEED_TEST = """\
import joblib
import numpy as np
from huggingface_hub import hf_hub_download
from sklearn.datasets import load_wine
from sklearn.metrics import classification_report
from sklearn.model_selection import train_test_split

COMMIT = "{commit}"


def test_model():
    model = joblib.load(hf_hub_download("acme/wine", "model.joblib", revision=COMMIT))
    X, y = load_wine(return_X_y=True)
    y = y == 2
    _, X_test, _, y_test = train_test_split(X, y, test_size=0.25, random_state=42)
    predictions = model.predict(X_test)
    assert isinstance(predictions, np.ndarray) and len(predictions) == len(y_test)
    report = classification_report(y_test, predictions, output_dict=True)
    assert report["False"]["f1-score"] > 0.95
    assert report["False"]["precision"] > 0.9
    assert report["True"]["f1-score"] > 0.8
    assert report["True"]["precision"] > 0.8
"""


def timed(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"bench_validate_seed: {argv[2]} failed:\n{result.stdout}\n{result.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    model = make_seed_models(n_estimators=100).good_joblib
    with HubServer() as hub, tempfile.TemporaryDirectory(prefix="mlci-bench-seed-") as tmp:
        work = Path(tmp)
        commit = hub.repo("acme/wine").commit({"model.joblib": model})
        (work / "seed_test.py").write_text(SEED_TEST.format(commit=commit))
        base_env = {
            **os.environ,
            "HF_ENDPOINT": hub.endpoint,
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "HF_HUB_DISABLE_PROGRESS_BARS": "1",
            "PYTHONPATH": str(ROOT / "scripts"),
        }
        sides = {
            "seed": [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "seed_test.py"],
            "mlci": [
                sys.executable, "-m", "mlci", "-q", "validate",
                "--model", f"hf://acme/wine@{commit}/model.joblib",
                "--sha256", hashlib.sha256(model).hexdigest(), *SEED_DATA, "--thresholds", SEED_THRESHOLDS,
            ],
        }  # fmt: skip
        figures: dict[tuple[str, str], float] = {}
        for cache in ("warm", "cold"):
            times: dict[str, list[float]] = {side: [] for side in sides}
            warm_cache = work / "warm-cache"
            for run in range(args.repeat + 1):
                for side, argv in sides.items():
                    cache_dir = warm_cache if cache == "warm" else work / f"cold-{side}-{run}"
                    elapsed = timed(argv, work, {**base_env, "HF_HUB_CACHE": str(cache_dir)})
                    if run:  # the first round only fills the warm cache (and the OS's file cache)
                        times[side].append(elapsed)
            for side in sides:
                figures[(cache, side)] = statistics.median(times[side])
    print(f"seed check vs mlci validate, median of {args.repeat} fresh processes each")
    print(f"{'cache':<6} {'seed (pytest)':>14} {'mlci validate':>14} {'ratio':>7}")
    for cache in ("warm", "cold"):
        seed, mlci = figures[(cache, "seed")], figures[(cache, "mlci")]
        print(f"{cache:<6} {seed:>13.2f}s {mlci:>13.2f}s {mlci / seed:>7.2f}")
    ratio = figures[("warm", "mlci")] / figures[("warm", "seed")]
    print(f"goal: mlci / seed <= 1.0 -> {'met' if ratio <= 1.0 else 'NOT met'} ({ratio:.2f}, warm cache)")


if __name__ == "__main__":
    main()
