"""A local stand-in for the part of SageMaker's API that moto lacks, answering as the API reference documents.

SageMaker speaks JSON 1.1 (``POST /``, ``X-Amz-Target: SageMaker.<Operation>``); the real boto3 client talks
to this server through ``AWS_ENDPOINT_URL_SAGEMAKER``. Covered: CreateTrainingJob (ResourceInUse on a
duplicate name), DescribeTrainingJob (ValidationException "Requested resource not found." for an unknown
name),
StopTrainingJob (InProgress -> Stopping -> Stopped; ValidationException for a job that is not InProgress),
ListTags and AddTags. Each job walks through its ``plan`` of (TrainingJobStatus, SecondaryStatus), one step
per DescribeTrainingJob, and stays on the last; a job still InProgress stays there until it is stopped.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ACCOUNT = "123456789012"
COMPLETES = [("InProgress", "Starting"), ("InProgress", "Training"), ("Completed", "Completed")]
RUNS_UNTIL_STOPPED = [("InProgress", "Starting"), ("InProgress", "Training")]


class ApiError(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


@dataclass
class Job:
    request: dict[str, Any]
    plan: list[tuple[str, str]]
    step: int = -1
    stopping: bool = False
    status: tuple[str, str] = ("InProgress", "Starting")
    tags: list[dict[str, str]] = field(default_factory=list)
    created: float = field(default_factory=time.time)
    transitions: list[dict[str, Any]] = field(default_factory=list)


class SageMakerStandIn:
    """The state behind the server: jobs, the calls seen, and what the test wants next."""

    def __init__(self, region: str = "us-east-1") -> None:
        self.region = region
        self.jobs: dict[str, Job] = {}
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.plan: list[tuple[str, str]] = list(COMPLETES)
        #: After this many more successful calls, every call answers ExpiredTokenException (None: never).
        self.expire_after: int | None = None
        #: BillableTimeInSeconds of a job that ended.
        self.billable_seconds = 60
        #: FinalMetricDataList of a job that ended ({MetricName, Value}; the Timestamp is added).
        self.final_metrics: list[dict[str, Any]] = []
        #: The FailureReason of a job whose plan ends Failed.
        self.failure_reason = "AlgorithmError: ExecuteUserScriptError: MemoryError in epoch 3"
        #: Operations the caller's role may not call (AccessDeniedException).
        self.denied: set[str] = set()
        self.in_progress = threading.Event()
        self.stopped = threading.Event()
        #: Set when a CreateTrainingJob has created its job. With ``answer_create`` given, the answer waits
        #: for it to be set: the job exists, the caller has not heard so (a slow or stalled answer).
        self.created = threading.Event()
        self.answer_create: threading.Event | None = None
        self.lock = threading.Lock()

    def arn(self, name: str) -> str:
        return f"arn:aws:sagemaker:{self.region}:{ACCOUNT}:training-job/{name.lower()}"

    def add_job(self, name: str, status: tuple[str, str], request: dict[str, Any] | None = None,
                tags: list[dict[str, str]] | None = None) -> None:  # fmt: skip
        """A job that already exists (an earlier run's), in ``status``."""
        job = Job(request={"TrainingJobName": name, **(request or {})}, plan=[status], tags=list(tags or []))
        job.status, job.step = status, 0
        self.jobs[name] = job

    def calls_of(self, operation: str) -> list[dict[str, Any]]:
        return [body for op, body in self.calls if op == operation]

    # ---- operations
    def handle(self, operation: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self.calls.append((operation, body))
            if self.expire_after is not None:
                if self.expire_after <= 0:
                    raise ApiError(
                        "ExpiredTokenException", "The security token included in the request is expired"
                    )
                self.expire_after -= 1
            if operation in self.denied:
                raise ApiError(
                    "AccessDeniedException",
                    f"User: arn:aws:sts::{ACCOUNT}:assumed-role/mlci/ci is not authorized to perform: "
                    f"sagemaker:{operation}",
                )
            method = getattr(self, f"_{operation}", None)
            if method is None:
                raise ApiError("UnknownOperationException", f"{operation} is not served by the stand-in")
            return method(body)

    def _job(self, name: str) -> Job:
        if name not in self.jobs:
            raise ApiError("ValidationException", "Requested resource not found.")
        return self.jobs[name]

    def _CreateTrainingJob(self, body: dict[str, Any]) -> dict[str, Any]:
        name = body["TrainingJobName"]
        if name in self.jobs:
            raise ApiError(
                "ResourceInUse",
                f"Training job names must be unique within an AWS account and region, and a training job "
                f"with this name already exists ({self.arn(name)})",
            )
        self.jobs[name] = Job(request=body, plan=list(self.plan), tags=list(body.get("Tags", [])))
        return {"TrainingJobArn": self.arn(name)}

    def _DescribeTrainingJob(self, body: dict[str, Any]) -> dict[str, Any]:
        job = self._job(body["TrainingJobName"])
        if job.stopping:
            job.status, job.stopping = ("Stopped", "Stopped"), False
        elif job.status[0] == "InProgress" and job.step < len(job.plan) - 1:
            job.step += 1
            job.status = job.plan[job.step]
        job.transitions.append(
            {"Status": job.status[1], "StartTime": time.time(), "StatusMessage": job.status[1]}
        )
        if job.status[0] == "InProgress":
            self.in_progress.set()
        request = job.request
        answer: dict[str, Any] = {
            "TrainingJobName": request["TrainingJobName"],
            "TrainingJobArn": self.arn(request["TrainingJobName"]),
            "TrainingJobStatus": job.status[0],
            "SecondaryStatus": job.status[1],
            "AlgorithmSpecification": request.get(
                "AlgorithmSpecification", {"TrainingImage": "x", "TrainingInputMode": "File"}
            ),
            "ResourceConfig": request.get(
                "ResourceConfig", {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 30}
            ),
            "StoppingCondition": request.get("StoppingCondition", {"MaxRuntimeInSeconds": 3600}),
            "CreationTime": job.created,
            "SecondaryStatusTransitions": job.transitions[-3:],
            "ModelArtifacts": {"S3ModelArtifacts": ""},
            "EnableManagedSpotTraining": request.get("EnableManagedSpotTraining", False),
        }
        output = request.get("OutputDataConfig", {}).get("S3OutputPath")
        if output:
            answer["OutputDataConfig"] = {"S3OutputPath": output}
            if job.status[0] == "Completed":
                name = request["TrainingJobName"]
                answer["ModelArtifacts"] = {
                    "S3ModelArtifacts": f"{output.rstrip('/')}/{name}/output/model.tar.gz"
                }
        if job.status[0] in ("Completed", "Stopped", "Failed"):
            answer["BillableTimeInSeconds"] = self.billable_seconds
            if self.final_metrics:
                answer["FinalMetricDataList"] = [
                    {**metric, "Timestamp": time.time()} for metric in self.final_metrics
                ]
        if job.status[0] == "Failed":
            answer["FailureReason"] = self.failure_reason
        return answer

    def _StopTrainingJob(self, body: dict[str, Any]) -> dict[str, Any]:
        job = self._job(body["TrainingJobName"])
        if job.status[0] != "InProgress":
            raise ApiError(
                "ValidationException",
                f"The request was rejected because the training job is in status {job.status[0]}.",
            )
        job.status, job.stopping = ("Stopping", "Stopping"), True
        self.stopped.set()
        return {}

    def _by_arn(self, arn: str) -> Job:
        for name, job in self.jobs.items():
            if self.arn(name) == arn:
                return job
        raise ApiError("ValidationException", "Requested resource not found.")

    def _ListTags(self, body: dict[str, Any]) -> dict[str, Any]:
        return {"Tags": self._by_arn(body["ResourceArn"]).tags}

    def _AddTags(self, body: dict[str, Any]) -> dict[str, Any]:
        job = self._by_arn(body["ResourceArn"])
        job.tags += body.get("Tags", [])
        return {"Tags": job.tags}


def _handler(state: SageMakerStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            target = self.headers.get("X-Amz-Target", "")
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
            status, answer = 200, {}
            try:
                if not target.startswith("SageMaker."):
                    raise ApiError("UnknownOperationException", f"unexpected target {target!r}")
                answer = state.handle(target.split(".", 1)[1], body)
            except ApiError as exc:
                status, answer = exc.status, {"__type": exc.code, "Message": exc.message}
            if target == "SageMaker.CreateTrainingJob" and status == 200:
                state.created.set()
                if state.answer_create is not None:
                    state.answer_create.wait(600)
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/x-amz-json-1.1")
            self.send_header("x-amzn-RequestId", "00000000-0000-0000-0000-000000000000")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def serve(state: SageMakerStandIn) -> Iterator[str]:
    """Serve ``state`` on 127.0.0.1 on a free port; yield the endpoint URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, name="sagemaker-standin", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
