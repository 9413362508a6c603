"""Errors of the StackStorm api."""

from apis.errors import CloudopsError


class St2ApiError(CloudopsError):
    """Base of every StackStorm api failure."""


class St2ApiConfigError(St2ApiError):
    """The pack config's ``st2_api`` section is missing or incomplete."""


class St2ApiConnectionError(St2ApiError):
    """StackStorm's API cannot be reached (refused, DNS, TLS)."""


class St2ApiTimeoutError(St2ApiError):
    """StackStorm's API did not answer within the timeout."""


class St2ApiAuthError(St2ApiError):
    """StackStorm refused the API key."""


class St2ApiRequestError(St2ApiError):
    """StackStorm answered with an error status (e.g. 404: no rule listens on the webhook)."""


class WebhookPostError(St2ApiError):
    """A search's rows could not be posted to its webhook; the search result is the report."""
