"""Create, list and expire Alertmanager silences: the lib functions behind the actions."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

from apis.alertmanager_api.account import AlertmanagerAccount
from apis.alertmanager_api.client import AlertmanagerClient, check_silence_id
from apis.alertmanager_api.exceptions import SilenceParameterError
from apis.alertmanager_api.model import Matcher, Silence, SilenceFilter, SilenceState, api_time
from apis.timewindow import time_window

DEFAULT_AUTHOR = "cloudops"


def parse_matchers(matchers: Optional[Sequence[str]]) -> List[Matcher]:
    """Matchers from Prometheus syntax strings."""
    return [Matcher.parse(text) for text in matchers or ()]


def _state_filter(state: str) -> SilenceFilter:
    try:
        return SilenceFilter(state)
    except ValueError:
        choices = ", ".join(s.value for s in SilenceFilter)
        raise SilenceParameterError(f"state {state!r} is not one of: {choices}") from None


def create_silence(
    alertmanager_account: AlertmanagerAccount,
    matchers: Sequence[str],
    comment: str,
    author: str = DEFAULT_AUTHOR,
    start: Optional[str] = None,
    end: Optional[str] = None,
    duration: Optional[str] = None,
) -> Dict[str, Any]:
    """Silence the alerts selected by ``matchers`` from ``start`` (default now) to ``end``
    or for ``duration``."""
    parsed = parse_matchers(matchers)
    if not parsed:
        raise SilenceParameterError("matchers: give at least one, e.g. instance=hv01")
    if all(m.matches("") for m in parsed):
        raise SilenceParameterError(
            f"matchers {[str(m) for m in parsed]} would silence every alert; "
            "add a positive matcher such as instance=hv01"
        )
    if not str(comment or "").strip():
        raise SilenceParameterError("comment: say why the alerts are silenced")
    try:
        starts_at, ends_at = time_window(start, end, duration)
    except ValueError as err:
        raise SilenceParameterError(str(err)) from None
    body = {
        "matchers": [m.to_api() for m in parsed],
        "startsAt": api_time(starts_at),
        "endsAt": api_time(ends_at),
        "createdBy": author,
        "comment": comment,
    }
    with AlertmanagerClient(alertmanager_account) as client:
        return client.get_silence(client.create_silence(body)).summary()


def _find(
    client: AlertmanagerClient,
    matchers: Sequence[Matcher],
    wanted: SilenceFilter,
    host: Optional[str],
) -> List[Silence]:
    return [
        silence
        for silence in client.list_silences(matchers)
        if wanted.admits(silence.state) and (not host or silence.selects_host(host))
    ]


def list_silences(
    alertmanager_account: AlertmanagerAccount,
    matchers: Optional[Sequence[str]] = None,
    state: str = SilenceFilter.ALL.value,
    host: Optional[str] = None,
) -> Dict[str, Any]:
    """Silences in ``state`` whose matchers satisfy ``matchers``; with ``host``, only those
    selecting that host by an ``instance`` or ``hostname`` label."""
    wanted = _state_filter(state)
    with AlertmanagerClient(alertmanager_account) as client:
        found = _find(client, parse_matchers(matchers), wanted, host)
    found.sort(key=lambda s: (s.starts_at, s.id))
    return {"count": len(found), "silences": [s.summary() for s in found]}


def remove_silences(
    alertmanager_account: AlertmanagerAccount,
    silence_ids: Optional[Sequence[str]] = None,
    host: Optional[str] = None,
    dry_run: bool = True,
) -> Dict[str, Any]:
    """Expire the silences ``silence_ids``, or every active or pending silence of ``host``.

    Every id is checked before any silence is expired, so an unknown id changes nothing.
    """
    if bool(silence_ids) == bool(host):
        raise SilenceParameterError("give either silence_ids or host (exactly one of them)")
    with AlertmanagerClient(alertmanager_account) as client:
        if silence_ids:
            targets = [client.get_silence(check_silence_id(i)) for i in dict.fromkeys(silence_ids)]
        else:
            targets = _find(client, (), SilenceFilter.ALL, host)
        live = [s for s in targets if s.state is not SilenceState.EXPIRED]
        if not dry_run:
            for silence in live:
                client.expire_silence(silence.id)
    return {
        "dry_run": dry_run,
        "expired": [s.summary() for s in live],
        "already_expired": [s.id for s in targets if s.state is SilenceState.EXPIRED],
    }
