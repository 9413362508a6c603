"""Create, list and expire Alertmanager silences: the lib functions behind the actions."""

from __future__ import annotations

import dataclasses
from typing import Any, Dict, List, Optional, Sequence

from apis.alertmanager_api.account import AlertmanagerAccount
from apis.alertmanager_api.client import AlertmanagerClient, check_silence_id
from apis.alertmanager_api.exceptions import SilenceParameterError
from apis.alertmanager_api.model import Matcher, Silence, SilenceFilter, SilenceState, api_time
from apis.results import ChangeResult, ObjectOutcome, Outcome
from apis.search_results import OutputType, search_result
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


def silence_body(
    matchers: Sequence[str],
    comment: str,
    author: str = DEFAULT_AUTHOR,
    start: Optional[str] = None,
    end: Optional[str] = None,
    duration: Optional[str] = None,
) -> Dict[str, Any]:
    """The Alertmanager body of a new silence, every parameter checked."""
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
    return {
        "matchers": [m.to_api() for m in parsed],
        "startsAt": api_time(starts_at),
        "endsAt": api_time(ends_at),
        "createdBy": author,
        "comment": comment,
    }


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
    or for ``duration``; the new silence."""
    body = silence_body(matchers, comment, author, start, end, duration)
    with AlertmanagerClient(alertmanager_account) as client:
        return client.get_silence(client.create_silence(body)).summary()


@dataclasses.dataclass
class SilenceCreated(ChangeResult):
    """The change result (the one silence) and the silence: the body a dry run would send."""

    silence: Dict[str, Any]


def silence_create(
    alertmanager_account: AlertmanagerAccount,
    matchers: Sequence[str],
    comment: str,
    author: str = DEFAULT_AUTHOR,
    start: Optional[str] = None,
    end: Optional[str] = None,
    duration: Optional[str] = None,
    dry_run: bool = True,
) -> SilenceCreated:
    """alertmanager.silence.create: :func:`create_silence`, or in a dry run its checked body."""
    name = " ".join(str(m) for m in parse_matchers(matchers))
    if dry_run:
        body = silence_body(matchers, comment, author, start, end, duration)
        planned = ObjectOutcome("silence", name, Outcome.DONE, "create")
        return SilenceCreated(dry_run=True, objects=[planned], silence=body)
    silence = create_silence(alertmanager_account, matchers, comment, author, start, end, duration)
    created = ObjectOutcome("silence", name, Outcome.DONE, "create", id=silence["id"])
    return SilenceCreated(dry_run=False, objects=[created], silence=silence)


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
    output_type: str = OutputType.PROPS.value,
) -> Dict[str, Any]:
    """Silences in ``state`` whose matchers satisfy ``matchers``; with ``host``, only those
    selecting that host by an ``instance`` or ``hostname`` label: the search result
    (``apis.search_results``), one row per silence."""
    OutputType.from_string(output_type)
    wanted = _state_filter(state)
    with AlertmanagerClient(alertmanager_account) as client:
        found = _find(client, parse_matchers(matchers), wanted, host)
    found.sort(key=lambda s: (s.starts_at, s.id))
    return search_result([s.summary() for s in found], output_type)


@dataclasses.dataclass
class SilencesExpired(ChangeResult):
    """The change result (one object per silence) and the silences as they were found."""

    silences: List[Dict[str, Any]]


def remove_silences(
    alertmanager_account: AlertmanagerAccount,
    silence_ids: Optional[Sequence[str]] = None,
    host: Optional[str] = None,
    dry_run: bool = True,
) -> SilencesExpired:
    """Expire the silences ``silence_ids``, or every active or pending silence of ``host``.

    Every id is checked before any silence is expired, so an unknown id changes nothing.
    """
    if bool(silence_ids) == bool(host):
        raise SilenceParameterError("give either silence_ids or host (exactly one of them)")
    objects = []
    with AlertmanagerClient(alertmanager_account) as client:
        if silence_ids:
            targets = [client.get_silence(check_silence_id(i)) for i in dict.fromkeys(silence_ids)]
        else:
            targets = _find(client, (), SilenceFilter.ALL, host)
        for silence in targets:
            name = " ".join(str(m) for m in silence.matchers)
            if silence.state is SilenceState.EXPIRED:
                reason = "already expired"
                objects.append(
                    ObjectOutcome("silence", name, Outcome.UNCHANGED, "expire", reason, silence.id)
                )
                continue
            if not dry_run:
                client.expire_silence(silence.id)
            objects.append(ObjectOutcome("silence", name, Outcome.DONE, "expire", id=silence.id))
    return SilencesExpired(
        dry_run=dry_run, objects=objects, silences=[s.summary() for s in targets]
    )
