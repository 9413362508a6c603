"""One poll of the JSM new-project sensor: requests in the ready state not dispatched before.

The datastore keeps the keys already dispatched (a JSON list). A key is dropped once its issue
leaves the ready state, so a request sent back to the ready state later (e.g. after a
"needs attention" fix) is dispatched again. A failed poll (Jira unreachable, refused, bad
config) dispatches nothing and keeps the stored keys, so no request is dispatched twice after
an outage.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any, Dict, List, Mapping, Optional

from apis.errors import CloudopsError
from apis.jira_api.connection import connect
from apis.jira_api.search import search
from workflows.jira_new_project_settings import CONFIG_KEY, NewProjectSettings, jira_account_for

DATASTORE_KEY = "jira_new_project_dispatched"
TRIGGER = "cloudops.jira.request_new_project"
FIELDS = ("summary", "status", "reporter")


@dataclasses.dataclass(frozen=True)
class PollResult:
    """Trigger payloads to dispatch, the JSON to store (None: keep what is stored), the error."""

    payloads: List[Dict[str, Any]]
    stored: Optional[str]
    error: Optional[str] = None


def jql_string(value: str) -> str:
    """``value`` as a double-quoted JQL string literal."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def ready_jql(settings: NewProjectSettings) -> str:
    """The JQL finding the service desk's requests in the ready state, oldest first."""
    return (
        f"project = {jql_string(settings.service_desk)} AND "
        f"status = {jql_string(settings.ready_status)} ORDER BY created ASC, key ASC"
    )


def load_dispatched(stored: Optional[str]) -> List[str]:
    """The keys dispatched by earlier polls (a JSON list in the datastore)."""
    if not stored:
        return []
    try:
        keys = json.loads(stored)
    except ValueError:
        return []
    return [str(key) for key in keys] if isinstance(keys, list) else []


def _reporter(fields: Mapping[str, Any]) -> Optional[str]:
    reporter = fields.get("reporter") or {}
    for key in ("emailAddress", "displayName", "accountId"):
        if reporter.get(key):
            return str(reporter[key])
    return None


def poll(config: Mapping[str, Any], stored: Optional[str]) -> PollResult:
    """Payloads for ready requests not dispatched before; idle when not configured."""
    if not config.get(CONFIG_KEY):
        return PollResult([], None)
    try:
        settings = NewProjectSettings.from_config(config[CONFIG_KEY])
        account = jira_account_for(settings, None, config.get("jira_accounts"))
        with connect(account) as client:
            found = search(client, ready_jql(settings), fields=FIELDS)
    except CloudopsError as err:
        return PollResult([], None, str(err))
    dispatched = set(load_dispatched(stored))
    payloads = [
        {
            "issue_key": issue.key,
            "summary": str(issue.fields.get("summary") or ""),
            "reporter": _reporter(issue.fields),
            "jira_account": account.name,
        }
        for issue in found
        if issue.key not in dispatched
    ]
    ready = sorted({issue.key for issue in found})
    return PollResult(payloads, json.dumps(ready))
