"""The pack config's ``chatops`` section: the reminder endpoint, its token, the channel."""

from __future__ import annotations

import dataclasses
from typing import Any, Mapping, Optional
from urllib.parse import urlsplit

from apis.account import AccountConfigError, HttpAccount, secret
from apis.chatops_api.exceptions import ChatopsConfigError

SECTION = "chatops"


@dataclasses.dataclass(frozen=True)
class ChatopsAccount(HttpAccount):
    """The ChatOps service's reminder endpoint (``url``, the full URL a reminder request is
    POSTed to), its API ``token`` and the ``channel`` reminders go to by default."""

    KIND = "chatops"

    token: Optional[str] = secret()
    channel: Optional[str] = None
    retries: int = 3
    backoff_factor: float = 0.5

    @classmethod
    def from_pack_config(cls, section: Optional[Mapping[str, Any]]) -> "ChatopsAccount":
        """The account of the pack config's ``chatops`` section, or an error saying what to set."""
        if not section or not section.get("url") or not section.get("token"):
            raise ChatopsConfigError(
                f"the pack config's {SECTION} is not set: give {SECTION}.url (the ChatOps "
                f"service's reminder endpoint, e.g. https://chatops.example.org/v1/reminder) "
                f"and {SECTION}.token (its API token, best an encrypted st2kv item)"
            )
        try:
            account = cls.from_config({"name": SECTION, **section})
        except AccountConfigError as err:
            raise ChatopsConfigError(str(err)) from None
        parts = urlsplit(account.url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ChatopsConfigError(
                f"{SECTION}.url {account.url!r} is not an http(s) URL; give the full URL of the "
                "ChatOps service's reminder endpoint, e.g. https://chatops.example.org/v1/reminder"
            )
        return account

    @property
    def origin(self) -> str:
        """``scheme://host[:port]`` of the endpoint."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def path(self) -> str:
        """The endpoint's path (and query), ``/`` when the URL has none."""
        parts = urlsplit(self.url)
        return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
