"""POST a JSON body to a StackStorm webhook (``<st2_api.url>/webhooks/<name>``).

StackStorm answers 202 and dispatches a ``core.st2.webhook`` trigger, payload ``{"headers":
..., "body": <the body>}``, to every rule whose trigger parameter ``url`` is the name; a name
no enabled rule listens on is a 404. The API key goes in the ``St2-Api-Key`` header.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from typing import Any, Mapping, Optional

from apis.http_session import ApiErrors, HttpSession, translate_leak
from apis.st2_api.account import St2ApiAccount
from apis.st2_api.exceptions import (
    St2ApiAuthError,
    St2ApiConnectionError,
    St2ApiError,
    St2ApiRequestError,
    St2ApiTimeoutError,
    WebhookPostError,
)

LOG = logging.getLogger(__name__)

API_KEY_HEADER = "St2-Api-Key"
ERRORS = ApiErrors(
    connection=St2ApiConnectionError,
    timeout=St2ApiTimeoutError,
    auth=St2ApiAuthError,
    status=St2ApiRequestError,
)
# what StackStorm's router accepts as a webhook url (one or more path segments)
_NAME = re.compile(r"[A-Za-z0-9_.~-]+(/[A-Za-z0-9_.~-]+)*")


def translate_error(err: BaseException) -> Optional[St2ApiError]:
    """The api error for an HTTP failure that escaped this package, or None."""
    return translate_leak(err, ERRORS, __package__)  # type: ignore[return-value]


def check_name(name: str) -> str:
    """The webhook name, or an error saying what a name looks like."""
    if not _NAME.fullmatch(str(name)):
        raise WebhookPostError(
            f"webhook {name!r} is not a webhook name: give the url of its rule's "
            "core.st2.webhook trigger, e.g. 'server-migrate'"
        )
    return str(name)


@dataclasses.dataclass(frozen=True)
class WebhookPost:
    """What was (in a dry run: would be) posted where, and StackStorm's answer."""

    name: str
    url: str
    dry_run: bool
    posted: bool
    status: Optional[int] = None


def webhook_url(account: St2ApiAccount, name: str) -> str:
    """The full URL of webhook ``name``."""
    return f"{account.url.rstrip('/')}/webhooks/{check_name(name)}"


def post_webhook(
    account: St2ApiAccount, name: str, body: Mapping[str, Any], dry_run: bool = True
) -> WebhookPost:
    """POST ``body`` as JSON to webhook ``name`` (nothing in a dry run); a refusal or an error
    status raises :class:`WebhookPostError` naming the webhook and the status."""
    url = webhook_url(account, name)
    if dry_run:
        return WebhookPost(name=name, url=url, dry_run=True, posted=False)
    headers = {API_KEY_HEADER: account.api_key or "", "Accept": "application/json"}
    with HttpSession(account, ERRORS, headers=headers) as http:
        try:
            answer = http.request("POST", f"/webhooks/{name}", ok=(200, 201, 202), json=body)
        except St2ApiAuthError:
            raise WebhookPostError(
                f"webhook {name!r}: StackStorm refused st2_api.api_key (401/403): set it to a "
                "valid key (`st2 apikey create`) allowed to send webhooks"
            ) from None
        except St2ApiError as err:
            raise WebhookPostError(f"webhook {name!r} not posted: {err}") from None
    LOG.info("posted to webhook %s: StackStorm answered %s", name, answer.status_code)
    return WebhookPost(name=name, url=url, dry_run=False, posted=True, status=answer.status_code)
