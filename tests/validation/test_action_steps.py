"""The model-validation action's own steps against real servers: credentials and one download per run.

The steps run as GitHub runs them (scripts/devtools' composite runner, bash, ``$GITHUB_OUTPUT`` between
steps); only the installs are given (their venv is this test environment, which has every library), so
every step that talks to the Hub or MLflow runs for real: ``model-plan`` (mlci model-requirements),
``hub`` (the Hugging Face cache key) and ``validate``. RUNNER_TEMP is outside the workspace, as on GitHub.

- Credentials: each action input (hf-token, hf-endpoint, mlflow-tracking-uri, -username, -password, -token)
  reaches the library in each of those steps: MLflow's own basic-auth server and the Hub stand-in's private
  repository refuse a request without them, and a bearer-token gate records what every request carried.
- One download: an MLflow model is downloaded by model-plan and handed to validate, which re-verifies it by
  its hash: the server's own access log shows each of its files served once per run. A hand-off changed
  between the steps is exit 2 with one line, and nothing of it is loaded.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devtools.composite import Machine, Result, Runner
from devtools.seed_case import SEED_THRESHOLDS, Hub, Mlflow
from validation.conftest import MLFLOW_USER
from validation.mlflow_server import RUNNING, MlflowServer
from validation.test_mlflow_auth import TOKEN, BearerGate

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
ACTION = ROOT / "actions" / "model-validation" / "action.yml"
PRIVATE_TOKEN = "hf_private_token_123"  # nosec B105: the Hub stand-in's private repository's token
#: the installs do not run: their venv is this test environment
INSTALLED = {
    "plan": {"env": "mlflow", "venv": "unused", "python": sys.executable, "key": "unused"},
    "install": {"python": sys.executable, "state": "restored"},
    "model-install": {"python": sys.executable, "state": "restored"},
}
#: the seed's evaluation, from a CSV of the wine data (the seed's forest reads its 13 columns by position)
WINE_COLUMNS = (
    "alcohol,malic_acid,ash,alcalinity_of_ash,magnesium,total_phenols,flavanoids,nonflavanoid_phenols,"
    "proanthocyanins,color_intensity,hue,od280/od315_of_diluted_wines,proline"
)
SEED_INPUTS = {
    "target": "target",
    "features": WINE_COLUMNS,
    "positive-label": "2",
    "test-size": "0.25",
    "random-state": "42",
    "thresholds": SEED_THRESHOLDS,
    "trust-pickle": "true",
}


class Steps:
    """The action's steps on a machine whose RUNNER_TEMP is not inside the workspace."""

    def __init__(self, tmp_path: Path) -> None:
        self.workspace = tmp_path / "workspace"
        self.temp = tmp_path / "runner-temp"
        self.machine = Machine(tmp_path, self.workspace, recorder=False, temp=self.temp)

    def run(
        self, inputs: dict[str, str], given: dict[str, dict[str, str]] | None = None, resume: bool = False
    ) -> tuple[Result, dict[str, Any] | None]:
        """The steps' result and the report; ``resume``: the same job goes on (RUNNER_TEMP is kept)."""
        report = self.temp / "report.json"
        inputs = {"report": str(report), **inputs}
        env = self.machine.env() if resume else None  # a new job empties RUNNER_TEMP
        result = Runner(ACTION, self.machine).run(inputs, env=env, given={**INSTALLED, **(given or {})})
        return result, json.loads(report.read_text(encoding="utf-8")) if report.exists() else None


def _outputs(result: Result) -> dict[str, dict[str, str]]:
    return {step_id: dict(step["outputs"]) for step_id, step in result.steps.items()}


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No credential or server from the test's own environment: only the action's inputs give them."""
    for name in (
        "HF_TOKEN",
        "HF_ENDPOINT",
        "MLFLOW_TRACKING_URI",
        "MLFLOW_REGISTRY_URI",
        "MLFLOW_TRACKING_TOKEN",
        "MLFLOW_TRACKING_USERNAME",
        "MLFLOW_TRACKING_PASSWORD",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")


def _log_wine_csv(uri: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, auth: bool) -> str:
    """The wine data as a run artifact (eval/wine.csv) on the server: runs:/RUN/eval/wine.csv."""
    import mlflow
    from sklearn.datasets import load_wine

    frame = load_wine(as_frame=True).frame
    (tmp_path / "wine.csv").write_text(frame.to_csv(index=False), encoding="utf-8")
    with monkeypatch.context() as patch:
        if auth:
            patch.setenv("MLFLOW_TRACKING_USERNAME", MLFLOW_USER[0])
            patch.setenv("MLFLOW_TRACKING_PASSWORD", MLFLOW_USER[1])
        client = mlflow.MlflowClient(tracking_uri=uri)
        run = client.create_run(experiment_id="0")
        client.log_artifact(run.info.run_id, str(tmp_path / "wine.csv"), artifact_path="eval")
    return f"runs:/{run.info.run_id}/eval/wine.csv"


def _model_downloads(server: MlflowServer, since: int) -> dict[str, int]:
    """How often each file of a logged model (MLmodel, model.pkl...) was served since request ``since``."""
    counts: dict[str, int] = {}
    for method, path, status in server.requests()[since:]:
        if (
            method == "GET"
            and status == 200
            and "/mlflow-artifacts/artifacts/" in path
            and "/models/" in path
        ):
            name = path.split("?")[0].rsplit("/", 1)[-1]
            counts[name] = counts.get(name, 0) + 1
    return counts


def test_each_credential_input_reaches_every_step_that_talks_to_mlflow_or_the_hub(
    mlflow_auth_server: Mlflow,
    hub: Hub,
    clean_env: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """MLflow's basic-auth server for the model and the data, the Hub's private repository for the baseline:
    each refuses a request that lacks its credential (401), so each step's success shows it arrived."""
    data = _log_wine_csv(mlflow_auth_server.uri, tmp_path, monkeypatch, auth=True)
    hub.server.requests.clear()
    mlflow_auth_process = RUNNING[mlflow_auth_server.uri]
    before = len(mlflow_auth_process.requests())
    result, report = Steps(tmp_path).run(
        {
            "model": "models:/wine@champion",
            "data": data,
            "baseline": "hf://acme/private/model.joblib",
            "max-regression": "0.5",
            **SEED_INPUTS,
            "mlflow-tracking-uri": mlflow_auth_server.uri,
            "mlflow-tracking-username": MLFLOW_USER[0],
            "mlflow-tracking-password": MLFLOW_USER[1],
            "hf-token": PRIVATE_TOKEN,
            "hf-endpoint": hub.server.endpoint,
        }
    )

    assert not result.failed, "\n".join(result.log)
    outputs = _outputs(result)
    assert outputs["hub"]["key"].startswith(
        "mlci-hf-hub-"
    )  # the hub step read the private repository's commit
    assert report["passed"] is True
    assert report["model"]["version"] == "1" and report["baseline"]["repo_id"] == "acme/private"
    served = mlflow_auth_process.requests()[before:]
    assert served and all(status != 401 for _, _, status in served)
    assert any("/runs/" in path or "eval/wine.csv" in path for _, path, _ in served)  # validate's data
    # every Hub request of the three steps carried the token, to the endpoint given as an input
    assert {request.method for request in hub.server.requests} >= {"HEAD", "GET"}
    assert {request.authorization for request in hub.server.requests} == {f"Bearer {PRIVATE_TOKEN}"}
    assert PRIVATE_TOKEN not in result.transcript and MLFLOW_USER[1] not in result.transcript


@pytest.fixture
def bearer_gate(mlflow_server: Mlflow) -> Iterator[BearerGate]:
    with BearerGate(mlflow_server.uri) as gate:
        yield gate


def test_the_token_input_reaches_every_step_that_talks_to_mlflow(
    bearer_gate: BearerGate,
    mlflow_server: Mlflow,
    clean_env: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = _log_wine_csv(mlflow_server.uri, tmp_path, monkeypatch, auth=False)
    result, report = Steps(tmp_path).run(
        {
            "model": "models:/wine@champion",
            "data": data,
            **SEED_INPUTS,
            "mlflow-tracking-uri": bearer_gate.uri,
            "mlflow-tracking-token": TOKEN,
        }
    )
    assert not result.failed, "\n".join(result.log)
    assert report["passed"] is True
    steps = [step for step, code in result.returncodes.items() if code == 0]
    assert {"model-plan", "validate"} <= set(steps)
    assert bearer_gate.seen and set(bearer_gate.seen) == {f"Bearer {TOKEN}"}
    assert TOKEN not in result.transcript


def test_an_mlflow_model_is_downloaded_once_per_run(
    mlflow_server: Mlflow, clean_env: None, tmp_path: Path
) -> None:
    mlflow_process = RUNNING[mlflow_server.uri]
    before = len(mlflow_process.requests())
    inputs = {"model": "models:/wine@champion", "data": "sklearn:wine", **SEED_INPUTS}
    inputs.pop("target"), inputs.pop("features")
    result, report = Steps(tmp_path).run({**inputs, "mlflow-tracking-uri": mlflow_server.uri})

    assert not result.failed, "\n".join(result.log)
    assert report["passed"] is True and report["model"]["version"] == "1"
    downloads = _model_downloads(mlflow_process, before)
    assert downloads.get("MLmodel") == 1 and downloads.get("model.pkl") == 1, downloads
    assert set(downloads.values()) == {1}, downloads
    outputs = _outputs(result)["model-plan"]
    assert outputs["fetched"] and not Path(outputs["fetched"]).is_relative_to(tmp_path / "workspace")


def _up_to_validate(
    mlflow_server: Mlflow, tmp_path: Path
) -> tuple[Steps, dict[str, str], dict[str, dict[str, str]]]:
    """The champion's run of every step before validate: the steps, their inputs, and their outputs (the
    ``given`` of validate's own run, which resumes the job)."""
    inputs = {"model": "models:/wine@champion", "data": "sklearn:wine", **SEED_INPUTS}
    inputs.pop("target"), inputs.pop("features")
    inputs["mlflow-tracking-uri"] = mlflow_server.uri
    steps = Steps(tmp_path)
    first, _ = steps.run(inputs, given={"validate": {}})
    assert not first.failed, "\n".join(first.log)
    return steps, inputs, {step: outputs for step, outputs in _outputs(first).items() if step != "validate"}


@pytest.mark.parametrize("tamper", ["model file", "manifest"])
def test_a_hand_off_changed_between_the_steps_is_refused(
    mlflow_server: Mlflow, clean_env: None, tmp_path: Path, tamper: str
) -> None:
    """The steps up to validate run, something rewrites the hand-off in RUNNER_TEMP, then validate runs."""
    mlflow_process = RUNNING[mlflow_server.uri]
    steps, inputs, earlier = _up_to_validate(mlflow_server, tmp_path)
    handoff = Path(earlier["model-plan"]["fetched"])
    manifest = json.loads((handoff / "fetched.json").read_text(encoding="utf-8"))
    model = handoff / manifest["models"]["--model"]["path"]
    (model / "MLmodel").write_text((model / "MLmodel").read_text() + "# changed\n", encoding="utf-8")
    if tamper == "manifest":  # the manifest rewritten to match the changed files: its own sha256 differs
        from mlci.validation.handoff import content_sha256

        manifest["models"]["--model"]["sha256"] = content_sha256(model)
        (handoff / "fetched.json").write_text(json.dumps(manifest), encoding="utf-8")
    before = len(mlflow_process.requests())

    second, report = steps.run(inputs, given=earlier, resume=True)

    assert second.returncodes["validate"] == 2
    text = second.transcript.split("=== validate\n", 1)[1]
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("::error title=mlci validate%3A bad hand-off::"), text
    assert f"--fetched {handoff}" in lines[0]
    assert ("changed in between" if tamper == "model file" else "fetched.json is") in lines[0]
    assert report is None  # nothing half-written
    assert _model_downloads(mlflow_process, before) == {}  # and not downloaded again behind the user's back


def test_a_hub_model_is_downloaded_once_per_run(hub: Hub, clean_env: None, tmp_path: Path) -> None:
    """model-plan's download fills the Hugging Face cache, which validate finds (a HEAD asks the commit)."""
    inputs = {"model": "hf://acme/wine@v1/model.joblib", "data": "sklearn:wine", **SEED_INPUTS}
    inputs.pop("target"), inputs.pop("features")
    hub.server.requests.clear()
    result, report = Steps(tmp_path).run({**inputs, "hf-endpoint": hub.server.endpoint})

    assert not result.failed, "\n".join(result.log)
    assert report is not None and report["passed"] is True and report["model"]["commit"] == hub.first_commit
    gets = [r.path for r in hub.server.requests if r.method == "GET" and r.path.endswith("/model.joblib")]
    assert gets == ["/acme/wine/resolve/v1/model.joblib"], gets
    assert "fetched" not in _outputs(result)["model-plan"]  # nothing to hand over: the cache is shared


def test_the_version_whose_requirements_were_read_is_the_one_evaluated(
    mlflow_server: Mlflow, clean_env: None, tmp_path: Path
) -> None:
    """The alias moves to the degraded version between model-plan and validate: validate still evaluates
    (and reports) the version model-plan read, downloaded and checked, not a second download of another."""
    from mlflow import MlflowClient

    steps, inputs, earlier = _up_to_validate(mlflow_server, tmp_path)
    client = MlflowClient(tracking_uri=mlflow_server.uri, registry_uri=mlflow_server.uri)
    client.set_registered_model_alias("wine", "champion", "2")
    try:
        second, report = steps.run(inputs, given=earlier, resume=True)
    finally:
        client.set_registered_model_alias("wine", "champion", "1")
    assert second.returncodes["validate"] == 0
    assert report is not None and report["passed"] is True and report["model"]["version"] == "1"
