"""Open one Jira ticket per sensor finding (``jira.finding.ticket``), never a duplicate.

A finding is the payload of ``cloudops.cloud.cross_check_finding`` or
``cloudops.network.router_gateway_finding``. Its ticket carries the label
``cloudops-finding-<fingerprint>``; an open ticket with that label is returned instead of a
new one. Where tickets go comes from the parameters or the pack config's ``finding_tickets``.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from apis.config_section import check_known_keys
from apis.jira_api.account import JiraAccount
from apis.jira_api.exceptions import JiraParameterError
from apis.row_formats import table
from workflows.check_tickets import find_or_create_ticket, ticket_result

SUMMARY_LIMIT = 250
SETTINGS = ("jira_account", "jira_project", "issue_type")


class FindingCheck(enum.Enum):
    """The sensors whose findings get tickets: ``(value, fields a payload must have)``."""

    CROSS_CHECK = ("cross_check", ("resource_type", "name", "kind", "source_cloud", "target_cloud"))
    ROUTER_GATEWAY = ("router_gateway", ("cloud", "router_id", "reason"))

    def __init__(self, check: str, fields: Tuple[str, ...]):
        self.check = check
        self.fields = fields

    @classmethod
    def of(cls, finding: Mapping[str, Any]) -> "FindingCheck":
        """The check a finding comes from; an error naming the bad field otherwise."""
        check = finding.get("check")
        kind = next((member for member in cls if member.check == check), None)
        if kind is None:
            raise JiraParameterError(
                f"finding.check {check!r} is not a known check; valid: "
                f"{', '.join(member.check for member in cls)}"
            )
        missing = [name for name in ("fingerprint", *kind.fields) if not finding.get(name)]
        if missing:
            raise JiraParameterError(
                f"finding ({check}) lacks {', '.join(missing)}; "
                f"a {check} finding needs fingerprint, {', '.join(kind.fields)}"
            )
        return kind


@dataclasses.dataclass(frozen=True)
class FindingTicketSettings:
    """The pack config's ``finding_tickets``: the default Jira account, project, issue type."""

    jira_account: Optional[str] = None
    jira_project: Optional[str] = None
    issue_type: str = "Task"

    @classmethod
    def from_config(cls, settings: Optional[Mapping[str, Any]]) -> "FindingTicketSettings":
        """The checked settings (empty when the key is not configured)."""
        settings = settings or {}
        check_known_keys("finding_tickets", settings, SETTINGS, JiraParameterError)
        return cls(**{key: value for key, value in settings.items() if value is not None})


def finding_label(fingerprint: str) -> str:
    """The label that marks a finding's ticket (how duplicates are found)."""
    return f"cloudops-finding-{fingerprint}"


def _grid(rows: List[Dict[str, Any]]) -> str:
    return "{noformat}\n" + table(rows, "grid") + "\n{noformat}"


def _cross_check_text(finding: Mapping[str, Any]) -> Tuple[str, str]:
    what = f"{finding['resource_type'].rstrip('s')} {finding['name']!r}"
    source, target = finding["source_cloud"], finding["target_cloud"]
    if finding["kind"] == "missing":
        summary = f"cross-check: {what} is in cloud {source} but missing in {target}"
        return summary, f"The {what} of cloud {source} does not exist in cloud {target}."
    diff = finding.get("differences") or {}
    summary = f"cross-check: {what} differs between {source} and {target} ({', '.join(diff)})"
    rows = [
        {"property": name, source: values.get("source"), target: values.get("target")}
        for name, values in diff.items()
    ]
    return summary, f"The {what} differs between cloud {source} and cloud {target}:\n" + _grid(rows)


def _router_text(finding: Mapping[str, Any]) -> Tuple[str, str]:
    router = finding.get("router_name") or finding["router_id"]
    owner = finding.get("project_name") or finding.get("project_id") or "no project"
    network = finding.get("external_network_name") or finding.get("external_network_id")
    summary = f"router gateway: router {router} ({owner}) on unexpected network {network}"
    fields = (
        "cloud",
        "router_id",
        "router_name",
        "project_id",
        "project_name",
        "external_network_id",
        "external_network_name",
        "gateway_ips",
        "reason",
    )
    rows = [{"field": name, "value": finding.get(name)} for name in fields]
    return summary, f"Router {router} of cloud {finding['cloud']}: {finding['reason']}.\n" + _grid(
        rows
    )


def describe(finding: Mapping[str, Any]) -> Tuple[str, str]:
    """The one-line summary and the description (Jira wiki markup) of a finding's ticket."""
    kind = FindingCheck.of(finding)
    render = _cross_check_text if kind is FindingCheck.CROSS_CHECK else _router_text
    summary, description = render(finding)
    if len(summary) > SUMMARY_LIMIT:
        summary = summary[: SUMMARY_LIMIT - 3] + "..."
    footer = (
        f"\n\nFinding {finding['fingerprint']} of the cloudops {kind.check} sensor; "
        "a ticket per finding, found again by its label."
    )
    return summary, description + footer


def _account(
    jira_account: Optional[JiraAccount],
    settings: FindingTicketSettings,
    jira_accounts: Optional[Sequence[Mapping[str, Any]]],
) -> JiraAccount:
    if jira_account is not None:
        return jira_account
    if not settings.jira_account:
        raise JiraParameterError(
            "jira_account is required: give it, or set finding_tickets.jira_account in the "
            "pack config"
        )
    from apis.account_kinds import AccountKind

    return AccountKind.JIRA.lookup(settings.jira_account, {"jira_accounts": jira_accounts or []})


def open_finding_ticket(
    finding: Dict[str, Any],
    jira_account: Optional[JiraAccount] = None,
    jira_project: Optional[str] = None,
    dry_run: bool = True,
    finding_tickets: Optional[Dict[str, Any]] = None,
    jira_accounts: Optional[List[Dict[str, Any]]] = None,
) -> Dict[str, Any]:
    """The ticket of a sensor finding: an open one found by its label, or a new one."""
    summary, description = describe(finding)
    settings = FindingTicketSettings.from_config(finding_tickets)
    account = _account(jira_account, settings, jira_accounts)
    project = jira_project or settings.jira_project
    if not project:
        raise JiraParameterError(
            "jira_project is required: give it, or set finding_tickets.jira_project in the "
            "pack config"
        )
    label = finding_label(finding["fingerprint"])
    ticket = find_or_create_ticket(
        account,
        project,
        label=label,
        summary=summary,
        description=description,
        extra_labels=[f"cloudops-{FindingCheck.of(finding).check.replace('_', '-')}"],
        issue_type=settings.issue_type,
        dry_run=dry_run,
    )
    return ticket_result(
        dry_run, label, ticket, "", project=project, label=label, summary=summary, **ticket
    )
