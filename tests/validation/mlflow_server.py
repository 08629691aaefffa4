"""A real `mlflow server` on 127.0.0.1 for tests: sqlite backend, proxied artifacts, its own process group.

``MlflowServer(root, auth=(user, password))`` runs MLflow's own authenticating app (``--app-name
basic-auth``) with its user store in ``root`` too: ``basic_auth.ini`` through MLFLOW_AUTH_CONFIG_PATH, that
user as the admin, every other request refused with 401 unless it carries a valid user's password.

``RUNNING[uri]`` is the server at that URI while it runs. ``server.requests()`` reads its own access log
(uvicorn's, written unbuffered: a request is in the log before its answer is): every request it served, as
``(method, path, status)``.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

#: the servers running now, by URI (a test finds the process behind a fixture's URI here)
RUNNING: dict[str, MlflowServer] = {}
#: one line of uvicorn's access log: ``INFO:     127.0.0.1:56962 - "GET /path HTTP/1.1" 200 OK``
_ACCESS = re.compile(r'- "([A-Z]+) (\S+) HTTP/[0-9.]+" ([0-9]{3})')


class MlflowServer:
    """``with MlflowServer(directory) as server:`` starts it on a free port and waits for /health."""

    # A server that fails exits (and is reported at once); the deadline only bounds a hung one. 120 s was
    # exceeded by a healthy start on 2 busy cores (pytest -n 4 beside a CPU hog).
    def __init__(self, root: Path, timeout: float = 600, auth: tuple[str, str] | None = None) -> None:
        self.root = root
        self.timeout = timeout
        self.auth = auth
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        self.uri = f"http://127.0.0.1:{self.port}"
        self.log = root / "server.log"
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> MlflowServer:
        command = [
            str(Path(sys.executable).with_name("mlflow")), "server",
            "--backend-store-uri", f"sqlite:///{self.root / 'mlflow.db'}",
            "--artifacts-destination", str(self.root / "artifacts"),
            "--host", "127.0.0.1", "--port", str(self.port), "--workers", "1",
        ]  # fmt: skip
        env = {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}  # no background job workers
        env["PYTHONUNBUFFERED"] = "1"  # the access log is in the file as soon as a request is answered
        if self.auth:
            command += ["--app-name", "basic-auth"]
            env.update(self._auth_config(*self.auth))
        with self.log.open("wb") as out:
            self._process = subprocess.Popen(
                command, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
        try:
            self._wait_healthy(self._process)
        except BaseException:
            self.__exit__()
            raise
        RUNNING[self.uri] = self
        return self

    def requests(self) -> list[tuple[str, str, int]]:
        """The requests the server answered so far, in order: (method, path with query, status)."""
        text = self.log.read_text(encoding="utf-8", errors="replace")
        return [(m[1], m[2], int(m[3])) for m in _ACCESS.finditer(text)]

    def _auth_config(self, user: str, password: str) -> dict[str, str]:
        """basic_auth.ini as MLflow documents it (mlflow/server/auth/basic_auth.ini), in the server's root."""
        config = self.root / "basic_auth.ini"
        config.write_text(
            "[mlflow]\n"
            "default_permission = READ\n"
            f"database_uri = sqlite:///{self.root / 'basic_auth.db'}\n"
            f"admin_username = {user}\n"
            f"admin_password = {password}\n"
            "authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n",
            encoding="utf-8",
        )
        return {"MLFLOW_AUTH_CONFIG_PATH": str(config), "MLFLOW_FLASK_SERVER_SECRET_KEY": "mlci-tests"}

    def _wait_healthy(self, process: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"mlflow server exited early:\n{self.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.uri}/health", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(
            f"mlflow server not healthy after {self.timeout}s:\n{self.log.read_text()[-3000:]}"
        )

    def __exit__(self, *exc: object) -> None:
        """Stop the server and every process it started (its own process group): politely, then not."""
        RUNNING.pop(self.uri, None)
        process, self._process = self._process, None
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
