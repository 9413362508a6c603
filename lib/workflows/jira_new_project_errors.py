"""The errors of jira.request_new_project: a request that could not be done, a bad config."""

from apis.jira_api.exceptions import JiraApiError


class NewProjectRequestError(JiraApiError):
    """A new-project request could not be completed; the ticket says why."""


class NewProjectConfigError(NewProjectRequestError):
    """The pack config's ``jira_new_project`` is missing or has a bad setting."""
