"""A tiny Hugging Face Hub on 127.0.0.1: the endpoints ``hf_hub_download`` uses, nothing more.

Shared by the tests (tests/validation/conftest.py) and bench/bench_validate_seed.py. The header
contract follows huggingface_hub's ``file_download.py`` (``get_hf_file_metadata``) and ``utils/_http.py``
(``hf_raise_for_status``):

- ``HEAD|GET /{owner}/{repo}/resolve/{revision}/{path}`` (a dataset's under ``/datasets/{owner}/{repo}/...``,
  as the Hub serves them) answers 200 with ``X-Repo-Commit`` (the commit the
  revision resolved to), ``ETag`` (the git blob id) and, for large files stored in LFS, ``X-Linked-Etag``
  (the sha256) and ``X-Linked-Size``; ``Content-Length`` always. No ``X-Xet-*`` header is ever sent, so the
  client takes the plain HTTP download path.
- Errors carry ``X-Error-Code``: ``RepoNotFound`` (404, or 401 for a private repo without a valid token, as
  the Hub does), ``GatedRepo`` (403), ``RevisionNotFound`` (404), ``EntryNotFound`` (404, with the commit).

Every request is recorded (method, path, Authorization header) so tests can assert what went over the wire.
"""

from __future__ import annotations

import hashlib
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

LFS_THRESHOLD = (
    1024  # files larger than this are served as LFS files (sha256 ETag), like the Hub's 10 MB rule
)


def _commit_id(repo_id: str, number: int) -> str:
    return hashlib.sha1(f"{repo_id}#{number}".encode(), usedforsecurity=False).hexdigest()


@dataclass
class Repo:
    """A model repository: commits of files, and refs (branches, tags) pointing at commits."""

    repo_id: str
    commits: dict[str, dict[str, bytes]] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)
    gated: bool = False
    token: str | None = None  # private: only this bearer token may read
    kind: str = "model"  # or "dataset": served under /datasets/

    def commit(self, files: dict[str, bytes], *, ref: str = "main") -> str:
        """Add a commit holding ``files`` (on top of the ref's current files) and move ``ref`` to it."""
        base = dict(self.commits.get(self.refs.get(ref, ""), {}))
        base.update(files)
        sha = _commit_id(self.repo_id, len(self.commits))
        self.commits[sha] = base
        self.refs[ref] = sha
        return sha


@dataclass
class Request:
    method: str
    path: str
    authorization: str | None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.connections.add(self.connection)

    def finish(self) -> None:
        self.server.connections.discard(self.connection)
        super().finish()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
        pass  # no request log on stderr

    def do_HEAD(self) -> None:  # noqa: N802 - the stdlib's naming
        self._serve(body=False)

    def do_GET(self) -> None:  # noqa: N802
        self._serve(body=True)

    def _reply(self, status: int, headers: dict[str, str], payload: bytes, body: bool) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if body:
            self.wfile.write(payload)

    def _error(
        self, status: int, code: str, message: str, body: bool, extra: dict[str, str] | None = None
    ) -> None:
        headers = {"X-Error-Code": code, "X-Error-Message": message, "Content-Type": "application/json"}
        self._reply(status, {**headers, **(extra or {})}, f'{{"error": "{message}"}}'.encode(), body)

    def _serve(self, body: bool) -> None:
        hub = self.server.hub
        authorization = self.headers.get("Authorization")
        hub.requests.append(Request(self.command, self.path, authorization))
        parts = urlsplit(self.path).path.split("/")
        prefix = ""
        if len(parts) > 1 and parts[1] == "datasets":  # /datasets/{owner}/{repo}/resolve/...
            prefix, parts = "datasets/", parts[:1] + parts[2:]
        # /{owner}/{repo}/resolve/{revision}/{path...}
        if len(parts) < 6 or parts[3] != "resolve":
            self._error(404, "EntryNotFound", "Not found", body)
            return
        repo_id, revision, filename = (
            f"{parts[1]}/{parts[2]}",
            unquote(parts[4]),
            unquote("/".join(parts[5:])),
        )
        repo = hub.repos.get(prefix + repo_id)
        token = (authorization or "").removeprefix("Bearer ")
        if repo is None or (repo.token is not None and token != repo.token):
            status = 401 if repo is not None or authorization is None else 404
            self._error(status, "RepoNotFound", "Repository not found", body)
            return
        if repo.gated and token not in hub.gated_access:
            message = (
                f"Access to model {repo_id} is restricted. You must have access to it and be authenticated."
            )
            self._error(403, "GatedRepo", message, body)
            return
        commit = repo.refs.get(revision) or (revision if revision in repo.commits else None)
        if commit is None:
            self._error(404, "RevisionNotFound", f"Invalid rev id: {revision}", body)
            return
        content = repo.commits[commit].get(filename)
        if content is None:
            self._error(404, "EntryNotFound", f"{filename} does not exist", body, {"X-Repo-Commit": commit})
            return
        blob = hashlib.sha1(b"blob %d\0" % len(content) + content, usedforsecurity=False).hexdigest()
        headers = {"X-Repo-Commit": commit, "ETag": f'"{blob}"', "Content-Type": "application/octet-stream"}
        if len(content) > LFS_THRESHOLD:
            headers["X-Linked-Etag"] = f'"{hashlib.sha256(content).hexdigest()}"'
            headers["X-Linked-Size"] = str(len(content))
        self._reply(200, headers, content, body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    hub: HubServer

    def __init__(self, address: tuple[str, int]) -> None:
        super().__init__(address, _Handler)
        self.connections: set[socket.socket] = set()  # open keep-alive connections, closed by stop()


class HubServer:
    """Start with ``with HubServer() as hub:``; ``hub.endpoint`` goes into HF_ENDPOINT."""

    def __init__(self) -> None:
        self.repos: dict[str, Repo] = {}
        self.requests: list[Request] = []
        self.gated_access: set[str] = set()  # tokens that accepted the gated repos' conditions
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def repo(self, repo_id: str, **options: Any) -> Repo:
        """The repository ``repo_id`` (created on first use); ``kind="dataset"`` for a dataset repository."""
        key = f"datasets/{repo_id}" if options.get("kind") == "dataset" else repo_id
        if key not in self.repos:
            self.repos[key] = Repo(repo_id, **options)
        return self.repos[key]

    @property
    def endpoint(self) -> str:
        if self._server is None:
            raise RuntimeError("the Hub stand-in is not running: call start() first")
        return f"http://127.0.0.1:{self._server.server_port}"  # start() binds 127.0.0.1

    def start(self) -> HubServer:
        self._server = _Server(("127.0.0.1", 0))
        self._server.hub = self
        self._thread = threading.Thread(target=self._server.serve_forever, name="hub-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            for connection in list(
                self._server.connections
            ):  # a stopped Hub answers nothing, even kept-alive
                connection.shutdown(socket.SHUT_RDWR)
            self._server = None

    def __enter__(self) -> HubServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
