"""A thin client for the Icinga2 REST API: object queries and actions, with filter variables.

Names given by operators only ever travel as ``filter_vars``, never inside a filter
expression, so a host or service name cannot change what a filter selects.
"""

from __future__ import annotations

import re

from typing import Any, Dict, List, Mapping, Optional, Sequence

from apis.http_session import ApiErrors, JsonApiClient, translate_leak
from apis.icinga_api.account import IcingaAccount
from apis.icinga_api.exceptions import (
    IcingaApiError,
    IcingaAuthError,
    IcingaConnectionError,
    IcingaFilterError,
    IcingaObjectNotFoundError,
    IcingaRequestError,
    IcingaTimeoutError,
)

ERRORS = ApiErrors(
    connection=IcingaConnectionError,
    timeout=IcingaTimeoutError,
    auth=IcingaAuthError,
    status=IcingaRequestError,
)


def translate_error(err: BaseException) -> Optional[IcingaApiError]:
    """The api error for an HTTP failure that escaped the client, or None."""
    return translate_leak(err, ERRORS, __package__)  # type: ignore[return-value]


class IcingaClient(JsonApiClient):
    """Objects and actions of one Icinga2 API account, over one HTTP session."""

    ERRORS = ERRORS
    account: IcingaAccount

    def objects(
        self,
        object_type: str,
        expression: Optional[str] = None,
        variables: Optional[Mapping[str, Any]] = None,
        attrs: Sequence[str] = (),
        joins: Sequence[str] = (),
    ) -> List[Dict[str, Any]]:
        """Objects of ``object_type`` (``hosts``, ``services``, ``downtimes``) matching the
        filter ``expression`` with ``variables``, with their ``attrs`` and ``joins``.

        Icinga answers 404 when it cannot parse or evaluate the filter (its diagnostic,
        asked for with ``verbose``, becomes an :class:`IcingaFilterError`).
        """
        body: Dict[str, Any] = {"verbose": True}
        if expression:
            body.update(filter=expression, filter_vars=dict(variables or {}))
        if attrs:
            body["attrs"] = list(attrs)
        if joins:
            body["joins"] = list(joins)
        answer = self.http.request(
            "POST",
            f"/v1/objects/{object_type}",
            ok=(200, 404),
            json=body,
            headers={"X-HTTP-Method-Override": "GET"},
        )
        if answer.status_code == 404:
            problem = _diagnostic(answer)
            if problem and expression:
                raise IcingaFilterError(
                    f"filter: Icinga cannot evaluate {expression!r}: {problem}; values go in "
                    "filter_vars, the syntax is Icinga's (icinga.com/docs: 12-icinga2-api, "
                    "filters)"
                )
            return []
        return answer.json()["results"]

    def types(self) -> List[Dict[str, Any]]:
        """Every object type Icinga knows, with its fields (``/v1/types``); Icinga answers
        404 (or 403) to an ApiUser without the ``types`` permission."""
        answer = self.http.request("GET", "/v1/types", ok=(200, 403, 404))
        if answer.status_code != 200:
            raise IcingaAuthError(
                f"icinga account {self.account.name!r}: its ApiUser may not read /v1/types "
                f"({answer.status_code}), which attrs and joins are checked against: add "
                '"types" to its permissions, or search without attrs and joins'
            )
        return answer.json()["results"]

    def action(
        self, name: str, body: Mapping[str, Any], what: str, ok: Sequence[int] = (200,)
    ) -> List[Dict[str, Any]]:
        """Run the action ``name``; ``what`` names its target in errors.

        Icinga answers 500 with no results when the filter matched nothing.
        """
        answer = self.http.request("POST", f"/v1/actions/{name}", ok=(*ok, 500), json=dict(body))
        if answer.status_code in ok:
            return answer.json().get("results", [])
        results = _json_results(answer)
        if results is None:
            raise IcingaRequestError(
                f"icinga account {self.account.name!r}: {name} for {what} answered "
                f"{answer.status_code}: {self.http.scrub(answer.text[:300].strip())}; "
                "look it up in Icinga's log"
            )
        if not results:
            raise IcingaObjectNotFoundError(f"{what}: not found in Icinga")
        failures = "; ".join(str(r.get("status")) for r in results if r.get("code") != 200)
        raise IcingaRequestError(f"{name} for {what} failed: {failures}")

    def remove_downtime(self, name: str) -> bool:
        """Remove one downtime by its full name; False when it was already gone."""
        results = self.action(
            "remove-downtime",
            {"type": "Downtime", "downtime": name},
            f"downtime {name!r}",
            ok=(200, 404),
        )
        return bool(results)


def _json_results(answer: Any) -> Optional[List[Dict[str, Any]]]:
    """The answer's results; None when it has none (not Icinga's own error answer)."""
    try:
        body = answer.json()
    except ValueError:
        return None
    results = body.get("results") if isinstance(body, dict) else None
    return results if isinstance(results, list) else None


def _diagnostic(answer: Any) -> Optional[str]:
    """Icinga's diagnostic of a failed query on one line, without its "Error: " prefixes;
    None when the answer has none."""
    try:
        body = answer.json()
    except ValueError:
        return None
    text = body.get("diagnostic_information") if isinstance(body, dict) else None
    if not isinstance(text, str) or not text.strip():
        return None
    lines = (re.sub(r"^Error: ", "", line.strip()) for line in text.splitlines())
    return "; ".join(line for line in lines if line)[:400]
