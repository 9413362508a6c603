"""A real HTTP server on 127.0.0.1 (a free port) in a thread, recording every request and
answering each POST with the JSON its subclass's :meth:`JsonHttpServer.answer` chooses: the
stand-in for a peer's JSON API in the webhook and ChatOps tests."""

from __future__ import annotations

import dataclasses
import http.server
import json
import threading
from typing import Any, Dict, List, Tuple


@dataclasses.dataclass
class Received:
    """One request as the server saw it (body parsed as JSON)."""

    method: str
    path: str
    headers: Dict[str, str]
    body: Any


class JsonHttpServer:
    """Serves while used as a context manager; ``origin`` is ``http://127.0.0.1:<port>``."""

    def __init__(self) -> None:
        self.received: List[Received] = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            """Records the POST and sends the owner's answer."""

            def do_POST(self):  # pylint: disable=invalid-name
                """One POST."""
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                request = Received(
                    "POST", self.path, dict(self.headers), json.loads(raw) if raw else None
                )
                owner.received.append(request)
                status, body = owner.answer(request)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format, *args):  # pylint: disable=redefined-builtin
                """Quiet."""

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def answer(self, request: Received) -> Tuple[int, Any]:
        """Status and JSON body answering ``request``."""
        raise NotImplementedError

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)
