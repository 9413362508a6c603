"""SMTP accounts from the pack config."""

from __future__ import annotations

import dataclasses
import enum
import ssl
from typing import Optional

from apis.account import Account, required, secret
from apis.email_api.exceptions import AddressError, MailServerConnectionError


class SMTPSecurity(enum.Enum):
    """How the SMTP connection is protected."""

    NONE = "none"
    SSL = "ssl"
    STARTTLS = "starttls"


@dataclasses.dataclass(frozen=True)
class SMTPAccount(Account):
    """An SMTP server to send notifications through."""

    KIND = "smtp"

    host: str = required()
    port: int = 587
    security: SMTPSecurity = SMTPSecurity.STARTTLS
    username: Optional[str] = None
    password: Optional[str] = secret()
    from_address: Optional[str] = None
    verify: bool = True
    ca_file: Optional[str] = None
    timeout: float = 60.0
    reply_to: Optional[str] = None
    rate_limit_per_minute: int = 0

    @property
    def label(self) -> str:
        """How errors name this account: never with its password."""
        return f"smtp account {self.name!r} ({self.host}:{self.port})"

    def sender(self) -> str:
        """The From address: ``from_address``, else a username that is an address."""
        if self.from_address:
            return self.from_address
        if self.username and "@" in self.username:
            return self.username
        raise AddressError(f"{self.label} has no from_address: set one in the pack config")

    def ssl_context(self) -> ssl.SSLContext:
        """A TLS context from this account alone: ``ca_file`` replaces the system CAs, and
        ``verify: false`` turns checking off; SSL_CERT_FILE and the like are not consulted
        when ``ca_file`` is set."""
        try:
            context = ssl.create_default_context(cafile=self.ca_file if self.verify else None)
        except (FileNotFoundError, ssl.SSLError) as err:
            raise MailServerConnectionError(
                f"{self.label}: ca_file {self.ca_file!r} cannot be loaded: {err}"
            ) from None
        if not self.verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context
