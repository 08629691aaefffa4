"""Benchmark: classification metrics on millions of rows, streamed by mlci vs in memory with scikit-learn.

A Parquet file holds features, a label (3 classes) and a `prediction` column (what a small tree predicts).

- metrics: the same predictions scored two ways. scikit-learn: read the label and prediction columns, then
  `classification_report(output_dict=True)`, everything in memory. mlci: the same columns streamed in chunks
  through its confusion-matrix accumulator, then the report replayed from the matrix. The two dicts must be
  equal (every float, every key).
- end to end: `mlci validate --model tree.joblib --data big.parquet ...` against a script doing it in memory
  (read the file, `model.predict`, `classification_report`).

Each side runs in its own fresh process; time is wall-clock, peak memory is the child's max RSS (wait4).

    python bench/bench_validate_scale.py [--rows 1000000,10000000]

Goals: identical numbers; mlci's memory flat in the number of rows; metrics at least 3x faster.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "scripts"
CHUNK = 1_000_000

# Both metric scripts print the report and the seconds spent after their imports (reading + computing).
SKLEARN_METRICS = """
import json, sys, time, pyarrow.parquet as pq
from sklearn.metrics import classification_report
started = time.perf_counter()
table = pq.read_table(sys.argv[1], columns=["label", "prediction"])
y, p = table.column("label").to_numpy(), table.column("prediction").to_numpy()
report = classification_report(y, p, output_dict=True)
print(json.dumps({"report": report, "seconds": time.perf_counter() - started}))
"""
MLCI_METRICS = """
import json, sys, time
import sklearn.metrics
from mlci.validation.data import Dataset, parse_data_spec
from mlci.validation.metrics import ConfusionCounter, confusion_metrics
started = time.perf_counter()
dataset = Dataset(parse_data_spec(sys.argv[1]), "label")
counter = ConfusionCounter()
for batch in dataset.batches(["label", "prediction"], 1_000_000):
    counter.update(batch.column("label").to_numpy(), batch.column("prediction").to_numpy())
labels, matrix = counter.sorted()
report = confusion_metrics(labels, matrix, [])
report = {k: v for k, v in report.items() if k not in ("balanced_accuracy", "matthews_corrcoef")}
print(json.dumps({"report": report, "seconds": time.perf_counter() - started}))
"""
SKLEARN_END_TO_END = """
import joblib, sys, pyarrow.parquet as pq
from sklearn.metrics import classification_report
table = pq.read_table(sys.argv[1], columns=["f0", "f1", "label"])
X = table.select(["f0", "f1"]).to_pandas().to_numpy()
model = joblib.load(sys.argv[2])
report = classification_report(table.column("label").to_numpy(), model.predict(X), output_dict=True)
assert report["accuracy"] >= 0
"""


def make_data(path: Path, rows: int, model_path: Path) -> None:
    import joblib
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq
    from sklearn.tree import DecisionTreeClassifier

    rng = np.random.default_rng(0)

    def chunk(n: int) -> tuple[np.ndarray, np.ndarray]:
        X = rng.normal(size=(n, 2))
        y = (X[:, 0] > 0).astype(np.int64) + (X[:, 1] > 0.5).astype(np.int64)
        flip = rng.random(n) < 0.1
        return X, np.where(flip, rng.integers(0, 3, n), y)

    if not model_path.exists():
        X, y = chunk(100_000)
        joblib.dump(DecisionTreeClassifier(max_depth=4, random_state=0).fit(X, y), model_path)
    model = joblib.load(model_path)
    schema = pa.schema(
        [("f0", pa.float64()), ("f1", pa.float64()), ("label", pa.int64()), ("prediction", pa.int64())]
    )
    with pq.ParquetWriter(path, schema) as writer:
        for start in range(0, rows, CHUNK):
            X, y = chunk(min(CHUNK, rows - start))
            columns = {"f0": X[:, 0], "f1": X[:, 1], "label": y, "prediction": model.predict(X)}
            writer.write_table(pa.table(columns, schema=schema))


def measure(argv: list[str]) -> tuple[float, float, str]:
    """(seconds, peak RSS in MB, stdout) of one fresh child process."""
    env = {**os.environ, "PYTHONPATH": str(SCRIPTS)}
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(argv, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    code = process.returncode = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"bench_validate_scale: {argv[1:4]} failed ({code}): {stderr}")
    return elapsed, usage.ru_maxrss / 1024, stdout


@dataclass
class Figures:
    """One row count: the metrics-only comparison and the end-to-end one (seconds, MB)."""

    rows: int
    sk_process: float
    sk_compute: float
    sk_mb: float
    ml_process: float
    ml_compute: float
    ml_mb: float
    identical: bool
    e2e_sk: tuple[float, float]
    e2e_ml: tuple[float, float]
    e2e_identical: bool


def run(rows: int, work: Path, model: Path) -> Figures:
    data = work / f"rows-{rows}.parquet"
    make_data(data, rows, model)
    sk_time, sk_mb, sk_out = measure([sys.executable, "-c", SKLEARN_METRICS, str(data)])
    ml_time, ml_mb, ml_out = measure([sys.executable, "-c", MLCI_METRICS, str(data)])
    sk_result, ml_result = json.loads(sk_out), json.loads(ml_out)
    e2e_sk = measure([sys.executable, "-c", SKLEARN_END_TO_END, str(data), str(model)])
    validate = [
        sys.executable, "-m", "mlci", "-q", "validate", "--model", str(model), "--trust-pickle",
        "--data", str(data), "--target", "label", "--features", "f0,f1",
        "--thresholds", "accuracy: 0", "--report", str(work / "report.json"),
    ]  # fmt: skip
    e2e_ml = measure(validate)
    metrics = json.loads((work / "report.json").read_text())["metrics"]
    data.unlink()
    return Figures(
        rows=rows,
        sk_process=sk_time,
        sk_compute=sk_result["seconds"],
        sk_mb=sk_mb,
        ml_process=ml_time,
        ml_compute=ml_result["seconds"],
        ml_mb=ml_mb,
        identical=sk_result["report"] == ml_result["report"],
        e2e_sk=e2e_sk[:2],
        e2e_ml=e2e_ml[:2],
        e2e_identical={k: metrics[k] for k in sk_result["report"]} == sk_result["report"],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="1000000,10000000", help="comma-separated row counts")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mlci-bench-scale-") as tmp:
        results = [run(int(n), Path(tmp), Path(tmp) / "tree.joblib") for n in args.rows.split(",")]

    print("metrics on the same predictions (label + prediction columns of a Parquet file)")
    print("  process: a whole fresh process, imports included; compute: after the imports (read + metrics)")
    print(
        f"{'rows':>11} {'sklearn s':>10} {'mlci s':>7} {'sklearn compute':>16} {'mlci compute':>13} "
        f"{'speed-up':>9} {'sklearn MB':>11} {'mlci MB':>8} identical"
    )
    for r in results:
        print(
            f"{r.rows:>11,} {r.sk_process:>10.2f} {r.ml_process:>7.2f} {r.sk_compute:>16.2f} "
            f"{r.ml_compute:>13.2f} {r.sk_compute / r.ml_compute:>8.1f}x {r.sk_mb:>11.0f} {r.ml_mb:>8.0f} "
            f"{r.identical}"
        )
    print("\nend to end: read, predict (a depth-4 tree), report; whole fresh processes")
    print(
        f"{'rows':>11} {'in memory s':>12} {'in memory MB':>13} {'mlci validate s':>16} {'mlci MB':>8} "
        "identical"
    )
    for r in results:
        print(
            f"{r.rows:>11,} {r.e2e_sk[0]:>12.2f} {r.e2e_sk[1]:>13.0f} {r.e2e_ml[0]:>16.2f} "
            f"{r.e2e_ml[1]:>8.0f} {r.e2e_identical}"
        )
    first, last = results[0], results[-1]
    growth = last.e2e_ml[1] / first.e2e_ml[1]
    speedup = last.sk_compute / last.ml_compute
    print(
        f"\ngoals: identical -> {all(r.identical and r.e2e_identical for r in results)}; mlci validate "
        f"memory x{growth:.2f} from {first.rows:,} to {last.rows:,} rows (flat: {growth < 1.25}); metrics "
        f"compute speed-up {speedup:.1f}x (>= 3x: {speedup >= 3}), whole process "
        f"{last.sk_process / last.ml_process:.1f}x"
    )


if __name__ == "__main__":
    main()
