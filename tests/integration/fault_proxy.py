"""A loopback HTTP(S) proxy in front of a real service that injects errors and stalls.

Used to test retries, Retry-After and timeouts against the real Alertmanager and Icinga.
"""

from __future__ import annotations

import collections
import dataclasses
import json
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Deque, List, Optional, Tuple

import requests

from tests.integration.peers.common import LOOPBACK

_HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


@dataclasses.dataclass(frozen=True)
class Fault:
    """What to do with one request instead of forwarding it at once."""

    status: Optional[int] = None
    retry_after: Optional[str] = None
    stall: float = 0.0


class FaultProxy:
    """A loopback HTTP(S) proxy to a real service that injects queued faults, in order."""

    def __init__(
        self, upstream: str, verify: Any = True, cert: Optional[Tuple[Path, Path]] = None
    ) -> None:
        self.upstream = upstream.rstrip("/")
        self.verify = verify
        self.faults: Deque[Fault] = collections.deque()
        self.seen: List[Tuple[str, str, float]] = []
        self.upstream_session = requests.Session()
        self.upstream_session.trust_env = False
        self.server = ThreadingHTTPServer((LOOPBACK, 0), self._handler())
        self.server.daemon_threads = True
        scheme = "http"
        if cert:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(str(cert[0]), str(cert[1]))
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://{LOOPBACK}:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def inject(self, *faults: Fault) -> None:
        """Queue faults for the next requests."""
        self.faults.extend(faults)

    def _handler(self) -> type:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            """Forward one request, or apply the next fault."""

            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # pylint: disable=arguments-differ
                pass

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                proxy.seen.append((self.command, self.path, time.monotonic()))
                fault = proxy.faults.popleft() if proxy.faults else Fault()
                if fault.stall:
                    time.sleep(fault.stall)
                if fault.status:
                    payload = json.dumps({"error": "injected"}).encode()
                    self.send_response(fault.status)
                    if fault.retry_after is not None:
                        self.send_header("Retry-After", fault.retry_after)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_HEADERS}
                answer = proxy.upstream_session.request(
                    self.command,
                    proxy.upstream + self.path,
                    headers=headers,
                    data=body,
                    verify=proxy.verify,
                    timeout=10,
                )
                self.send_response(answer.status_code)
                for key, value in answer.headers.items():
                    if key.lower() not in _HOP_HEADERS | {"content-encoding"}:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            do_GET = do_POST = do_DELETE = _any

        return Handler

    def __enter__(self) -> "FaultProxy":
        self.thread.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.upstream_session.close()
