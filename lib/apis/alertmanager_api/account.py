"""Alertmanager accounts from the pack config."""

from __future__ import annotations

import dataclasses

from apis.account import HttpAccount


@dataclasses.dataclass(frozen=True)
class AlertmanagerAccount(HttpAccount):
    """An Alertmanager endpoint (basic auth optional)."""

    KIND = "alertmanager"

    retries: int = 3
    backoff_factor: float = 0.5
