"""SMTP accounts from the pack config."""

from __future__ import annotations

import dataclasses
import enum
from typing import Optional

from apis.account import Account, required, secret


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
