"""The email.test action: prove that an SMTP account delivers, to whom you choose."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from apis import clock
from apis.email_api.account import SMTPAccount
from apis.email_api.message import Attachment, OutgoingEmail
from apis.email_api.exceptions import MessageRefusedError
from apis.email_api.sender import send_emails

SAMPLE_ROWS = [
    {"name": "sample-server-1", "status": "SHUTOFF", "project": "sample"},
    {"name": "sample-server-2", "status": "ERROR", "project": "sample"},
]


def send_test_email(
    smtp_account: SMTPAccount,
    to: List[str],
    cc: Optional[List[str]] = None,
    bcc: Optional[List[str]] = None,
    reply_to: Optional[str] = None,
    message: Optional[str] = None,
    sent_by: Optional[str] = None,
    attach_sample_csv: bool = False,
    dry_run: bool = True,
    preview_html: bool = False,
    email_footer: Optional[Dict[str, Any]] = None,
) -> Dict[str, Any]:
    """Send the ``test`` template through ``smtp_account`` (a dry run unless told)."""
    variables: Dict[str, Any] = {
        key: value for key, value in (email_footer or {}).items() if value is not None
    }
    variables.update(
        {
            "smtp_account": smtp_account.name,
            "sent_at": clock.now(),
            "sent_by": sent_by,
        }
    )
    if message:
        variables["message"] = message
    attachments = [Attachment.csv("sample.csv", SAMPLE_ROWS)] if attach_sample_csv else []
    email = OutgoingEmail.from_template(
        "test", variables, to=to, cc=cc, bcc=bcc, reply_to=reply_to, attachments=attachments
    )
    report = send_emails(smtp_account, [email], dry_run=dry_run, preview_html=preview_html)
    if report.failed and not report.sent:
        raise MessageRefusedError(
            f"smtp account {smtp_account.name!r}: the test email was not sent: "
            f"{report.failed[0]['error']}"
        )
    return report.result(template="test")
