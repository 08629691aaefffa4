"""A tiny GitHub REST API on 127.0.0.1: the three issue-comment endpoints a sticky comment needs.

``GET|POST /repos/{owner}/{repo}/issues/{number}/comments`` (with ``per_page``/``page``) and
``PATCH /repos/{owner}/{repo}/issues/comments/{id}``; a request without the expected bearer token gets 401,
and ``forbidden = True`` makes every write answer 403 (a token without ``pull-requests: write``).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class GitHubApi:
    token: str
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # issue number -> comments
    requests: list[tuple[str, str]] = field(default_factory=list)
    forbidden: bool = False
    _next_id: int = 1000
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def add_comment(self, number: int, body: str) -> dict[str, Any]:
        self._next_id += 1
        comment = {
            "id": self._next_id,
            "body": body,
            "html_url": f"https://github.test/pr/{number}#c{self._next_id}",
        }
        self.comments.setdefault(number, []).append(comment)
        return comment

    def __enter__(self) -> GitHubApi:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def _send(self, status: int, payload: Any) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _handle(self) -> None:
                api.requests.append((self.command, self.path))
                if self.headers.get("Authorization") != f"Bearer {api.token}":
                    self._send(401, {"message": "Bad credentials"})
                    return
                if api.forbidden and self.command != "GET":
                    self._send(403, {"message": "Resource not accessible by integration"})
                    return
                url = urlsplit(self.path)
                parts = url.path.strip("/").split("/")  # repos, owner, repo, issues, ...
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else {}
                if parts[3:4] == ["issues"] and parts[5:] == ["comments"]:
                    number = int(parts[4])
                    if self.command == "POST":
                        self._send(201, api.add_comment(number, body["body"]))
                        return
                    query = parse_qs(url.query)
                    per_page, page = int(query["per_page"][0]), int(query["page"][0])
                    everything = api.comments.get(number, [])
                    self._send(200, everything[(page - 1) * per_page : page * per_page])
                    return
                if parts[3:5] == ["issues", "comments"] and self.command == "PATCH":
                    for comment in (c for cs in api.comments.values() for c in cs):
                        if comment["id"] == int(parts[5]):
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
