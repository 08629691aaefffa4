"""`mlci train --launcher local`: real training scripts run with SageMaker's conventions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mlci import cli
from mlci.training.launchers.sagemaker_request import SageMakerJob, build_request
from mlci_testing import ActionsStep
from training.tree_helpers import EXAMPLES, SECRET, write_tree

PROBE = b"""
import json, os, sys
from pathlib import Path
names = sorted(k for k in os.environ if k.startswith(("SM_", "TRAINING_JOB", "MY_")))
seen = {k: os.environ[k] for k in names}
seen["argv"] = sys.argv[1:]
seen["python"] = os.path.realpath(sys.executable)
seen["cwd"] = os.getcwd()
seen["real"] = {k: os.path.realpath(v) for k, v in os.environ.items() if k.startswith("SM_CHANNEL_")}
seen["config"] = json.loads((Path(os.environ["SM_INPUT_CONFIG_DIR"]) / "hyperparameters.json").read_text())
Path(os.environ["SM_MODEL_DIR"], "seen.json").write_text(json.dumps(seen))
"""
ENV_DUMP = b"""
import json, os
from pathlib import Path
Path(os.environ["SM_MODEL_DIR"], "env.json").write_text(json.dumps(dict(os.environ)))
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


def run_probe(tmp_path: Path, *extra: str) -> dict[str, Any]:
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
            *extra,
        ]
    )  # fmt: skip
    assert code == 0
    seen: dict[str, Any] = json.loads((output / "seen.json").read_text())
    seen["source"], seen["data"] = str(source), str(data)
    return seen


def test_sagemaker_conventions_reach_the_script(tmp_path: Path) -> None:
    seen = run_probe(tmp_path)
    assert seen["argv"] == ["--criterion", "gini", "--lr", "0.1", "--n-estimators", "5"]
    assert json.loads(seen["SM_HPS"]) == {"lr": 0.1, "criterion": "gini", "n-estimators": 5}
    assert (seen["SM_HP_LR"], seen["SM_HP_CRITERION"]) == ("0.1", "gini")
    # as SageMaker stores a framework job's hyperparameters: JSON-encoded strings
    assert {k: v for k, v in seen["config"].items() if not k.startswith("sagemaker_")} == {
        "lr": "0.1",
        "criterion": '"gini"',
        "n-estimators": "5",
    }
    assert seen["SM_CHANNEL_TRAIN"].endswith("/input/data/train")  # the container's layout...
    assert seen["real"] == {"SM_CHANNEL_TRAIN": seen["data"], "SM_CHANNEL_CODE": seen["source"]}  # ...on them
    assert json.loads(seen["SM_CHANNELS"]) == ["code", "train"]
    assert seen["SM_MODEL_DIR"].endswith("/model") and seen["SM_OUTPUT_DATA_DIR"].endswith("/output/data")
    assert (seen["SM_USER_ENTRY_POINT"], seen["SM_MODULE_DIR"]) == ("probe.py", seen["source"])
    assert (seen["TRAINING_JOB_NAME"], seen["MY_FLAG"], seen["SM_CURRENT_HOST"]) == (
        "probe-job",
        "on",
        "algo-1",
    )
    assert seen["python"] == str(Path(sys.executable).resolve())  # `python` is mlci's own interpreter
    assert seen["cwd"] == seen["source"]


def _container_environment(request: dict[str, Any], base: Path) -> dict[str, str]:
    """What SageMaker's training toolkit gives the entry point of ``request`` in its container: the config
    files SageMaker writes from the request, read by the real toolkit."""
    config = base / "input" / "config"
    config.mkdir(parents=True)
    resources = request["ResourceConfig"]
    hosts = [f"algo-{i + 1}" for i in range(resources["InstanceCount"])]
    group = {
        "instance_group_name": "homogeneousCluster",
        "instance_type": resources["InstanceType"],
        "hosts": hosts,
    }
    documents = {
        "hyperparameters.json": request["HyperParameters"],
        "inputdataconfig.json": {
            channel["ChannelName"]: {
                "TrainingInputMode": channel["InputMode"],
                "S3DistributionType": channel["DataSource"]["S3DataSource"]["S3DataDistributionType"],
                "RecordWrapperType": "None",
            }
            for channel in request["InputDataConfig"]
        },
        "resourceconfig.json": {
            "current_host": hosts[0], "current_instance_type": resources["InstanceType"],
            "current_group_name": "homogeneousCluster", "hosts": hosts, "instance_groups": [group],
            "network_interface_name": "eth0",
        },
    }  # fmt: skip
    for name, document in documents.items():
        (config / name).write_text(json.dumps(document))
    code = (
        "import json\nfrom sagemaker_training import environment\n"
        "print(json.dumps(environment.Environment().to_env_vars()))"
    )
    env = {"PATH": os.environ["PATH"], "SAGEMAKER_BASE_DIR": str(base), "AWS_DEFAULT_REGION": "us-east-1"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    variables: dict[str, str] = json.loads(done.stdout.strip().splitlines()[-1])
    return variables


def test_the_local_environment_is_the_one_the_toolkit_builds_in_a_sagemaker_container(tmp_path: Path) -> None:
    seen = run_probe(tmp_path / "local")
    request = build_request(
        SageMakerJob(
            job_name="probe-job", image_uri="x", role_arn="arn:aws:iam::123456789012:role/r",
            output="s3://bkt/o", code="s3://bkt/code", entry_point="probe.py",
            channels={"train": "s3://bkt/data"},
            hyperparameters={"lr": 0.1, "criterion": "gini", "n-estimators": 5}, region="us-east-1",
        )
    )  # fmt: skip
    container = _container_environment(request, tmp_path / "container")
    local = {key: value for key, value in seen.items() if key.startswith("SM_")}
    assert sorted(local) == sorted(container)  # every variable the container's script gets, and no other
    same = ["SM_HPS", "SM_USER_ARGS", "SM_CHANNELS", "SM_USER_ENTRY_POINT", "SM_LOG_LEVEL", "SM_HOSTS",
            "SM_CURRENT_HOST", "SM_FRAMEWORK_PARAMS", "SM_HP_LR", "SM_HP_CRITERION", "SM_HP_N-ESTIMATORS",
            "SM_MODULE_NAME", "SM_NETWORK_INTERFACE_NAME", "SM_IS_HETERO", "SM_NUM_GPUS"]  # fmt: skip
    assert {key: local[key] for key in same} == {key: container[key] for key in same}
    for key, value in container.items():  # the layout: the same paths under each base directory
        if value.startswith(str(tmp_path / "container")):
            assert Path(local[key]).name == Path(value).name, key
    differ = {"SM_CURRENT_INSTANCE_TYPE": "local", "SM_MODULE_DIR": seen["source"]}
    assert {key: local[key] for key in differ} == differ  # the instance, and where the code is
    training_env = json.loads(local["SM_TRAINING_ENV"])
    assert sorted(training_env) == sorted(json.loads(container["SM_TRAINING_ENV"]))
    assert training_env["hyperparameters"] == {"lr": 0.1, "criterion": "gini", "n-estimators": 5}


def test_the_script_gets_an_allow_listed_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """PR code must not see the runner's OIDC request token or AWS credentials (the job holds id-token)."""
    secrets = {
        "ACTIONS_ID_TOKEN_REQUEST_URL": "https://token.actions.example/oidc",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": SECRET,
        "ACTIONS_RUNTIME_TOKEN": SECRET,
        "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "AWS_SESSION_TOKEN": SECRET,
        "GITHUB_TOKEN": SECRET,
    }
    for key, value in secrets.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    source = write_tree(tmp_path / "code", {"train.py": ENV_DUMP})
    output = tmp_path / "out"
    assert (
        cli.main(["train", "--source", str(source), "--output", str(output), "--environment", "MINE: 'yes'"])
        == 0
    )
    env = json.loads((output / "env.json").read_text())
    assert not set(secrets) & set(env)
    assert SECRET not in json.dumps(env)
    assert (env["MINE"], env["LC_ALL"]) == ("yes", "C.UTF-8")  # what the user passes, and the locale
    assert env["PATH"].split(os.pathsep)[0] == os.path.dirname(sys.executable)


def test_the_output_data_is_kept_beside_the_model(tmp_path: Path, actions: ActionsStep) -> None:
    output = tmp_path / "model"
    assert cli.main(["train", "--source", str(EXAMPLES), "--output", str(output)]) == 0
    data = Path(actions.outputs["output-data"])
    assert data == Path(f"{output}-output-data")
    assert set(json.loads((data / "metrics.json").read_text())) == {"accuracy", "f1"}


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


@pytest.mark.parametrize(
    ("flag", "reason"),
    [
        ("--max-runtime", "MaxRuntimeExceeded: the command ran longer than --max-runtime (1s)"),
        (
            "--wait-timeout",
            "timeout: the command ran longer than --wait-timeout (1s)",
        ),  # honoured, not ignored
    ],
)
def test_a_time_limit_stops_the_command(tmp_path: Path, actions: ActionsStep, flag: str, reason: str) -> None:
    source = write_tree(
        tmp_path / "code", {"train.py": b"import time\nprint('start', flush=True)\ntime.sleep(60)\n"}
    )
    assert cli.main(["train", "--source", str(source), flag, "1s"]) == 1
    assert actions.outputs["status"] == "Stopped"
    assert reason in actions.summary


def test_sigterm_stops_the_command_and_still_reports(tmp_path: Path, actions: ActionsStep) -> None:
    """A cancelled workflow: mlci gets SIGTERM, ends the training command, writes outputs and summary, 130."""
    script = b"import os, signal, time\nos.kill(os.getppid(), signal.SIGTERM)\ntime.sleep(60)\n"
    source = write_tree(tmp_path / "code", {"train.py": script})
    assert cli.main(["train", "--source", str(source)]) == 130
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


@pytest.mark.parametrize("flag", ["--source", "--code"])
def test_code_outside_the_workspace_is_refused_in_actions(
    tmp_path: Path,
    flag: str,
    monkeypatch: pytest.MonkeyPatch,
    actions: ActionsStep,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A pull request's workflow must not train from (and so read) a directory beside the checkout."""
    marker = "print('the outside code ran')\n"
    workspace = write_tree(tmp_path / "work" / "repo", {"train.py": b"pass\n"})
    write_tree(tmp_path / "etc", {"train.py": marker.encode()})
    output = tmp_path / "model"
    monkeypatch.setenv("GITHUB_WORKSPACE", str(workspace))
    monkeypatch.setenv("RUNNER_TEMP", str(tmp_path / "runner-temp"))
    monkeypatch.chdir(workspace)
    assert cli.main(["train", flag, "../../etc", "--output", str(output)]) == 2
    out = capsys.readouterr().out
    assert f"{flag} ../../etc: outside the workspace" in out and out.count("::error") == 1
    assert "the outside code ran" not in out and not output.exists()
    assert cli.main(["train", flag, ".", "--output", str(output)]) == 0  # inside it: fine


def test_synced_code_in_runner_temp_is_trained_from_in_actions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, actions: ActionsStep
) -> None:
    """The action syncs the code to $RUNNER_TEMP/mlci-code, then trains from --code there."""
    workspace = write_tree(tmp_path / "work" / "repo", {"train.py": b"pass\n"})
    synced = write_tree(tmp_path / "runner-temp" / "mlci-code", {"train.py": b"print('synced ran')\n"})
    monkeypatch.setenv("GITHUB_WORKSPACE", str(workspace))
    monkeypatch.setenv("RUNNER_TEMP", str(tmp_path / "runner-temp"))
    monkeypatch.chdir(workspace)
    assert cli.main(["train", "--code", str(synced), "--output", str(tmp_path / "model")]) == 0


@pytest.mark.parametrize(
    ("distribution", "framework_params"),
    [
        (
            {"mpi": {"enabled": True, "processes_per_host": 4}},
            {
                "sagemaker_mpi_enabled": True,
                "sagemaker_mpi_num_of_processes_per_host": 4,
                "sagemaker_mpi_custom_mpi_options": "",
            },
        ),
        (
            {"torch_distributed": {"enabled": True}},
            {"sagemaker_torch_distributed_enabled": True, "sagemaker_instance_type": "ml.g5.xlarge"},
        ),
    ],
)
def test_distribution_reaches_the_toolkit_on_two_hosts(
    tmp_path: Path, distribution: dict[str, Any], framework_params: dict[str, Any]
) -> None:
    """What the framework containers read: framework parameters, two hosts, a sharded channel."""
    request = build_request(
        SageMakerJob(
            job_name="dist", image_uri="x", role_arn="arn:aws:iam::123456789012:role/r", output="s3://bkt/o",
            code="s3://bkt/code", entry_point="train.py", instance_type="ml.g5.xlarge", instance_count=2,
            channels={"train": "s3://bkt/train", "eval": "s3://bkt/eval"}, sharded_channels=["train"],
            distribution=distribution, region="us-east-1",
        )
    )  # fmt: skip
    container = _container_environment(request, tmp_path / "container")
    assert json.loads(container["SM_HOSTS"]) == ["algo-1", "algo-2"]
    assert json.loads(container["SM_FRAMEWORK_PARAMS"]) == framework_params
    data_config = json.loads(container["SM_INPUT_DATA_CONFIG"])
    assert data_config["train"]["S3DistributionType"] == "ShardedByS3Key"
    assert data_config["eval"]["S3DistributionType"] == "FullyReplicated"


def test_the_code_requirements_are_installed_as_the_toolkit_does(
    tmp_path: Path, actions: ActionsStep, capsys: pytest.CaptureFixture[str]
) -> None:
    """The toolkit pip-installs requirements.txt before the entry point runs; a broken one is exit 2."""
    source = write_tree(
        tmp_path / "code",
        {"train.py": b"print('never runs')\n", "requirements.txt": b"./no-such-package-dir\n"},
    )
    assert cli.main(["train", "--source", str(source)]) == 2
    out = capsys.readouterr().out
    assert "the SageMaker training toolkit could not prepare the job (InstallRequirementsError" in out
    assert "never runs" not in out and "Traceback" not in out
