"""Send many messages over one SMTP connection, rate limited, with a report of who got what.

A dry run (the default) builds every message and returns previews without connecting;
``override_email_address`` sends every message to that one address instead of its recipients.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any, Callable, Dict, Iterable, List, Optional

from apis.email_api.account import SMTPAccount
from apis.email_api.exceptions import (
    MailServerAuthError,
    MailServerConnectionError,
    MessageRefusedError,
)
from apis.email_api.message import OutgoingEmail, address_of, addresses
from apis.email_api.smtp_connection import SMTPConnection


class RateLimiter:
    """Spaces calls to at most ``per_minute`` a minute (0: no limit), for one run."""

    def __init__(
        self,
        per_minute: int,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.interval = 60.0 / per_minute if per_minute and per_minute > 0 else 0.0
        self._clock = clock
        self._sleep = sleep
        self._next: Optional[float] = None

    def wait(self) -> None:
        """Sleep until the next call is allowed."""
        if not self.interval:
            return
        now = self._clock()
        if self._next is not None and now < self._next:
            self._sleep(self._next - now)
            now = self._next
        self._next = now + self.interval


@dataclasses.dataclass
class SendReport:
    """What a run sent: per message, and per recipient address."""

    smtp_account: str
    dry_run: bool
    messages: int = 0
    sent: List[Dict[str, Any]] = dataclasses.field(default_factory=list)
    failed: List[Dict[str, Any]] = dataclasses.field(default_factory=list)
    sent_recipients: List[str] = dataclasses.field(default_factory=list)
    failed_recipients: List[str] = dataclasses.field(default_factory=list)
    previews: List[Dict[str, Any]] = dataclasses.field(default_factory=list)
    reconnects: int = 0
    override_email_address: Optional[str] = None

    def record_sent(self, email: OutgoingEmail, refused: Dict[str, Any]) -> None:
        """A message the server accepted, for all but the ``refused`` recipients."""
        delivered = [a for a in email.envelope_recipients if a not in refused]
        self.sent.append({**email.summary(), "delivered_to": delivered})
        self.sent_recipients.extend(delivered)
        if refused:
            self.record_failed(email, _refusals(refused), list(refused))

    def record_failed(self, email: OutgoingEmail, error: str, recipients=None) -> None:
        """A message (or some of its recipients) that was not delivered."""
        recipients = list(recipients or email.envelope_recipients)
        self.failed.append({**email.summary(), "recipients": recipients, "error": error})
        self.failed_recipients.extend(recipients)


def _refusals(refused: Dict[str, Any]) -> str:
    return "; ".join(f"{addr}: {code} {text}" for addr, (code, text) in refused.items())


def send_emails(
    smtp_account: SMTPAccount,
    emails: Iterable[OutgoingEmail],
    dry_run: bool = True,
    override_email_address: Optional[str] = None,
    rate_limit_per_minute: Optional[int] = None,
    preview_html: bool = False,
    limiter: Optional[RateLimiter] = None,
) -> SendReport:
    """Send ``emails`` over one connection (reconnecting if the server drops it).

    The first connection failing raises (naming the account); a message the server refuses
    is reported and the run goes on; losing the server for good reports the rest as failed.
    """
    sender = smtp_account.sender()
    reply_to = addresses("smtp account reply_to", smtp_account.reply_to)
    reply = reply_to[0] if reply_to else None
    override = addresses("override_email_address", override_email_address)
    emails = [e.redirected(override[0]) if override else e for e in emails]
    report = SendReport(
        smtp_account=smtp_account.name,
        dry_run=dry_run,
        messages=len(emails),
        override_email_address=override[0] if override else None,
    )
    if dry_run:
        report.previews = [e.preview(sender, reply, html=preview_html) for e in emails]
        return report
    if not emails:
        return report
    if limiter is None:
        per_minute = rate_limit_per_minute
        if per_minute is None:
            per_minute = smtp_account.rate_limit_per_minute
        limiter = RateLimiter(per_minute)
    envelope_sender = address_of(sender)
    with SMTPConnection(smtp_account) as connection:
        connection.connect()
        for index, email in enumerate(emails):
            limiter.wait()
            try:
                refused = connection.send(
                    envelope_sender, email.envelope_recipients, email.to_bytes(sender, reply)
                )
            except MessageRefusedError as err:
                report.record_failed(email, str(err), list(err.recipients) or None)
                continue
            except (MailServerConnectionError, MailServerAuthError) as err:
                for unsent in emails[index:]:
                    report.record_failed(unsent, f"not sent: {err}")
                break
            report.record_sent(email, refused)
        report.reconnects = connection.reconnects
    return report
