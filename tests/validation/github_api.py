"""A tiny GitHub REST API on 127.0.0.1: what a sticky comment needs, answering as GitHub documents.

- ``GET /repos/{owner}/{repo}/issues/{number}/comments`` with ``per_page``/``page`` (and a ``Link`` header);
- ``POST`` to the same path (201, the new comment with its ``user``);
- ``PATCH /repos/{owner}/{repo}/issues/comments/{id}``: 403 when the token's identity did not write it;
- ``GET /repos/{owner}/{repo}/commits/{sha}/pulls``: the pull requests a commit belongs to;
- ``GET /user``: the login for a user's token; 403 "Resource not accessible by integration" for an
  installation token (an Actions ``GITHUB_TOKEN``, whose comments are written by ``github-actions[bot]``).

A request without a known bearer token gets 401; ``forbidden = True`` makes every write answer 403 (a token
without ``pull-requests: write``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

BOT = "github-actions[bot]"


@dataclass
class GitHubApi:
    token: str
    #: the login each token writes as; ``token`` is an installation token (github-actions[bot]) unless listed
    users: dict[str, str] = field(default_factory=dict)
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # issue number -> comments
    requests: list[tuple[str, str]] = field(default_factory=list)
    #: commit SHA -> the pull requests GET /repos/{repo}/commits/{sha}/pulls lists
    pulls_of_commit: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    forbidden: bool = False
    _next_id: int = 1000
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def login_of(self, token: str) -> str | None:
        if token in self.users:
            return self.users[token]
        return BOT if token == self.token else None

    def add_comment(self, number: int, body: str, author: str = "octocat") -> dict[str, Any]:
        self._next_id += 1
        comment = {
            "id": self._next_id,
            "body": body,
            "user": {"login": author, "type": "Bot" if author.endswith("[bot]") else "User"},
            "html_url": f"https://github.test/pr/{number}#issuecomment-{self._next_id}",
        }
        self.comments.setdefault(number, []).append(comment)
        return comment

    def __enter__(self) -> GitHubApi:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def _list(self, number: int, query: dict[str, list[str]]) -> None:
                per_page, page = int(query.get("per_page", ["30"])[0]), int(query.get("page", ["1"])[0])
                everything = api.comments.get(number, [])
                last = max(1, -(-len(everything) // per_page))
                links = [
                    f'<{api.url}{self.path.split("?")[0]}?per_page={per_page}&page={page + 1}>; rel="next"'
                ]
                headers = {"Link": links[0]} if page < last else {}
                self._send(200, everything[(page - 1) * per_page : page * per_page], headers)

            def _handle(self) -> None:
                api.requests.append((self.command, self.path))
                token = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
                login = api.login_of(token)
                if login is None:
                    self._send(401, {"message": "Bad credentials"})
                    return
                url = urlsplit(self.path)
                if url.path == "/user" and self.command == "GET":
                    if token in api.users:
                        self._send(200, {"login": login, "type": "User"})
                    else:
                        self._send(403, {"message": "Resource not accessible by integration"})
                    return
                if api.forbidden and self.command != "GET":
                    self._send(403, {"message": "Resource not accessible by integration"})
                    return
                parts = url.path.strip("/").split("/")  # repos, owner, repo, issues, ...
                if parts[3:4] == ["commits"] and parts[5:] == ["pulls"] and self.command == "GET":
                    self._send(200, api.pulls_of_commit.get(parts[4], []))
                    return
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else {}
                if parts[3:4] == ["issues"] and parts[5:] == ["comments"] and parts[4].isdigit():
                    number = int(parts[4])
                    if self.command == "POST":
                        self._send(201, api.add_comment(number, body["body"], author=login))
                    else:
                        self._list(number, parse_qs(url.query))
                    return
                if parts[3:5] == ["issues", "comments"] and self.command == "PATCH":
                    for comment in (c for cs in api.comments.values() for c in cs):
                        if comment["id"] == int(parts[5]):
                            if comment["user"]["login"] != login:
                                self._send(403, {"message": "Resource not accessible by integration"})
                                return
                            comment["body"] = body["body"]
                            self._send(200, comment)
                            return
                self._send(404, {"message": "Not Found"})

            do_GET = do_POST = do_PATCH = _handle  # noqa: N815

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.shutdown()
        self._server.server_close()


def pull_request_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, token: str, event: dict[str, Any], **env: str
) -> Iterator[GitHubApi]:
    """A pull_request run of a workflow: the event payload, repository, token and API URL (plus ``env``)."""
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event))
    with GitHubApi(token=token) as api:
        settings = {
            "GITHUB_EVENT_NAME": "pull_request",
            "GITHUB_EVENT_PATH": str(path),
            "GITHUB_REPOSITORY": "acme/wine",
            "GITHUB_API_URL": api.url,
            "GITHUB_TOKEN": token,
            **env,
        }
        for name, value in settings.items():
            monkeypatch.setenv(name, value)
        yield api
