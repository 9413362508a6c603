"""Create Jira issues and JSM customer requests, with components and labels (``jira.create.task``).

Everything a request needs is checked before anything is written: the project, the issue type
or the service desk's request type, the components and the labels. A customer request is
raised through the Service Management API and then gets its components and labels with an
ordinary issue edit (the portal form of a request type rarely carries those fields).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Dict, List, Optional, Sequence, Tuple

from apis.choices import choices
from apis.jira_api.account import JiraAccount
from apis.jira_api.connection import CloudopsJira, connect, jira_errors
from apis.jira_api.exceptions import JiraNotFoundError, JiraParameterError
from apis.results import ChangeResult, ObjectOutcome, Outcome


@dataclasses.dataclass
class CreatedIssue(ChangeResult):
    """The change result (the one issue) and what ``create_task`` created (or, in a dry run,
    would create: no key, id or url)."""

    project: str
    summary: str
    issue_type: Optional[str]
    request_type: Optional[str]
    components: List[str]
    labels: List[str]
    key: Optional[str] = None
    id: Optional[str] = None
    url: Optional[str] = None


@dataclasses.dataclass(frozen=True)
class _Plan:
    """A checked creation request."""

    project_key: str
    issue_type: Optional[str]
    request_type: Optional[Dict[str, Any]]
    service_desk_id: Optional[str]
    components: List[str]
    labels: List[str]


def fetch_issue(client: CloudopsJira, issue: str, fields: str = "summary,status") -> Any:
    """The issue resource, or an error naming the issue when it is missing or hidden."""
    try:
        with jira_errors(client.account, client.retry):
            return client.issue(issue, fields=fields)
    except JiraNotFoundError as err:
        raise JiraNotFoundError(
            f"issue {issue!r} does not exist or jira account {client.account.name!r} "
            "cannot see it",
            err.status,
        ) from None


def _project(client: CloudopsJira, project: str) -> Dict[str, Any]:
    try:
        with jira_errors(client.account, client.retry):
            return client.project(project).raw
    except JiraNotFoundError:
        keys = [p.key for p in client.projects()]
        raise JiraParameterError(
            f"project {project!r} does not exist or jira account {client.account.name!r} "
            f"cannot see it; {choices(keys, project)}"
        ) from None


def _check_labels(labels: Sequence[str]) -> List[str]:
    bad = [label for label in labels if not label or any(c.isspace() for c in label)]
    if bad:
        raise JiraParameterError(
            f"labels {bad!r}: a Jira label must be non-empty and contain no spaces"
        )
    return list(labels)


def _check_components(client: CloudopsJira, project_key: str, wanted: Sequence[str]) -> List[str]:
    if not wanted:
        return []
    known = {c.name.lower(): c.name for c in client.project_components(project_key)}
    unknown = [name for name in wanted if name.lower() not in known]
    if unknown:
        raise JiraParameterError(
            f"components {unknown!r} are not components of project {project_key}; "
            f"{choices(list(known.values()), unknown[0])}"
        )
    return [known[name.lower()] for name in wanted]


def _request_type(
    client: CloudopsJira, project_key: str, wanted: str
) -> Tuple[str, Dict[str, Any]]:
    desk = next((d for d in client.service_desks() if d.projectKey == project_key), None)
    if desk is None:
        raise JiraParameterError(
            f"request_type {wanted!r} needs a service desk, but project {project_key} is not a "
            "Jira Service Management project; leave request_type empty to create an issue"
        )
    types = [t.raw for t in client.request_types(desk)]
    found = next(
        (t for t in types if wanted.lower() in (str(t["name"]).lower(), str(t["id"]))), None
    )
    if found is None:
        raise JiraParameterError(
            f"request_type {wanted!r} is not a request type of the {project_key} service desk; "
            f"{choices([str(t['name']) for t in types], wanted)}"
        )
    return str(desk.id), found


def plan_creation(
    client: CloudopsJira,
    project: str,
    issue_type: str,
    request_type: Optional[str],
    components: Sequence[str],
    labels: Sequence[str],
) -> _Plan:
    """Check every name against Jira; raise JiraParameterError naming the bad one."""
    checked_labels = _check_labels(labels)
    details = _project(client, project)
    project_key = str(details["key"])
    desk_id, chosen_type = None, None
    if request_type:
        desk_id, chosen_type = _request_type(client, project_key, request_type)
        issue_type_name = None
    else:
        types = {str(t["name"]).lower(): str(t["name"]) for t in details.get("issueTypes", [])}
        if issue_type.lower() not in types:
            raise JiraParameterError(
                f"issue_type {issue_type!r} is not an issue type of project {project_key}; "
                f"{choices(list(types.values()), issue_type)}"
            )
        issue_type_name = types[issue_type.lower()]
    return _Plan(
        project_key=project_key,
        issue_type=issue_type_name,
        request_type=chosen_type,
        service_desk_id=desk_id,
        components=_check_components(client, project_key, components),
        labels=checked_labels,
    )


def _create(client: CloudopsJira, plan: _Plan, summary: str, description: Optional[str]) -> Any:
    extra: Dict[str, Any] = {}
    if plan.labels:
        extra["labels"] = plan.labels
    if plan.components:
        extra["components"] = [{"name": name} for name in plan.components]
    text = {"summary": summary, **({"description": description} if description else {})}
    if plan.request_type is None:
        fields = {
            "project": {"key": plan.project_key},
            "issuetype": {"name": plan.issue_type},
            **text,
            **extra,
        }
        return client.create_issue(fields=fields, prefetch=False)
    created = client.create_customer_request(
        {
            "serviceDeskId": plan.service_desk_id,
            "requestTypeId": int(plan.request_type["id"]),
            "requestFieldValues": text,
        },
        prefetch=True,
    )
    if extra:
        created.update(fields=extra)
    return created


def create_task(
    jira_account: JiraAccount,
    project: str,
    summary: str,
    description: Optional[str] = None,
    issue_type: str = "Task",
    request_type: Optional[str] = None,
    components: Optional[Sequence[str]] = None,
    labels: Optional[Sequence[str]] = None,
    dry_run: bool = True,
) -> CreatedIssue:
    """Create an issue in ``project`` (or a customer request when ``request_type`` is given).

    A dry run checks every name against Jira and returns what it would create.
    """
    if not summary or not summary.strip() or "\n" in summary:
        raise JiraParameterError("summary must be one non-empty line")
    with connect(jira_account) as client:
        plan = plan_creation(
            client, project, issue_type, request_type, components or [], labels or []
        )
        created = None if dry_run else _create(client, plan, summary, description)
    key = created.key if created else None
    kind = "request" if plan.request_type else "issue"
    return CreatedIssue(
        dry_run=dry_run,
        objects=[ObjectOutcome(kind, summary, Outcome.DONE, "create", id=key)],
        project=plan.project_key,
        summary=summary,
        issue_type=plan.issue_type,
        request_type=plan.request_type["name"] if plan.request_type else None,
        components=plan.components,
        labels=plan.labels,
        key=key,
        id=str(created.id) if created else None,
        url=jira_account.browse_url(key) if key else None,
    )
