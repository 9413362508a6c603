"""What every notification action shares: footer variables, date parameters, the result."""

from __future__ import annotations

import dataclasses
import datetime
import functools
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence

from apis import clock
from apis.email_api.account import SMTPAccount
from apis.email_api.exceptions import NotificationParameterError
from apis.email_api.message import Attachment, OutgoingEmail, addresses
from apis.email_api.sender import Deferred, SendReport, send_emails
from apis.parameter_set import ParameterSet
from workflows.email_recipients import CSV_COLUMNS, Owner, Recipients

FOOTER_KEYS = ("team_name", "support_email", "support_url")


@dataclasses.dataclass(frozen=True)
class Delivery(ParameterSet):
    """How a notification is sent: the action parameters every notification shares.

    The notification functions take it as one argument, built by the action runtime from the
    action's parameters of these names (``email_footer`` from the pack config).
    """

    smtp_account: SMTPAccount
    cc: Optional[Sequence[str]] = None
    dry_run: bool = True
    override_email_address: Optional[str] = None
    attach_csv: bool = False
    preview_html: bool = False
    email_footer: Optional[Mapping[str, Any]] = None

    def variables(self, variables: Mapping[str, Any]) -> Dict[str, Any]:
        """A template's variables with the footer's under them."""
        return {**footer_variables(self.email_footer), **variables}

    def send(self, emails: Sequence[Any]) -> SendReport:
        """Send (or, in a dry run, render) ``emails`` as this delivery says."""
        return send_emails(
            self.smtp_account,
            emails,
            dry_run=self.dry_run,
            override_email_address=self.override_email_address,
            preview_html=self.preview_html,
        )


def footer_variables(email_footer: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
    """The pack config's ``email_footer`` as template variables (only the keys it sets)."""
    footer = dict(email_footer or {})
    unknown = sorted(set(footer) - set(FOOTER_KEYS))
    if unknown:
        raise NotificationParameterError(
            f"email_footer has unknown key(s) {', '.join(unknown)}; valid: {', '.join(FOOTER_KEYS)}"
        )
    return {key: value for key, value in footer.items() if value is not None}


def parse_when(parameter: str, value: Optional[str]) -> Optional[datetime.datetime]:
    """An ISO date or date-time parameter (UTC when no zone is given), or None."""
    try:
        return clock.parse_optional(value, parameter)
    except ValueError as err:
        raise NotificationParameterError(str(err)) from None


def days_before(days: float, as_of: Optional[str]) -> datetime.datetime:
    """The moment ``days`` (0 or more) count back from: ``as_of`` (ISO) or now."""
    if days < 0:
        raise NotificationParameterError(f"days {days} is negative: give 0 or more days")
    return parse_when("as_of", as_of) or clock.now()


def require_address(parameter: str, value: Optional[str]) -> str:
    """One address from a parameter or config key that must be set."""
    found = addresses(parameter, value)
    if not found:
        raise NotificationParameterError(
            f"{parameter} is not set: give it as a parameter or in the pack config"
        )
    return found[0]


def owner_email(
    owner: Owner,
    template: str,
    variables: Mapping[str, Any],
    cc: Optional[Sequence[str]] = None,
    attach_csv: bool = False,
) -> OutgoingEmail:
    """One owner's message listing all of their affected servers."""
    attachments = (
        [Attachment.csv("affected_servers.csv", owner.servers, CSV_COLUMNS)] if attach_csv else []
    )
    return OutgoingEmail.from_template(
        template,
        {"user_name": owner.name, "servers": owner.servers, **variables},
        to=owner.email,
        cc=cc,
        attachments=attachments,
        label=owner.name,
    )


def owner_emails(
    owners: Sequence[Owner],
    template: str,
    variables: Mapping[str, Any],
    cc: Optional[Sequence[str]] = None,
    attach_csv: bool = False,
    per_owner: Optional[Callable[[List[Dict[str, Any]]], Dict[str, Any]]] = None,
) -> List[Deferred]:
    """One message per owner, rendered when sent (``per_owner`` adds variables computed from
    the owner's servers)."""
    return [
        Deferred(
            owner.name,
            (owner.email,),
            functools.partial(
                owner_email,
                owner,
                template,
                {**variables, **(per_owner(owner.servers) if per_owner else {})},
                cc,
                attach_csv,
            ),
        )
        for owner in owners
    ]


def notification_result(
    template: str,
    report: SendReport,
    recipients: Optional[Recipients] = None,
    **details: Any,
) -> Dict[str, Any]:
    """The action result: the send report plus who could not be emailed and why."""
    result: Dict[str, Any] = {"template": template, **details}
    if recipients is not None:
        result["affected_servers"] = recipients.server_count
        result["users_without_email"] = [
            {
                "user_id": o.user_id,
                "user_name": o.name,
                "servers": [s["name"] for s in o.servers],
            }
            for o in recipients.without_email
        ]
        result["servers_without_owner"] = [
            {"id": s["id"], "name": s["name"], "user_id": s["user_id"]}
            for s in recipients.orphaned_servers
        ]
    result.update(report.result())
    return result


def names(values: Optional[Sequence[str]]) -> List[str]:
    """A list parameter without blanks or duplicates, order kept."""
    return list(dict.fromkeys(v.strip() for v in values or [] if v and v.strip()))
