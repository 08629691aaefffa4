"""`mlci train --launcher local`: real training scripts run with SageMaker's conventions."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from mlci import cli
from mlci_testing import ActionsStep
from training.tree_helpers import EXAMPLES, write_tree

PROBE = b"""
import json, os, sys
from pathlib import Path
names = sorted(k for k in os.environ if k.startswith(("SM_", "TRAINING_JOB", "MY_")))
seen = {k: os.environ[k] for k in names}
seen["argv"] = sys.argv[1:]
seen["python"] = os.path.realpath(sys.executable)
seen["cwd"] = os.getcwd()
seen["config"] = json.loads((Path(os.environ["SM_INPUT_CONFIG_DIR"]) / "hyperparameters.json").read_text())
Path(os.environ["SM_MODEL_DIR"], "seen.json").write_text(json.dumps(seen))
"""


def test_the_wine_example_trains_and_its_model_lands_in_output(
    tmp_path: Path, actions: ActionsStep, capsys: pytest.CaptureFixture[str]
) -> None:
    import joblib

    output = tmp_path / "model"
    code = cli.main(
        [
            "train",
            "--source",
            str(EXAMPLES),
            "--output",
            str(output),
            "--hyperparameters",
            '{"n-estimators": 20}',
        ]
    )
    assert code == 0
    model = joblib.load(output / "model.joblib")
    assert type(model).__name__ == "RandomForestClassifier"
    assert model.n_estimators == 20  # the hyperparameter reached the script as --n-estimators 20
    assert list(model.classes_) == [False, True]  # one-vs-rest: class 2 against the rest
    outputs = actions.outputs
    assert (outputs["status"], outputs["job-name"]) == ("Completed", "mlci-local")
    assert outputs["model-dir"] == outputs["model-artifacts"] == str(output)
    out = capsys.readouterr().out
    assert "::group::training log: mlci-local" in out and "accuracy=" in out
    assert "### mlci train: ✅ pass mlci-local" in actions.summary


def test_sagemaker_conventions_reach_the_script(tmp_path: Path) -> None:
    source = write_tree(tmp_path / "code", {"probe.py": PROBE})
    data = write_tree(tmp_path / "data", {"train.csv": b"a,b\n"})
    output = tmp_path / "out"
    code = cli.main(
        [
            "train",
            "--source", str(source),
            "--entry-point", "probe.py",
            "--output", str(output),
            "--job-name", "probe-job",
            "--hyperparameters", "lr: 0.1\ncriterion: gini\nn-estimators: 5",
            "--environment", "MY_FLAG: 'on'",
            "--channel", f"train={data}",
        ]
    )  # fmt: skip
    assert code == 0
    seen = json.loads((output / "seen.json").read_text())
    assert seen["argv"] == ["--criterion", "gini", "--lr", "0.1", "--n-estimators", "5"]
    assert json.loads(seen["SM_HPS"]) == {"lr": 0.1, "criterion": "gini", "n-estimators": 5}
    assert (seen["SM_HP_LR"], seen["SM_HP_CRITERION"]) == ("0.1", "gini")
    assert seen["config"] == {"lr": "0.1", "criterion": "gini", "n-estimators": "5"}
    assert seen["SM_CHANNEL_TRAIN"] == str(data) and json.loads(seen["SM_CHANNELS"]) == ["train"]
    assert seen["SM_MODEL_DIR"].endswith("/model") and seen["SM_OUTPUT_DATA_DIR"].endswith("/output/data")
    assert (seen["TRAINING_JOB_NAME"], seen["MY_FLAG"], seen["SM_CURRENT_HOST"]) == (
        "probe-job",
        "on",
        "algo-1",
    )
    assert seen["python"] == str(Path(sys.executable).resolve())  # `python` is mlci's own interpreter
    assert seen["cwd"] == str(source)


def test_a_failing_script_exits_1_with_the_log_tail(
    tmp_path: Path, actions: ActionsStep, capsys: pytest.CaptureFixture[str]
) -> None:
    script = (
        b"import sys\nfor i in range(60):\n    print(f'epoch {i}')\nprint('::warning::hi')\nsys.exit(3)\n"
    )
    source = write_tree(tmp_path / "code", {"train.py": script})
    assert cli.main(["train", "--source", str(source), "--output", str(tmp_path / "out")]) == 1
    out = capsys.readouterr().out
    assert (
        "::error title=mlci train%3A job failed::training job mlci-local ended Failed: "
        "the command exited with code 3" in out
    )
    # the script's own output cannot issue workflow commands
    assert out.index("::stop-commands::") < out.index("::warning::hi") < out.index("::endgroup::")
    assert actions.outputs["status"] == "Failed"
    summary = actions.summary
    assert "### mlci train: ❌ fail" in summary and "Last 40 log lines" in summary
    assert "epoch 59" in summary and "epoch 19" not in summary
    assert not (tmp_path / "out").exists()


def test_failure_file_is_the_failure_reason(tmp_path: Path, actions: ActionsStep) -> None:
    script = (
        b"import os, sys\n"
        b"open(os.path.join(os.environ['SM_OUTPUT_DIR'], 'failure'), 'w').write('OOM in epoch 3')\n"
        b"sys.exit(1)\n"
    )
    source = write_tree(tmp_path / "code", {"train.py": script})
    report = tmp_path / "report.json"
    assert cli.main(["train", "--source", str(source), "--report", str(report)]) == 1
    assert json.loads(report.read_text())["failure_reason"] == "OOM in epoch 3"


def test_max_runtime_stops_the_command(tmp_path: Path, actions: ActionsStep) -> None:
    source = write_tree(
        tmp_path / "code", {"train.py": b"import time\nprint('start', flush=True)\ntime.sleep(60)\n"}
    )
    assert cli.main(["train", "--source", str(source), "--max-runtime", "1s"]) == 1
    assert actions.outputs["status"] == "Stopped"
    assert "MaxRuntimeExceeded" in actions.summary


def test_sigterm_stops_the_command_and_still_reports(tmp_path: Path, actions: ActionsStep) -> None:
    """A cancelled workflow: mlci gets SIGTERM, ends the training command, writes outputs and summary."""
    script = b"import os, signal, time\nos.kill(os.getppid(), signal.SIGTERM)\ntime.sleep(60)\n"
    source = write_tree(tmp_path / "code", {"train.py": script})
    assert cli.main(["train", "--source", str(source)]) == 1
    assert actions.outputs["status"] == "Stopped"
    assert "the workflow was cancelled" in actions.summary


def test_unknown_command_is_exit_2(
    tmp_path: Path, actions: ActionsStep, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["train", "--source", str(tmp_path), "--command", "no-such-trainer --fast"]) == 2
    assert "--command 'no-such-trainer': cannot run it" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--hyperparameters", "[1, 2]"], "expected a mapping"),
        (["--channel", "train"], "expected NAME=VALUE"),
        (["--channel", "train=/no/such/dir"], "no such file or directory"),
        (["--output", "s3://bucket/model"], "writes the model to a local directory"),
        (["--max-runtime", "soon"], "expected a duration"),
    ],
)
def test_bad_input_is_exit_2(
    tmp_path: Path, args: list[str], message: str, actions: ActionsStep, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_tree(tmp_path / "code", {"train.py": b"pass\n"})
    assert cli.main(["train", "--source", str(source), *args]) == 2
    assert message in capsys.readouterr().out
