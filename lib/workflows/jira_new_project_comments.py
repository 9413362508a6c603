"""The ticket comments of jira.request_new_project: what was created, or why it failed."""

from apis.errors import CloudopsError
from workflows.jira_new_project_plan import ProjectPlan
from workflows.jira_new_project_settings import NewProjectSettings
from workflows.project_create import CreateState, ProjectCreateReport


def success_comment(report: ProjectCreateReport, plan: ProjectPlan) -> str:
    """The ticket comment for a created project: id, network, quotas and members."""
    project = report.project
    lines = [
        f"cloudops created project *{plan.name}* in domain {plan.domain}"
        + (f" (id {project.id})." if project else ".")
    ]
    if plan.network_cidr:
        router = f", router {plan.name}-router" if plan.external_network else ""
        lines.append(f"* network: {plan.name}-net, subnet {plan.network_cidr}{router}")
    else:
        lines.append("* network: none")
    if plan.quotas:
        quotas = ", ".join(f"{key}={value}" for key, value in sorted(plan.quotas.items()))
        lines.append(f"* quotas: {quotas}")
    for role, users in (("admin", plan.admin_users), ("member", plan.member_users)):
        if users:
            lines.append(f"* {role}s: {', '.join(users)}")
    if report.state is CreateState.EXISTED:
        lines.append("* (it had been created for this request before; nothing changed)")
    return "\n".join(lines)


def failure_comment(err: BaseException, project_made: bool, settings: NewProjectSettings) -> str:
    """The ticket comment for a failure: the error (never a traceback), and how to retry."""
    if isinstance(err, CloudopsError):
        reason = str(err)
    else:
        reason = f"an internal error ({type(err).__name__}); the automation team was alerted"
    made = "" if project_made else " No project was created."
    return (
        f"cloudops could not complete this new-project request: {reason}.{made}\n"
        f"Fix the request, then move it back to {settings.ready_status!r} to retry."
    )
