"""Errors of the SSH api."""

from apis.errors import CloudopsError


class SSHApiError(CloudopsError):
    """Base of every SSH api failure."""
