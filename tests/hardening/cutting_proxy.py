"""tests/training's FaultProxy with one more fault, ``"cut"``: a download that breaks off half-way.

The request is forwarded; the answer carries the full ``Content-Length`` and then only the first half of the
body before the connection closes, as when a network drops in the middle of a transfer. Every other fault
(``"500"``, ``"503"``, ``"403"``, ``"drop"``) is FaultProxy's own.
"""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler

from training.fault_proxy import FaultProxy, Policy

CUT = "cut"


class CuttingProxy(FaultProxy):
    """``with CuttingProxy(upstream, policy) as proxy: proxy.url``; ``policy`` may also answer ``"cut"``."""

    def __init__(self, upstream: str, policy: Policy) -> None:
        self._cutting = threading.local()  # the handler thread that forwards a request also answers it
        super().__init__(upstream, policy)

    def _next(self, method: str, path: str) -> str | None:
        fault = super()._next(method, path)
        self._cutting.now = fault == CUT
        return None if fault == CUT else fault

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        base = super()._handler_class()
        cutting = self._cutting

        class Handler(base):  # type: ignore[valid-type,misc]
            def _answer(
                self, status: int, headers: list[tuple[str, str]], body: bytes, length: str = ""
            ) -> None:
                if not getattr(cutting, "now", False) or self.command == "HEAD":
                    super()._answer(status, headers, body, length)
                    return
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)

        return Handler


def on_nth(method: str, faults: dict[int, str], path_part: str = "") -> Policy:
    """Fault the n-th ``method`` request whose path holds ``path_part`` (n from 1) with ``faults[n]``."""
    seen = {"count": 0}

    def policy(number: int, request_method: str, path: str) -> str | None:
        if request_method != method or path_part not in path:
            return None
        seen["count"] += 1
        return faults.get(seen["count"])

    return policy
