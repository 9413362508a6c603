"""Batched sending: dry runs, override, rate limit, reports, rendering ahead in a worker.

SMTPConnection is an autospec mock here; tests/integration/test_email_smtp.py sends for real.
"""

import email
import email.policy
import functools
from unittest import mock

import pytest

from apis.email_api import sender as sender_module
from apis.email_api.account import SMTPAccount
from apis.email_api.exceptions import (
    MailServerConnectionError,
    MessageRefusedError,
    TemplateVariableError,
)
from apis.email_api.message import OutgoingEmail
from apis.email_api.sender import Deferred, RateLimiter, render_workers, send_emails
from apis.email_api.smtp_connection import SMTPConnection

ACCOUNT = SMTPAccount.from_config(
    {
        "name": "relay",
        "host": "smtp.example.org",
        "from_address": "Cloud <cloud@example.org>",
        "reply_to": "desk@example.org",
    }
)


def message(n: int, **kwargs) -> OutgoingEmail:
    """A small message to user n."""
    return OutgoingEmail(
        to=(f"user{n}@example.org",), subject=f"hello {n}", text="hi\n", html="<p>hi</p>", **kwargs
    )


def deferred(n: int) -> Deferred:
    """Message n, rendered from the test template when sent."""
    build = functools.partial(
        OutgoingEmail.from_template,
        "test",
        {"smtp_account": "relay", "sent_at": "2026-01-01T00:00:00Z", "message": f"note {n}"},
        f"user{n}@example.org",
    )
    return Deferred(f"user{n}", (f"user{n}@example.org",), build)


def broken(n: int) -> Deferred:
    """A message whose rendering fails (a variable the template lacks)."""
    build = functools.partial(OutgoingEmail.from_template, "test", {"oops": 1}, "x@example.org")
    return Deferred(f"user{n}", (f"user{n}@example.org",), build)


@pytest.fixture(name="connection")
def fixture_connection():
    """SMTPConnection replaced by an autospec mock: send() accepts everything."""
    with mock.patch.object(sender_module, "SMTPConnection", autospec=True) as cls:
        instance = cls.return_value
        instance.__enter__.return_value = instance
        instance.send.return_value = {}
        instance.reconnects = 0
        yield instance


def sent_messages(connection):
    """(envelope sender, recipients, parsed message) of every send() call."""
    return [
        (
            c.args[0],
            tuple(c.args[1]),
            email.message_from_bytes(c.args[2], policy=email.policy.default),
        )
        for c in connection.send.call_args_list
    ]


def test_dry_run_renders_everything_and_connects_to_nothing(connection):
    report = send_emails(ACCOUNT, [message(1), deferred(2)], preview_html=True)
    assert report.dry_run and report.messages == 2 and not report.sent and not report.failed
    connection.connect.assert_not_called()
    connection.send.assert_not_called()
    assert [p["to"] for p in report.previews] == [["user1@example.org"], ["user2@example.org"]]
    assert "note 2" in report.previews[1]["text"] and report.previews[1]["html"]
    assert report.previews[0]["reply_to"] == "desk@example.org"


def test_dry_run_fails_on_a_message_that_cannot_be_rendered(connection):
    with pytest.raises(TemplateVariableError, match="template 'test' has no variable"):
        send_emails(ACCOUNT, [broken(1)])
    connection.connect.assert_not_called()


def test_send_all_over_one_connection(connection):
    report = send_emails(ACCOUNT, [message(1), deferred(2), message(3)], dry_run=False, workers=0)
    connection.connect.assert_called_once_with()
    sent = sent_messages(connection)
    assert [s[1] for s in sent] == [(f"user{n}@example.org",) for n in (1, 2, 3)]
    assert {s[0] for s in sent} == {"cloud@example.org"}
    assert sent[0][2]["Reply-To"] == "desk@example.org"
    assert "note 2" in sent[1][2].get_payload()[0].get_content()
    assert report.sent_recipients == ["user1@example.org", "user2@example.org", "user3@example.org"]
    assert [s["label"] for s in report.sent] == [None, "user2", None]
    assert not report.failed and not report.previews


def test_rendering_ahead_in_a_worker_process_keeps_the_order(connection):
    sources = [deferred(n) if n % 2 else message(n) for n in range(40)]
    report = send_emails(ACCOUNT, sources, dry_run=False, workers=1)
    recipients = [s[1][0] for s in sent_messages(connection)]
    assert recipients == [f"user{n}@example.org" for n in range(40)]
    assert len(report.sent) == 40 and not report.failed


def test_a_message_that_cannot_be_rendered_is_reported_and_the_rest_sent(connection):
    report = send_emails(ACCOUNT, [message(1), broken(2), message(3)], dry_run=False, workers=0)
    assert connection.send.call_count == 2
    assert report.failed[0]["label"] == "user2"
    assert report.failed[0]["recipients"] == ["user2@example.org"]
    assert report.failed[0]["error"].startswith("not rendered: template 'test' has no variable")
    assert report.failed_recipients == ["user2@example.org"]


def test_refusals_are_reported_per_recipient(connection):
    connection.send.side_effect = [
        {"user1@example.org": (550, "no such user")},
        MessageRefusedError(
            "the server refused every recipient", {"user2@example.org": (550, "x")}
        ),
        MessageRefusedError("the server refused the message: 554 spam"),
    ]
    report = send_emails(
        ACCOUNT,
        [message(1, cc=("ops@example.org",)), message(2), message(3)],
        dry_run=False,
        workers=0,
    )
    assert report.sent_recipients == ["ops@example.org"]
    assert report.sent[0]["delivered_to"] == ["ops@example.org"]
    assert report.failed_recipients == [
        "user1@example.org",
        "user2@example.org",
        "user3@example.org",
    ]
    assert "user1@example.org: 550 no such user" in report.failed[0]["error"]
    assert report.failed[2]["error"] == "the server refused the message: 554 spam"


def test_losing_the_server_reports_the_rest_as_not_sent(connection):
    connection.send.side_effect = [{}, MailServerConnectionError("smtp account 'relay': gone")]
    report = send_emails(
        ACCOUNT, [message(1), message(2), deferred(3), message(4)], dry_run=False, workers=0
    )
    assert connection.send.call_count == 2
    assert report.sent_recipients == ["user1@example.org"]
    assert report.failed_recipients == [
        "user2@example.org",
        "user3@example.org",
        "user4@example.org",
    ]
    assert all(f["error"] == "not sent: smtp account 'relay': gone" for f in report.failed)


def test_the_first_connection_failing_fails_the_run(connection):
    connection.connect.side_effect = MailServerConnectionError("smtp account 'relay': refused")
    with pytest.raises(MailServerConnectionError, match="refused"):
        send_emails(ACCOUNT, [message(1)], dry_run=False, workers=0)
    connection.send.assert_not_called()


def test_override_sends_everything_to_one_address(connection):
    report = send_emails(
        ACCOUNT,
        [message(1, cc=("ops@example.org",)), deferred(2)],
        dry_run=False,
        override_email_address="me@example.org",
        workers=0,
    )
    assert [s[1] for s in sent_messages(connection)] == [("me@example.org",)] * 2
    assert report.override_email_address == "me@example.org"
    assert report.sent[0]["intended_recipients"] == ["user1@example.org", "ops@example.org"]
    preview = send_emails(ACCOUNT, [message(1)], override_email_address="me@example.org")
    assert preview.previews[0]["to"] == ["me@example.org"]


def test_nothing_to_send_opens_no_connection(connection):
    report = send_emails(ACCOUNT, [], dry_run=False)
    assert report.messages == 0
    connection.connect.assert_not_called()


def test_rate_limit_spaces_messages(connection):
    clock = mock.Mock(side_effect=[0.0, 0.1, 70.0, 80.0])
    sleep = mock.Mock(spec=lambda seconds: None)
    limiter = RateLimiter(2, clock=clock, sleep=sleep)
    send_emails(ACCOUNT, [message(n) for n in range(4)], dry_run=False, limiter=limiter, workers=0)
    assert [c.args[0] for c in sleep.call_args_list] == pytest.approx([29.9, 20.0])
    assert connection.send.call_count == 4


def test_rate_limit_comes_from_the_account_unless_given():
    assert RateLimiter(0).interval == 0
    assert RateLimiter(120).interval == 0.5
    sleep = mock.Mock(spec=lambda seconds: None)
    unlimited = RateLimiter(0, sleep=sleep)
    unlimited.wait()
    unlimited.wait()
    sleep.assert_not_called()


def test_account_rate_limit_is_used(connection):
    limited = SMTPAccount.from_config({**ACCOUNT.public_view(), "rate_limit_per_minute": 6000})
    with mock.patch.object(sender_module, "RateLimiter", autospec=True) as limiter:
        limiter.return_value.interval = 0.01
        send_emails(limited, [message(1)], dry_run=False)
        limiter.assert_called_once_with(6000)
        send_emails(limited, [message(1)], dry_run=False, rate_limit_per_minute=60)
        limiter.assert_called_with(60)
    assert connection.send.call_count == 2


def test_render_workers_only_for_large_fast_batches():
    assert render_workers(10, rate_limited=False) == 0
    assert render_workers(500, rate_limited=True) == 0
    assert render_workers(500, rate_limited=False) == 1
    with mock.patch("multiprocessing.get_all_start_methods", return_value=["spawn"]):
        assert render_workers(500, rate_limited=False) == 0


def test_connection_class_is_the_real_one():
    assert sender_module.SMTPConnection is SMTPConnection


def test_each_message_gets_a_progress_line(connection, progress_lines):
    connection.send.side_effect = [
        {"user1@example.org": (550, "no such user")},
        MessageRefusedError("the server refused the message: 554 spam"),
        MailServerConnectionError("smtp account 'relay': gone"),
    ]
    sources = [message(1, cc=("ops@example.org",)), message(2), broken(3), deferred(4), message(5)]
    send_emails(ACCOUNT, sources, dry_run=False, workers=0)
    sent, refused, not_rendered, lost = progress_lines()
    assert sent == (
        "email via relay: sent to user1@example.org, ops@example.org; refused for "
        "user1@example.org (1 of 5, 1.5 s)"
    )
    assert refused == (
        "email via relay: refused for user2@example.org: the server refused the message: 554 spam "
        "(2 of 5, 3.0 s)"
    )
    assert not_rendered.startswith(
        "email via relay: not rendered for user3 (user3@example.org): template 'test' has no "
    )
    assert not_rendered.endswith(" (3 of 5, 4.5 s)")
    assert lost == (
        "email via relay: not sent to user4 (user4@example.org) nor the 1 after it: smtp account "
        "'relay': gone (4 of 5, 6.0 s)"
    )


@pytest.mark.usefixtures("connection")
def test_a_dry_run_logs_no_progress(progress_lines):
    send_emails(ACCOUNT, [message(1)])
    assert not progress_lines()
