"""Ask the team's ChatOps service to send a pull-request reminder (``chatops.pr_reminder``).

The request is ``POST <chatops.url>`` with the JSON body ``{"reminder_type": ..., "channel":
...}`` and the header ``Authorization: token <chatops.token>``, as the ChatOps service of the
peer pack (st2-cloud-pack) expects it; the service itself reads the pull requests and writes
the chat messages. Any 2xx answer is success.
"""

from __future__ import annotations

import dataclasses
import enum
import logging
from typing import Any, Dict, Mapping, Optional, Tuple

from apis.account import MASK
from apis.chatops_api.account import SECTION, ChatopsAccount
from apis.chatops_api.exceptions import (
    ChatopsApiError,
    ChatopsAuthError,
    ChatopsConnectionError,
    ChatopsParameterError,
    ChatopsRequestError,
    ChatopsTimeoutError,
)
from apis.choices import choices
from apis.http_session import ApiErrors, HttpSession, RetrySettings, translate_leak
from apis.results import ObjectOutcome, Outcome, one_object_result

LOG = logging.getLogger(__name__)

ERRORS = ApiErrors(
    connection=ChatopsConnectionError,
    timeout=ChatopsTimeoutError,
    auth=ChatopsAuthError,
    status=ChatopsRequestError,
)
OK_STATUSES = (200, 201, 202, 204)
REFUSED = (401, 403)
_ANSWER_EXCERPT = 300


class ReminderType(enum.Enum):
    """Which reminder the ChatOps service sends."""

    GLOBAL = "global"
    PERSONAL = "personal"

    @classmethod
    def parse(cls, value: Any) -> "ReminderType":
        """The type called ``value``, or an error listing the valid ones."""
        try:
            return cls(value)
        except ValueError:
            raise ChatopsParameterError(
                f"reminder_type {value!r} is not valid; "
                + choices([t.value for t in cls], str(value))
            ) from None


def translate_error(err: BaseException) -> Optional[ChatopsApiError]:
    """The api error for an HTTP failure that escaped this package, or None."""
    return translate_leak(err, ERRORS, __package__)  # type: ignore[return-value]


@dataclasses.dataclass(frozen=True)
class ReminderRequest:
    """One reminder request: where it goes, its headers (the token's value apart) and body."""

    url: str
    reminder_type: ReminderType
    channel: str

    method = "POST"

    @property
    def body(self) -> Dict[str, str]:
        """The JSON body."""
        return {"reminder_type": self.reminder_type.value, "channel": self.channel}

    def headers(self, token: str) -> Dict[str, str]:
        """The headers, with ``token`` in ``Authorization``."""
        return {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Authorization": f"token {token}",
        }

    def shown(self) -> Dict[str, Any]:
        """The request exactly as sent, except the token (masked)."""
        return {
            "method": self.method,
            "url": self.url,
            "headers": self.headers(MASK),
            "body": self.body,
        }


def one_line(text: str) -> str:
    """``text`` with every run of blanks and line breaks made one space."""
    return " ".join(text.split())


def pick_channel(account: ChatopsAccount, channel: Optional[str]) -> str:
    """``channel`` when given, else the config's default channel, else an error."""
    chosen = (channel or "").strip() or (account.channel or "").strip()
    if not chosen:
        raise ChatopsParameterError(
            f"no channel: give the channel parameter or set the pack config's {SECTION}.channel"
        )
    return chosen


def send_pr_reminder(
    reminder_type: str,
    channel: Optional[str] = None,
    dry_run: bool = True,
    chatops: Optional[Mapping[str, Any]] = None,
) -> Dict[str, Any]:
    """POST a ``reminder_type`` reminder request for ``channel`` (default: ``chatops.channel``)
    to the ChatOps service; a dry run only returns the request it would send."""
    kind = ReminderType.parse(reminder_type)
    account = ChatopsAccount.from_pack_config(chatops)
    request = ReminderRequest(
        url=account.url, reminder_type=kind, channel=pick_channel(account, channel)
    )
    status, answer = (None, None) if dry_run else _post(account, request)
    outcome = ObjectOutcome(
        kind="chatops_reminder",
        name=f"{kind.value} reminder in {request.channel}",
        outcome=Outcome.DONE,
        change="send",
        reason=f"{'would POST' if dry_run else 'POSTed'} to {account.url}"
        + ("" if status is None else f" (answer {status})"),
    )
    return one_object_result(
        dry_run,
        outcome,
        reminder_type=kind.value,
        channel=request.channel,
        request=request.shown(),
        status=status,
        answer=answer,
    )


def _post(account: ChatopsAccount, request: ReminderRequest) -> Tuple[int, str]:
    """Send ``request``; the answer's status and (scrubbed) text excerpt."""
    retry = RetrySettings(retries=account.retries, backoff_factor=account.backoff_factor)
    origin = dataclasses.replace(account, url=account.origin)
    what = f"{request.reminder_type.value} reminder not sent"
    with HttpSession(origin, ERRORS, retry, headers=request.headers(account.token or "")) as http:
        try:
            response = http.request(
                request.method, account.path, ok=OK_STATUSES + REFUSED, json=request.body
            )
        except ChatopsConnectionError as err:
            raise ChatopsConnectionError(
                f"{what}: {one_line(str(err))}; check {SECTION}.url and that the service is up"
            ) from None
        except ChatopsApiError as err:
            raise type(err)(f"{what}: {one_line(str(err))}") from None
        text = one_line(http.scrub(response.text))[:_ANSWER_EXCERPT]
    if response.status_code in REFUSED:
        raise ChatopsAuthError(
            f"{what}: the ChatOps service refused {SECTION}.token ({response.status_code}): "
            f"set it to the service's current token; it said: {text}"
        )
    LOG.info(
        "chatops %s reminder for %s: answer %s",
        request.reminder_type.value,
        request.channel,
        response.status_code,
    )
    return response.status_code, text
