"""Errors of the Alertmanager api."""

from apis.errors import CloudopsError


class AlertmanagerApiError(CloudopsError):
    """Base of every Alertmanager api failure."""


class AlertmanagerConnectionError(AlertmanagerApiError):
    """Alertmanager cannot be reached (refused, DNS, TLS)."""


class AlertmanagerTimeoutError(AlertmanagerApiError):
    """Alertmanager did not answer within the account's timeout."""


class AlertmanagerAuthError(AlertmanagerApiError):
    """Alertmanager (or its proxy) refused the account's credentials."""


class AlertmanagerRequestError(AlertmanagerApiError):
    """Alertmanager answered with an error status."""


class SilenceParameterError(AlertmanagerApiError):
    """A matcher, time, duration or silence id given by the operator is not valid."""


class SilenceNotFoundError(AlertmanagerApiError):
    """No silence has the given id."""
