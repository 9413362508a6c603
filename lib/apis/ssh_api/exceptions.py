"""Errors of the SSH api."""

from typing import Optional

from apis.errors import CloudopsError


class SSHApiError(CloudopsError):
    """Base of every SSH api failure."""


class SSHParameterError(SSHApiError):
    """A host, script or argument given by the operator is not valid."""


class SSHKeyError(SSHApiError):
    """The account's private key cannot be read (missing, wrong passphrase, unknown format)."""


class SSHHostKeyError(SSHApiError):
    """The host is not in known_hosts, or its key does not match the pinned one."""


class SSHAuthError(SSHApiError):
    """The host refused the account's user and key."""


class SSHConnectionError(SSHApiError):
    """The host cannot be reached or the SSH session broke."""


class SSHTimeoutError(SSHApiError):
    """Connecting or running the command took longer than the timeout."""

    def __init__(self, message: str, stdout: str = "", stderr: str = "") -> None:
        super().__init__(message)
        self.stdout = stdout
        self.stderr = stderr


class SSHCommandError(SSHApiError):
    """The remote command exited with a non-zero status."""

    def __init__(self, message: str, exit_status: Optional[int], stdout: str, stderr: str) -> None:
        super().__init__(message)
        self.exit_status = exit_status
        self.stdout = stdout
        self.stderr = stderr
