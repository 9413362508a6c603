"""The pack config's ``st2_api`` section: where StackStorm's API is and its API key."""

from __future__ import annotations

import dataclasses
from typing import Any, Mapping, Optional

from apis.account import AccountConfigError, HttpAccount, secret
from apis.st2_api.exceptions import St2ApiConfigError

SECTION = "st2_api"


@dataclasses.dataclass(frozen=True)
class St2ApiAccount(HttpAccount):
    """StackStorm's API (``url`` ends in ``/api/v1``), reached with an API key (``st2 apikey
    create``), never a user's password."""

    KIND = "st2_api"

    api_key: Optional[str] = secret()

    @classmethod
    def from_pack_config(cls, config: Mapping[str, Any]) -> "St2ApiAccount":
        """The account of the pack config's ``st2_api`` section, or an error saying what to set."""
        section = config.get(SECTION)
        if not section or not section.get("url") or not section.get("api_key"):
            raise St2ApiConfigError(
                f"the pack config's {SECTION} is not set: give {SECTION}.url "
                "(https://<st2 host>/api/v1) and st2_api.api_key (an `st2 apikey create` key)"
            )
        try:
            return cls.from_config({"name": SECTION, **section})
        except AccountConfigError as err:
            raise St2ApiConfigError(str(err)) from None
