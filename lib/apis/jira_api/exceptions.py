"""Errors of the Jira api."""

from apis.errors import CloudopsError


class JiraApiError(CloudopsError):
    """Base of every Jira api failure."""
