"""Search issues by JQL, page by page.

Jira Cloud pages ``/search/jql`` with ``nextPageToken``; Data Center pages ``/search`` with
``startAt`` and ``total``. :func:`search` hides the difference and stops at ``max_results``.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Dict, Iterator, List, Optional, Sequence

from apis.jira_api.connection import CloudopsJira
from apis.jira_api.exceptions import JiraParameterError

DEFAULT_FIELDS = ("summary", "status", "labels", "components", "created", "updated")
MAX_PAGE_SIZE = 100


@dataclasses.dataclass(frozen=True)
class FoundIssue:
    """One search hit: key, id and the raw values of the fields asked for."""

    key: str
    id: str
    fields: Dict[str, Any]


def _pages_cloud(
    client: CloudopsJira, jql: str, fields: List[str], page_size: int
) -> Iterator[List[Dict[str, Any]]]:
    token: Optional[str] = None
    while True:
        page = client.enhanced_search_issues(
            jql_str=jql,
            nextPageToken=token,
            maxResults=page_size,
            fields=list(fields),
            json_result=True,
        )
        yield page.get("issues", [])
        token = page.get("nextPageToken")
        if page.get("isLast", True) or not token:
            return


def _pages_server(
    client: CloudopsJira, jql: str, fields: List[str], page_size: int
) -> Iterator[List[Dict[str, Any]]]:
    start = 0
    while True:
        page = client.search_issues(
            jql, startAt=start, maxResults=page_size, fields=list(fields), json_result=True
        )
        issues = page.get("issues", [])
        yield issues
        start += len(issues)
        if not issues or start >= int(page.get("total", 0)):
            return


def search(
    client: CloudopsJira,
    jql: str,
    fields: Sequence[str] = DEFAULT_FIELDS,
    max_results: Optional[int] = None,
    page_size: int = 50,
) -> List[FoundIssue]:
    """Issues matching ``jql`` in Jira's order, at most ``max_results`` (None: all)."""
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise JiraParameterError(f"page_size {page_size} must be between 1 and {MAX_PAGE_SIZE}")
    if max_results is not None and max_results < 0:
        raise JiraParameterError(f"max_results {max_results} must not be negative")
    if max_results is not None:
        page_size = max(1, min(page_size, max_results))
    found: List[FoundIssue] = []
    if max_results == 0:
        return found
    pages = _pages_cloud if client.is_cloud else _pages_server
    for page in pages(client, jql, list(fields), page_size):
        for raw in page:
            found.append(FoundIssue(str(raw["key"]), str(raw["id"]), dict(raw.get("fields") or {})))
            if max_results is not None and len(found) >= max_results:
                return found
    return found
