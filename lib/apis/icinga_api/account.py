"""Icinga accounts from the pack config."""

from __future__ import annotations

import dataclasses

from apis.account import HttpAccount


@dataclasses.dataclass(frozen=True)
class IcingaAccount(HttpAccount):
    """An Icinga2 API endpoint with an ApiUser."""

    KIND = "icinga"

    retries: int = 3
    backoff_factor: float = 0.5
