#!/usr/bin/env python3
"""Build an mlci action's Python environment from its hashed lock, on Linux, macOS and Windows.

Standard library only: it runs under the interpreter actions/setup-python gives, before any venv exists.
Every action calls it the same way, with its inputs through ``env:``::

    python setup_env.py plan    --env quality [--override REQS] [--tool-versions REQS] [--project DIR]
    python setup_env.py install --env quality [...the same flags...]
    python setup_env.py run-quality            (the root action's gate: MLCI_* variables to `python -m mlci`)
    python setup_env.py run-validation         (model validation: MLCI_* variables to `mlci validate`)

``plan`` writes the step outputs ``venv``, ``python`` and ``key`` (the actions/cache key: lock content,
overrides, runner OS and architecture, full Python version), so the cache step can restore the whole venv
before ``install`` runs; ``install`` then finds the restored venv ready and does nothing, or builds it:
``uv pip install --require-hashes --no-deps -r LOCK`` (pip's ``--require-hashes`` when uv is not on PATH),
then the overrides, which replace the lock's pins for the packages they name (``--override
"scikit-learn==1.5.2 xgboost==2.1.4"``, or ``-r FILE`` lines: one pip argument group per line).

For model validation, ``plan --model-python PY`` first reads the library versions the models were logged
with (``PY -m mlci model-requirements``, PY being the validation venv built before, which has mlflow for
``models:/`` and ``runs:/`` URIs), drops those that ``--override`` names (``extra-requirements`` chooses), and
plans the venv of the lock with those over it: ``needed`` is ``true`` and ``requirements`` the file they are
in, which ``install --requirements FILE`` takes (the same key). A model without such versions (a joblib
file) gives ``needed=false``: no second venv. The model and the baseline pinning one package differently is
exit 2.

For the quality gate, ``--project DIR`` reads the versions the project pins for black, isort, flake8, bandit
and ruff (``.pre-commit-config.yaml`` revs first, then a requirements-dev file, then a pyproject.toml
dependency group) and ``--tool-versions`` overrides them; those are installed instead of the lock's pins.

The interpreter the venv is made from is ``MLCI_PYTHON`` (setup-python's ``python-path``), else this one.
Bad input exits 2 with one line.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess  # nosec B404: runs the venv's interpreter and the installers, argument lists, no shell
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = ROOT / "requirements"
#: the action environments, one hashed lock each (``make lock`` writes them from requirements/<env>.txt)
ENVS = ("quality", "validation", "mlflow", "training", "training-validation")
#: bumped when what this script puts in a venv changes, so old cached venvs are not restored
LAYOUT_VERSION = "1"
MARKER = "mlci-env.json"
TOOLS = ("black", "isort", "flake8", "bandit", "ruff")
#: pre-commit hook repositories (owner/name, lower case) -> the package their rev is a version of
HOOK_REPOS = {
    "psf/black": "black",
    "psf/black-pre-commit-mirror": "black",
    "pycqa/isort": "isort",
    "pycqa/flake8": "flake8",
    "pycqa/bandit": "bandit",
    "astral-sh/ruff-pre-commit": "ruff",
}
DEV_REQUIREMENT_FILES = (
    "requirements-dev.txt",
    "requirements_dev.txt",
    "dev-requirements.txt",
    "requirements/dev.txt",
    "requirements-lint.txt",
    "requirements/lint.txt",
)
TITLE = "mlci environment"


class SetupError(Exception):
    """Bad input or environment: exit 2 with this one line (none when the message is empty: a command
    run here printed it already)."""


# --------------------------------------------------------------------------------------------- layout


def venv_python(venv: PurePath, windows: bool | None = None) -> PurePath:
    """The interpreter inside a venv: Scripts/python.exe on Windows, bin/python elsewhere."""
    if windows is None:
        windows = os.name == "nt"
    return venv / "Scripts" / "python.exe" if windows else venv / "bin" / "python"


def output_path(path: PurePath) -> str:
    """A path as a step output: forward slashes, which bash (Git Bash on Windows) and Windows both accept."""
    return path.as_posix()


def path_list(paths: Iterable[str | PurePath], windows: bool | None = None) -> str:
    """Join paths for PYTHONPATH with the runner OS's separator (';' on Windows, ':' elsewhere)."""
    if windows is None:
        windows = os.name == "nt"
    return (";" if windows else ":").join(str(p) for p in paths)


def pure_path(text: str, windows: bool) -> PurePath:
    return PureWindowsPath(text) if windows else PurePosixPath(text)


# --------------------------------------------------------------------------------------------- locks


def canonical(name: str) -> str:
    """A distribution name as PEP 503 compares it."""
    return re.sub(r"[-_.]+", "-", name).lower()


_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def requirement_name(requirement: str) -> str | None:
    """The project a requirement line names (``scikit-learn[extra]==1.5 ; marker`` -> scikit-learn)."""
    match = _NAME.match(requirement)
    return canonical(match.group(1)) if match and not requirement.lstrip().startswith("-") else None


@dataclass
class LockEntry:
    name: str
    version: str
    text: str  # the whole entry: requirement, markers and hashes, with its continuation lines
    hashes: list[str] = field(default_factory=list)


def parse_lock(text: str) -> list[LockEntry]:
    """The entries of a ``uv pip compile --generate-hashes`` (or pip-compile) output."""
    entries: list[LockEntry] = []
    logical: list[str] = []
    for line in text.splitlines():
        if not logical and (not line.strip() or line.lstrip().startswith("#")):
            continue
        logical.append(line)
        if line.rstrip().endswith("\\"):
            continue
        joined = " ".join(part.rstrip().rstrip("\\") for part in logical)
        block = "\n".join(logical)
        logical = []
        requirement = joined.split(" --hash=")[0].split("#")[0].strip()
        name = requirement_name(requirement)
        if name is None:
            continue
        match = re.match(r"^[^=<>!~;\s\[]+(?:\[[^\]]*\])?\s*==\s*([^\s;]+)", requirement)
        entries.append(
            LockEntry(
                name=name,
                version=match.group(1) if match else "",
                text=block,
                hashes=re.findall(r"--hash=(sha256:[0-9a-f]{64})", joined),
            )
        )
    return entries


def lock_path(env: str) -> Path:
    if env not in ENVS:
        raise SetupError(f"unknown environment {env!r}: use one of {', '.join(ENVS)}.")
    path = REQUIREMENTS / f"{env}.lock"
    if not path.is_file():
        raise SetupError(f"{path} is missing: run 'make lock' in mlci's checkout.")
    return path


def minimum_python(lock_text: str) -> tuple[int, int] | None:
    """The lowest Python the lock was resolved for (``--python-version X.Y`` in its header)."""
    match = re.search(r"--python-version[ =](\d+)\.(\d+)", lock_text)
    return (int(match.group(1)), int(match.group(2))) if match else None


# --------------------------------------------------------------------------------------------- overrides


def split_groups(text: str) -> list[list[str]]:
    """Pip argument groups, one per line (``xgboost==2.1.4``, ``-r requirements.txt``); '#' comments out."""
    groups = []
    for line in text.splitlines():
        words = re.split(r"(?:^|\s)#", line, maxsplit=1)[0].split()
        if words:
            groups.append(words)
    return groups


def split_specs(text: str) -> list[str]:
    """Requirement specs separated by spaces, commas or lines (``black==24.10.0 ruff==0.8.0``)."""
    return [word for word in re.split(r"[\s,]+", text) if word]


def named_by(groups: Sequence[Sequence[str]], base: Path, files: dict[str, str] | None = None) -> set[str]:
    """The projects that override groups name, also inside ``-r FILE`` (relative to ``base``); ``files``
    collects each file read and its content (the cache key holds them)."""
    names: set[str] = set()
    files = {} if files is None else files
    for group in groups:
        words = list(group)
        while words:
            word = words.pop(0)
            if word in ("-r", "--requirement", "-c", "--constraint") and words:
                path = base / words.pop(0)
                text = _read_requirements(path)
                files[str(path)] = text
                if word in ("-r", "--requirement"):
                    names |= named_by(split_groups(text), path.parent, files)
            elif word.startswith("-"):
                continue
            elif (name := requirement_name(word)) is not None:
                names.add(name)
    return names


def _read_requirements(path: Path) -> str:
    """A requirements file's text; one that cannot be read names nothing here (the installer says why)."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


# --------------------------------------------------------------------------------------------- tool versions


def _scalar(value: str) -> str:
    value = value.split(" #", 1)[0].strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1]
    return value


def precommit_versions(text: str) -> dict[str, str]:
    """Tool versions from a .pre-commit-config.yaml's ``repo:``/``rev:`` pairs (the block YAML it is written
    in; a rev that is a commit SHA counts when its ``# frozen: vX`` comment gives the version)."""
    versions: dict[str, str] = {}
    repo: str | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("- "):
            line = line[2:].strip()
        if line.startswith("repo:"):
            url = _scalar(line[len("repo:") :]).rstrip("/")
            url = url[:-4] if url.endswith(".git") else url
            repo = "/".join(url.lower().split("/")[-2:])
        elif line.startswith("rev:") and repo in HOOK_REPOS:
            rev = _scalar(line[len("rev:") :])
            frozen = re.search(r"#\s*frozen:\s*(\S+)", line)
            if re.fullmatch(r"[0-9a-f]{40}", rev):
                rev = frozen.group(1) if frozen else ""
            if rev:
                versions[HOOK_REPOS[repo]] = rev[1:] if rev[:1] == "v" and rev[1:2].isdigit() else rev
    return versions


def pinned_versions(lines: Iterable[str]) -> dict[str, str]:
    """``tool==X`` pins of the five tools among requirement strings."""
    versions = {}
    for line in lines:
        match = re.match(r"^\s*([A-Za-z0-9._-]+)(?:\[[^\]]*\])?\s*==\s*([^\s;,#]+)", line)
        if match and canonical(match.group(1)) in TOOLS:
            versions[canonical(match.group(1))] = match.group(2)
    return versions


def pyproject_versions(text: str) -> dict[str, str]:
    import tomllib  # Python 3.11+, which every lock needs (checked before)

    groups = tomllib.loads(text).get("dependency-groups", {})
    return pinned_versions(item for group in groups.values() for item in group if isinstance(item, str))


_VERSION = re.compile(r"[0-9][0-9A-Za-z.+!_-]*")  # a PEP 440 version, never an option or a URL


@dataclass
class ToolVersions:
    pins: dict[str, str]  # tool -> version
    sources: dict[str, str]  # tool -> where the version came from

    def specs(self) -> list[str]:
        return [f"{tool}=={self.pins[tool]}" for tool in sorted(self.pins)]


def project_tool_versions(project: Path, tool_versions: str = "") -> ToolVersions:
    """What the project pins: pre-commit revs first, then dev requirements, then pyproject groups; then
    the ``tool-versions`` input over all of them."""
    found = ToolVersions({}, {})

    def take(versions: Mapping[str, str], source: str) -> None:
        for tool, version in versions.items():
            if not _VERSION.fullmatch(version):
                raise SetupError(f"{project / source}: {tool} version {version!r} is not a version; fix it.")
            if tool not in found.pins:
                found.pins[tool], found.sources[tool] = version, source

    readers = [
        (".pre-commit-config.yaml", precommit_versions),
    ]
    readers += [(name, lambda text: pinned_versions(text.splitlines())) for name in DEV_REQUIREMENT_FILES]
    readers.append(("pyproject.toml", pyproject_versions))
    for name, reader in readers:
        path = project / name
        if path.is_file():
            try:
                take(reader(path.read_text(encoding="utf-8")), name)
            except (UnicodeDecodeError, ValueError) as error:
                raise SetupError(
                    f"cannot read the tool versions in {path}: {error}; fix that file."
                ) from None
    given = split_specs(tool_versions)
    explicit = pinned_versions(given)
    bad = [spec for spec in given if requirement_name(spec) not in explicit]
    if bad:
        raise SetupError(
            f"tool-versions {' '.join(bad)!r} is not 'TOOL==VERSION' for one of {', '.join(TOOLS)}; "
            "write e.g. 'black==24.10.0 ruff==0.8.0'."
        )
    take(explicit, "tool-versions")
    for tool, version in explicit.items():
        found.pins[tool], found.sources[tool] = version, "tool-versions"
    return found


# --------------------------------------------------------------------------------------------- the plan


@dataclass
class Plan:
    env: str
    lock: Path
    venv: Path
    overrides: list[list[str]]  # pip argument groups, installed after the lock
    replaced: set[str]  # lock entries the overrides replace
    key: str
    notes: list[str] = field(default_factory=list)

    @property
    def python(self) -> Path:
        return Path(venv_python(self.venv))

    def locked_text(self) -> str:
        """The lock without the entries the overrides replace."""
        entries = parse_lock(self.lock.read_text(encoding="utf-8"))
        return "".join(entry.text + "\n" for entry in entries if entry.name not in self.replaced)


def base_python() -> str:
    return os.environ.get("MLCI_PYTHON") or sys.executable


def python_identity(python: str) -> str:
    """The full version (``3.11.9``) of the interpreter the venv is made from: the cache key needs it."""
    if python == sys.executable:
        return f"{'.'.join(map(str, sys.version_info[:3]))}"
    completed = subprocess.run(  # nosec B603: the interpreter setup-python gave, no shell
        [python, "-c", "import sys; print('.'.join(map(str, sys.version_info[:3])))"],
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise SetupError(f"cannot run the Python {python}: {completed.stderr.strip() or 'no output'}.")
    return completed.stdout.strip()


def needs_mlflow(models: Iterable[str]) -> bool:
    """A models:/ or runs:/ URI, or an MLflow model directory: the validation environment with mlflow."""
    return any(
        model.startswith(("models:/", "runs:/")) or (Path(model) / "MLmodel").is_file()
        for model in models
        if model
    )


def venv_root(args: argparse.Namespace, environ: Mapping[str, str] = os.environ) -> Path:
    """Where venvs (and the files planning them) go: --venv-root, else RUNNER_TEMP, else ~/.cache/mlci."""
    return Path(args.venv_root or environ.get("RUNNER_TEMP") or (Path.home() / ".cache" / "mlci"))


def make_plan(args: argparse.Namespace, environ: Mapping[str, str] = os.environ) -> Plan:
    if args.env == "validation" and needs_mlflow(args.models):
        args.env = (
            "mlflow"  # only what the model source needs: a Hugging Face or file model never gets mlflow
        )
    lock = lock_path(args.env)
    lock_text = lock.read_text(encoding="utf-8")
    base = base_python()
    version = python_identity(base)
    lowest = minimum_python(lock_text)
    numbers = tuple(int(part) for part in version.split(".")[:2])
    if lowest and numbers < lowest:
        raise SetupError(
            f"python-version {version} is too old for mlci's {args.env} environment: use "
            f"{lowest[0]}.{lowest[1]} or newer."
        )
    cwd = Path.cwd()
    overrides = split_groups(args.override or "")
    notes = []
    if args.project is not None or args.tool_versions:
        tools = project_tool_versions(Path(args.project or "."), args.tool_versions or "")
        overrides.extend([spec] for spec in tools.specs())
        notes += [f"{tool}=={tools.pins[tool]} (from {tools.sources[tool]})" for tool in sorted(tools.pins)]
    overrides.extend(["-r", path] for path in (args.requirements or "").split())
    files: dict[str, str] = {}
    replaced = named_by(overrides, cwd, files)
    digest = hashlib.sha256()
    for part in (LAYOUT_VERSION, lock_text, json.dumps(overrides), json.dumps(files, sort_keys=True)):
        digest.update(part.encode("utf-8") + b"\0")
    runner = f"{environ.get('RUNNER_OS', sys.platform)}-{environ.get('RUNNER_ARCH', '')}".rstrip("-")
    key = f"mlci-env-{args.env}-{runner}-py{version}-{digest.hexdigest()[:20]}"
    venv = venv_root(args, environ) / f"mlci-env-{args.env}-{digest.hexdigest()[:12]}-py{version}"
    return Plan(args.env, lock, venv, overrides, replaced, key, notes)


# --------------------------------------------------------------------------------------------- model versions

#: The one place where the model-validation action's inputs become the variables the libraries read
#: (huggingface_hub, mlflow; GITHUB_TOKEN: mlci's pull-request comment). The action gives each as
#: MLCI_<NAME> (``hf-token`` -> MLCI_HF_TOKEN -> HF_TOKEN), and every step that talks to the Hub or MLflow
#: goes through :func:`library_environ`: ``plan --model-python`` (mlci model-requirements), ``hub-cache-key``
#: and ``run-validation``. A variable is set only when its input is given: an empty value would hide one the
#: caller set for the whole job.
LIBRARY_VARIABLES = (
    "HF_TOKEN",
    "HF_ENDPOINT",
    "MLFLOW_TRACKING_URI",
    "MLFLOW_TRACKING_TOKEN",
    "MLFLOW_TRACKING_USERNAME",
    "MLFLOW_TRACKING_PASSWORD",
    "GITHUB_TOKEN",
)
MODEL_FLAGS = ("--model", "--baseline")  # --models: the model, then the baseline
#: what the user vouched for (the action's inputs): a model's versions are installed only for a trusted model
TRUST_FLAGS = (("MLCI_SHA256", "--sha256"), ("MLCI_BASELINE_SHA256", "--baseline-sha256"))
#: where plan --model-python keeps the models mlci model-requirements downloaded, for run-validation
#: (``mlci validate --fetched``): below the venv root (RUNNER_TEMP), never in the workspace
FETCHED = "mlci-fetched"


def library_environ(environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """``environ`` with the MLCI_<NAME> inputs under the names the libraries read (LIBRARY_VARIABLES)."""
    given = {name: environ[f"MLCI_{name}"] for name in LIBRARY_VARIABLES if environ.get(f"MLCI_{name}")}
    return {**environ, **given}


def logged_requirements(
    python: str, models: Sequence[str], environ: Mapping[str, str] = os.environ, keep: Path | None = None
) -> dict[str, list[str]]:
    """``mlci model-requirements --model M --baseline B`` run by ``python`` (the validation venv's): each
    flag's URI and its lines, by flag. ``keep``: the folder it keeps its downloads in (``--keep``)."""
    given = {flag: model for flag, model in zip(MODEL_FLAGS, models) if model}
    with tempfile.TemporaryDirectory(prefix="mlci-requirements-") as tmp:
        listing = Path(tmp) / "requirements.json"
        listing.write_text("{}", encoding="utf-8")  # mlci replaces it with what it read
        command = [python, "-m", "mlci", "model-requirements", "--write", str(listing)]
        command += ["--keep", str(keep)] if keep is not None else []
        command += [word for flag, model in given.items() for word in (flag, model)]
        command += [
            word
            for variable, flag in TRUST_FLAGS
            if environ.get(variable)
            for word in (flag, environ[variable])
        ]
        if environ.get("MLCI_TRUST_PICKLE") == "true":
            command.append("--trust-pickle")
        env = {**library_environ(environ), "PYTHONPATH": str(ROOT / "scripts")}
        sys.stdout.flush()
        if subprocess.run(command, env=env, check=False).returncode != 0:  # nosec B603: argument list
            raise SetupError("")  # mlci said why, in one line
        found = json.loads(listing.read_text(encoding="utf-8"))
    return {f"{flag} {model}": list(found.get(flag, [])) for flag, model in given.items()}


def model_requirements(
    models: Sequence[str],
    python: str,
    override: str,
    environ: Mapping[str, str] = os.environ,
    keep: Path | None = None,
) -> list[str]:
    """What the model and the baseline were logged with, less the projects ``override`` names (it chooses);
    SetupError when the two pin one project differently."""
    chosen = named_by(split_groups(override), Path.cwd())
    found: dict[str, tuple[str, str]] = {}  # project -> (requirement, which model needs it: "--model URI")
    for which, lines in logged_requirements(python, models, environ, keep).items():
        for line in lines:
            name = requirement_name(line)
            if name is None or name in chosen:
                continue
            spec = re.sub(r"\s+", "", line)
            if name in found and found[name][0] != spec:
                first, by = found[name]
                raise SetupError(
                    f"{by} was logged with {first} and {which} with {spec}: one environment loads both. "
                    f"Choose the version with the input extra-requirements (e.g. '{first}'), which overrides "
                    "what the models were logged with."
                )
            found.setdefault(name, (spec, which))
    return [spec for spec, _ in found.values()]


def plan_model_env(args: argparse.Namespace, environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """``plan --model-python``: the outputs for the environment the models need (``needed=false``: none),
    and the hand-off of the models it downloaded (``fetched``, ``fetched-sha256``; empty: none)."""
    root = venv_root(args, environ)
    keep = root / FETCHED
    shutil.rmtree(
        keep, ignore_errors=True
    )  # this job's own folder: a download of an earlier run is no hand-off
    lines = model_requirements(args.models, args.model_python, args.override or "", environ, keep)
    handoff = fetched_outputs(keep)
    if not lines:
        print("The models name no library versions of their own: they are evaluated in mlci's environment.")
        return {"needed": "false", **handoff}
    root.mkdir(parents=True, exist_ok=True)
    listing = root / "mlci-model-requirements.txt"
    listing.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    print(f"The models were logged with: {' '.join(lines)}")
    args.requirements = str(listing)
    plan = make_plan(args, environ)
    return {"needed": "true", "requirements": output_path(listing), **plan_outputs(plan), **handoff}


def fetched_outputs(keep: Path) -> dict[str, str]:
    """The step outputs that hand mlci model-requirements' downloads to run-validation: the folder and the
    sha256 of its manifest (a step output: a later step cannot rewrite it); none when nothing was kept."""
    try:
        data = (keep / "fetched.json").read_bytes()
        listed = bool(json.loads(data).get("models"))
    except (OSError, ValueError, AttributeError):
        listed = False
    if not listed:
        return {}
    return {"fetched": output_path(keep), "fetched-sha256": hashlib.sha256(data).hexdigest()}


# --------------------------------------------------------------------------------------------- install


def ready(plan: Plan) -> bool:
    """A venv restored from the cache (or built earlier in this job) for exactly this plan, that runs."""
    try:
        marker = json.loads((plan.venv / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if marker.get("key") != plan.key or not Path(plan.python).exists():
        return False
    completed = subprocess.run(  # nosec B603: the venv's own interpreter, no shell
        [str(plan.python), "-c", "import sys"], capture_output=True, check=False
    )
    return completed.returncode == 0


def installer(python: Path, uv: str | None) -> list[str]:
    if uv:
        return [uv, "pip", "install", "--python", str(python)]
    return [str(python), "-m", "pip", "install", "--disable-pip-version-check", "--quiet"]


def commands(plan: Plan, locked: Path, uv: str | None) -> list[list[str]]:
    """The commands that build the venv: create it, the lock (hashes, no resolution), then the overrides."""
    create = (
        [uv, "venv", "--quiet", "--python", base_python(), str(plan.venv)]
        if uv
        else [
            base_python(),
            "-m",
            "venv",
            str(plan.venv),
        ]
    )
    steps = [create, [*installer(plan.python, uv), "--require-hashes", "--no-deps", "-r", str(locked)]]
    if plan.overrides:
        steps.append([*installer(plan.python, uv), *(word for group in plan.overrides for word in group)])
    return steps


def find_uv(environ: Mapping[str, str] = os.environ) -> str | None:
    """uv from MLCI_UV or PATH (astral-sh/setup-uv puts it there); None means pip."""
    if environ.get("MLCI_UV") == "false":
        return None
    return environ.get("MLCI_UV") or shutil.which("uv")


def install(plan: Plan, environ: Mapping[str, str] = os.environ) -> str:
    """Build the venv unless it is ready; ``restored`` or ``installed``."""
    if ready(plan):
        return "restored"
    if plan.venv.exists():
        shutil.rmtree(plan.venv)
    plan.venv.parent.mkdir(parents=True, exist_ok=True)
    locked = plan.venv.parent / f"{plan.venv.name}.lock.txt"
    locked.write_text(plan.locked_text(), encoding="utf-8")
    uv = find_uv(environ)
    try:
        for command in commands(plan, locked, uv):
            sys.stdout.flush()
            if subprocess.run(command, check=False).returncode != 0:  # nosec B603: argument list, no shell
                what = "the overrides " + " ".join(command[len(installer(plan.python, uv)) :])
                if command[-2:] == ["-r", str(locked)]:
                    what = f"mlci's {plan.env} lock"
                elif "venv" in command[:3]:
                    what = f"the venv {plan.venv}"
                shutil.rmtree(plan.venv, ignore_errors=True)  # nothing half-built is left to be cached
                raise SetupError(f"installing {what} failed (see the installer's output above).")
    finally:
        locked.unlink(missing_ok=True)
    (plan.venv / MARKER).write_text(json.dumps({"key": plan.key, "env": plan.env}), encoding="utf-8")
    return "installed"


# --------------------------------------------------------------------------------------------- run-quality

#: root action input variables -> `mlci quality` flags (empty value: flag left out)
QUALITY_FLAGS = (
    ("MLCI_CHECKS", "--checks"),
    ("MLCI_BANDIT_SEVERITY", "--bandit-severity"),
    ("MLCI_BANDIT_CONFIDENCE", "--bandit-confidence"),
    ("MLCI_CHANGED_SINCE", "--changed-since"),
    ("MLCI_COV", "--cov"),
    ("MLCI_COV_FAIL_UNDER", "--cov-fail-under"),
    ("MLCI_ANNOTATE", "--annotate"),
    ("MLCI_SARIF", "--sarif"),
)


def flag_words(environ: Mapping[str, str], flags: Iterable[tuple[str, str]]) -> list[str]:
    """``--flag=VALUE`` for each (variable, flag) whose variable is set: one word, so that a value that
    starts with '-' stays a value."""
    return [f"{flag}={environ[variable]}" for variable, flag in flags if environ.get(variable)]


def run_mlci(python: str, argv: Sequence[str], environ: Mapping[str, str]) -> int:
    """``python -m mlci ARGV`` with mlci from this script's folder; its exit code."""
    sys.stdout.flush()
    env = {**environ, "PYTHONPATH": str(ROOT / "scripts")}
    return subprocess.run([python, "-m", "mlci", *argv], env=env, check=False).returncode  # nosec B603


def quality_argv(environ: Mapping[str, str]) -> list[str]:
    """``mlci quality`` arguments from the root action's variables (what its bash did, on every OS)."""
    temp = environ.get("RUNNER_TEMP") or "."
    argv = ["quality", *flag_words(environ, QUALITY_FLAGS)]
    argv += ["--report", environ.get("MLCI_REPORT_PATH") or str(Path(temp) / "mlci-quality.json")]
    if environ.get("MLCI_PYTEST_ARGS"):
        argv.append(f"--pytest-args={environ['MLCI_PYTEST_ARGS']}")
    if environ.get("MLCI_CACHE", "true") != "true":
        argv.append("--no-cache")
    return [*argv, "--", *(environ.get("MLCI_PATH") or ".").split()]


def run_quality(environ: Mapping[str, str] = os.environ) -> int:
    python = environ.get("MLCI_TOOLS_PYTHON")
    if not python:
        raise SetupError("MLCI_TOOLS_PYTHON is not set: run 'setup_env.py install --env quality' first.")
    env = dict(environ)
    env["XDG_CACHE_HOME"] = str(Path(environ.get("RUNNER_TEMP") or ".") / "mlci-cache")
    if environ.get("MLCI_PROJECT_PYTHON"):  # the project's tests run in their own environment
        env["MLCI_PYTEST_PYTHON"] = environ["MLCI_PROJECT_PYTHON"]
    return run_mlci(python, quality_argv(environ), env)


# --------------------------------------------------------------------------------------------- run-validation

#: model-validation action input variables -> `mlci validate` flags (empty value: flag left out); the
#: credentials and the tracking server are no flags: they reach the libraries by library_environ
VALIDATION_FLAGS = (
    ("MLCI_MODEL", "--model"),
    ("MLCI_DATA", "--data"),
    ("MLCI_THRESHOLDS", "--thresholds"),
    ("MLCI_TARGET", "--target"),
    ("MLCI_FEATURES", "--features"),
    ("MLCI_POSITIVE_LABEL", "--positive-label"),
    ("MLCI_LABEL_MAP", "--label-map"),
    ("MLCI_TEST_SIZE", "--test-size"),
    ("MLCI_RANDOM_STATE", "--random-state"),
    ("MLCI_BASELINE", "--baseline"),
    ("MLCI_MAX_REGRESSION", "--max-regression"),
    ("MLCI_GATE", "--gate"),
    ("MLCI_CONFIDENCE", "--confidence"),
    ("MLCI_MIN_SUPPORT", "--min-support"),
    ("MLCI_SHA256", "--sha256"),
    ("MLCI_BASELINE_SHA256", "--baseline-sha256"),
    ("MLCI_CHUNK_ROWS", "--chunk-rows"),
    ("MLCI_PR_COMMENT_KEY", "--pr-comment-key"),
    ("MLCI_FETCHED", "--fetched"),
    ("MLCI_FETCHED_SHA256", "--fetched-sha256"),
)
#: inputs that are 'true' or 'false' -> the flag given for 'true'
VALIDATION_SWITCHES = (
    ("MLCI_STRATIFY", "--stratify"),
    ("MLCI_STRICT", "--strict"),
    ("MLCI_TRUST_PICKLE", "--trust-pickle"),
    ("MLCI_PR_COMMENT", "--pr-comment"),
)


def validation_argv(environ: Mapping[str, str]) -> list[str]:
    """``mlci validate`` arguments from the model-validation action's variables."""
    temp = environ.get("RUNNER_TEMP") or "."
    argv = ["validate", *flag_words(environ, VALIDATION_FLAGS)]
    argv += [flag for variable, flag in VALIDATION_SWITCHES if environ.get(variable) == "true"]
    return [*argv, "--report", environ.get("MLCI_REPORT") or str(Path(temp) / "mlci-model-validation.json")]


def run_validation(environ: Mapping[str, str] = os.environ) -> int:
    """The action's validate step: ``MLCI_VALIDATE_PYTHON -m mlci validate`` (the model's venv, or mlci's),
    with the inputs as flags and, through :func:`library_environ`, as the libraries' variables."""
    python = environ.get("MLCI_VALIDATE_PYTHON")
    if not python:
        raise SetupError(
            "MLCI_VALIDATE_PYTHON is not set: run 'setup_env.py install --env validation' first."
        )
    return run_mlci(python, validation_argv(environ), library_environ(environ))


# --------------------------------------------------------------------------------------------- hub cache


def hub_cache_key(models: Sequence[str], environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The actions/cache key and path of HF_HUB_CACHE: the commits the Hub resolves the hf:// models to now.

    Run by the validation venv's Python (it imports huggingface_hub, and mlci from this script's folder).
    Best effort: a model that is not on the Hub, or a Hub that cannot be asked, gives an empty key (no cache).
    """
    hub = [model for model in models if model.startswith("hf://")]
    if not hub:
        return {"key": "", "path": ""}
    os.environ.update(library_environ(environ))  # the Hub client below reads HF_TOKEN and HF_ENDPOINT
    commits = []
    try:
        # the venv's own huggingface_hub (this script's import time stays stdlib), asked as a download asks
        from huggingface_hub import constants, get_hf_file_metadata, hf_hub_url

        from mlci.validation.uri import HfUri, parse_model_uri

        for text in hub:
            uri = parse_model_uri(text)
            if isinstance(uri, HfUri):
                metadata = get_hf_file_metadata(hf_hub_url(uri.repo_id, uri.path, revision=uri.revision))
                commits.append(f"{uri.repo_id}@{metadata.commit_hash}")
    except Exception as error:  # noqa: BLE001 - no cache is the answer to any failure; validate reports it
        print(f"{TITLE}: no Hugging Face cache for {' '.join(hub)}: {type(error).__name__}")
        return {"key": "", "path": ""}
    digest = hashlib.sha256("\n".join(sorted(commits)).encode("utf-8")).hexdigest()[:20]
    return {"key": f"mlci-hf-hub-{digest}", "path": output_path(Path(constants.HF_HUB_CACHE))}


# --------------------------------------------------------------------------------------------- main


def write_outputs(values: Mapping[str, str], environ: Mapping[str, str] = os.environ) -> None:
    target = environ.get("GITHUB_OUTPUT")
    if not target:
        for name, value in values.items():
            print(f"{name}={value}")
        return
    with open(target, "a", encoding="utf-8") as handle:
        for name, value in values.items():
            handle.write(f"{name}={value}\n")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="setup_env.py", description=__doc__.split("\n\n")[0])
    commands_ = top.add_subparsers(dest="command", required=True)
    for name in ("plan", "install"):
        sub = commands_.add_parser(name)
        sub.add_argument("--env", required=True, choices=ENVS)
        sub.add_argument(
            "--override", default="", help="requirements replacing the lock's pins, one per line"
        )
        sub.add_argument("--tool-versions", default="", help="e.g. 'black==24.10.0 ruff==0.8.0' (quality)")
        sub.add_argument("--project", default=None, help="read the tool versions this project pins (quality)")
        sub.add_argument(
            "--models", nargs="*", default=[], help="validation: the model URIs (mlflow ones add mlflow)"
        )
        sub.add_argument("--requirements", default="", help="requirements files, separated by spaces")
        sub.add_argument("--venv-root", default=None, help="where venvs go (default: $RUNNER_TEMP)")
        if name == "plan":
            sub.add_argument(
                "--model-python",
                default=None,
                help="validation: plan the venv the models need; this Python reads their versions",
            )
    commands_.add_parser("run-quality")
    commands_.add_parser("run-validation")
    hub = commands_.add_parser("hub-cache-key")
    hub.add_argument("models", nargs="*", help="the model URIs (hf:// ones count)")
    return top


def plan_outputs(plan: Plan) -> dict[str, str]:
    return {
        "env": plan.env,
        "venv": output_path(plan.venv),
        "python": output_path(plan.python),
        "key": plan.key,
    }


def _fail(message: str, environ: Mapping[str, str] = os.environ) -> int:
    if not message:
        return 2
    if environ.get("GITHUB_ACTIONS") == "true":
        print(f"::error title={TITLE}::{message}", flush=True)
    else:
        print(f"{TITLE}: {message}", file=sys.stderr, flush=True)
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        if args.command == "run-quality":
            return run_quality()
        if args.command == "run-validation":
            return run_validation()
        if args.command == "hub-cache-key":
            write_outputs(hub_cache_key(args.models))
            return 0
        if args.command == "plan" and args.model_python:
            write_outputs(plan_model_env(args))
            return 0
        plan = make_plan(args)
        outputs = plan_outputs(plan)
        for note in plan.notes:
            print(f"{args.env}: {note}")
        if args.command == "install":
            outputs["state"] = install(plan)
            print(f"mlci's {args.env} environment {outputs['state']}: {outputs['python']}")
        write_outputs(outputs)
    except SetupError as error:
        return _fail(str(error))
    return 0


if __name__ == "__main__":
    sys.exit(main())
