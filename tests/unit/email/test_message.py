"""Outgoing messages: addresses, attachments and the MIME structure that is sent."""

import email
import email.policy
from email.policy import compat32

import pytest

from apis.email_api.exceptions import AddressError, AttachmentError
from apis.email_api.message import (
    _SMTP_POLICY,
    INTENDED_HEADER,
    Attachment,
    OutgoingEmail,
    address_of,
    addresses,
)
from apis.email_api.templates import default_renderer

SENDER = "Cloud Team <cloud@example.org>"


def parse(data: bytes):
    """The message as a receiving client would parse it."""
    return email.message_from_bytes(data, policy=email.policy.default)


def content(part) -> str:
    """A text part's content with the wire's CRLF line ends as newlines."""
    return part.get_content().replace("\r\n", "\n")


def shutoff_email(**kwargs) -> OutgoingEmail:
    """A rendered shutoff_vms message."""
    variables = default_renderer().schema("shutoff_vms").examples()
    return OutgoingEmail.from_template("shutoff_vms", variables, **kwargs)


@pytest.mark.parametrize(
    "value, expected",
    [
        (None, ()),
        ("a@example.org", ("a@example.org",)),
        ("a@example.org, B <b@example.org>", ("a@example.org", "B <b@example.org>")),
        (["a@example.org", "A@EXAMPLE.org", " c@example.org "], ("a@example.org", "c@example.org")),
        (['"Ops, Team" <ops@example.org>'], ('"Ops, Team" <ops@example.org>',)),
        (["", "a@example.org"], ("a@example.org",)),
    ],
)
def test_addresses_are_parsed_and_deduplicated(value, expected):
    assert addresses("cc", value) == expected


@pytest.mark.parametrize(
    "value", ["bob", "bob@", "a@b@c", ["ok@example.org", "not an address"], [3]]
)
def test_bad_addresses_name_the_parameter(value):
    with pytest.raises(AddressError, match=r"^cc: .* is not an email address"):
        addresses("cc", value)


def test_address_of_strips_display_names():
    assert address_of("Bob <bob@example.org>") == "bob@example.org"
    assert address_of("bob@example.org") == "bob@example.org"


def test_a_message_needs_a_recipient():
    with pytest.raises(AddressError, match="has no 'to' address"):
        OutgoingEmail(to=(), subject="s", text="t", html="h")


def test_message_is_multipart_alternative_with_text_then_html():
    message = shutoff_email(to="alice@example.com")
    parsed = parse(message.to_bytes(SENDER))
    assert parsed.get_content_type() == "multipart/alternative"
    text, html = parsed.get_payload()
    assert text.get_content_type() == "text/plain" and html.get_content_type() == "text/html"
    assert content(text) == message.text
    assert content(html).rstrip("\n") == message.html.rstrip("\n")
    assert parsed["From"] == SENDER and parsed["To"] == "alice@example.com"
    assert parsed["Subject"] == "[prod] 1 of your servers is shut off"
    assert parsed["Message-ID"].endswith("@example.org>") and parsed["Date"]
    assert parsed["Cc"] is None and parsed["Reply-To"] is None


def test_cc_reply_to_and_bcc_only_in_the_envelope():
    message = shutoff_email(
        to="alice@example.com",
        cc=["ops@example.org", "alice@example.com"],
        bcc="audit@example.org",
        reply_to="Desk <desk@example.org>",
    )
    parsed = parse(message.to_bytes(SENDER))
    assert parsed["Cc"] == "ops@example.org, alice@example.com"
    assert parsed["Reply-To"] == "Desk <desk@example.org>"
    assert parsed["Bcc"] is None and b"audit@" not in message.to_bytes(SENDER)
    assert message.envelope_recipients == (
        "alice@example.com",
        "ops@example.org",
        "audit@example.org",
    )


def test_account_reply_to_applies_unless_the_message_has_one():
    plain = shutoff_email(to="alice@example.com")
    assert parse(plain.to_bytes(SENDER, "desk@example.org"))["Reply-To"] == "desk@example.org"
    own = shutoff_email(to="alice@example.com", reply_to="me@example.org")
    assert parse(own.to_bytes(SENDER, "desk@example.org"))["Reply-To"] == "me@example.org"


def test_attachments_wrap_the_alternative_in_multipart_mixed():
    rows = [{"name": "web-1", "status": "SHUTOFF"}, {"name": "db, primary", "status": "ERROR"}]
    message = shutoff_email(
        to="alice@example.com",
        attachments=[Attachment.csv("servers.csv", rows), Attachment("raw.bin", b"\x00\x01")],
    )
    parsed = parse(message.to_bytes(SENDER))
    assert parsed.get_content_type() == "multipart/mixed"
    body, csv_part, binary = parsed.get_payload()
    assert body.get_content_type() == "multipart/alternative"
    assert csv_part.get_content_type() == "text/csv" and csv_part.get_filename() == "servers.csv"
    assert content(csv_part).splitlines() == [
        "name,status",
        "web-1,SHUTOFF",
        '"db, primary",ERROR',
    ]
    assert binary.get_content_type() == "application/octet-stream"
    assert binary.get_content() == b"\x00\x01" and binary.get_filename() == "raw.bin"


def test_csv_attachment_columns_and_non_text_types():
    attachment = Attachment.csv("s.csv", [{"a": 1, "b": 2, "c": 3}], columns=("c", "a"))
    assert attachment.content.splitlines() == ["c,a", "3,1"]
    assert Attachment.csv("empty.csv", []).content.strip() == ""
    json_part = Attachment("data.json", '{"k": "é"}', "application/json").to_mime()
    assert json_part.get_content_type() == "application/json"
    assert json_part.get_payload(decode=True) == '{"k": "é"}'.encode()
    image = Attachment("pic.png", b"\x89PNG", "image/png").to_mime()
    assert image.get_content_type() == "image/png"
    assert attachment.size == len(attachment.content.encode())


@pytest.mark.parametrize(
    "filename, mime_type, message",
    [
        ("../etc/passwd", "text/plain", "must be a plain name"),
        ("", "text/plain", "must be a plain name"),
        ("a.txt", "text", "is not type/subtype"),
    ],
)
def test_bad_attachments_are_refused(filename, mime_type, message):
    with pytest.raises(AttachmentError, match=message):
        Attachment(filename, "x", mime_type)


def test_non_ascii_subject_names_and_bodies_survive_the_trip():
    message = OutgoingEmail(
        to=("Zoë Müller <zoe@example.org>",),
        subject="Wartung: Server für Zoë",
        text="Grüße, Zoë\n",
        html="<p>Grüße</p>",
    )
    data = message.to_bytes("Équipe Cloud <cloud@example.org>")
    assert data.isascii()
    parsed = parse(data)
    assert parsed["Subject"] == "Wartung: Server für Zoë"
    assert parsed["To"] == "Zoë Müller <zoe@example.org>"
    assert parsed["From"] == "Équipe Cloud <cloud@example.org>"
    text, html = parsed.get_payload()
    assert content(text) == "Grüße, Zoë\n" and content(html) == "<p>Grüße</p>"
    assert text["Content-Transfer-Encoding"] == "quoted-printable"


def test_long_lines_are_quoted_printable_so_smtp_line_limits_hold():
    long_line = "x" * 2000
    message = OutgoingEmail(to=("a@example.org",), subject="s", text=long_line, html=long_line)
    data = message.to_bytes(SENDER)
    assert max(len(line) for line in data.split(b"\r\n")) <= 78
    assert content(parse(data).get_payload()[0]) == long_line
    short = OutgoingEmail(to=("a@example.org",), subject="s", text="hi\n", html="<p>hi</p>")
    assert parse(short.to_bytes(SENDER)).get_payload()[0]["Content-Transfer-Encoding"] == "7bit"


def test_lines_end_with_crlf_only():
    data = shutoff_email(to="alice@example.com").to_bytes(SENDER)
    assert b"\n" not in data.replace(b"\r\n", b"")


@pytest.mark.parametrize(
    "name, value",
    [
        ("Subject", "A short subject"),
        ("To", "a@example.org, b@example.org"),
        ("Subject", "word " * 30),
        ("X-Long", "x" * 200),
        ("Subject", "two\nlines"),
    ],
)
def test_fast_header_folding_gives_the_same_bytes_as_compat32(name, value):
    expected = compat32.clone(linesep="\r\n").fold_binary(name, value)
    assert _SMTP_POLICY.fold_binary(name, value) == expected


def test_redirected_message_goes_only_to_the_override_and_says_for_whom():
    message = shutoff_email(to="alice@example.com", cc="ops@example.org", bcc="audit@example.org")
    redirected = message.redirected("me@example.org")
    assert redirected.envelope_recipients == ("me@example.org",)
    assert redirected.intended == ("alice@example.com", "ops@example.org")
    parsed = parse(redirected.to_bytes(SENDER))
    assert parsed["To"] == "me@example.org" and parsed["Cc"] is None
    assert parsed[INTENDED_HEADER] == "alice@example.com, ops@example.org"
    assert redirected.summary()["intended_recipients"] == list(redirected.intended)
    with pytest.raises(AddressError, match="override_email_address"):
        message.redirected("me")


def test_preview_shows_what_would_be_sent():
    message = shutoff_email(
        to="alice@example.com",
        attachments=[Attachment("a.txt", "hello", "text/plain")],
        label="alice",
    )
    preview = message.preview(SENDER, "desk@example.org")
    assert preview["label"] == "alice" and preview["to"] == ["alice@example.com"]
    assert preview["from"] == SENDER and preview["reply_to"] == "desk@example.org"
    assert preview["text"] == message.text and "html" not in preview
    assert preview["attachments"] == [{"filename": "a.txt", "mime_type": "text/plain", "size": 5}]
    assert preview["size"] > len(message.text)
    assert message.preview(SENDER, html=True)["html"] == message.html
