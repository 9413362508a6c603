"""Open one Jira ticket per correctness check that found something, never a duplicate."""

from __future__ import annotations

from typing import Any, Dict, Optional, Sequence

from apis.jira_api.account import JiraAccount
from apis.results import ObjectOutcome, Outcome, one_object_result

CLOSED_STATES = ("Done", "Closed", "Resolved", "Cancelled")


def check_label(check: str) -> str:
    """The label that marks tickets of one check (how duplicates are found)."""
    return "cloudops-check-" + check.replace("_", "-")


def open_ticket(
    report: Dict[str, Any],
    jira_account: Optional[JiraAccount],
    jira_project: Optional[str],
    dry_run: bool = True,
) -> Optional[Dict[str, Any]]:
    """The ticket for a report with findings: an open one found by label, or a new one.

    None when no Jira account is given or nothing was found.
    """
    if jira_account is None or not report["count"]:
        return None
    from apis.jira_api.exceptions import JiraParameterError

    if not jira_project:
        raise JiraParameterError("jira_project is required to open a ticket with jira_account")
    ticket = find_or_create_ticket(
        jira_account,
        jira_project,
        label=check_label(report["check"]),
        summary=f"cloudops check {report['check']}: {report['count']} finding(s)",
        description="{noformat}\n" + report["table"] + "\n{noformat}",
        dry_run=dry_run,
    )
    return {**ticket, "dry_run": dry_run}


def find_or_create_ticket(
    jira_account: JiraAccount,
    jira_project: str,
    label: str,
    summary: str,
    description: str,
    extra_labels: Sequence[str] = (),
    issue_type: str = "Task",
    dry_run: bool = True,
) -> Dict[str, Any]:
    """``{key, created, existed}``: the open ticket carrying ``label``, or a new one (search
    first)."""
    from apis.jira_api.connection import connect
    from apis.jira_api.issues import create_task
    from apis.jira_api.search import search

    closed = ", ".join(f'"{state}"' for state in CLOSED_STATES)
    with connect(jira_account) as client:
        existing = search(
            client,
            f'project = "{jira_project}" AND labels = "{label}" AND status NOT IN ({closed})',
            max_results=1,
        )
    if existing:
        return {"key": existing[0].key, "created": False, "existed": True}
    created = create_task(
        jira_account,
        jira_project,
        summary=summary,
        description=description,
        issue_type=issue_type,
        labels=[label, *extra_labels],
        dry_run=dry_run,
    )
    return {"key": created.key, "created": not dry_run, "existed": False}


def ticket_result(
    dry_run: bool,
    label: str,
    ticket: Optional[Dict[str, Any]],
    skipped: str = "",
    /,
    **fields: Any,
) -> Dict[str, Any]:
    """The change result of the one ticket (found, created, or ``skipped`` for that reason)
    with the action's own ``fields``."""
    if ticket is None:
        changed = ObjectOutcome("jira ticket", label, Outcome.SKIPPED, "create", skipped)
    elif ticket["existed"]:
        reason = f"open ticket {ticket['key']} exists"
        changed = ObjectOutcome(
            "jira ticket", label, Outcome.UNCHANGED, "create", reason, ticket["key"]
        )
    else:
        changed = ObjectOutcome("jira ticket", label, Outcome.DONE, "create", id=ticket["key"])
    return one_object_result(dry_run, changed, **fields)
