"""Errors of the ChatOps api."""

from apis.errors import CloudopsError


class ChatopsApiError(CloudopsError):
    """Base of every ChatOps api failure."""


class ChatopsConfigError(ChatopsApiError):
    """The pack config's ``chatops`` section is missing, incomplete or bad."""


class ChatopsParameterError(ChatopsApiError):
    """A reminder type or channel given by the operator is not valid."""


class ChatopsConnectionError(ChatopsApiError):
    """The ChatOps service cannot be reached (refused, DNS, TLS)."""


class ChatopsTimeoutError(ChatopsApiError):
    """The ChatOps service did not answer within the timeout."""


class ChatopsAuthError(ChatopsApiError):
    """The ChatOps service refused the token (401/403)."""


class ChatopsRequestError(ChatopsApiError):
    """The ChatOps service answered with an error status."""
