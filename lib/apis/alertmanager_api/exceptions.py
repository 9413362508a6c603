"""Errors of the Alertmanager api."""

from apis.errors import CloudopsError


class AlertmanagerApiError(CloudopsError):
    """Base of every Alertmanager api failure."""
