"""Benchmark: what intervals and the paired baseline test cost on millions of rows.

The data and the model are bench_validate_scale's (a Parquet file with two features and a 3-class label, a
depth-4 tree); the baseline is a depth-3 tree fitted on the same data. The same champion/challenger
validation runs twice, each in a fresh process:

- without: ``--resamples 0`` (no intervals, no paired counting: the point checks of before);
- with: the defaults (1000 bootstrap draws for every metric of both models, and the (true, candidate,
  baseline) table of the paired test), ``--gate confident``.

    python bench/bench_validate_intervals.py [--rows 10000000]

Goal: "with" takes at most 10% more time than "without", in the same bounded memory (peak RSS); the ratio is
printed.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_validate_scale import SCRIPTS, make_data  # noqa: E402

REPEATS = 3


def measure(argv: list[str]) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak RSS in MB) of one fresh child process; CPU time is what the machine's
    other load disturbs least."""
    import os
    import subprocess
    import time

    started = time.perf_counter()
    process = subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(SCRIPTS)}
    )
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        sys.exit(f"bench_validate_intervals: {argv[4:]} failed")
    return time.perf_counter() - started, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def best(runs: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    """The least disturbed of several runs: the smallest of each figure."""
    return min(r[0] for r in runs), min(r[1] for r in runs), min(r[2] for r in runs)


def _baseline(model: Path, baseline: Path) -> None:
    import joblib
    import numpy as np
    from sklearn.tree import DecisionTreeClassifier

    tree = joblib.load(model)
    rng = np.random.default_rng(1)
    X = rng.normal(size=(100_000, 2))
    joblib.dump(DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, tree.predict(X)), baseline)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mlci-bench-intervals-") as tmp:
        work = Path(tmp)
        data, model, baseline = work / "data.parquet", work / "tree.joblib", work / "baseline.joblib"
        make_data(data, args.rows, model)
        _baseline(model, baseline)
        common = [
            sys.executable, "-m", "mlci", "-q", "validate", "--model", str(model), "--trust-pickle",
            "--baseline", str(baseline), "--max-regression", "0.5", "--data", str(data), "--target", "label",
            "--features", "f0,f1", "--thresholds", 'accuracy: 0\n"1": {f1-score: 0}',
        ]  # fmt: skip
        runs: dict[str, list[tuple[float, float, float]]] = {"without": [], "with": []}
        for _ in range(REPEATS):  # alternated, so that a burst of load hits both sides alike
            runs["without"].append(measure([*common, "--resamples", "0", "--report", str(work / "w0.json")]))
            runs["with"].append(
                measure([*common, "--gate", "confident", "--report", str(work / "with.json")])
            )
        report = json.loads((work / "with.json").read_text())
    without, with_ = best(runs["without"]), best(runs["with"])
    wall, ratio, memory = with_[0] / without[0], with_[1] / without[1], with_[2] / without[2]
    print(
        f"{args.rows:,} rows, two models (candidate and baseline), one pass; "
        f"best of {REPEATS} fresh processes"
    )
    print(f"{'':>34} {'wall s':>8} {'CPU s':>8} {'peak MB':>8}")
    for name, figures in (
        ("without intervals (--resamples 0)", without),
        ("with intervals and paired test", with_),
    ):
        print(f"{name:>34} {figures[0]:>8.2f} {figures[1]:>8.2f} {figures[2]:>8.0f}")
    accuracy = next(c for c in report["baseline"]["comparisons"] if c["metric"] == "accuracy")
    print(f"accuracy {report['metrics']['accuracy']:.4f}, interval {report['intervals']['accuracy']}")
    print(f"delta vs baseline {accuracy['delta']:+.5f}, paired interval {accuracy['interval']}")
    print(
        f"\ngoals: CPU time x{ratio:.3f} (<= 1.10: {ratio <= 1.10}; wall x{wall:.3f}); "
        f"peak memory x{memory:.2f} "
        f"(same bounded memory, <= 1.10: {memory <= 1.10})"
    )


if __name__ == "__main__":
    main()
