"""A thin client for the silence endpoints of the Alertmanager API v2."""

from __future__ import annotations

import re
from typing import Any, Dict, List, Mapping, Optional, Sequence

from apis.alertmanager_api.account import AlertmanagerAccount
from apis.alertmanager_api.exceptions import (
    AlertmanagerApiError,
    AlertmanagerAuthError,
    AlertmanagerConnectionError,
    AlertmanagerRequestError,
    AlertmanagerTimeoutError,
    SilenceNotFoundError,
    SilenceParameterError,
)
from apis.alertmanager_api.model import Matcher, Silence
from apis.http_session import ApiErrors, JsonApiClient, translate_leak

API = "/api/v2"
ERRORS = ApiErrors(
    connection=AlertmanagerConnectionError,
    timeout=AlertmanagerTimeoutError,
    auth=AlertmanagerAuthError,
    status=AlertmanagerRequestError,
)


def translate_error(err: BaseException) -> Optional[AlertmanagerApiError]:
    """The api error for an HTTP failure that escaped the client, or None."""
    return translate_leak(err, ERRORS, __package__)  # type: ignore[return-value]


_SILENCE_ID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)


def check_silence_id(silence_id: str) -> str:
    """The id if it looks like a silence id (a UUID), else an error naming it."""
    if not _SILENCE_ID.fullmatch(str(silence_id)):
        raise SilenceParameterError(
            f"silence id {silence_id!r} is not a silence id (a UUID such as "
            "'0f3b5a9e-4c1d-4e8a-9b7c-2d6e8f0a1b2c')"
        )
    return str(silence_id)


class AlertmanagerClient(JsonApiClient):
    """Silences of one Alertmanager account, over one HTTP session."""

    ERRORS = ERRORS
    account: AlertmanagerAccount

    def list_silences(self, matchers: Sequence[Matcher] = ()) -> List[Silence]:
        """Silences whose own matchers satisfy every filter matcher (all when none)."""
        params = {"filter": [m.to_filter() for m in matchers]} if matchers else None
        answer = self.http.request("GET", f"{API}/silences", params=params)
        return [Silence.from_api(item) for item in answer.json()]

    def get_silence(self, silence_id: str) -> Silence:
        """One silence by id."""
        check_silence_id(silence_id)
        answer = self.http.request("GET", f"{API}/silence/{silence_id}", ok=(200, 404))
        if answer.status_code == 404:
            raise SilenceNotFoundError(f"silence id {silence_id!r}: no such silence")
        return Silence.from_api(answer.json())

    def create_silence(self, body: Mapping[str, Any]) -> str:
        """Post a new silence; its id."""
        answer = self.http.request("POST", f"{API}/silences", json=dict(body))
        return answer.json()["silenceID"]

    def expire_silence(self, silence_id: str) -> None:
        """Expire a silence (Alertmanager answers 500 for an unknown id)."""
        check_silence_id(silence_id)
        answer = self.http.request("DELETE", f"{API}/silence/{silence_id}", ok=(200, 500))
        if answer.status_code == 500:
            text = answer.text.strip()[:300]
            if "not found" in text.lower():
                raise SilenceNotFoundError(f"silence id {silence_id!r}: no such silence")
            raise AlertmanagerRequestError(
                f"alertmanager account {self.account.name!r}: expiring silence "
                f"{silence_id!r} failed (500): {text}"
            )

    def status(self) -> Dict[str, Any]:
        """Alertmanager's status (version, cluster), to check an account."""
        return self.http.request("GET", f"{API}/status").json()
