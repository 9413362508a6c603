"""Errors of the Icinga api."""

from apis.errors import CloudopsError


class IcingaApiError(CloudopsError):
    """Base of every Icinga api failure."""
