"""The email api against real SMTP servers (aiosmtpd with STARTTLS and AUTH required).

``smtp_server`` is the session's peer fixture; ``lab`` is a second aiosmtpd run here whose
handler can drop the connection, answer 421 or refuse recipients, and counts connections.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import email
import email.policy
import socket
import ssl
import threading
import time
from typing import Dict, Iterator, List, Optional, Set

import pytest

from apis.email_api.account import SMTPAccount
from apis.email_api.exceptions import MailServerAuthError, MailServerConnectionError
from apis.email_api.message import Attachment, OutgoingEmail
from apis.email_api.sender import send_emails
from apis.email_api.templates import default_renderer
from tests.integration.peers.common import free_port
from tests.integration.peers.tls import make_server_cert

pytestmark = pytest.mark.integration

LAB_USER, LAB_PASSWORD = "lab-mailer", "lab-Pa55-9d1e"


def account_for(server, **settings) -> SMTPAccount:
    """An SMTP account on the session's smtp_server (or the lab server)."""
    config = {
        "name": "peer",
        "host": server.host,
        "port": server.port,
        "username": server.username,
        "password": server.password,
        "ca_file": str(server.ca_file),
        "from_address": "Cloud Team <cloud@example.org>",
        "timeout": 10,
    }
    config.update(settings)
    return SMTPAccount.from_config({k: v for k, v in config.items() if v is not None})


def new_messages(server, before: int):
    """Messages the server accepted since it had ``before``."""
    return server.messages[before:]


def shutoff(to: str, **kwargs) -> OutgoingEmail:
    """A rendered shutoff_vms notification."""
    variables = default_renderer().schema("shutoff_vms").examples()
    return OutgoingEmail.from_template("shutoff_vms", variables, to=to, **kwargs)


def text_of(part) -> str:
    """A text part's content with CRLF line ends as newlines."""
    return part.get_content().replace("\r\n", "\n")


# ---------------------------------------------------------------------- the session's server
def test_multipart_message_with_cc_bcc_reply_to_and_attachment(smtp_server):
    before = len(smtp_server.messages)
    rows = [{"name": "seed-ops-backup", "status": "SHUTOFF"}, {"name": "web-2", "status": "ERROR"}]
    message = shutoff(
        "alice@example.com",
        cc=["ops@example.org"],
        bcc=["audit@example.org"],
        reply_to="desk@example.org",
        attachments=[Attachment.csv("affected_servers.csv", rows)],
        label="alice",
    )
    report = send_emails(account_for(smtp_server), [message], dry_run=False)
    assert report.sent_recipients == ["alice@example.com", "ops@example.org", "audit@example.org"]
    assert not report.failed and report.reconnects == 0
    (received,) = new_messages(smtp_server, before)
    assert received.login == smtp_server.username
    assert received.mail_from == "cloud@example.org"
    assert received.rcpt_tos == ("alice@example.com", "ops@example.org", "audit@example.org")
    parsed = received.message
    assert parsed["To"] == "alice@example.com" and parsed["Cc"] == "ops@example.org"
    assert parsed["Bcc"] is None and parsed["Reply-To"] == "desk@example.org"
    assert parsed["From"] == "Cloud Team <cloud@example.org>"
    assert parsed["Subject"] == message.subject
    assert parsed.get_content_type() == "multipart/mixed"
    body, attachment = parsed.get_payload()
    assert body.get_content_type() == "multipart/alternative"
    text, html = body.get_payload()
    assert text.get_content_type() == "text/plain" and "ops-backup" in text_of(text)
    assert html.get_content_type() == "text/html" and 'style="' in html.get_content()
    assert "<style" not in html.get_content()
    assert attachment.get_filename() == "affected_servers.csv"
    assert text_of(attachment).splitlines() == [
        "name,status",
        "seed-ops-backup,SHUTOFF",
        "web-2,ERROR",
    ]


def test_many_messages_are_delivered_once_each(smtp_server):
    before = len(smtp_server.messages)
    messages = [shutoff(f"user{n}@example.com") for n in range(40)]
    report = send_emails(account_for(smtp_server), messages, dry_run=False)
    received = new_messages(smtp_server, before)
    assert [m.rcpt_tos for m in received] == [(f"user{n}@example.com",) for n in range(40)]
    assert len(report.sent) == 40 and report.reconnects == 0


def test_dry_run_connects_to_nothing(smtp_server):
    with contextlib.closing(socket.socket()) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.settimeout(0.2)
        port = listener.getsockname()[1]
        report = send_emails(account_for(smtp_server, port=port), [shutoff("a@example.org")])
        with pytest.raises(socket.timeout):
            listener.accept()
    assert report.dry_run and report.previews[0]["to"] == ["a@example.org"]
    assert not report.sent and not report.sent_recipients


def test_override_sends_to_one_address_with_the_intended_recipients(smtp_server):
    before = len(smtp_server.messages)
    report = send_emails(
        account_for(smtp_server),
        [shutoff("alice@example.com", cc="ops@example.org"), shutoff("bob@example.com")],
        dry_run=False,
        override_email_address="me@example.org",
    )
    received = new_messages(smtp_server, before)
    assert [m.rcpt_tos for m in received] == [("me@example.org",), ("me@example.org",)]
    assert received[0].message["X-Cloudops-Intended-Recipients"] == (
        "alice@example.com, ops@example.org"
    )
    assert report.sent[1]["intended_recipients"] == ["bob@example.com"]


def test_bad_password_names_the_account_and_not_the_password(smtp_server):
    wrong = "not-the-password-77"
    with pytest.raises(MailServerAuthError) as err:
        send_emails(
            account_for(smtp_server, password=wrong), [shutoff("a@example.org")], dry_run=False
        )
    assert "smtp account 'peer'" in str(err.value) and "535" in str(err.value)
    assert wrong not in str(err.value)


def test_no_credentials_on_a_server_that_needs_them(smtp_server):
    relay = account_for(smtp_server, username=None, password=None)
    report = send_emails(relay, [shutoff("a@example.org")], dry_run=False)
    assert not report.sent
    assert "requires authentication" in report.failed[0]["error"]


def test_untrusted_certificate_without_ca_file(smtp_server, monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(smtp_server.ca_file))
    with pytest.raises(MailServerConnectionError, match="TLS certificate is not trusted"):
        send_emails(
            account_for(smtp_server, ca_file=None), [shutoff("a@example.org")], dry_run=False
        )


def test_ca_file_is_used_whatever_the_environment_says(smtp_server, monkeypatch, tmp_path):
    other = make_server_cert(tmp_path, "localhost", "Some other CA")
    monkeypatch.setenv("SSL_CERT_FILE", str(other.ca_file))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(other.ca_file))
    before = len(smtp_server.messages)
    send_emails(account_for(smtp_server), [shutoff("a@example.org")], dry_run=False)
    assert len(new_messages(smtp_server, before)) == 1
    with pytest.raises(MailServerConnectionError, match="not trusted"):
        send_emails(
            account_for(smtp_server, ca_file=str(other.ca_file)),
            [shutoff("a@example.org")],
            dry_run=False,
        )


def test_verify_false_skips_certificate_checks(smtp_server):
    before = len(smtp_server.messages)
    relay = account_for(smtp_server, ca_file=None, verify=False)
    assert send_emails(relay, [shutoff("a@example.org")], dry_run=False).sent
    assert len(new_messages(smtp_server, before)) == 1


def test_unreachable_port_names_the_account():
    relay = SMTPAccount.from_config(
        {
            "name": "nowhere",
            "host": "127.0.0.1",
            "port": free_port(),
            "from_address": "c@example.org",
        }
    )
    with pytest.raises(
        MailServerConnectionError, match=r"smtp account 'nowhere' .* cannot connect"
    ):
        send_emails(relay, [shutoff("a@example.org")], dry_run=False)


def test_a_server_that_never_answers_times_out():
    with contextlib.closing(socket.socket()) as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        relay = SMTPAccount.from_config(
            {
                "name": "silent",
                "host": "127.0.0.1",
                "port": silent.getsockname()[1],
                "from_address": "c@example.org",
                "timeout": 0.5,
            }
        )
        started = time.monotonic()
        with pytest.raises(MailServerConnectionError, match="did not answer within 0.5 s"):
            send_emails(relay, [shutoff("a@example.org")], dry_run=False)
    assert time.monotonic() - started < 5


def test_rate_limit_spaces_the_messages(smtp_server):
    before = len(smtp_server.messages)
    started = time.monotonic()
    report = send_emails(
        account_for(smtp_server, rate_limit_per_minute=600),
        [shutoff(f"r{n}@example.org") for n in range(4)],
        dry_run=False,
    )
    assert time.monotonic() - started >= 0.3
    assert len(report.sent) == 4 and len(new_messages(smtp_server, before)) == 4


# ---------------------------------------------------------------------- the lab server
@dataclasses.dataclass
class LabHandler:
    """aiosmtpd handler and authenticator with switchable misbehaviour."""

    accepted: List[tuple] = dataclasses.field(default_factory=list)
    sessions: Set[int] = dataclasses.field(default_factory=set)
    drop_after: Optional[int] = None
    drop_in_data_at: Optional[int] = None
    busy_once: Optional[str] = None
    refuse: Set[str] = dataclasses.field(default_factory=set)
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)
    data_seen: int = 0

    def reset(self) -> None:
        """Forget everything and behave."""
        with self.lock:
            self.accepted.clear()
            self.sessions.clear()
            self.drop_after = self.drop_in_data_at = self.busy_once = None
            self.refuse = set()
            self.data_seen = 0

    def __call__(self, _server, _session, _envelope, _mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult, LoginPassword

        if isinstance(auth_data, LoginPassword) and tuple(auth_data) == (
            LAB_USER.encode(),
            LAB_PASSWORD.encode(),
        ):
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    async def handle_MAIL(self, server, _session, envelope, address, options):  # noqa: N802
        """Drop the connection once ``drop_after`` messages were accepted."""
        # pylint: disable=invalid-name
        if self.drop_after is not None and len(self.accepted) == self.drop_after:
            self.drop_after = None
            server.transport.close()
            return "421 4.3.2 going away"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(self, _server, _session, envelope, address, options):  # noqa: N802
        """Refuse listed recipients; answer 421 once for ``busy_once``."""
        # pylint: disable=invalid-name
        if address == self.busy_once:
            self.busy_once = None
            return "421 4.7.0 try again later"
        if address in self.refuse:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        """Accept, or drop the line before accepting message number ``drop_in_data_at``."""
        # pylint: disable=invalid-name
        with self.lock:
            self.data_seen += 1
            if self.drop_in_data_at == self.data_seen:
                self.drop_in_data_at = None
                server.transport.close()
                await asyncio.sleep(0)
                return "451 aborted"
            self.sessions.add(id(session))
            parsed = email.message_from_bytes(
                envelope.original_content, policy=email.policy.default
            )
            self.accepted.append((tuple(envelope.rcpt_tos), parsed))
        return "250 OK"


@dataclasses.dataclass
class Lab:
    """The lab server's address and handler."""

    host: str
    port: int
    username: str
    password: str
    ca_file: str
    handler: LabHandler

    def counts(self) -> Dict[str, int]:
        """Accepted messages per recipient."""
        found: Dict[str, int] = {}
        for recipients, _ in self.handler.accepted:
            for recipient in recipients:
                found[recipient] = found.get(recipient, 0) + 1
        return found


def _lab_server(tmp_path_factory, implicit_tls: bool) -> Iterator[Lab]:
    from aiosmtpd.controller import Controller

    certs = make_server_cert(tmp_path_factory.mktemp("lab"), "localhost", "lab CA")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certs.cert_file, certs.key_file)
    handler = LabHandler()
    tls = (
        {"ssl_context": context}
        if implicit_tls
        else {"tls_context": context, "require_starttls": True}
    )
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=free_port(),
        server_hostname="localhost",
        authenticator=handler,
        auth_required=True,
        auth_require_tls=not implicit_tls,
        **tls,
    )
    controller.start()
    try:
        yield Lab("127.0.0.1", controller.port, LAB_USER, LAB_PASSWORD, str(certs.ca_file), handler)
    finally:
        controller.stop()


@pytest.fixture(name="lab_server", scope="module")
def fixture_lab_server(tmp_path_factory):
    """aiosmtpd with STARTTLS and AUTH required, and switchable misbehaviour."""
    yield from _lab_server(tmp_path_factory, implicit_tls=False)


@pytest.fixture(name="lab")
def fixture_lab(lab_server):
    """The lab server, reset."""
    lab_server.handler.reset()
    yield lab_server
    lab_server.handler.reset()


def test_all_messages_go_over_one_connection(lab):
    report = send_emails(
        account_for(lab), [shutoff(f"u{n}@example.org") for n in range(10)], dry_run=False
    )
    assert len(lab.handler.sessions) == 1 and len(report.sent) == 10


def test_a_dropped_connection_mid_batch_resumes_without_duplicates(lab):
    lab.handler.drop_after = 4
    recipients = [f"u{n}@example.org" for n in range(10)]
    report = send_emails(account_for(lab), [shutoff(r) for r in recipients], dry_run=False)
    assert lab.counts() == {r: 1 for r in recipients}
    assert report.reconnects == 1 and len(lab.handler.sessions) == 2
    assert report.sent_recipients == recipients and not report.failed


def test_a_connection_dropped_during_data_resends_that_message_once(lab):
    lab.handler.drop_in_data_at = 3
    recipients = [f"u{n}@example.org" for n in range(6)]
    report = send_emails(account_for(lab), [shutoff(r) for r in recipients], dry_run=False)
    assert lab.counts() == {r: 1 for r in recipients}
    assert report.reconnects == 1 and not report.failed


def test_a_421_reply_reconnects_and_retries(lab):
    lab.handler.busy_once = "u2@example.org"
    recipients = [f"u{n}@example.org" for n in range(4)]
    report = send_emails(account_for(lab), [shutoff(r) for r in recipients], dry_run=False)
    assert lab.counts() == {r: 1 for r in recipients} and report.reconnects == 1


def test_refused_recipients_are_reported_and_the_others_delivered(lab):
    lab.handler.refuse = {"gone@example.org", "nobody@example.org"}
    report = send_emails(
        account_for(lab),
        [
            shutoff("alice@example.org", cc="gone@example.org"),
            shutoff("nobody@example.org", label="nobody"),
            shutoff("bob@example.org"),
        ],
        dry_run=False,
    )
    assert lab.counts() == {"alice@example.org": 1, "bob@example.org": 1}
    assert report.sent_recipients == ["alice@example.org", "bob@example.org"]
    assert report.failed_recipients == ["gone@example.org", "nobody@example.org"]
    assert "550 5.1.1 no such user" in report.failed[0]["error"]
    assert report.failed[1]["label"] == "nobody"


def test_rendering_ahead_in_a_worker_against_a_real_server(lab):
    recipients = [f"w{n}@example.org" for n in range(60)]
    report = send_emails(
        account_for(lab), [shutoff(r) for r in recipients], dry_run=False, workers=1
    )
    assert [a[0] for a in lab.handler.accepted] == [(r,) for r in recipients]
    assert len(report.sent) == 60
    _, parsed = lab.handler.accepted[0]
    assert parsed.get_content_type() == "multipart/alternative"


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_implicit_tls_account(tmp_path_factory):
    for lab in _lab_server(tmp_path_factory, implicit_tls=True):
        relay = account_for(lab, security="ssl")
        report = send_emails(relay, [shutoff("tls@example.org")], dry_run=False)
        assert report.sent_recipients == ["tls@example.org"]
        assert lab.counts() == {"tls@example.org": 1}
        plain = account_for(lab, security="starttls", timeout=0.5)
        with pytest.raises(MailServerConnectionError, match="did not answer within 0.5 s"):
            send_emails(plain, [shutoff("x@example.org")], dry_run=False)
