"""Comment on Jira issues and JSM requests, public or internal (``jira.comment``)."""

from __future__ import annotations

import dataclasses
import enum
from typing import Optional, Union

from apis.jira_api.account import JiraAccount
from apis.jira_api.connection import CloudopsJira, connect
from apis.jira_api.exceptions import JiraParameterError
from apis.jira_api.issues import fetch_issue
from apis.results import ChangeResult, ObjectOutcome, Outcome


class CommentVisibility(enum.Enum):
    """Who sees a comment: JSM agents only, or also the request's customers (emailed)."""

    INTERNAL = "internal"
    PUBLIC = "public"


@dataclasses.dataclass
class CommentResult(ChangeResult):
    """The change result (the one comment) and the comment added (or, in a dry run, the one
    that would be added: no id)."""

    issue: str
    visibility: CommentVisibility
    body: str
    comment_id: Optional[str] = None
    url: Optional[str] = None


def visibility_of(value: Union[str, CommentVisibility]) -> CommentVisibility:
    """The visibility named ``value``, or an error listing the choices."""
    try:
        return CommentVisibility(value)
    except ValueError:
        valid = ", ".join(v.value for v in CommentVisibility)
        raise JiraParameterError(f"visibility {value!r} is not one of: {valid}") from None


def add_comment(
    client: CloudopsJira,
    issue: str,
    body: str,
    visibility: Union[str, CommentVisibility] = CommentVisibility.INTERNAL,
) -> str:
    """Add the comment; returns its id. The issue must exist (checked by the caller or Jira)."""
    chosen = visibility_of(visibility)
    added = client.add_comment(issue, body, is_internal=chosen is CommentVisibility.INTERNAL)
    return str(added.id)


def comment(
    jira_account: JiraAccount,
    issue: str,
    body: str,
    visibility: str = CommentVisibility.INTERNAL.value,
    dry_run: bool = True,
) -> CommentResult:
    """Comment on ``issue``; ``public`` comments are emailed to a JSM request's customers.

    A dry run checks that the issue exists and returns the comment it would add.
    """
    chosen = visibility_of(visibility)
    if not body or not body.strip():
        raise JiraParameterError("body must not be empty")
    with connect(jira_account) as client:
        key = fetch_issue(client, issue, fields="status").key
        comment_id = None if dry_run else add_comment(client, key, body, chosen)
    url = f"{jira_account.browse_url(key)}?focusedCommentId={comment_id}" if comment_id else None
    added = ObjectOutcome(f"{chosen.value} comment", key, Outcome.DONE, "add", id=comment_id)
    return CommentResult(dry_run, [added], key, chosen, body, comment_id, url)
