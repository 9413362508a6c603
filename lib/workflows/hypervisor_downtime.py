"""Quiet a hypervisor's monitoring for a window and lift it again: the hypervisor.downtime and
hypervisor.downtime.remove actions.

hypervisor.downtime silences the host in Alertmanager (one silence per host label,
``instance`` and ``hostname``) and schedules a fixed Icinga downtime for it and all its
services, from now until ``end`` or for ``duration``: one window, the steps of
``workflows.host_mute`` run as a saga, so a failed downtime expires the silences again.

hypervisor.downtime.remove expires the host's silences and removes its downtimes: the
pack's own, or with ``include_others`` every one of the host, whoever made it.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any, Dict, List, Optional

from apis import clock
from apis.alertmanager_api.account import AlertmanagerAccount
from apis.alertmanager_api.model import HOST_LABELS
from apis.alertmanager_api.silences import remove_silences, silence_body
from apis.errors import CloudopsError
from apis.icinga_api.account import IcingaAccount
from apis.icinga_api.downtimes import downtime_outcome, downtime_schedule, remove_downtimes
from apis.progress import Progress
from apis.results import ChangeResult, ObjectOutcome, Outcome
from apis.rollback import error_of, run_saga, summary
from apis.timewindow import time_window
from workflows.host_mute import HostMute, host_matcher, host_silences

LOG = logging.getLogger(__name__)
DEFAULT_AUTHOR = "cloudops"


class HypervisorDowntimeError(CloudopsError):
    """A parameter is not valid, or a step failed (the report says what was rolled back)."""


def window_end(end: Optional[str], duration: Optional[str]) -> str:
    """The end of a window from now: ``end`` (ISO 8601) or now + ``duration`` ("2d 6h")."""
    try:
        _, finish = time_window(None, end, duration)
    except ValueError as err:
        raise HypervisorDowntimeError(
            f"{err} (end: an ISO 8601 time such as 2030-01-31T08:00:00Z; duration: weeks, "
            "days, hours, minutes and seconds such as 2d 6h, 90m or 1w)"
        ) from None
    return clock.isoformat_z(finish)


@dataclasses.dataclass
class HypervisorDowntime(ChangeResult):
    """The change result (one object per silence and per downtime) and the window."""

    hypervisor: str
    end: str
    silence_ids: List[str]
    downtimes: List[str]


def _silence(label: str, host: str, silence_id: Optional[str] = None) -> ObjectOutcome:
    return ObjectOutcome(
        "silence", host_matcher(host, label), Outcome.DONE, "create", id=silence_id
    )


def hypervisor_downtime(  # pylint: disable=too-many-arguments
    alertmanager_account: AlertmanagerAccount,
    icinga_account: IcingaAccount,
    hypervisor: str,
    comment: str,
    end: Optional[str] = None,
    duration: Optional[str] = None,
    author: str = DEFAULT_AUTHOR,
    dry_run: bool = True,
) -> HypervisorDowntime:
    """Silence ``hypervisor`` in Alertmanager and put it and its services in Icinga downtime
    from now until ``end`` or for ``duration``; on a failure undo what was done."""
    if not str(comment or "").strip():
        raise HypervisorDowntimeError("comment: say why the host is quiet (a ticket key)")
    if not str(author or "").strip():
        raise HypervisorDowntimeError("author: name who asked for it")
    mute = HostMute(
        host=hypervisor,
        alertmanager_account=alertmanager_account,
        icinga_account=icinga_account,
        comment=comment.strip(),
        author=author.strip(),
        window={"end": window_end(end, duration)},
        labels=HOST_LABELS,
    )
    fields = {"hypervisor": hypervisor, "end": mute.window["end"]}
    if dry_run:
        for label in mute.labels:
            silence_body(
                [host_matcher(hypervisor, label)], mute.silence_comment, mute.author, **mute.window
            )
        planned = downtime_schedule(
            icinga_account,
            hypervisor,
            mute.comment,
            author=mute.author,
            dry_run=True,
            **mute.window,
        )
        objects = [_silence(label, hypervisor) for label in mute.labels] + planned.objects
        return HypervisorDowntime(
            dry_run=True, objects=objects, silence_ids=[], downtimes=[], **fields
        )
    steps = mute.steps()
    ok, report = run_saga(steps, error_of, Progress(f"downtime {hypervisor}", len(steps), LOG))
    if not ok:
        (failed,) = [s for s in report["steps"] if s["outcome"] == "failed"]
        raise HypervisorDowntimeError(
            f"hypervisor.downtime of {hypervisor}: step {failed['step']!r} failed: "
            f"{failed['error']}; {summary(report['rollback'])}",
            report={**fields, **report},
        )
    done = {entry["step"]: entry for entry in report["steps"]}
    silence_ids = [done[step.name]["silence_id"] for step in steps[: len(mute.labels)]]
    downtimes = sorted(done["downtime"]["downtimes"])
    objects = [_silence(label, hypervisor, i) for label, i in zip(mute.labels, silence_ids)]
    objects += [downtime_outcome(name.rsplit("!", 1)[0], name) for name in downtimes]
    return HypervisorDowntime(
        dry_run=False, objects=objects, silence_ids=silence_ids, downtimes=downtimes, **fields
    )


@dataclasses.dataclass
class HypervisorDowntimeRemoved(ChangeResult):
    """The change result (one object per silence and per downtime) and what was found."""

    hypervisor: str
    include_others: bool
    silences: List[Dict[str, Any]]
    downtimes: List[Dict[str, Any]]


def hypervisor_downtime_remove(
    alertmanager_account: AlertmanagerAccount,
    icinga_account: IcingaAccount,
    hypervisor: str,
    include_others: bool = False,
    dry_run: bool = True,
) -> HypervisorDowntimeRemoved:
    """Remove ``hypervisor``'s Icinga downtimes and expire its silences: only the pack's own
    unless ``include_others`` (then every one of the host, whoever made it)."""
    silences = host_silences(alertmanager_account, hypervisor, only_own=not include_others)
    removed = remove_downtimes(
        icinga_account, hypervisor, dry_run=dry_run, include_others=include_others
    )
    objects = list(removed.objects)
    if silences:
        ids = [s["id"] for s in silences]
        objects += remove_silences(alertmanager_account, silence_ids=ids, dry_run=dry_run).objects
    return HypervisorDowntimeRemoved(
        dry_run=dry_run,
        objects=objects,
        hypervisor=hypervisor,
        include_others=include_others,
        silences=silences,
        downtimes=removed.downtimes,
    )
