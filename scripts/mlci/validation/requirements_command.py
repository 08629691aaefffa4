"""``mlci model-requirements``: the library versions a model was logged with, for the environment loading it.

An MLflow model records them as MLflow's own environment managers read them: ``python_env.yaml`` (the Python
version, and ``dependencies`` that point at ``requirements.txt``) and ``requirements.txt``. This command
prints those requirements, one per line, so that the action installs them over mlci's own pins
(``extra-requirements`` and these lines override the lock's versions) before ``mlci validate`` unpickles the
model. Nothing is loaded or unpickled here: the files are text. MLflow itself is left out (mlci brings its
own client, ``mlflow-skinny``); a model file without such metadata (a joblib file on the Hub) prints nothing.
"""

from __future__ import annotations

import argparse
import platform
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from mlci import gha
from mlci.errors import UserError

if TYPE_CHECKING:
    from mlci.validation.loading import Trust
    from mlci.validation.sources import FetchedModel

HELP = "Print the library versions an MLflow model was logged with (its requirements.txt), one per line."

#: Requirements mlci does not take from the model: its own MLflow client serves every flavour it loads.
_SKIPPED = ("mlflow", "mlflow-skinny")


@dataclass
class ModelRequirements:
    """What a model directory says it needs."""

    requirements: list[str] = field(default_factory=list)
    python: str | None = None  # python_env.yaml's python version
    skipped: list[str] = field(default_factory=list)


def _name(line: str) -> str:
    import re

    return re.split(r"[\s<>=!~;\[@]", line, maxsplit=1)[0].lower().replace("_", "-")


def _requirement_files(directory: Path, where: str) -> tuple[list[Path], list[str], str | None]:
    """python_env.yaml's requirement files (``-r requirements.txt``), its other dependencies, its Python.

    Without python_env.yaml: requirements.txt alone.
    """
    import yaml

    env_file = directory / "python_env.yaml"
    if not env_file.is_file():
        plain = directory / "requirements.txt"
        return ([plain] if plain.is_file() else []), [], None
    try:
        env = yaml.safe_load(env_file.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise UserError(f"{where}: cannot read its python_env.yaml ({exc}).") from None
    files, inline = [], []
    for entry in env.get("dependencies") or []:
        text = str(entry).strip()
        if text.startswith("-r"):
            files.append(directory / text[2:].strip())
        else:
            inline.append(text)
    python = str(env["python"]) if env.get("python") else None
    return files, inline, python


def read_model_requirements(directory: Path, where: str) -> ModelRequirements:
    """The requirements of the MLflow model in ``directory`` (empty for a plain model file)."""
    result = ModelRequirements()
    if not directory.is_dir():
        return result
    files, result.requirements, result.python = _requirement_files(directory, where)
    for path in files:
        inside = path.resolve()
        if not inside.is_relative_to(directory.resolve()) or not inside.is_file():
            raise UserError(f"{where}: python_env.yaml names {path.name}, which is no file inside the model.")
        for raw in inside.read_text(encoding="utf-8").splitlines():
            line = raw.split(" #", 1)[0].strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("-"):  # options (-r, --index-url...) are not followed: mlci's index only
                result.skipped.append(line)
            elif _name(line) in _SKIPPED:
                result.skipped.append(line)
            else:
                result.requirements.append(line)
    return result


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, metavar="URI", help="The model, as mlci validate takes it.")
    parser.add_argument(
        "--baseline", metavar="URI", help="A baseline model, read the same way. Default: none."
    )
    parser.add_argument(
        "--mlflow-tracking-uri",
        metavar="URI",
        help="MLflow tracking server for models:/ and runs:/ URIs. Default: $MLFLOW_TRACKING_URI.",
    )
    parser.add_argument("--sha256", metavar="HEX", help="The model's pin (an MLflow directory's tree hash).")
    parser.add_argument("--baseline-sha256", metavar="HEX", help="The baseline's pin.")
    parser.add_argument(
        "--trust-pickle",
        action="store_true",
        help="Trust the models without a pin. Without a pin or this, a model's versions are not returned: "
        "installing the packages a model names runs their code.",
    )
    parser.add_argument(
        "--keep",
        metavar="DIR",
        help="Keep the MLflow models downloaded here in DIR, with a manifest (fetched.json), for mlci "
        "validate --fetched DIR (the model-validation action: one download). Default: none (deleted).",
    )
    parser.add_argument(
        "--write",
        metavar="PATH",
        help="Write them to this file instead of stdout, as JSON: --model and --baseline -> their lines.",
    )


def _vouched(directory: Path, tree: str, trust: Trust, where: str) -> bool:
    """The user trusts this model directory (``tree``: its tree hash): --trust-pickle, or a pin that
    matches (UserError if not)."""
    from mlci.validation.loading import check_pin

    return check_pin(directory, tree, trust, where) or trust.trust_pickle


def _read(
    flag: str, uri: str, args: argparse.Namespace, workdir: Path
) -> tuple[list[str], FetchedModel, str]:
    """One model's requirements, its download and that download's content hash (empty when not computed);
    what was left out, and a Python mismatch, as notices. An MLflow model that is neither pinned nor trusted
    gives no requirements: what it names would be installed, and installing runs code.
    """
    from mlci.validation.handoff import content_sha256, kept
    from mlci.validation.loading import Trust
    from mlci.validation.sources import fetch
    from mlci.validation.uri import parse_model_uri

    where = f"{flag} {uri}"
    fetched = fetch(
        parse_model_uri(uri, flag),
        flag=flag,
        workdir=workdir,
        mlflow_tracking_uri=args.mlflow_tracking_uri,
    )
    pin_flag = "--sha256" if flag == "--model" else "--baseline-sha256"
    pin = args.sha256 if flag == "--model" else args.baseline_sha256
    trust = Trust(trust_pickle=args.trust_pickle, sha256=pin, sha256_flag=pin_flag)
    found = read_model_requirements(fetched.path, where)
    tree = content_sha256(fetched.path) if found.requirements or (args.keep and kept(fetched)) else ""
    if found.requirements and not _vouched(fetched.path, tree, trust, where):
        gha.notice(
            f"{where}: its logged versions ({' '.join(found.requirements)}) are not used: installing the "
            f"packages a model names runs their code. Pin the model ({pin_flag} {tree}) "
            "or trust it (--trust-pickle).",
            title="mlci model-requirements",
        )
        return [], fetched, tree
    if found.skipped:
        gha.notice(
            f"{where}: left out of its requirements: {', '.join(found.skipped)}.",
            title="mlci model-requirements",
        )
    running = platform.python_version()
    if found.python and running.split(".")[:2] != found.python.split(".")[:2]:
        gha.warning(
            f"{where}: the model was logged with Python {found.python}; this is Python {running}: a pickle "
            "may not load across versions (the action's input python-version chooses it).",
            title="mlci model-requirements",
        )
    return found.requirements, fetched, tree


def run(args: argparse.Namespace) -> bool:
    """Print the models' requirements on stdout, one per line (or ``--write`` them, by model, as JSON);
    with ``--keep DIR``, leave the MLflow downloads in DIR for ``mlci validate --fetched DIR``."""
    given = [(flag, uri) for flag, uri in (("--model", args.model), ("--baseline", args.baseline)) if uri]
    if args.keep and Path(args.keep).exists() and any(Path(args.keep).iterdir()):
        raise UserError(f"--keep {args.keep}: the folder is not empty; give a new (or an empty) folder.")
    with tempfile.TemporaryDirectory(prefix="mlci-requirements-") as tmp:
        root = Path(args.keep or tmp)
        read = {flag: (uri, *_read(flag, uri, args, root / flag.strip("-"))) for flag, uri in given}
        if args.keep:
            from mlci.validation.handoff import kept, write_manifest

            root.mkdir(parents=True, exist_ok=True)
            write_manifest(
                root, {flag: (uri, got, tree) for flag, (uri, _, got, tree) in read.items() if kept(got)}
            )
    found = {flag: lines for flag, (_, lines, _, _) in read.items()}
    if args.write:
        from mlci.files import write_json

        write_json(args.write, found)
    else:
        for line in dict.fromkeys(line for lines in found.values() for line in lines):
            print(line, flush=True)
    return True
