"""A real HTTP server answering webhook POSTs the way st2api does, for the webhook tests.

``POST <prefix>/webhooks/<name>`` with the right ``St2-Api-Key`` and a hook in ``hooks``:
202 and the body echoed (st2api's WebhooksController); an unknown hook: 404 ``Webhook <name>
not registered with st2``; a wrong or missing key: 401 as st2's auth middleware answers.
Every request is recorded (path, headers, parsed JSON body).
"""

from __future__ import annotations

from typing import Any, Set, Tuple

from tests.json_http_server import JsonHttpServer, Received

__all__ = ["Received", "St2WebhookServer"]


class St2WebhookServer(JsonHttpServer):
    """The server on 127.0.0.1 (a free port) in a thread; ``url`` is the st2_api url."""

    PREFIX = "/api/v1"

    def __init__(self, api_key: str, hooks: Set[str]):
        super().__init__()
        self.api_key = api_key
        self.hooks = set(hooks)
        self.url = self.origin + self.PREFIX

    def answer(self, request: Received) -> Tuple[int, Any]:
        """Answers like st2api."""
        if request.headers.get("St2-Api-Key") != self.api_key:
            return 401, {"faultstring": "Unauthorized - ApiKey not found."}
        hook = request.path[len(self.PREFIX + "/webhooks/") :]
        if not request.path.startswith(self.PREFIX + "/webhooks/") or hook not in self.hooks:
            return 404, {"faultstring": f"Webhook {hook} not registered with st2"}
        return 202, request.body
