"""Errors of the OpenStack api."""

from __future__ import annotations

import dataclasses
from typing import Optional

from apis.errors import CloudopsError


class OpenStackApiError(CloudopsError):
    """Base of every OpenStack api failure."""


class UnknownCloudError(OpenStackApiError):
    """The cloud_account names no cloud in the clouds.yaml files this host reads."""


class CloudConnectionError(OpenStackApiError):
    """The cloud is known but could not be reached or authenticated against."""


@dataclasses.dataclass(frozen=True)
class FailedRequest:
    """Which request failed and how: what an operator needs to look it up."""

    service: str
    method: str = ""
    target: str = ""
    status: Optional[int] = None
    detail: str = ""
    request_id: Optional[str] = None
    retry_after: Optional[str] = None


class OpenStackRequestError(OpenStackApiError):
    """A request to an OpenStack service failed; ``failed`` holds the request's facts."""

    def __init__(self, message: str, failed: Optional[FailedRequest] = None, report=None):
        super().__init__(message, report=report)
        self.failed = failed


class OpenStackBadRequestError(OpenStackRequestError):
    """The service rejected the request's content (400)."""


class OpenStackAuthError(OpenStackRequestError):
    """The service refused the token (401)."""


class OpenStackForbiddenError(OpenStackRequestError):
    """The account lacks a role, or the resource belongs to another project (403)."""


class OpenStackNotFoundError(OpenStackRequestError):
    """The resource does not exist, or was deleted meanwhile (404)."""


class OpenStackConflictError(OpenStackRequestError):
    """The resource is busy or in a state that forbids the request (409)."""


class OpenStackOverLimitError(OpenStackRequestError):
    """A quota or rate limit stopped the request (413, 429)."""


class OpenStackServiceError(OpenStackRequestError):
    """The service failed inside (5xx)."""


class OpenStackUnavailableError(OpenStackServiceError):
    """The service is unavailable for now (503), maybe saying when to retry."""


class OpenStackUnreachableError(OpenStackRequestError):
    """The endpoint refused the connection or cannot be reached."""


class OpenStackTimeoutError(OpenStackRequestError):
    """The service did not answer in time."""


class OpenStackTLSError(OpenStackRequestError):
    """The TLS handshake with the endpoint failed (certificate, CA, protocol)."""
