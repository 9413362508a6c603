"""Errors of the Icinga api."""

from apis.errors import CloudopsError


class IcingaApiError(CloudopsError):
    """Base of every Icinga api failure."""


class IcingaConnectionError(IcingaApiError):
    """The Icinga2 API cannot be reached (refused, DNS, TLS)."""


class IcingaTimeoutError(IcingaApiError):
    """The Icinga2 API did not answer within the account's timeout."""


class IcingaAuthError(IcingaApiError):
    """The Icinga2 API refused the account's ApiUser or its permissions."""


class IcingaRequestError(IcingaApiError):
    """The Icinga2 API answered with an error status."""


class IcingaParameterError(IcingaApiError):
    """A host, service, state, time, duration, column or filter given by the operator is not
    valid."""


class IcingaFilterError(IcingaParameterError):
    """Icinga could not parse or evaluate a filter expression."""


class IcingaObjectNotFoundError(IcingaApiError):
    """No Icinga host or service has the given name."""
