"""Jira accounts from the pack config."""

from __future__ import annotations

import dataclasses
from typing import Optional

from apis.account import HttpAccount, secret


@dataclasses.dataclass(frozen=True)
class JiraAccount(HttpAccount):
    """A Jira (Service Management) site: ``username`` with an API token."""

    KIND = "jira"

    api_token: Optional[str] = secret()
