"""Errors of the email api."""

from apis.errors import CloudopsError


class EmailApiError(CloudopsError):
    """Base of every email api failure."""
