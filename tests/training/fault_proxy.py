"""A tiny threaded HTTP reverse proxy on 127.0.0.1 that sits in front of moto and misbehaves on purpose.

Requests are forwarded byte for byte (chunked bodies included); a ``fault(n, method, path)`` policy picks, for
the n-th request, one of: ``None`` (forward), ``"500"`` / ``"503"`` (answer an S3 error without forwarding),
``"403"`` (AccessDenied), ``"drop"`` (read the request, then close the connection without an answer).
``opaque_etags=True`` rewrites the ETags of objects (PUT answers, listings, CompleteMultipartUpload) into
values that are not the content's MD5, as S3 does for SSE-KMS objects.
"""

from __future__ import annotations

import hashlib
import http.client
import re
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

Policy = Callable[[int, str, str], "str | None"]

_ERRORS = {
    "500": (500, "InternalError", "We encountered an internal error. Please try again."),
    "503": (503, "SlowDown", "Please reduce your request rate."),
    "403": (403, "AccessDenied", "Access Denied"),
}
_ETAG_XML = re.compile(rb"<ETag>(.*?)</ETag>")
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "proxy-connection"}


def _opaque(etag: bytes) -> bytes:
    """A stable stand-in for an ETag: same input, same output; never the MD5 of the content."""
    plain = etag.replace(b"&quot;", b'"').strip().strip(b'"')
    return b'"' + hashlib.sha256(b"kms" + plain).hexdigest()[:32].encode() + b'"'


class FaultProxy:
    """Start with ``with FaultProxy(upstream, policy) as proxy: proxy.url``."""

    def __init__(self, upstream: str, policy: Policy | None = None, *, opaque_etags: bool = False) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.policy: Policy = policy or (lambda n, method, path: None)
        self.opaque_etags = opaque_etags
        self.requests = 0
        self.faults: list[tuple[str, str, str]] = []  # (fault, method, path)
        self.forwarded: list[tuple[str, str]] = []  # (method, path)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _next(self, method: str, path: str) -> str | None:
        with self._lock:
            self.requests += 1
            fault = self.policy(self.requests, method, path)
            if fault:
                self.faults.append((fault, method, path))
            else:
                self.forwarded.append((method, path))
            return fault

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet
                pass

            def _read_body(self) -> bytes:
                if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                    raw = bytearray()
                    while True:
                        line = self.rfile.readline()
                        raw += line
                        size = int(line.split(b";")[0].strip() or b"0", 16)
                        if size == 0:
                            while True:  # trailers, then the empty line
                                trailer = self.rfile.readline()
                                raw += trailer
                                if trailer in (b"\r\n", b"\n", b""):
                                    return bytes(raw)
                        raw += self.rfile.read(size + 2)
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def _answer(
                self, status: int, headers: list[tuple[str, str]], body: bytes, length: str = ""
            ) -> None:
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", length or str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _handle(self) -> None:
                body = self._read_body()
                fault = proxy._next(self.command, self.path)
                if fault == "drop":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if fault:
                    status, code, message = _ERRORS[fault]
                    xml = (
                        f"<?xml version='1.0'?><Error><Code>{code}</Code><Message>{message}</Message></Error>"
                    )
                    self._answer(status, [("Content-Type", "application/xml")], xml.encode())
                    return
                upstream = http.client.HTTPConnection(*proxy.upstream, timeout=60)
                try:
                    upstream.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                    for name, value in self.headers.items():
                        if name.lower() not in {"connection", "expect"}:
                            upstream.putheader(name, value)
                    upstream.endheaders(body or None)
                    response = upstream.getresponse()
                    data = response.read()
                    headers = [(k, v) for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP]
                finally:
                    upstream.close()
                # Part ETags stay genuine: the client sends them back in CompleteMultipartUpload.
                if proxy.opaque_etags and not (self.command == "PUT" and "uploadId=" in self.path):
                    headers = [
                        (k, _opaque(v.encode()).decode() if k.lower() == "etag" else v) for k, v in headers
                    ]
                    data = _ETAG_XML.sub(lambda m: b"<ETag>" + _opaque(m.group(1)) + b"</ETag>", data)
                length = response.getheader("Content-Length", "") if self.command == "HEAD" else ""
                self._answer(response.status, headers, data, length)

            do_GET = do_PUT = do_POST = do_PATCH = do_DELETE = do_HEAD = _handle

        return Handler


def every_nth(n: int, faults: tuple[str, ...] = ("500", "503", "drop")) -> Policy:
    """Fail every n-th request, cycling through ``faults``."""

    def policy(number: int, method: str, path: str) -> str | None:
        return faults[(number // n) % len(faults)] if number % n == 0 else None

    return policy
