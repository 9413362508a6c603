"""Outgoing emails: validated addresses, attachments, and the MIME message that is sent.

A message is ``multipart/alternative`` (plaintext first, then HTML); with attachments it is
wrapped in ``multipart/mixed``. Bcc recipients are in the SMTP envelope only.
"""

from __future__ import annotations

import binascii
import csv
import dataclasses
import functools
import io
import re
import secrets
from email import policy as email_policy
from email.header import Header
from email.message import Message
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.utils import formataddr, formatdate, getaddresses, make_msgid, parseaddr
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from apis.email_api.exceptions import AddressError, AttachmentError
from apis.email_api.templates import TemplateRenderer, default_renderer

INTENDED_HEADER = "X-Cloudops-Intended-Recipients"
_ADDR_SPEC = re.compile(r"^[^@\s<>(),;:\"\[\]]+@[^@\s<>(),;:\"\[\]]+$")
_MIME_TYPE = re.compile(r"^[a-z0-9.+-]+/[a-z0-9.+-]+$", re.IGNORECASE)


class _SMTPPolicy(email_policy.Compat32):
    """compat32 with CRLF line ends that writes short ASCII headers as they are: the
    stdlib's general folding costs more than the rest of the message, and such a header
    needs none (the result is the same bytes)."""

    def fold_binary(self, name, value):
        if (
            isinstance(value, str)
            and value.isascii()
            and len(name) + len(value) + 2 <= self.max_line_length
            and "\n" not in value
            and "\r" not in value
        ):
            return f"{name}: {value}{self.linesep}".encode("ascii")
        return super().fold_binary(name, value)


_SMTP_POLICY = _SMTPPolicy(linesep="\r\n", mangle_from_=False)
MAX_7BIT_LINE = 998


def _text_part(text: str, subtype: str) -> Message:
    """A text part in UTF-8: 7bit when it is ASCII with short lines, else quoted-printable
    (C-encoded by binascii), so that no line exceeds SMTP's limit (inlined CSS makes long
    HTML lines)."""
    part = Message()
    part["Content-Type"] = f'text/{subtype}; charset="utf-8"'
    if text.isascii() and max(map(len, text.splitlines() or [""])) <= MAX_7BIT_LINE:
        part["Content-Transfer-Encoding"] = "7bit"
        part.set_payload(text)
    else:
        part["Content-Transfer-Encoding"] = "quoted-printable"
        part.set_payload(binascii.b2a_qp(text.encode("utf-8"), istext=True).decode("ascii"))
    return part


def _boundary() -> str:
    """A random MIME boundary: 128 random bits cannot occur in the bodies by chance, so the
    generator's costly scan of every body for a collision is not needed."""
    return f"=_{secrets.token_urlsafe(16)}"


def _header(text: str) -> Any:
    return text if text.isascii() else Header(text, "utf-8")


def _address_header(text: str) -> str:
    return text if text.isascii() else formataddr(parseaddr(text), charset="utf-8")


def address_of(text: str) -> str:
    """The bare address of ``text`` (``Name <a@b>`` or ``a@b``)."""
    if _ADDR_SPEC.match(text):
        return text
    return getaddresses([text])[0][1]


def _parsed(item: str) -> List[Tuple[str, str]]:
    if _ADDR_SPEC.match(item):
        return [("", item)]
    return getaddresses([item])


def addresses(parameter: str, value: Union[None, str, Sequence[str]]) -> Tuple[str, ...]:
    """Validated addresses from a string (comma separated) or a list; duplicates dropped."""
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else list(value)
    found: List[str] = []
    seen = set()
    for item in items:
        if not isinstance(item, str):
            raise AddressError(f"{parameter}: {item!r} is not an email address")
        item = item.strip()
        if not item:
            continue
        for name, addr in _parsed(item):
            if not _ADDR_SPEC.match(addr):
                raise AddressError(f"{parameter}: {item!r} is not an email address")
            if addr.lower() not in seen:
                seen.add(addr.lower())
                found.append(formataddr((name, addr)) if name else addr)
    return tuple(found)


@dataclasses.dataclass(frozen=True)
class Attachment:
    """A file attached to a message."""

    filename: str
    content: Union[str, bytes]
    mime_type: str = "application/octet-stream"

    def __post_init__(self):
        if not self.filename or "/" in self.filename or "\\" in self.filename:
            raise AttachmentError(f"attachment filename {self.filename!r} must be a plain name")
        if not _MIME_TYPE.match(self.mime_type):
            raise AttachmentError(
                f"attachment {self.filename!r}: mime_type {self.mime_type!r} is not type/subtype"
            )

    @classmethod
    def csv(
        cls, filename: str, rows: Sequence[Mapping[str, Any]], columns: Sequence[str] = ()
    ) -> "Attachment":
        """A CSV file of ``rows`` with a header line (columns default to the first row's keys)."""
        fields = list(columns) or (list(rows[0]) if rows else [])
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
        return cls(filename, buffer.getvalue(), "text/csv")

    def to_mime(self) -> Message:
        """The attachment's MIME part."""
        maintype, subtype = self.mime_type.split("/")
        if isinstance(self.content, str) and maintype == "text":
            part: Message = _text_part(self.content, subtype)
        else:
            data = self.content.encode() if isinstance(self.content, str) else self.content
            part = MIMEApplication(data, subtype)
            if maintype != "application":
                part.replace_header("Content-Type", self.mime_type)
        part.add_header("Content-Disposition", "attachment", filename=self.filename)
        return part

    @property
    def size(self) -> int:
        """Size in bytes (text as UTF-8)."""
        content = self.content.encode() if isinstance(self.content, str) else self.content
        return len(content)


@dataclasses.dataclass(frozen=True)
class OutgoingEmail:
    """One message to send: rendered bodies, recipients and attachments.

    ``label`` says whom or what the message is about (e.g. a user name) in send reports;
    ``intended`` keeps the original recipients of a redirected message.
    """

    to: Tuple[str, ...]
    subject: str
    text: str
    html: str
    cc: Tuple[str, ...] = ()
    bcc: Tuple[str, ...] = ()
    reply_to: Optional[str] = None
    attachments: Tuple[Attachment, ...] = ()
    template: Optional[str] = None
    label: Optional[str] = None
    intended: Tuple[str, ...] = ()

    def __post_init__(self):
        if not self.to:
            raise AddressError(f"message {self.subject!r} has no 'to' address")

    @classmethod
    def from_template(
        cls,
        template: str,
        variables: Mapping[str, Any],
        to: Union[str, Sequence[str]],
        cc: Union[None, str, Sequence[str]] = None,
        bcc: Union[None, str, Sequence[str]] = None,
        reply_to: Optional[str] = None,
        attachments: Sequence[Attachment] = (),
        label: Optional[str] = None,
        renderer: Optional[TemplateRenderer] = None,
    ) -> "OutgoingEmail":
        """Render ``template`` with ``variables`` into a message to the given recipients."""
        rendered = (renderer or default_renderer()).render(template, variables)
        return cls(
            to=addresses("to", to),
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            cc=addresses("cc", cc),
            bcc=addresses("bcc", bcc),
            reply_to=addresses("reply_to", reply_to)[0] if reply_to else None,
            attachments=tuple(attachments),
            template=template,
            label=label,
        )

    @functools.cached_property
    def envelope_recipients(self) -> Tuple[str, ...]:
        """Bare addresses of to, cc and bcc, each once, for the SMTP envelope."""
        seen: Dict[str, str] = {}
        for text in self.to + self.cc + self.bcc:
            addr = address_of(text)
            seen.setdefault(addr.lower(), addr)
        return tuple(seen.values())

    def redirected(self, address: str) -> "OutgoingEmail":
        """The same message sent only to ``address``; the original to and cc are kept in
        ``intended`` and in a header (bcc recipients are dropped)."""
        return dataclasses.replace(
            self,
            to=addresses("override_email_address", address)[:1],
            cc=(),
            bcc=(),
            intended=self.to + self.cc,
        )

    def to_mime(self, sender: str, reply_to: Optional[str] = None) -> Message:
        """The MIME message: text and HTML alternatives, then attachments."""
        body = MIMEMultipart("alternative", boundary=_boundary())
        body.attach(_text_part(self.text, "plain"))
        body.attach(_text_part(self.html, "html"))
        message: Message = body
        if self.attachments:
            message = MIMEMultipart("mixed", boundary=_boundary())
            message.attach(body)
            for attachment in self.attachments:
                message.attach(attachment.to_mime())
        message["Subject"] = _header(self.subject)
        message["From"] = _address_header(sender)
        message["To"] = ", ".join(_address_header(a) for a in self.to)
        if self.cc:
            message["Cc"] = ", ".join(_address_header(a) for a in self.cc)
        if self.reply_to or reply_to:
            message["Reply-To"] = _address_header(self.reply_to or reply_to)
        if self.intended:
            message[INTENDED_HEADER] = ", ".join(_address_header(a) for a in self.intended)
        message["Date"] = formatdate(usegmt=True)
        message["Message-ID"] = make_msgid(domain=address_of(sender).rpartition("@")[2])
        return message

    def to_bytes(self, sender: str, reply_to: Optional[str] = None) -> bytes:
        """The message as sent over SMTP (CRLF line ends)."""
        return self.to_mime(sender, reply_to).as_bytes(policy=_SMTP_POLICY)

    def summary(self) -> Dict[str, Any]:
        """Recipients and subject, for send reports."""
        summary: Dict[str, Any] = {
            "label": self.label,
            "to": list(self.to),
            "cc": list(self.cc),
            "bcc": list(self.bcc),
            "subject": self.subject,
        }
        if self.intended:
            summary["intended_recipients"] = list(self.intended)
        return summary

    def preview(self, sender: str, reply_to: Optional[str] = None, html: bool = False):
        """Everything a dry run shows: summary, bodies and attachment names and sizes."""
        preview = self.summary()
        preview.update(
            {
                "from": sender,
                "reply_to": self.reply_to or reply_to,
                "template": self.template,
                "text": self.text,
                "attachments": [
                    {"filename": a.filename, "mime_type": a.mime_type, "size": a.size}
                    for a in self.attachments
                ],
                "size": len(self.to_bytes(sender, reply_to)),
            }
        )
        if html:
            preview["html"] = self.html
        return preview
