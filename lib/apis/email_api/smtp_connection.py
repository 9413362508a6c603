"""One SMTP session for many messages, reconnecting when the server drops it.

Errors name the account (never its password): an unreachable or silent server and a TLS
failure raise :class:`MailServerConnectionError`, refused credentials
:class:`MailServerAuthError`, a refused message :class:`MessageRefusedError`.
"""

from __future__ import annotations

import smtplib
import ssl
from typing import Dict, Optional, Sequence, Tuple

from apis.errors import raised_in

from apis.email_api.account import SMTPAccount, SMTPSecurity
from apis.email_api.exceptions import (
    EmailApiError,
    MailServerAuthError,
    MailServerConnectionError,
    MessageRefusedError,
)

CONNECTION_LOST = 421
AUTH_REQUIRED = 530


def _text(reply) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)


def translate_error(err: BaseException) -> Optional[EmailApiError]:
    """The api error for an SMTP, TLS or network failure that escaped the mail code, or None."""
    if not isinstance(err, (smtplib.SMTPException, OSError)) or not raised_in(err, __package__):
        return None
    if isinstance(err, ssl.SSLError):
        what = "TLS failed: check the server's certificate and the account's CA"
    elif isinstance(err, TimeoutError):
        what = "no answer in time: retry later"
    else:
        what = "check the account's host and port and that the server is up"
    return MailServerConnectionError(f"mail server: {type(err).__name__}: {err}; {what}")


class SMTPConnection:
    """A lazily opened SMTP connection; use as a context manager to close it politely."""

    def __init__(self, account: SMTPAccount, max_attempts: int = 2):
        self.account = account
        self.max_attempts = max_attempts
        self.reconnects = 0
        self._smtp: Optional[smtplib.SMTP] = None

    def __enter__(self) -> "SMTPConnection":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    @property
    def connected(self) -> bool:
        """Whether a session is open."""
        return self._smtp is not None

    def connect(self) -> None:
        """Open the session: connect, TLS as configured, then log in when a username is set."""
        account = self.account
        label = account.label
        smtp = None
        try:
            context = None if account.security is SMTPSecurity.NONE else account.ssl_context()
            if account.security is SMTPSecurity.SSL:
                smtp = smtplib.SMTP_SSL(
                    account.host, account.port, timeout=account.timeout, context=context
                )
            else:
                smtp = smtplib.SMTP(account.host, account.port, timeout=account.timeout)
                if account.security is SMTPSecurity.STARTTLS:
                    smtp.starttls(context=context)
            if account.username:
                smtp.login(account.username, account.password or "")
        except smtplib.SMTPAuthenticationError as err:
            _close(smtp)
            raise MailServerAuthError(
                f"{label}: the server refused the login of user {account.username!r}: "
                f"{err.smtp_code} {_text(err.smtp_error)}"
            ) from None
        except smtplib.SMTPNotSupportedError as err:
            _close(smtp)
            raise MailServerConnectionError(
                f"{label}: {err} Check the account's security (none, ssl, starttls) and port."
            ) from None
        except ssl.SSLCertVerificationError as err:
            _close(smtp)
            raise MailServerConnectionError(
                f"{label}: the server's TLS certificate is not trusted "
                f"({getattr(err, 'verify_message', None) or err}); "
                "set ca_file to the CA that signed it"
            ) from None
        except ssl.SSLError as err:
            _close(smtp)
            raise MailServerConnectionError(f"{label}: TLS failed: {err}") from None
        except smtplib.SMTPException as err:
            _close(smtp)
            if isinstance(err.__context__, TimeoutError):
                raise _timed_out(account) from None
            raise MailServerConnectionError(f"{label}: {type(err).__name__}: {err}") from None
        except TimeoutError:
            _close(smtp)
            raise _timed_out(account) from None
        except OSError as err:
            _close(smtp)
            raise MailServerConnectionError(
                f"{label}: cannot connect: {err.strerror or err}"
            ) from None
        self._smtp = smtp

    def send(
        self, sender: str, recipients: Sequence[str], data: bytes
    ) -> Dict[str, Tuple[int, str]]:
        """Send one message; returns the recipients the server refused (the others got it).

        When the connection drops (or the server answers 421) before the message is accepted,
        the connection is reopened and the message sent again, at most ``max_attempts`` times
        in all; a message the server accepted is never sent twice.
        """
        lost: Exception = MailServerConnectionError("not sent")
        for attempt in range(1, self.max_attempts + 1):
            if self._smtp is None:
                self.connect()
            try:
                refused = self._smtp.sendmail(sender, list(recipients), data)
                return {addr: (code, _text(reply)) for addr, (code, reply) in refused.items()}
            except smtplib.SMTPRecipientsRefused as err:
                codes = {
                    addr: (code, _text(reply)) for addr, (code, reply) in err.recipients.items()
                }
                if all(code != CONNECTION_LOST for code, _ in codes.values()):
                    raise MessageRefusedError(
                        "the server refused every recipient: "
                        + "; ".join(f"{a}: {c} {r}" for a, (c, r) in codes.items()),
                        codes,
                    ) from None
                lost = err
            except smtplib.SMTPResponseException as err:
                if err.smtp_code == AUTH_REQUIRED:
                    raise MailServerAuthError(
                        f"{self.account.label}: the server requires authentication "
                        f"({err.smtp_code} {_text(err.smtp_error)}); set username and password"
                    ) from None
                if err.smtp_code != CONNECTION_LOST:
                    raise MessageRefusedError(
                        f"the server refused the message: {err.smtp_code} {_text(err.smtp_error)}"
                    ) from None
                lost = err
            except OSError as err:
                lost = err
            self._drop()
            if attempt < self.max_attempts:
                self.reconnects += 1
        raise MailServerConnectionError(
            f"{self.account.label}: the connection was lost {self.max_attempts} times while "
            f"sending one message ({type(lost).__name__}: {lost})"
        )

    def _drop(self) -> None:
        _close(self._smtp)
        self._smtp = None

    def close(self) -> None:
        """Say QUIT and close; a connection that is already gone is simply closed."""
        if self._smtp is None:
            return
        try:
            self._smtp.quit()
        except (smtplib.SMTPException, OSError):
            pass
        self._drop()


def _timed_out(account: SMTPAccount) -> MailServerConnectionError:
    return MailServerConnectionError(
        f"{account.label}: the server did not answer within {account.timeout:g} s"
    )


def _close(smtp: Optional[smtplib.SMTP]) -> None:
    if smtp is not None:
        try:
            smtp.close()
        except OSError:
            pass
