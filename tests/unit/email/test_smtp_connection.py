"""The SMTP session: TLS and login as configured, clear errors, reconnect on a dropped line.

smtplib is replaced by autospec mocks, so every call is checked against smtplib's real
signatures; the real server paths are in tests/integration/test_email_smtp.py.
"""

import smtplib
import ssl
from unittest import mock

import pytest

from apis.email_api.account import SMTPAccount
from apis.email_api.exceptions import (
    AddressError,
    MailServerAuthError,
    MailServerConnectionError,
    MessageRefusedError,
)
from apis.email_api.smtp_connection import SMTPConnection

PASSWORD = "s3cret-Pa55"
RealSMTP = smtplib.SMTP


def account(**settings) -> SMTPAccount:
    """An SMTP account from config settings."""
    return SMTPAccount.from_config(
        {"name": "relay", "host": "smtp.example.org", "from_address": "c@example.org", **settings}
    )


@pytest.fixture(name="smtp")
def fixture_smtp():
    """smtplib.SMTP and SMTP_SSL as autospec mocks; yields (SMTP class, SMTP_SSL class)."""
    with mock.patch("smtplib.SMTP", autospec=True) as plain, mock.patch(
        "smtplib.SMTP_SSL", autospec=True
    ) as implicit:
        yield plain, implicit


def test_starttls_then_login_with_the_account_context(smtp):
    plain, implicit = smtp
    relay = account(username="mailer", password=PASSWORD, port=2525, timeout=7)
    with SMTPConnection(relay) as connection:
        connection.connect()
        assert connection.connected
    plain.assert_called_once_with("smtp.example.org", 2525, timeout=7)
    session = plain.return_value
    context = session.starttls.call_args.kwargs["context"]
    assert isinstance(context, ssl.SSLContext) and context.verify_mode is ssl.CERT_REQUIRED
    session.login.assert_called_once_with("mailer", PASSWORD)
    session.quit.assert_called_once_with()
    implicit.assert_not_called()


def test_implicit_tls_uses_smtp_ssl_and_no_login_without_username(smtp):
    plain, implicit = smtp
    with SMTPConnection(account(security="ssl", port=465, verify=False)) as connection:
        connection.connect()
    plain.assert_not_called()
    assert implicit.call_args.args == ("smtp.example.org", 465)
    context = implicit.call_args.kwargs["context"]
    assert context.verify_mode is ssl.CERT_NONE and not context.check_hostname
    implicit.return_value.login.assert_not_called()


def test_security_none_sends_no_starttls(smtp):
    plain, _ = smtp
    SMTPConnection(account(security="none", port=25)).connect()
    plain.return_value.starttls.assert_not_called()


def test_ca_file_replaces_the_system_cas(tmp_path):
    missing = account(ca_file=str(tmp_path / "nope.pem"))
    with pytest.raises(MailServerConnectionError, match=r"ca_file '.*nope\.pem' cannot be loaded"):
        missing.ssl_context()
    assert account(ca_file=str(tmp_path / "nope.pem"), verify=False).ssl_context().verify_mode is (
        ssl.CERT_NONE
    )


def _raise_on(smtp, method, error):
    plain, _ = smtp
    getattr(plain.return_value, method).side_effect = error


@pytest.mark.parametrize(
    "method, error, expected_type, message",
    [
        (
            "login",
            smtplib.SMTPAuthenticationError(535, b"5.7.8 bad credentials"),
            MailServerAuthError,
            "refused the login of user 'mailer': 535 5.7.8 bad credentials",
        ),
        (
            "starttls",
            smtplib.SMTPNotSupportedError("STARTTLS extension not supported by server."),
            MailServerConnectionError,
            "STARTTLS extension not supported by server. Check the account's security",
        ),
        (
            "starttls",
            ssl.SSLCertVerificationError(1, "certificate verify failed"),
            MailServerConnectionError,
            "TLS certificate is not trusted",
        ),
        (
            "starttls",
            ssl.SSLError(1, "wrong version number"),
            MailServerConnectionError,
            "TLS failed",
        ),
        (
            "login",
            smtplib.SMTPServerDisconnected("Connection unexpectedly closed"),
            MailServerConnectionError,
            "SMTPServerDisconnected: Connection unexpectedly closed",
        ),
    ],
)
def test_session_errors_name_the_account_and_never_the_password(
    smtp, method, error, expected_type, message
):
    _raise_on(smtp, method, error)
    connection = SMTPConnection(account(username="mailer", password=PASSWORD))
    with pytest.raises(expected_type) as err:
        connection.connect()
    assert "smtp account 'relay' (smtp.example.org:587)" in str(err.value)
    assert message in str(err.value) and PASSWORD not in str(err.value)
    smtp[0].return_value.close.assert_called_with()
    assert not connection.connected


@pytest.mark.parametrize(
    "error, message",
    [
        (ConnectionRefusedError(111, "Connection refused"), "cannot connect: Connection refused"),
        (TimeoutError("timed out"), "did not answer within 60 s"),
        (OSError("No route to host"), "cannot connect: No route to host"),
    ],
)
def test_unreachable_server(smtp, error, message):
    smtp[0].side_effect = error
    with pytest.raises(MailServerConnectionError, match=message):
        SMTPConnection(account()).connect()


def test_silent_server_reads_as_a_timeout(smtp):
    def greeting_times_out(*_args, **_kwargs):
        try:
            raise TimeoutError("timed out")
        except TimeoutError as exc:
            raise smtplib.SMTPServerDisconnected(
                "Connection unexpectedly closed: timed out"
            ) from exc

    smtp[0].side_effect = greeting_times_out
    with pytest.raises(MailServerConnectionError, match=r"did not answer within 2 s"):
        SMTPConnection(account(timeout=2)).connect()


def test_send_returns_refused_recipients(smtp):
    session = smtp[0].return_value
    session.sendmail.return_value = {"b@example.org": (550, b"no such user")}
    connection = SMTPConnection(account())
    refused = connection.send("c@example.org", ["a@example.org", "b@example.org"], b"data")
    session.sendmail.assert_called_once_with(
        "c@example.org", ["a@example.org", "b@example.org"], b"data"
    )
    assert refused == {"b@example.org": (550, "no such user")}


@pytest.mark.parametrize(
    "drop",
    [
        smtplib.SMTPServerDisconnected("Server not connected"),
        smtplib.SMTPSenderRefused(421, b"4.3.0 shutting down", "c@example.org"),
        smtplib.SMTPRecipientsRefused({"a@example.org": (421, b"closing")}),
        ConnectionResetError(104, "reset"),
    ],
)
def test_a_dropped_connection_is_reopened_and_the_message_sent_once(smtp, drop):
    plain, _ = smtp
    first = mock.create_autospec(RealSMTP, instance=True)
    second = mock.create_autospec(RealSMTP, instance=True)
    plain.side_effect = [first, second]
    first.sendmail.side_effect = drop
    second.sendmail.return_value = {}
    connection = SMTPConnection(account())
    connection.connect()
    assert connection.send("c@example.org", ["a@example.org"], b"data") == {}
    first.close.assert_called_with()
    second.sendmail.assert_called_once_with("c@example.org", ["a@example.org"], b"data")
    assert connection.reconnects == 1


def test_losing_the_connection_twice_for_one_message_gives_up(smtp):
    plain, _ = smtp
    plain.return_value.sendmail.side_effect = smtplib.SMTPServerDisconnected("gone")
    connection = SMTPConnection(account(), max_attempts=2)
    with pytest.raises(MailServerConnectionError, match=r"lost 2 times while sending one message"):
        connection.send("c@example.org", ["a@example.org"], b"data")
    assert plain.call_count == 2 and connection.reconnects == 1


@pytest.mark.parametrize(
    "error, expected_type, message",
    [
        (
            smtplib.SMTPRecipientsRefused({"a@example.org": (550, b"unknown user")}),
            MessageRefusedError,
            "refused every recipient: a@example.org: 550 unknown user",
        ),
        (
            smtplib.SMTPDataError(554, b"5.7.1 spam"),
            MessageRefusedError,
            "refused the message: 554 5.7.1 spam",
        ),
        (
            smtplib.SMTPSenderRefused(530, b"5.7.0 Authentication required", "c@example.org"),
            MailServerAuthError,
            "requires authentication .*set username and password",
        ),
    ],
)
def test_refusals_are_not_retried(smtp, error, expected_type, message):
    plain, _ = smtp
    plain.return_value.sendmail.side_effect = error
    connection = SMTPConnection(account())
    with pytest.raises(expected_type, match=message) as err:
        connection.send("c@example.org", ["a@example.org"], b"data")
    assert plain.call_count == 1
    if isinstance(err.value, MessageRefusedError) and "every recipient" in message:
        assert err.value.recipients == {"a@example.org": (550, "unknown user")}


def test_close_survives_a_server_that_is_already_gone(smtp):
    plain, _ = smtp
    plain.return_value.quit.side_effect = smtplib.SMTPServerDisconnected("gone")
    connection = SMTPConnection(account())
    connection.connect()
    connection.close()
    plain.return_value.close.assert_called_with()
    assert not connection.connected
    connection.close()


def test_a_broken_socket_on_close_is_ignored(smtp):
    plain, _ = smtp
    plain.return_value.quit.side_effect = OSError("broken pipe")
    plain.return_value.close.side_effect = OSError("bad file descriptor")
    connection = SMTPConnection(account())
    connection.connect()
    connection.close()
    assert not connection.connected


def test_sender_address_comes_from_the_account():
    assert account().sender() == "c@example.org"
    assert account(from_address=None, username="bot@example.org").sender() == "bot@example.org"
    with pytest.raises(AddressError, match="smtp account 'relay' .* has no from_address"):
        account(from_address=None, username="bot").sender()


def test_account_repr_and_label_hide_the_password():
    relay = account(password=PASSWORD)
    assert PASSWORD not in repr(relay) and PASSWORD not in relay.label
