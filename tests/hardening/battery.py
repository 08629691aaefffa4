"""The bad-input battery's machinery: a :class:`World` a case sets up, and the run that must refuse it."""

from __future__ import annotations

import hashlib
import socket
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from devtools.seed_case import SEED_DATA, SEED_THRESHOLDS
from hardening.outcome import Run, assert_refused, set_sentinels
from mlci import cli
from mlci_testing import ActionsStep

Argv = list[str]


@dataclass
class World:
    """Where a case runs: a scratch folder (also the current directory) and servers started on demand."""

    tmp: Path
    request: pytest.FixtureRequest
    monkeypatch: pytest.MonkeyPatch
    #: text that must not appear anywhere the run writes (besides the sentinel secrets)
    private: list[str] = field(default_factory=list)

    def file(self, name: str, content: bytes | str) -> str:
        path = self.tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        return str(path)

    # ----------------------------------------------------------------------------------------- servers

    def hf(self) -> None:
        """HF_ENDPOINT on the local Hub (tests/validation), with an empty cache."""
        self.request.getfixturevalue("hf_env")

    def mlflow(self) -> None:
        """MLFLOW_TRACKING_URI on the real `mlflow server` of tests/validation ('wine' v1 and v2 logged)."""
        self.request.getfixturevalue("mlflow_env")

    def aws(self) -> None:
        """boto3 on the moto server of tests/training, with dummy credentials."""
        self.request.getfixturevalue("aws_env")

    def git_project(self) -> None:
        """The current directory as a git repository with one commit."""
        self.file("pkg/__init__.py", "VALUE = 1\n")
        identity = ["-c", "user.name=t", "-c", "user.email=t@example.com"]
        for command in (["init", "-q"], ["add", "."], [*identity, "commit", "-q", "-m", "init"]):
            subprocess.run(["git", *command], cwd=self.tmp, check=True, capture_output=True)

    # ----------------------------------------------------------------------------------------- inputs

    @property
    def model(self) -> str:
        """The seed's good model (13 unnamed wine features, classes False/True) as a local joblib file."""
        files = self.request.getfixturevalue("seed_files")
        return str(files["good.joblib"])

    def pinned(self) -> Argv:
        return ["--sha256", hashlib.sha256(Path(self.model).read_bytes()).hexdigest()]

    def iris_model(self) -> str:
        """A three-class model (classes 0, 1, 2): its class names are only known after an evaluation."""
        import joblib
        from sklearn.datasets import load_iris
        from sklearn.tree import DecisionTreeClassifier

        X, y = load_iris(return_X_y=True)
        path = self.tmp / "iris.joblib"
        joblib.dump(DecisionTreeClassifier(max_depth=2, random_state=0).fit(X, y), path)
        return str(path)

    def validate(self, *extra: str, model: str | None = None, thresholds: str = SEED_THRESHOLDS) -> Argv:
        """A validation of the good local model (pinned unless ``model`` is given), then ``extra``."""
        head = (
            ["validate", "--model", model] if model else ["validate", "--model", self.model, *self.pinned()]
        )
        return [*head, "--thresholds", thresholds, *extra]

    def seed(self, *extra: str, model: str | None = None, thresholds: str = SEED_THRESHOLDS) -> Argv:
        """The seed's validation (wine, one-vs-rest, the seed's split) with ``extra`` options."""
        return self.validate(*SEED_DATA, *extra, model=model, thresholds=thresholds)

    def csv(self, name: str = "data.csv", rows: int = 5) -> str:
        """A small CSV file: three features a, b, c and a label column."""
        lines = ["a,b,c,label"] + [f"{i},{i * 2},{i % 3},{i % 2}" for i in range(rows)]
        return self.file(name, "\n".join(lines) + "\n")

    def source(self) -> str:
        """A directory of training code."""
        return str(Path(self.file("code/train.py", "print('training')\n")).parent)


@dataclass(frozen=True)
class Case:
    """A command line mlci must refuse, and the text (a flag, a value) its one error line must hold."""

    argv: Callable[[World], Argv]
    names: str
    setup: Callable[[World], object] | None = None


def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Battery:
    """Runs a case in-process as an Actions step, with a sentinel in every secret variable."""

    world: World
    actions: ActionsStep
    capsys: pytest.CaptureFixture[str]

    def refuse(self, case: Case) -> str:
        """Run ``case``; assert it is refused cleanly (see :func:`assert_refused`); return the error line."""
        self.world.monkeypatch.chdir(self.world.tmp)
        if case.setup is not None:
            case.setup(self.world)
        argv = case.argv(self.world)
        set_sentinels(self.world.monkeypatch)  # last: the server fixtures set dummy credentials of their own
        report = self.world.tmp.parent / "report.json"
        if "--report" not in argv:
            argv = [*argv, "--report", str(report)]
        self.capsys.readouterr()
        code = cli.main(argv)
        captured = self.capsys.readouterr()
        run = Run(code, captured.out, captured.err)
        line = assert_refused(run, case.names, actions=self.actions, report=report)
        for text in self.world.private:
            assert text not in run.out + run.err + self.actions.summary, f"{text!r} was printed"
        return line
