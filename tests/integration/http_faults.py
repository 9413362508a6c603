"""Faults injected at the HTTP layer of every ``requests`` session of this process.

``inject(fault, trigger)`` wraps ``requests.adapters.HTTPAdapter.send`` (which
keystoneauth, openstacksdk, jira and the pack's own sessions all go through). From the request
that ``trigger`` picks on (never a version discovery), each request meets ``fault``: an error
status with a service-style JSON body, a request id and (503) Retry-After; or a real transport
failure, made by sending the request somewhere else: a closed port (connection refused), a
listener that never answers (read timeout, with a short timeout) or a TLS server whose CA
nobody trusts.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import http
import io
import json
import re
import socket
import ssl
import threading
import uuid
from pathlib import Path
from typing import Any, Callable, Iterator, List, Optional, Tuple
from urllib.parse import urlsplit, urlunsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter

from tests.integration.peers.common import LOOPBACK
from tests.integration.peers.tls import make_server_cert

READ_TIMEOUT = 0.4
RETRY_AFTER = "7"
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class Fault(enum.Enum):
    """One fault; ``signature`` (a regular expression) is what the operator's one line must
    say about it: a 404 may also be told as the name matching nothing."""

    CONFLICT = (409, "HTTP 409")
    FORBIDDEN = (403, "HTTP 403")
    NOT_FOUND = (404, r"404|not found|no such|matches nothing|does not exist")
    SERVER_ERROR = (500, "HTTP 500")
    UNAVAILABLE = (503, rf"HTTP 503.*retry after {RETRY_AFTER} s")
    REFUSED = (None, "refused the connection")
    READ_TIMEOUT = (None, "no answer in time")
    TLS = (None, "TLS failed")

    def __init__(self, status: Optional[int], signature: str) -> None:
        self.status = status
        self.signature = signature


_BODY_KEYS = {
    409: ("conflictingRequest", "Cannot do this while the resource is in task_state rebooting"),
    403: ("forbidden", "Policy doesn't allow this request to be performed."),
    404: ("itemNotFound", "The resource could not be found."),
    500: ("computeFault", "Unexpected API Error. Please report this."),
    503: ("serviceUnavailable", "The service is temporarily unavailable."),
}


def is_auth(request: requests.PreparedRequest) -> bool:
    """Whether the request asks keystone for a token."""
    return urlsplit(request.url or "").path.rstrip("/").endswith("/auth/tokens")


_VERSION_PATH = re.compile(r"^/*(v\d+(\.\d+)?/*)?$")


def is_discovery(request: requests.PreparedRequest) -> bool:
    """Whether the request reads a service's version document (keystoneauth's discovery)."""
    return request.method == "GET" and bool(_VERSION_PATH.match(urlsplit(request.url or "").path))


@dataclasses.dataclass
class Trigger:
    """Picks the first faulty request: the first after authentication (``mutating=0``), or
    the ``mutating``-th POST/PUT/PATCH/DELETE after it (one-shot: later requests pass, so a
    rollback can run), or with ``auth`` the authentication itself (for an action that sends
    nothing else); ``after_auth=False`` for services without keystone. ``url_part`` narrows
    it to requests whose URL contains it."""

    mutating: int = 0
    auth: bool = False
    after_auth: bool = True
    url_part: str = ""
    seen_mutating: int = 0
    authenticated: bool = False

    @property
    def persistent(self) -> bool:
        """A first-request fault stays (the service is broken); a later one is one-shot."""
        return not self.mutating

    def fires(self, request: requests.PreparedRequest) -> bool:
        """Whether ``request`` is the one to fault."""
        if is_auth(request):
            self.authenticated = True
            return self.auth
        if self.after_auth and (not self.authenticated or is_discovery(request)):
            return False
        if self.url_part not in (request.url or ""):
            return False
        if not self.mutating:
            return True
        if request.method not in MUTATING:
            return False
        self.seen_mutating += 1
        return self.seen_mutating == self.mutating


class _Listener:
    """A loopback listener that accepts and holds connections without answering; with
    ``tls_context`` it first runs a TLS handshake (which the client refuses)."""

    def __init__(self, tls_context: Optional[ssl.SSLContext] = None) -> None:
        self.sock = socket.create_server((LOOPBACK, 0))
        self.port = self.sock.getsockname()[1]
        self.tls_context = tls_context
        self.held: List[socket.socket] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            if self.tls_context is not None:
                try:
                    conn = self.tls_context.wrap_socket(conn, server_side=True)
                except (ssl.SSLError, OSError):
                    conn.close()
                    continue
            self.held.append(conn)

    def close(self) -> None:
        """Stop listening and drop every held connection."""
        self.sock.close()
        for conn in self.held:
            conn.close()


class FaultInjector:
    """Process-wide HTTP fault injection; a context manager owning its helper listeners."""

    def __init__(self, folder: Path) -> None:
        cert = make_server_cert(folder, "untrusted.invalid", "cloudops fault-injection CA")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(cert.cert_file), str(cert.key_file))
        self.silent = _Listener()
        self.untrusted_tls = _Listener(context)
        with socket.create_server((LOOPBACK, 0)) as closed:
            self.closed_port = closed.getsockname()[1]
        self.fault: Optional[Fault] = None
        self.trigger = Trigger()
        self.active = False
        self.faulted: List[Tuple[str, str]] = []
        self.lock = threading.Lock()
        self._original: Optional[Callable[..., Any]] = None

    def __enter__(self) -> "FaultInjector":
        original = HTTPAdapter.send
        self._original = original
        injector = self

        def send(adapter, request, **kwargs):
            return injector.send(original, adapter, request, **kwargs)

        HTTPAdapter.send = send  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc_info: Any) -> None:
        HTTPAdapter.send = self._original  # type: ignore[method-assign]
        self.silent.close()
        self.untrusted_tls.close()

    @contextlib.contextmanager
    def inject(self, fault: Fault, trigger: Optional[Trigger] = None) -> Iterator["FaultInjector"]:
        """Inside, requests meet ``fault`` from the one ``trigger`` picks on."""
        with self.lock:
            self.fault, self.trigger, self.active, self.faulted = (
                fault,
                trigger or Trigger(),
                False,
                [],
            )
        try:
            yield self
        finally:
            with self.lock:
                self.fault, self.active = None, False

    def send(self, original, adapter, request, **kwargs):
        """``HTTPAdapter.send`` with the fault applied when due."""
        with self.lock:
            fault = self.fault
            due = fault is not None and (self.active or self.trigger.fires(request))
            if due:
                self.active = self.trigger.persistent
                self.faulted.append((request.method, request.url))
        if not due:
            return original(adapter, request, **kwargs)
        if fault.status:
            return adapter.build_response(
                request, _status_response(fault.status, keystone=is_auth(request))
            )
        if fault is Fault.READ_TIMEOUT:
            kwargs["timeout"] = READ_TIMEOUT
            return original(adapter, _moved(request, "http", self.silent.port), **kwargs)
        if fault is Fault.TLS:
            return original(adapter, _moved(request, "https", self.untrusted_tls.port), **kwargs)
        return original(adapter, _moved(request, "http", self.closed_port), **kwargs)


def _moved(request: requests.PreparedRequest, scheme: str, port: int) -> requests.PreparedRequest:
    moved = request.copy()
    parts = urlsplit(request.url)
    moved.url = urlunsplit((scheme, f"{LOOPBACK}:{port}", parts.path, parts.query, ""))
    return moved


def _status_response(status: int, keystone: bool = False) -> urllib3.HTTPResponse:
    """An answer with the body nova (or keystone) would send."""
    key, message = _BODY_KEYS[status]
    key = "error" if keystone else key
    body = json.dumps({key: {"code": status, "message": f"{message} (injected)"}}).encode()
    headers = {
        "Content-Type": "application/json",
        "Content-Length": str(len(body)),
        "x-openstack-request-id": f"req-{uuid.uuid4()}",
    }
    if status == 503:
        headers["Retry-After"] = RETRY_AFTER
    return urllib3.HTTPResponse(
        body=io.BytesIO(body),
        headers=headers,
        status=status,
        reason=http.HTTPStatus(status).phrase,
        preload_content=False,
    )
