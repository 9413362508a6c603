"""Schedule and remove Icinga downtimes; only downtimes this pack created are removed unless
the caller explicitly includes everyone else's (``include_others``).

Every downtime the pack schedules has a comment starting with :data:`COMMENT_MARKER`;
removal selects by host (and service) on the server and by that marker on our side.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
from typing import Any, Dict, List, Mapping, Optional

from apis import clock
from apis.timewindow import parse_duration, time_window
from apis.icinga_api.account import IcingaAccount
from apis.icinga_api.client import IcingaClient
from apis.icinga_api.exceptions import IcingaObjectNotFoundError, IcingaParameterError
from apis.results import ChangeResult, ObjectOutcome, Outcome

COMMENT_MARKER = "[cloudops]"
DEFAULT_AUTHOR = "cloudops"
_DOWNTIME_ATTRS = (
    "name",
    "host_name",
    "service_name",
    "author",
    "comment",
    "start_time",
    "end_time",
    "fixed",
    "duration",
    "parent",
)


class DowntimeType(enum.Enum):
    """Fixed downtimes cover the whole window; flexible ones start with the first problem
    inside the window and last ``flexible_duration``."""

    FIXED = "fixed"
    FLEXIBLE = "flexible"


@dataclasses.dataclass(frozen=True)
class Downtime:
    """A downtime as Icinga reports it."""

    name: str
    host: str
    service: Optional[str]
    author: str
    comment: str
    start: datetime.datetime
    end: datetime.datetime
    fixed: bool
    parent: Optional[str]

    @classmethod
    def from_api(cls, item: Mapping[str, Any]) -> "Downtime":
        """A downtime from an ``objects/downtimes`` result."""
        attrs = item["attrs"]
        return cls(
            name=item["name"],
            host=attrs["host_name"],
            service=attrs.get("service_name") or None,
            author=attrs.get("author", ""),
            comment=attrs.get("comment", ""),
            start=clock.from_epoch(attrs["start_time"]),
            end=clock.from_epoch(attrs["end_time"]),
            fixed=bool(attrs.get("fixed")),
            parent=attrs.get("parent") or None,
        )

    @property
    def ours(self) -> bool:
        """Whether this pack scheduled the downtime."""
        return self.comment.startswith(COMMENT_MARKER)


def target_filter(host: str, service: Optional[str], downtime: bool = False) -> tuple:
    """A filter expression and its variables selecting ``host`` (and ``service``) objects,
    or with ``downtime`` their downtimes."""
    host_attr, service_attr = (
        ("downtime.host_name", "downtime.service_name")
        if downtime
        else ("host.name", "service.name")
    )
    expression = f"{host_attr}==cloudops_host"
    variables = {"cloudops_host": host}
    if service:
        expression += f" && {service_attr}==cloudops_service"
        variables["cloudops_service"] = service
    return expression, variables


def _downtime_type(downtime_type: str) -> DowntimeType:
    try:
        return DowntimeType(downtime_type)
    except ValueError:
        choices = ", ".join(t.value for t in DowntimeType)
        raise IcingaParameterError(
            f"downtime_type {downtime_type!r} is not one of: {choices}"
        ) from None


@dataclasses.dataclass(frozen=True)
class DowntimeRequest:
    """A checked schedule-downtime request: the Icinga body, its target and its window."""

    body: Dict[str, Any]
    what: str
    summary: Dict[str, Any]


def downtime_request(
    host: str,
    comment: str,
    service: Optional[str] = None,
    start: Optional[str] = None,
    end: Optional[str] = None,
    duration: Optional[str] = None,
    downtime_type: str = DowntimeType.FIXED.value,
    flexible_duration: Optional[str] = None,
    all_services: bool = True,
    author: str = DEFAULT_AUTHOR,
) -> DowntimeRequest:
    """The request :func:`schedule_downtime` sends, every parameter checked."""
    kind = _downtime_type(downtime_type)
    if not str(comment or "").strip():
        raise IcingaParameterError("comment: say why the downtime is needed")
    try:
        begin, finish = time_window(start, end, duration)
        length = (
            parse_duration("flexible_duration", flexible_duration) if flexible_duration else None
        )
    except ValueError as err:
        raise IcingaParameterError(str(err)) from None
    if kind is DowntimeType.FLEXIBLE and length is None:
        raise IcingaParameterError("flexible_duration is required for a flexible downtime")
    if kind is DowntimeType.FIXED and length is not None:
        raise IcingaParameterError("flexible_duration only applies to downtime_type=flexible")
    expression, variables = target_filter(host, service)
    what = f"service {service!r} of host {host!r}" if service else f"host {host!r}"
    body: Dict[str, Any] = {
        "type": "Service" if service else "Host",
        "filter": expression,
        "filter_vars": variables,
        "start_time": begin.timestamp(),
        "end_time": finish.timestamp(),
        "fixed": kind is DowntimeType.FIXED,
        "author": author,
        "comment": f"{COMMENT_MARKER} {comment.strip()}",
    }
    if length is not None:
        body["duration"] = length.total_seconds()
    if not service:
        body["all_services"] = bool(all_services)
    summary = {
        "host": host,
        "service": service,
        "type": kind.value,
        "start": begin.isoformat(),
        "end": finish.isoformat(),
    }
    return DowntimeRequest(body, what, summary)


def _scheduled_names(results: List[Dict[str, Any]]) -> List[str]:
    names: List[str] = []
    for result in results:
        names.append(result["name"])
        names.extend(child["name"] for child in result.get("service_downtimes") or ())
    return names


def schedule_downtime(
    icinga_account: IcingaAccount, host: str, comment: str, **options: Any
) -> Dict[str, Any]:
    """Schedule a downtime for ``host`` (with its services unless ``all_services`` is false)
    or for one ``service`` of it, in the window ``start`` (default now) to ``end`` or for
    ``duration`` (the options of :func:`downtime_request`)."""
    request = downtime_request(host, comment, **options)
    with IcingaClient(icinga_account) as client:
        results = client.action("schedule-downtime", request.body, request.what)
    return {**request.summary, "downtimes": _scheduled_names(results)}


@dataclasses.dataclass
class DowntimeScheduled(ChangeResult):
    """The change result (one object per host or service downtime) and the window."""

    host: str
    service: Optional[str]
    type: str
    start: str
    end: str


def downtime_outcome(name: str, downtime_id: Optional[str] = None) -> ObjectOutcome:
    """The change object of scheduling a downtime for ``name`` (``host`` or ``host!service``)."""
    kind = "service downtime" if "!" in name else "host downtime"
    return ObjectOutcome(kind, name, Outcome.DONE, "schedule", id=downtime_id)


def downtime_schedule(
    icinga_account: IcingaAccount,
    host: str,
    comment: str,
    service: Optional[str] = None,
    start: Optional[str] = None,
    end: Optional[str] = None,
    duration: Optional[str] = None,
    downtime_type: str = DowntimeType.FIXED.value,
    flexible_duration: Optional[str] = None,
    all_services: bool = True,
    author: str = DEFAULT_AUTHOR,
    dry_run: bool = True,
) -> DowntimeScheduled:
    """icinga.downtime.schedule: one object per downtime scheduled (in a dry run: per host or
    service a downtime would be scheduled for, found in Icinga)."""
    options = {
        "service": service,
        "start": start,
        "end": end,
        "duration": duration,
        "downtime_type": downtime_type,
        "flexible_duration": flexible_duration,
        "all_services": all_services,
        "author": author,
    }
    if not dry_run:
        scheduled = schedule_downtime(icinga_account, host, comment, **options)
        names = scheduled.pop("downtimes")
        objects = sorted(
            (downtime_outcome(name.rsplit("!", 1)[0], name) for name in names), key=lambda o: o.name
        )
        return DowntimeScheduled(dry_run=False, objects=objects, **scheduled)
    request = downtime_request(host, comment, **options)
    with IcingaClient(icinga_account) as client:
        expression, variables = target_filter(host, service)
        found = client.objects("services" if service else "hosts", expression, variables)
        if not found:
            raise IcingaObjectNotFoundError(f"{request.what}: not found in Icinga")
        targets = [f"{host}!{service}" if service else host]
        if not service and all_services:
            services = client.objects("services", *target_filter(host, None))
            targets += sorted(item["name"] for item in services)
    return DowntimeScheduled(
        dry_run=True, objects=[downtime_outcome(name) for name in targets], **request.summary
    )


def list_downtimes(
    client: IcingaClient, host: str, service: Optional[str] = None, only_own: bool = True
) -> List[Downtime]:
    """The downtimes of ``host`` (or of its ``service``), host downtimes first; with
    ``only_own`` only those this pack created."""
    expression, variables = target_filter(host, service, downtime=True)
    items = client.objects("downtimes", expression, variables, _DOWNTIME_ATTRS)
    return sorted(
        (d for d in map(Downtime.from_api, items) if d.ours or not only_own),
        key=lambda d: (d.parent is not None, d.name),
    )


def list_own_downtimes(
    client: IcingaClient, host: str, service: Optional[str] = None
) -> List[Downtime]:
    """The downtimes of ``host`` (or of its ``service``) that this pack created."""
    return list_downtimes(client, host, service)


@dataclasses.dataclass
class DowntimesRemoved(ChangeResult):
    """The change result (one object per downtime removed) and those downtimes."""

    host: str
    service: Optional[str]
    downtimes: List[Dict[str, Any]]


def remove_downtimes(
    icinga_account: IcingaAccount,
    host: str,
    service: Optional[str] = None,
    dry_run: bool = True,
    include_others: bool = False,
) -> "DowntimesRemoved":
    """Remove this pack's downtimes of ``host`` (all of them, services included) or of one
    ``service``; downtimes scheduled by anyone else are left alone unless
    ``include_others``."""
    with IcingaClient(icinga_account) as client:
        what = f"service {service!r} of host {host!r}" if service else f"host {host!r}"
        expression, variables = target_filter(host, service)
        if not client.objects("services" if service else "hosts", expression, variables, ["name"]):
            raise IcingaObjectNotFoundError(f"{what}: not found in Icinga")
        targets = list_downtimes(client, host, service, only_own=not include_others)
        removed, gone = set(), set()
        if not dry_run:
            for downtime in targets:
                if downtime.parent in removed:
                    continue
                if client.remove_downtime(downtime.name):
                    removed.add(downtime.name)
                else:
                    gone.add(downtime.name)
    objects = [
        ObjectOutcome(
            "service downtime" if d.service else "host downtime",
            f"{d.host}!{d.service}" if d.service else d.host,
            Outcome.UNCHANGED if d.name in gone else Outcome.DONE,
            "remove",
            "already gone" if d.name in gone else ("with its host" if d.parent else ""),
            d.name,
        )
        for d in targets
    ]
    return DowntimesRemoved(
        dry_run=dry_run,
        objects=objects,
        host=host,
        service=service,
        downtimes=[
            {
                "name": d.name,
                "service": d.service,
                "author": d.author,
                "comment": d.comment,
                "start": d.start.isoformat(),
                "end": d.end.isoformat(),
            }
            for d in targets
        ],
    )
