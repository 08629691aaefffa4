"""The benchmarks stand on their own: importing any bench/ script loads nothing from tests/."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BENCHES = sorted((REPO / "bench").glob("bench_*.py"))

PROBE = """\
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("bench_probe", sys.argv[1])
module = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = module
spec.loader.exec_module(module)
print(json.dumps([getattr(m, "__file__", None) or "" for m in list(sys.modules.values())]))
"""


@pytest.mark.parametrize("bench", BENCHES, ids=lambda path: path.name)
def test_a_bench_imports_nothing_from_tests(bench: Path, tmp_path: Path) -> None:
    # as `make bench` runs them: PYTHONPATH=scripts, and -P keeps the current directory off sys.path
    result = subprocess.run(
        [sys.executable, "-P", "-c", PROBE, str(bench)],
        env={**os.environ, "PYTHONPATH": str(REPO / "scripts")},
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    tests = REPO / "tests"
    loaded = [Path(name) for name in json.loads(result.stdout.splitlines()[-1]) if name]
    from_tests = sorted(str(path.relative_to(REPO)) for path in loaded if path.is_relative_to(tests))
    assert not from_tests, f"{bench.name} imports test code: {from_tests}"
