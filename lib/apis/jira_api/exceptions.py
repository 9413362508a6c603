"""Errors of the Jira api."""

from typing import Optional

from apis.errors import CloudopsError


class JiraApiError(CloudopsError):
    """Base of every Jira api failure."""


class JiraConnectionError(JiraApiError):
    """Jira cannot be reached (DNS, refused connection, TLS)."""


class JiraTimeoutError(JiraConnectionError):
    """Jira did not answer within the account's timeout."""


class JiraHttpError(JiraApiError):
    """Jira answered with an error status; ``status`` holds it."""

    def __init__(self, message: str, status: Optional[int] = None):
        super().__init__(message)
        self.status = status


class JiraAuthError(JiraHttpError):
    """Jira refused the account's credentials or permissions (401, 403)."""


class JiraNotFoundError(JiraHttpError):
    """The issue, project or resource does not exist or is not visible (404)."""


class JiraRequestError(JiraHttpError):
    """Jira rejected the request's content (400), e.g. a field it does not accept."""


class JiraUnavailableError(JiraHttpError):
    """Jira stayed overloaded or unavailable (429, 502, 503, 504) after the retries."""


class JiraParameterError(JiraApiError):
    """An argument names something Jira does not have (project, issue type, component...)."""


class JiraTransitionError(JiraApiError):
    """The issue is not in the expected state, or no transition leads where asked."""


class JiraFormError(JiraApiError):
    """An issue has no readable form, or its answers do not fit the form's questions."""
