"""Load a model safely: pickles only when trusted, skops with its own allow-list, MLflow models by flavour.

The rule (README "Model validation", "Trusting a model"):

- pickle and joblib files run code when they are loaded. mlci loads one only when ``--sha256`` pins the file's
  exact content, or with ``--trust-pickle``; otherwise it refuses before reading a byte of it as a pickle.
- skops files load with skops' own allow-list. Types outside it are refused, named, unless the file is pinned
  by ``--sha256`` or ``--trust-pickle`` is given.
- MLflow model directories are loaded by their MLmodel file, and pinned whole: for a directory ``--sha256`` is
  its tree hash (:func:`tree_sha256`), which covers every file a loader may unpickle or execute (the MLmodel
  itself, ``model.pkl``, ``python_model.pkl``, a ``loader_module``'s data, ``model_code_path``, ``code/``,
  artifacts). A pinned directory loads; an unpinned one needs ``--trust-pickle``, except a sklearn-flavour
  skops model whose types skops trusts. A trust list written inside the model's own MLmodel file is
  ignored: it comes from the file being checked.
- A scikit-learn version mismatch (``InconsistentVersionWarning``) is not swallowed: it becomes a warning that
  names the versions, and the report carries it.
"""

from __future__ import annotations

import hashlib
import logging
import os
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlci.errors import UserError

log = logging.getLogger(__name__)

_TITLE = "mlci validate: model refused"
_PICKLE_SUFFIXES = (".joblib", ".pkl", ".pickle", ".sav", ".jbl")


@dataclass(frozen=True)
class Trust:
    """What the user vouched for: every pickle (``--trust-pickle``), or one exact file (``--sha256``)."""

    trust_pickle: bool = False
    sha256: str | None = None
    sha256_flag: str = "--sha256"


@dataclass
class LoadedModel:
    """A loaded model and what mlci learnt while loading it."""

    model: Any
    kind: str  # "sklearn" (has predict, maybe predict_proba) or "pyfunc" (an MLflow pyfunc: predict only)
    format: str  # joblib, skops, mlflow-sklearn, mlflow-pyfunc
    sha256: str | None  # what --sha256 pins: the file's sha256, or a model directory's tree hash
    sha256_of: str = "file"  # "file" or "directory tree"
    warnings: list[str] = field(default_factory=list)
    #: what the model's URI resolved to, with :meth:`describe`: filled in by whoever fetched the file
    identity: dict[str, Any] = field(default_factory=dict)

    @property
    def classes(self) -> list[Any] | None:
        classes = getattr(self.model, "classes_", None)
        return None if classes is None else list(classes)

    @property
    def feature_names(self) -> list[str] | None:
        names = getattr(self.model, "feature_names_in_", None)
        if names is None and self.kind == "pyfunc":  # an MLflow model names its columns in its signature
            schema = self.model.metadata.get_input_schema()
            names = schema.input_names() if schema is not None and schema.has_input_names() else None
        return None if names is None else [str(name) for name in names]

    def pyfunc_input(self, frame: Any) -> Any:
        """``frame`` with the integer columns the model's signature asks for: a CSV's integer columns arrive
        as float64 (:mod:`mlci.validation.csv_chunks`), which MLflow's schema enforcement refuses."""
        schema = self.model.metadata.get_input_schema()
        for spec in schema.inputs if schema is not None and schema.has_input_names() else []:
            column = frame.get(spec.name)
            wants_int = getattr(spec.type, "name", "") in ("integer", "long")
            if wants_int and column is not None and column.dtype.kind == "f" and column.notna().all():
                if (column % 1 == 0).all():
                    frame[spec.name] = column.astype(spec.type.to_numpy())
        return frame

    @property
    def has_proba(self) -> bool:
        return (
            self.kind == "sklearn"
            and self.classes is not None
            and callable(getattr(self.model, "predict_proba", None))
        )

    def describe(self) -> dict[str, Any]:
        """The part of the report that says what was loaded."""
        return {
            "format": self.format,
            "sha256": self.sha256,
            "sha256_of": self.sha256_of,
            "class": _qualified_name(self.model),
        }


def _qualified_name(obj: Any) -> str:
    kind = type(obj)
    return f"{kind.__module__}.{kind.__qualname__}"


def file_sha256(path: Path) -> str:
    """The sha256 of a file, read in blocks."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def tree_sha256(directory: Path) -> str:
    """The tree hash of a model directory: what ``--sha256`` pins for an MLflow model directory.

    The sha256 of the lines ``<sha256 of the file>  <path relative to the directory>\n`` (``sha256sum``'s
    own format) of every file below it, sorted by path (bytewise, as ``LC_ALL=C sort``). In a shell:
    ``cd DIR && find . -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum``.
    A symbolic link is refused: what it points to could change without the tree changing.
    """
    digest = hashlib.sha256()
    files: list[tuple[bytes, Path]] = []
    for root, dirs, names in os.walk(directory):
        for name in [*dirs, *names]:
            path = Path(root, name)
            if path.is_symlink():
                raise UserError(
                    f"{directory}: {path.relative_to(directory)} is a symbolic link; a pinned model "
                    "directory holds files only: copy what it points to into the directory.",
                    title=_TITLE,
                )
        files += [
            (os.fsencode(Path(root, name).relative_to(directory).as_posix()), Path(root, name))
            for name in names
        ]
    for relative, path in sorted(files):
        digest.update(file_sha256(path).encode() + b"  " + relative + b"\n")
    return digest.hexdigest()


def check_pin(path: Path, actual: str, trust: Trust, where: str) -> bool:
    """True when ``--sha256`` pins this file (or directory tree); UserError when it pins other content."""
    if trust.sha256 is None:
        return False
    if trust.sha256.lower() != actual:
        what = (
            f"the tree hash of the model directory {path.name}"
            if path.is_dir()
            else f"the sha256 of {path.name}"
        )
        raise UserError(
            f"{where}: {what} is {actual}, not {trust.sha256.lower()} as {trust.sha256_flag} pins it; the "
            "model changed: review the new files, then update the pin.",
            title=_TITLE,
        )
    return True


def _refuse_pickle(where: str, path: Path, actual: str, trust: Trust, why: str | None = None) -> UserError:
    what = "the tree hash of this model directory" if path.is_dir() else "this exact file"
    why = why or f"{path.name}: unpickling a pickle or joblib file runs code from it"
    return UserError(
        f"{where}: refusing to load {why}. If you trust {what}, pin it with {trust.sha256_flag} {actual}; "
        "if you trust its source, pass --trust-pickle.",
        title=_TITLE,
    )


def _version_warning(caught: list[warnings.WarningMessage]) -> list[str]:
    """Turn the warnings raised while loading into sentences (version mismatches merged into one)."""
    from sklearn.exceptions import InconsistentVersionWarning

    mismatches: dict[tuple[str, str], list[str]] = {}
    other: list[str] = []
    for record in caught:
        message = record.message
        if isinstance(message, InconsistentVersionWarning):
            key = (message.original_sklearn_version, message.current_sklearn_version)
            names = mismatches.setdefault(key, [])
            if message.estimator_name not in names:
                names.append(message.estimator_name)
        elif (
            f"{os.sep}mlflow{os.sep}" not in record.filename
        ):  # mlflow's advice to model authors is noise here
            other.append(f"{record.category.__name__} while loading: {str(message).splitlines()[0]}")
    sentences = [
        f"the model was saved with scikit-learn {saved} and is loaded with {current} ({', '.join(names)}): "
        f"its predictions may differ or fail. Evaluate it with scikit-learn=={saved}: in the action, input "
        f"extra-requirements 'scikit-learn=={saved}' overrides mlci's own pin (an MLflow model's logged "
        "versions are installed first: mlci model-requirements --model URI prints them); or re-save the "
        "model with the current version."
        for (saved, current), names in mismatches.items()
    ]
    return sentences + other


def _call_loader(load: Callable[[], Any], where: str) -> tuple[Any, list[str]]:
    """Run a loader, recording its warnings; a failure of the file is the user's input, not a bug."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model = load()
        except ModuleNotFoundError as exc:
            raise UserError(
                f"{where}: loading the model needs the module '{exc.name}', which is not installed; add its "
                "package to the environment (the action's input extra-requirements).",
                title="mlci validate: model not loadable",
            ) from None
        except Exception as exc:  # a broken or foreign file raises anything: say which, in one line
            first_line = (str(exc).splitlines() or [""])[0]
            raise UserError(
                f"{where}: cannot load the model: {type(exc).__name__}: {first_line}",
                title="mlci validate: model not loadable",
            ) from None
    return model, _version_warning(caught)


def _load_pickle(path: Path, trust: Trust, where: str, fmt: str, reader: str) -> LoadedModel:
    actual = file_sha256(path)
    pinned = check_pin(path, actual, trust, where)
    if not (pinned or trust.trust_pickle):
        raise _refuse_pickle(where, path, actual, trust)
    if reader == "joblib":
        import joblib

        model, notes = _call_loader(lambda: joblib.load(path), where)
    else:
        # Reached only for a file the user pinned by sha256 or trusted with --trust-pickle (see above).
        import pickle  # nosec B403

        def load() -> Any:
            with path.open("rb") as handle:
                return pickle.load(handle)  # nosec B301

        model, notes = _call_loader(load, where)
    return LoadedModel(model=model, kind="sklearn", format=fmt, sha256=actual, warnings=notes)


def _load_skops(
    path: Path, trust: Trust, where: str, fmt: str, pin: tuple[Path, str] | None = None
) -> LoadedModel:
    """A skops file; ``pin`` is the directory and tree hash that pin it instead of its own sha256."""
    import skops.io

    if pin is None:
        target, actual = path, file_sha256(path)
        pinned = check_pin(path, actual, trust, where)
    else:
        (target, actual), pinned = pin, False  # the caller checked the tree's pin
    try:
        untrusted = skops.io.get_untrusted_types(file=path)
    except Exception as exc:  # not a skops file after all
        raise UserError(f"{where}: {path.name} is not a readable skops file ({exc}).", title=_TITLE) from None
    if untrusted and not (pinned or trust.trust_pickle):
        why = f"{path.name}: it holds types skops does not trust by default: {', '.join(untrusted)}"
        raise _refuse_pickle(where, target, actual, trust, why)
    model, notes = _call_loader(lambda: skops.io.load(path, trusted=untrusted), where)
    return LoadedModel(model=model, kind="sklearn", format=fmt, sha256=actual, warnings=notes)


def _load_file(path: Path, trust: Trust, where: str) -> LoadedModel:
    if path.suffix == ".skops" or (path.suffix not in _PICKLE_SUFFIXES and zipfile.is_zipfile(path)):
        return _load_skops(path, trust, where, "skops")
    return _load_pickle(path, trust, where, "joblib", reader="joblib")


def _read_mlmodel(directory: Path, where: str) -> dict[str, Any]:
    import yaml

    try:
        spec = yaml.safe_load((directory / "MLmodel").read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise UserError(f"{where}: cannot read its MLmodel file ({exc}).", title=_TITLE) from None
    if not isinstance(spec, dict) or not isinstance(spec.get("flavors"), dict):
        raise UserError(f"{where}: its MLmodel file lists no flavours.", title=_TITLE)
    return spec


def _load_mlflow_dir(directory: Path, trust: Trust, where: str) -> LoadedModel:
    """An MLflow model directory, pinned by its tree hash, loaded by its flavour."""
    tree = tree_sha256(directory)
    pinned = check_pin(directory, tree, trust, where)
    # The tree covers every file loaded below: a pinned tree vouches for each of them.
    vouched = Trust(trust_pickle=pinned or trust.trust_pickle, sha256_flag=trust.sha256_flag)
    flavors = _read_mlmodel(directory, where)["flavors"]
    sklearn_conf = flavors.get("sklearn")
    if isinstance(sklearn_conf, dict) and not sklearn_conf.get("code"):
        model_file = _inside(directory, str(sklearn_conf.get("pickled_model", "model.pkl")), where)
        fmt = str(sklearn_conf.get("serialization_format", "cloudpickle"))
        if fmt == "skops":
            loaded = _load_skops(model_file, vouched, where, "mlflow-sklearn", (directory, tree))
        elif not vouched.trust_pickle:
            raise _refuse_pickle(where, directory, tree, trust, f"{model_file.name}: unpickling it runs code")
        else:
            loaded = _load_pickle(model_file, vouched, where, "mlflow-sklearn", reader="pickle")
    else:
        pyfunc_conf = flavors.get("python_function")
        if not isinstance(pyfunc_conf, dict):
            raise UserError(
                f"{where}: the MLflow model has neither a sklearn nor a python_function flavour (it has: "
                f"{', '.join(flavors)}).",
                title=_TITLE,
            )
        if not vouched.trust_pickle:
            loader = pyfunc_conf.get("loader_module")
            why = f"this MLflow pyfunc model: loading it (loader {loader}) unpickles or runs its files"
            raise _refuse_pickle(where, directory, tree, trust, why)
        loaded = _load_pyfunc(directory, where)
    loaded.sha256, loaded.sha256_of = tree, "directory tree"
    return loaded


def _inside(directory: Path, name: str, where: str) -> Path:
    """A file the MLmodel names, which must be inside the model directory."""
    path = (directory / name).resolve()
    if not path.is_relative_to(directory.resolve()) or not path.is_file():
        raise UserError(
            f"{where}: its MLmodel names {name!r}, which is no file inside the model.", title=_TITLE
        )
    return path


def _load_pyfunc(directory: Path, where: str) -> LoadedModel:
    """Load through mlflow.pyfunc: only for a directory whose every file the user vouched for."""
    with warnings.catch_warnings(record=True):  # mlflow's import-time advice is about mlflow, not this model
        warnings.simplefilter("ignore")
        try:
            import mlflow.pyfunc
        except ImportError:
            raise UserError(
                f"{where}: an MLflow pyfunc model needs mlflow, which is not installed; install "
                "requirements/mlflow.txt (mlflow-skinny is enough).",
                title=_TITLE,
            ) from None

    def load() -> Any:
        return mlflow.pyfunc.load_model(str(directory))

    model, notes = _call_loader(load, where)
    return LoadedModel(model=model, kind="pyfunc", format="mlflow-pyfunc", sha256=None, warnings=notes)


def load_model(path: Path, trust: Trust, where: str) -> LoadedModel:
    """Load the model at ``path`` (a file or an MLflow model directory) under the trust rule above.

    ``where`` names the input in messages (e.g. ``--model hf://acme/wine/model.joblib``).
    """
    if path.is_dir():
        if not (path / "MLmodel").is_file():
            raise UserError(f"{where}: {path} is a directory without an MLmodel file; name the model file.")
        loaded = _load_mlflow_dir(path, trust, where)
    else:
        loaded = _load_file(path, trust, where)
    if not callable(getattr(loaded.model, "predict", None)):
        raise UserError(
            f"{where}: the file holds a {_qualified_name(loaded.model)}, which has no predict() method; "
            "save the fitted classifier itself.",
            title="mlci validate: not a classifier",
        )
    return loaded
