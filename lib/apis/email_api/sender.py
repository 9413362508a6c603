"""Send many messages over one SMTP connection, rate limited, with a report of who got what.

A dry run (the default) builds every message and returns previews without connecting;
``override_email_address`` sends every message to that one address instead of its recipients.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
import time
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

from apis.email_api.account import SMTPAccount
from apis.email_api.exceptions import (
    EmailApiError,
    MailServerAuthError,
    MailServerConnectionError,
    MessageRefusedError,
)
from apis.email_api.message import OutgoingEmail, address_of, addresses
from apis.email_api.smtp_connection import SMTPConnection
from apis.email_api.templates import default_renderer
from apis.progress import Progress
from apis.results import ChangeResult, ObjectOutcome, Outcome

LOG = logging.getLogger(__name__)
PARALLEL_MIN = 32
CHUNK = 8


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

    def change_result(self) -> ChangeResult:
        """One object per email: done (in a dry run: would be sent) or failed, with why."""
        done = [
            _email_outcome(e, Outcome.DONE) for e in (self.previews if self.dry_run else self.sent)
        ]
        failed = [_email_outcome(e, Outcome.FAILED, e["error"]) for e in self.failed]
        return ChangeResult(dry_run=self.dry_run, objects=done + failed)

    def result(self, **details: Any) -> Dict[str, Any]:
        """The action result: ``details``, the change result and this report."""
        return {**details, **vars(self.change_result()), **dataclasses.asdict(self)}


def _email_outcome(summary: Dict[str, Any], outcome: Outcome, reason: str = "") -> ObjectOutcome:
    recipients = summary.get("intended_recipients") or summary["to"]
    name = f"{summary['subject']} to {', '.join(recipients)}"
    return ObjectOutcome("email", name, outcome, "send", reason)


def _named(email: OutgoingEmail) -> str:
    """``label (addresses)`` of a message for a progress line."""
    to = ", ".join(email.envelope_recipients or email.to)
    return f"{email.label} ({to})" if email.label else to


def _refusals(refused: Dict[str, Any]) -> str:
    return "; ".join(f"{addr}: {code} {text}" for addr, (code, text) in refused.items())


@dataclasses.dataclass(frozen=True)
class Deferred:
    """A message rendered only when it is about to be sent, so that rendering the next
    messages overlaps with the server's replies; ``label`` and ``to`` name it in reports
    should rendering fail."""

    label: str
    to: Tuple[str, ...]
    build: Callable[[], OutgoingEmail]


Source = Union[OutgoingEmail, Deferred]


def _build(source: Source, override: Optional[str]) -> OutgoingEmail:
    email = source
    if isinstance(source, Deferred):
        email = source.build()
        if email.label is None:
            email = dataclasses.replace(email, label=source.label)
    return email.redirected(override) if override else email


def _summary(source: Source) -> OutgoingEmail:
    """Something to report a message by, when it could not even be rendered."""
    if isinstance(source, OutgoingEmail):
        return source
    return OutgoingEmail(
        to=source.to, subject="(not rendered)", text="", html="", label=source.label
    )


def _prepare(
    source: Source, sender: str, reply_to: Optional[str], redirect: Optional[str]
) -> Tuple[Optional[OutgoingEmail], bytes, Optional[str]]:
    """Render and serialize one message: ``(email, data, None)`` (the email without its
    bodies, which are in ``data``), or ``(None, b"", error)``."""
    try:
        email = _build(source, redirect)
        data = email.to_bytes(sender, reply_to)
    except EmailApiError as err:
        return None, b"", str(err)
    return dataclasses.replace(email, text="", html="", attachments=()), data, None


@contextlib.contextmanager
def _prepared(sources: Sequence[Source], prepare, workers: int) -> Iterator[Iterator]:
    """``prepare(source)`` for every source, in order: in ``workers`` forked processes that
    render ahead while this one sends, or here when ``workers`` is 0."""
    if not workers:
        yield map(prepare, sources)
        return
    import multiprocessing

    default_renderer()
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        yield pool.imap(prepare, sources, chunksize=CHUNK)


def render_workers(count: int, rate_limited: bool) -> int:
    """How many processes render ahead of the sender: one for a large batch sent as fast as
    the server allows (where forking is possible), else none."""
    import multiprocessing

    if rate_limited or count < PARALLEL_MIN:
        return 0
    return 1 if "fork" in multiprocessing.get_all_start_methods() else 0


def send_emails(
    smtp_account: SMTPAccount,
    emails: Iterable[Source],
    dry_run: bool = True,
    override_email_address: Optional[str] = None,
    rate_limit_per_minute: Optional[int] = None,
    preview_html: bool = False,
    limiter: Optional[RateLimiter] = None,
    workers: Optional[int] = None,
) -> SendReport:
    """Send ``emails`` (messages, or :class:`Deferred` ones) over one connection.

    A dry run renders every message and returns previews without connecting (a rendering
    error then fails the run). Otherwise the first connection failing raises (naming the
    account); a message that cannot be rendered or that the server refuses is reported and
    the run goes on; losing the server for good reports the rest as failed. Large batches
    are rendered by ``workers`` processes (default: :func:`render_workers`) while earlier
    messages are being sent.
    """
    sender = smtp_account.sender()
    reply_to = addresses("smtp account reply_to", smtp_account.reply_to)
    reply = reply_to[0] if reply_to else None
    override = addresses("override_email_address", override_email_address)
    redirect = override[0] if override else None
    sources = list(emails)
    report = SendReport(
        smtp_account=smtp_account.name,
        dry_run=dry_run,
        messages=len(sources),
        override_email_address=redirect,
    )
    if dry_run:
        report.previews = [
            _build(s, redirect).preview(sender, reply, html=preview_html) for s in sources
        ]
        return report
    if not sources:
        return report
    if limiter is None:
        per_minute = rate_limit_per_minute
        if per_minute is None:
            per_minute = smtp_account.rate_limit_per_minute
        limiter = RateLimiter(per_minute)
    if workers is None:
        workers = render_workers(len(sources), bool(limiter.interval))
    prepare = functools.partial(_prepare, sender=sender, reply_to=reply, redirect=redirect)
    envelope_sender = address_of(sender)
    progress = Progress(f"email via {smtp_account.name}", len(sources), LOG)
    with SMTPConnection(smtp_account) as connection, _prepared(sources, prepare, workers) as ready:
        connection.connect()
        for index, (source, (email, data, error)) in enumerate(zip(sources, ready)):
            if email is None:
                report.record_failed(_summary(source), f"not rendered: {error}")
                progress.step("not rendered for %s: %s", _named(_summary(source)), error)
                continue
            limiter.wait()
            try:
                refused = connection.send(envelope_sender, email.envelope_recipients, data)
            except MessageRefusedError as err:
                report.record_failed(email, str(err), list(err.recipients) or None)
                progress.step("refused for %s: %s", _named(email), err)
                continue
            except (MailServerConnectionError, MailServerAuthError) as err:
                report.record_failed(email, f"not sent: {err}")
                for rest in sources[index + 1 :]:
                    report.record_failed(_summary(rest), f"not sent: {err}")
                rest = len(sources) - index - 1
                progress.step("not sent to %s nor the %d after it: %s", _named(email), rest, err)
                break
            report.record_sent(email, refused)
            refusals = f"; refused for {', '.join(refused)}" if refused else ""
            progress.step("sent to %s%s", _named(email), refusals)
        report.reconnects = connection.reconnects
    return report
