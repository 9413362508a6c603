"""A real HTTP server answering webhook POSTs the way st2api does, for the webhook tests.

``POST <prefix>/webhooks/<name>`` with the right ``St2-Api-Key`` and a hook in ``hooks``:
202 and the body echoed (st2api's WebhooksController); an unknown hook: 404 ``Webhook <name>
not registered with st2``; a wrong or missing key: 401 as st2's auth middleware answers.
Every request is recorded (path, headers, parsed JSON body).
"""

from __future__ import annotations

import dataclasses
import http.server
import json
import threading
from typing import Any, Dict, List, Set


@dataclasses.dataclass
class Received:
    """One request as the server saw it."""

    method: str
    path: str
    headers: Dict[str, str]
    body: Any


class St2WebhookServer:
    """The server on 127.0.0.1 (a free port) in a thread; ``url`` is the st2_api url."""

    PREFIX = "/api/v1"

    def __init__(self, api_key: str, hooks: Set[str]):
        self.api_key = api_key
        self.hooks = set(hooks)
        self.received: List[Received] = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            """Answers like st2api."""

            def do_POST(self):  # pylint: disable=invalid-name
                """One webhook POST."""
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                body = json.loads(raw) if raw else None
                owner.received.append(Received("POST", self.path, dict(self.headers), body))
                if self.headers.get("St2-Api-Key") != owner.api_key:
                    self._answer(401, {"faultstring": "Unauthorized - ApiKey not found."})
                    return
                hook = self.path[len(owner.PREFIX + "/webhooks/") :]
                if not self.path.startswith(owner.PREFIX + "/webhooks/") or hook not in owner.hooks:
                    self._answer(404, {"faultstring": f"Webhook {hook} not registered with st2"})
                    return
                self._answer(202, body)

            def _answer(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format, *args):  # pylint: disable=redefined-builtin
                """Quiet."""

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}{self.PREFIX}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "St2WebhookServer":
        self.thread.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)
