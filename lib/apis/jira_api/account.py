"""Jira accounts from the pack config."""

from __future__ import annotations

import dataclasses
from typing import Optional, Tuple

from apis.account import AccountConfigError, HttpAccount, required, secret


@dataclasses.dataclass(frozen=True)
class JiraAccount(HttpAccount):
    """A Jira (Service Management) site: ``username`` with an API token.

    ``password`` is accepted instead of ``api_token`` for Jira Data Center sites that still
    use passwords.
    """

    KIND = "jira"

    username: Optional[str] = required()
    api_token: Optional[str] = secret()
    retries: int = 3
    backoff_factor: float = 0.5

    @property
    def basic_auth(self) -> Tuple[str, str]:
        """``(username, api_token or password)`` for HTTP Basic authentication."""
        token = self.api_token or self.password
        if not self.username or not token:
            raise AccountConfigError(
                f"jira account {self.name!r}: needs username and api_token (or password)"
            )
        return self.username, token

    def browse_url(self, key: str) -> str:
        """The web address of issue ``key``."""
        return f"{self.url.rstrip('/')}/browse/{key}"
