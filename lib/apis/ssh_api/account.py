"""SSH accounts from the pack config."""

from __future__ import annotations

import dataclasses
from typing import Optional

from apis.account import Account, required, secret


@dataclasses.dataclass(frozen=True)
class SSHAccount(Account):
    """A user and key to reach hypervisors with, checked against a pinned known_hosts."""

    KIND = "ssh"

    username: str = required()
    private_key_file: str = required()
    passphrase: Optional[str] = secret()
    known_hosts_file: str = required()
    port: int = 22
    accept_new_host_keys: bool = False
    timeout: float = 30.0
    # a refused, reset or silent connection (sshd restarting, or over its MaxStartups) is tried
    # again this many times in all, this far apart; host key and auth failures are not
    connect_attempts: int = 3
    connect_retry_seconds: float = 5.0
