"""In-process SMTP server (aiosmtpd) that demands STARTTLS and AUTH and keeps what it receives."""

from __future__ import annotations

import contextlib
import email
import email.message
import email.policy
import logging
import secrets
import ssl
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from .common import LOOPBACK, PeerUnavailable, free_port
from .tls import make_server_cert

SMTP_USER = "cloudops-mailer"


@dataclass(frozen=True)
class ReceivedMail:
    """One accepted message: SMTP envelope plus the parsed message."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: email.message.EmailMessage
    login: str


class _DropLoginDataWarning(logging.Filter):
    """Hide aiosmtpd's own warning about the legacy attribute it sets itself."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "login_data is deprecated" not in record.getMessage()


class _Handler:
    """aiosmtpd handler and authenticator storing accepted mail."""

    def __init__(self, username: str, password: str) -> None:
        self._credentials = (username.encode(), password.encode())
        self._lock = threading.Lock()
        self.received: list[ReceivedMail] = []

    def __call__(self, _server, _session, _envelope, _mechanism, auth_data):
        """Authenticate a LOGIN or PLAIN attempt against the one known user."""
        from aiosmtpd.smtp import AuthResult, LoginPassword

        if isinstance(auth_data, LoginPassword) and tuple(auth_data) == self._credentials:
            return AuthResult(success=True, auth_data=auth_data.login.decode())
        return AuthResult(success=False, handled=False)

    async def handle_DATA(self, _server, session, envelope):  # pylint: disable=invalid-name
        """Keep the message and accept it."""
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        with self._lock:
            self.received.append(
                ReceivedMail(
                    envelope.mail_from, tuple(envelope.rcpt_tos), message, session.auth_data
                )
            )
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    """The running SMTP server: STARTTLS (verify with ``ca_file``) then AUTH are required."""

    host: str
    port: int
    username: str
    password: str
    ca_file: Path
    _handler: _Handler = field(repr=False)

    @property
    def messages(self) -> list[ReceivedMail]:
        """Messages accepted so far, oldest first."""
        with self._handler._lock:  # pylint: disable=protected-access
            return list(self._handler.received)

    def account(self, name: str = "default", **extra: str) -> dict:
        """A pack config ``smtp_accounts`` entry for this server (STARTTLS, AUTH), with
        ``extra`` keys (``from_address``, ``reply_to``...)."""
        return {
            "name": name,
            "host": self.host,
            "port": self.port,
            "security": "starttls",
            "username": self.username,
            "password": self.password,
            "ca_file": str(self.ca_file),
            **extra,
        }

    def clear(self) -> None:
        """Forget the messages received so far."""
        with self._handler._lock:  # pylint: disable=protected-access
            self._handler.received.clear()


@contextlib.contextmanager
def running(state_dir: Path) -> Iterator[SmtpServer]:
    """Run the SMTP server on a free loopback port; its certificates live in ``state_dir``."""
    try:
        from aiosmtpd.controller import Controller
    except ImportError as exc:
        raise PeerUnavailable("the aiosmtpd library is not installed") from exc
    certs = make_server_cert(state_dir, "localhost", "SMTP test CA")
    tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls_context.load_cert_chain(certs.cert_file, certs.key_file)
    password = secrets.token_urlsafe(16)
    handler = _Handler(SMTP_USER, password)
    controller = Controller(
        handler,
        hostname=LOOPBACK,
        port=free_port(),
        server_hostname="localhost",
        tls_context=tls_context,
        require_starttls=True,
        authenticator=handler,
        auth_required=True,
        auth_require_tls=True,
    )
    log_filter = _DropLoginDataWarning()
    logging.getLogger("mail.log").addFilter(log_filter)
    controller.start()
    try:
        yield SmtpServer(LOOPBACK, controller.port, SMTP_USER, password, certs.ca_file, handler)
    finally:
        controller.stop()
        logging.getLogger("mail.log").removeFilter(log_filter)
