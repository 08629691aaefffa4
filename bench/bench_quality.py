"""Benchmark of `mlci quality` on a real codebase no one here wrote (prints figures; not a test).

The codebase is the source of a package installed from the registry, copied out of site-packages into a
temporary project with no configuration of its own (so "by hand" means each tool's defaults). Figures:

- cold: `mlci quality .` with an empty result cache;
- unchanged: the same run again (every file served from the cache);
- one-file change: after appending a line to one file (the median-sized one: a typical edit; --edit largest
  for the worst case);
- by hand: flake8, black --check, isort --check-only and bandit -r run one after another, as a user would;
- ruff: `mlci quality --checks ruff,ruff-format` cold and unchanged, against `ruff check` then
  `ruff format --check` by hand (both without ruff's own cache, as on a fresh CI runner).

Every run is a fresh process, timed end to end (wall clock, and the CPU time of the processes it started);
each figure is the median of --repeat runs. Black's own cache is pointed at an empty directory for every
cold and by-hand run, so neither side profits from it. Both sides run with compiled bytecode, as in an
environment pip installed (PYTHONDONTWRITEBYTECODE is dropped and PYTHONPYCACHEPREFIX points into the
temporary directory, warmed by one run of everything first): otherwise every process compiles the tools'
modules anew, which weighs on whoever starts more processes. On a shared machine the wall clock depends on
what else runs (the load average is printed before and after); the CPU column does much less.

Last, what mlci's own start-up is made of (its share of a ruff run, where ruff itself takes little): the
interpreter, mlci's imports (``-X importtime``), and the rest of an unchanged run.

    python bench/bench_quality.py [--package huggingface_hub] [--repeat 3] [--edit median|largest]

Goals: cold <= 0.6 x by hand, unchanged <= 0.05 x cold, one-file change <= 0.25 x cold; the same cold and
unchanged goals for ruff. The cold run's floor (its CPU time spread over every core, against by hand's
wall time) shows how much of the cold ratio is scheduling and how much is work.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"
BY_HAND = (
    ["flake8", "."],
    ["black", "--check", "."],
    ["isort", "--check-only", "."],
    ["bandit", "-q", "-r", "."],
)
RUFF_BY_HAND = (["ruff", "check", "--no-cache", "."], ["ruff", "format", "--check", "--no-cache", "."])
GOALS = {"cold": 0.6, "unchanged": 0.05, "one-file change": 0.25}


Timing = tuple[float, float]  # (wall seconds, CPU seconds of the child processes)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(argv: list[str], cwd: Path, env: dict[str, str]) -> Timing:
    cpu, started = _children_cpu(), time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - started, _children_cpu() - cpu


def median_of(repeat: int, measure: Callable[[int], Timing]) -> Timing:
    runs = [measure(i) for i in range(repeat)]
    return statistics.median(wall for wall, _ in runs), statistics.median(cpu for _, cpu in runs)


def copy_package(name: str, into: Path) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        sys.exit(
            f"bench_quality: package {name!r} is not installed in {sys.executable} (or is a single module)"
        )
    project = into / "project"
    shutil.copytree(
        spec.submodule_search_locations[0], project / name, ignore=shutil.ignore_patterns("__pycache__")
    )
    return project


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--package",
        default="huggingface_hub",
        help="The installed package to benchmark on (default: huggingface_hub).",
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="Runs per figure; the median counts (default: 3)."
    )
    parser.add_argument(
        "--edit",
        choices=("median", "largest"),
        default="median",
        help="Which file the one-file change edits, by size (default: median).",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-quality-") as tmp:
        work = Path(tmp)
        project = copy_package(args.package, work)
        sources = sorted(project.rglob("*.py"))
        lines = sum(len(p.read_text(encoding="utf-8", errors="replace").splitlines()) for p in sources)
        version = importlib.metadata.version(args.package)
        print(f"codebase: {args.package} {version} ({len(sources)} files, {lines} lines)")
        print(
            f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}; median of {args.repeat} runs"
        )

        base_env = {**os.environ, "PYTHONPATH": str(SCRIPTS), "PYTHONPYCACHEPREFIX": str(work / "pycache")}
        base_env.pop("PYTHONDONTWRITEBYTECODE", None)
        print(f"load average before: {_load()}")

        def fresh_env(label: str) -> dict[str, str]:
            cache = Path(tempfile.mkdtemp(prefix=f"{label}-", dir=work))
            return {**base_env, "XDG_CACHE_HOME": str(cache / "xdg"), "BLACK_CACHE_DIR": str(cache / "black")}

        mlci = [sys.executable, "-m", "mlci", "quality", "."]
        warm_up(work, base_env)

        def measure(tools: tuple[list[str], ...], argv: list[str], label: str) -> tuple[Timing, ...]:
            """By hand and cold, interleaved (both see the same load), then the unchanged re-run."""
            envs: list[dict[str, str]] = []

            def by_hand(_: int) -> Timing:
                env = fresh_env("hand")
                runs = [timed([sys.executable, "-m", *tool], project, env) for tool in tools]
                return sum(wall for wall, _ in runs), sum(cpu for _, cpu in runs)

            def cold(_: int) -> Timing:
                envs.append(fresh_env(label))
                return timed(argv, project, envs[-1])

            pairs = [(by_hand(i), cold(i)) for i in range(args.repeat)]
            unchanged = median_of(args.repeat, lambda _: timed(argv, project, envs[-1]))
            warm_envs[label] = envs[-1]
            pair_ratios[label] = [cold_run[0] / hand_run[0] for hand_run, cold_run in pairs]
            return (
                median_of(args.repeat, lambda i: pairs[i][0]),
                median_of(args.repeat, lambda i: pairs[i][1]),
                unchanged,
            )

        warm_envs: dict[str, dict[str, str]] = {}
        pair_ratios: dict[str, list[float]] = {}
        hand, cold_s, unchanged = measure(BY_HAND, mlci, "mlci")
        warm_env = warm_envs["mlci"]
        by_size = sorted(sources, key=lambda p: p.stat().st_size)
        victim = by_size[-1] if args.edit == "largest" else by_size[len(by_size) // 2]
        edited = f"{victim.relative_to(project)}, {victim.stat().st_size // 1024} KiB"

        def one_file(i: int) -> Timing:
            with victim.open("a", encoding="utf-8") as handle:
                handle.write(f"# edit {i}\n")
            return timed(mlci, project, warm_env)

        one = median_of(args.repeat, one_file)

        ruff_hand, ruff_cold_s, ruff_unchanged = measure(
            RUFF_BY_HAND, [*mlci, "--checks", "ruff,ruff-format"], "ruff"
        )
        overhead = start_up(project, warm_envs["ruff"], [*mlci, "--checks", "ruff,ruff-format"], args.repeat)

    table(
        "flake8, black, isort, bandit",
        hand,
        cold_s,
        [
            ("mlci quality, unchanged re-run", unchanged, GOALS["unchanged"]),
            (f"mlci quality, one-file change ({edited})", one, GOALS["one-file change"]),
        ],
    )
    pair_line("cold against by hand", pair_ratios["mlci"])
    floor_line(hand, cold_s)
    table(
        "ruff, ruff-format",
        ruff_hand,
        ruff_cold_s,
        [("mlci quality --checks ruff,ruff-format, unchanged re-run", ruff_unchanged, GOALS["unchanged"])],
    )
    pair_line("ruff cold against ruff by hand", pair_ratios["ruff"])
    print("\nmlci's start-up (wall s, median): " + ", ".join(f"{k} {v:.3f}" for k, v in overhead.items()))
    print(f"load average after: {_load()}")


def pair_line(title: str, ratios: list[float]) -> None:
    """The wall ratio of each by-hand and cold pair, run back to back: a drift in the machine's load (others'
    jobs on a shared machine) moves both runs of a pair alike, so these vary less than the medians above."""
    shown = ", ".join(f"{ratio:.3f}" for ratio in ratios)
    print(f"{title}, pair by pair: {shown} (median {statistics.median(ratios):.3f})")


def floor_line(hand: Timing, cold: Timing) -> None:
    """How low the cold ratio could go with this CPU time: every core busy from start to end. A cold wall
    ratio near this floor leaves only the CPU time (the tools' own work, mostly) to cut."""
    cores = os.cpu_count() or 1
    floor = cold[1] / cores / hand[0]
    print(f"cold's floor on {cores} CPUs (its CPU s / {cores}, against by hand's wall s): {floor:.3f}")


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg()) + " (1, 5, 15 min)"


def warm_up(work: Path, env: dict[str, str]) -> None:
    """One run of every tool and of mlci on a small project, so that every module they import is compiled."""
    tiny = work / "warm-up"
    tiny.mkdir()
    (tiny / "mod.py").write_text("import os\n\nprint(os.sep)\n", encoding="utf-8")
    env = {
        **env,
        "XDG_CACHE_HOME": str(work / "warm-up-cache"),
        "BLACK_CACHE_DIR": str(work / "warm-up-black"),
    }
    for tool in (*BY_HAND, *RUFF_BY_HAND):
        timed([sys.executable, "-m", *tool], tiny, env)
    timed(
        [sys.executable, "-m", "mlci", "quality", "--checks", "flake8,black,isort,bandit,ruff,ruff-format"],
        tiny,
        env,
    )


def start_up(project: Path, env: dict[str, str], argv: list[str], repeat: int) -> dict[str, float]:
    """What an unchanged mlci run is made of: the interpreter, mlci's imports, and the rest."""

    def wall(command: list[str]) -> float:
        return median_of(repeat, lambda _: timed(command, project, env))[0]

    python = wall([sys.executable, "-c", "pass"])
    imports = "import mlci.cli, mlci.quality.command, mlci.quality.runner"
    imported = wall([sys.executable, "-c", imports])
    whole = wall(argv)
    return {
        "interpreter": python,
        "mlci's imports": imported - python,
        "the rest (discovery, hashing, cache look-ups, report)": whole - imported,
        "whole unchanged run": whole,
    }


def table(title: str, hand: Timing, cold: Timing, warm: list[tuple[str, Timing, float]]) -> None:
    """One tool set's figures: cold against by hand, the warm runs against cold, each with its goal."""
    rows: list[tuple[str, Timing, tuple[Timing, str, float] | None]] = [
        ("by hand, one tool after another", hand, None),
        ("mlci quality, cold", cold, (hand, "by hand", GOALS["cold"])),
    ]
    rows += [(label, timing, (cold, "cold", goal)) for label, timing, goal in warm]
    width = max(len(label) for label, _, _ in rows) + 2
    print(f"\n{title}")
    print(f"{'run':<{width}}{'wall s':>8}{'ratio':>8}{'CPU s':>8}{'ratio':>8}  goal (wall ratio)")
    for label, (wall, cpu), against in rows:
        if against is None:
            print(f"{label:<{width}}{wall:>8.2f}{'':>8}{cpu:>8.2f}")
            continue
        (ref_wall, ref_cpu), name, goal = against
        ratio = wall / ref_wall
        verdict = f"<= {goal:.2f} x {name}: {'met' if ratio <= goal else 'MISSED'}"
        print(f"{label:<{width}}{wall:>8.2f}{ratio:>8.3f}{cpu:>8.2f}{cpu / ref_cpu:>8.3f}  {verdict}")


if __name__ == "__main__":
    main()
