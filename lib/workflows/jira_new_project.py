"""jira.request_new_project: a JSM "new project" request, read, built and answered on its ticket.

The request's form answers (mapped to project fields by the pack config's ``jira_new_project``)
become a project.create run: project, network, quotas and members. The result is commented on
the ticket, which moves to the done state. Any failure after the ticket was read is commented
(the error only, no traceback or secret) and the ticket moves to the attention state; since
project.create rolls back what it made, nothing half-made is left. Only a ticket in the ready
state is acted on, so running twice does nothing the second time.
"""

from __future__ import annotations

import dataclasses
import enum
import logging
from typing import Any, Dict, List, Optional

from apis.errors import CloudopsError
from apis.jira_api.account import JiraAccount
from apis.jira_api.comments import add_comment
from apis.jira_api.connection import CloudopsJira, connect
from apis.jira_api.forms import read_form
from apis.jira_api.issues import fetch_issue
from apis.jira_api.transitions import transition_issue
from apis.openstack_api.connection import connect as open_cloud
from apis import results
from apis.results import ChangeResult
from workflows.jira_new_project_comments import failure_comment, success_comment
from workflows.jira_new_project_errors import NewProjectRequestError
from workflows.jira_new_project_plan import REQUEST_PROPERTY, ProjectPlan, build_plan
from workflows.jira_new_project_settings import NewProjectSettings, jira_account_for
from workflows.project_create import CreateState, ProjectCreateReport, project_create

LOG = logging.getLogger(__name__)


class Outcome(enum.Enum):
    """What jira.request_new_project did."""

    CREATED = "created"
    WOULD_CREATE = "would_create"
    SKIPPED = "skipped"


@dataclasses.dataclass
class NewProjectResult(ChangeResult):
    """What jira.request_new_project did with one ticket: the change result (the project's
    objects, then the comment and the move of the ticket) and the details."""

    issue: str
    outcome: Outcome
    message: str
    ticket_state: str
    plan: Optional[ProjectPlan] = None
    project: Optional[ProjectCreateReport] = None
    comment_id: Optional[str] = None


@dataclasses.dataclass
class _Progress:
    """How far a run got, for the failure comment and the error's report."""

    issue: str
    state: str
    plan: Optional[ProjectPlan] = None
    project: Optional[ProjectCreateReport] = None
    commented: bool = False

    def report(self, ticket_error: Optional[str]) -> Dict[str, Any]:
        """The error's report: what was asked, what was made, where the ticket is."""
        return {
            "issue": self.issue,
            "ticket_state": self.state,
            "plan": self.plan,
            "project": self.project,
            "ticket_error": ticket_error,
        }


def request_new_project(
    issue: str,
    dry_run: bool = True,
    jira_account: Optional[JiraAccount] = None,
    jira_new_project: Optional[Dict[str, Any]] = None,
    jira_accounts: Optional[List[Dict[str, Any]]] = None,
) -> NewProjectResult:
    """Carry out the new-project request ``issue`` (a key) if it is in the ready state.

    A dry run reads the ticket and its form and plans the project (every name checked in the
    cloud) without creating, commenting or moving anything.
    """
    settings = NewProjectSettings.from_config(jira_new_project)
    account = jira_account_for(settings, jira_account, jira_accounts)
    with connect(account) as client:
        found = fetch_issue(client, issue, fields="summary,status")
        progress = _Progress(found.key, str(found.fields.status.name))
        if progress.state.lower() != settings.ready_status.lower():
            reason = f"in state {progress.state!r}, not {settings.ready_status!r}"
            skipped = results.ObjectOutcome(
                "request", progress.issue, results.Outcome.SKIPPED, "carry out", reason
            )
            return NewProjectResult(
                objects=[skipped],
                issue=progress.issue,
                outcome=Outcome.SKIPPED,
                message=f"issue {progress.issue} is in state {progress.state!r}, not "
                f"{settings.ready_status!r}; nothing done",
                ticket_state=progress.state,
                dry_run=dry_run,
            )
        try:
            return _carry_out(client, settings, progress, str(found.fields.summary), dry_run)
        except Exception as err:  # pylint: disable=broad-exception-caught
            if dry_run:
                raise
            ticket_error = _report_failure(client, settings, progress, err)
            if not isinstance(err, CloudopsError):
                raise
            message = f"issue {progress.issue}: {err}"
            if ticket_error:
                message += f"; the ticket could not be updated either: {ticket_error}"
            else:
                message += f"; commented and moved to {progress.state!r}"
            raise NewProjectRequestError(message, report=progress.report(ticket_error)) from None


def _carry_out(
    client: CloudopsJira,
    settings: NewProjectSettings,
    progress: _Progress,
    summary: str,
    dry_run: bool,
) -> NewProjectResult:
    form = read_form(client, progress.issue, settings.form_name)
    progress.plan = build_plan(settings, form, progress.issue, summary)
    # this action's cloud comes from the pack config, not a parameter: its one connection
    with open_cloud(settings.cloud_account) as conn:
        report = project_create(conn, **progress.plan.arguments(), dry_run=dry_run)
    if report.state is CreateState.EXISTED:
        properties = report.project.properties if report.project else {}
        if properties.get(REQUEST_PROPERTY) != progress.issue:
            raise NewProjectRequestError(
                f"a project named {progress.plan.name!r} already exists in domain "
                f"{settings.domain}; choose another name"
            )
    if dry_run:
        return NewProjectResult(
            objects=report.objects + _ticket_objects(progress.issue),
            issue=progress.issue,
            outcome=Outcome.WOULD_CREATE,
            message=f"dry run: {report.message}; the ticket would be commented and moved to "
            f"{settings.done_status!r}",
            ticket_state=progress.state,
            dry_run=True,
            plan=progress.plan,
            project=report,
        )
    progress.project = report
    comment_id = add_comment(
        client,
        progress.issue,
        success_comment(report, progress.plan),
        settings.comment_visibility,
    )
    progress.commented = True
    moved = transition_issue(
        client, progress.issue, expected_state=settings.ready_status, **settings.done_move()
    )
    progress.state = moved.to_state
    return NewProjectResult(
        objects=report.objects + _ticket_objects(progress.issue, comment_id),
        issue=progress.issue,
        outcome=Outcome.CREATED,
        message=f"{report.message}; issue {progress.issue} commented and moved to "
        f"{moved.to_state!r}",
        ticket_state=moved.to_state,
        dry_run=False,
        plan=progress.plan,
        project=report,
        comment_id=comment_id,
    )


def _ticket_objects(issue: str, comment_id: Optional[str] = None) -> List[results.ObjectOutcome]:
    """The success comment on the ticket and its move to the done state."""
    return [
        results.ObjectOutcome("comment", issue, results.Outcome.DONE, "add", id=comment_id),
        results.ObjectOutcome("issue", issue, results.Outcome.DONE, "transition", id=issue),
    ]


def _report_failure(
    client: CloudopsJira, settings: NewProjectSettings, progress: _Progress, err: BaseException
) -> Optional[str]:
    """Comment the failure and move the ticket to the attention state; the error doing so."""
    LOG.error("new-project request %s failed: %s", progress.issue, err)
    try:
        add_comment(
            client,
            progress.issue,
            failure_comment(err, progress.project is not None, settings),
            settings.comment_visibility,
        )
        moved = transition_issue(client, progress.issue, **settings.attention_move())
    except CloudopsError as ticket_err:
        LOG.error(
            "new-project request %s: cannot update the ticket: %s", progress.issue, ticket_err
        )
        return str(ticket_err)
    progress.state = moved.to_state
    return None
