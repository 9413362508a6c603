"""Silence a host in Alertmanager and put it in Icinga downtime, as saga steps with their undo.

Shared by hypervisor.patch.reboot and hypervisor.downtime. Alertmanager requires every matcher
of a silence to match, so a host is silenced by one silence per host label (``instance``,
``hostname``): a single silence with both would only hold alerts that carry both labels.
The pack's silences carry :data:`SILENCE_MARKER` in their comment (its downtimes carry
``apis.icinga_api.downtimes.COMMENT_MARKER``), so they can be told from anyone else's.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
import time
from typing import Any, Dict, List, Optional, Tuple

from apis import clock
from apis.alertmanager_api.account import AlertmanagerAccount
from apis.alertmanager_api.exceptions import AlertmanagerTimeoutError
from apis.alertmanager_api.model import HOST_LABELS
from apis.alertmanager_api.silences import create_silence, list_silences, remove_silences
from apis.errors import CloudopsError
from apis.icinga_api.account import IcingaAccount
from apis.icinga_api.client import IcingaClient
from apis.icinga_api.downtimes import list_own_downtimes, schedule_downtime
from apis.rollback import Step, StepResult

SILENCE_MARKER = "[cloudops:maintenance]"
LATE_SILENCE_MIN_SECONDS = 2.0
LATE_SILENCE_POLL_SECONDS = 0.5
CLOCK_SKEW_SECONDS = 5


def host_matcher(host: str, label: str = "instance") -> str:
    """A matcher selecting ``host``'s alerts by ``label`` (also ``host:port``, FQDN)."""
    return f"{label}=~{re.escape(host)}([.:].*)?"


def host_silences(
    alertmanager_account: AlertmanagerAccount, host: str, only_own: bool = True
) -> List[Dict[str, Any]]:
    """Active and pending silences selecting ``host`` by a host label; with ``only_own``
    only those this pack created for maintenance."""
    found = list_silences(alertmanager_account, host=host)["rows"]
    return [
        s
        for s in found
        if s["state"] != "expired" and (not only_own or s["comment"].startswith(SILENCE_MARKER))
    ]


def pack_silences(alertmanager_account: AlertmanagerAccount, host: str) -> List[Dict[str, Any]]:
    """Active and pending silences of ``host`` that this pack created for maintenance."""
    return host_silences(alertmanager_account, host)


def silence_step_name(label: str) -> str:
    """The saga step silencing by ``label``: ``silence`` for ``instance``."""
    return "silence" if label == "instance" else f"{label} silence"


@dataclasses.dataclass(frozen=True)
class HostMute:  # pylint: disable=too-many-instance-attributes
    """Silence and downtime of one host for one window, as saga steps.

    ``window`` is ``{"duration": "2h"}`` or ``{"end": ISO time}`` (from now on); ``comment``
    is the operator's, the silences get :data:`SILENCE_MARKER` before it. Without an Icinga
    account there is no downtime step.
    """

    host: str
    alertmanager_account: AlertmanagerAccount
    icinga_account: Optional[IcingaAccount]
    comment: str
    author: str
    window: Dict[str, str]
    labels: Tuple[str, ...] = ("instance",)

    def __post_init__(self) -> None:
        unknown = [label for label in self.labels if label not in HOST_LABELS]
        if unknown:
            raise ValueError(f"host labels {unknown} are not among {HOST_LABELS}")

    @property
    def silence_comment(self) -> str:
        """The comment of the pack's silences."""
        return f"{SILENCE_MARKER} {self.comment}"

    def silence(self, label: str) -> StepResult:
        """Silence the host's alerts that carry ``label`` for the window."""
        matcher = host_matcher(self.host, label)
        asked = clock.now()
        try:
            created = create_silence(
                self.alertmanager_account,
                [matcher],
                self.silence_comment,
                author=self.author,
                **self.window,
            )
        except AlertmanagerTimeoutError as err:
            late = self.expire_late_silence(matcher, asked)
            raise AlertmanagerTimeoutError(f"{err}; {late}") from err
        return {"silence_id": created["id"], "matchers": created["matchers"]}

    def expire_late_silence(self, matcher: str, asked: datetime.datetime) -> str:
        """After a timed-out create: Alertmanager may still make the silence, so watch for it
        a little while (this run's comment and matcher, started after the request) and
        expire it."""
        grace = max(LATE_SILENCE_MIN_SECONDS, 3 * float(self.alertmanager_account.timeout or 0))
        deadline = time.monotonic() + grace
        while True:
            try:
                late = [
                    found["id"]
                    for found in pack_silences(self.alertmanager_account, self.host)
                    if found["comment"] == self.silence_comment
                    and found["matchers"] == [matcher]
                    and clock.parse(found["starts_at"])
                    >= asked - datetime.timedelta(seconds=CLOCK_SKEW_SECONDS)
                ]
                if late:
                    remove_silences(self.alertmanager_account, silence_ids=late, dry_run=False)
                    return f"the silence it made late was expired ({', '.join(late)})"
            except CloudopsError as err:
                return f"could not check for a silence made late ({err}): check the host's silences"
            if time.monotonic() > deadline:
                return f"no silence appeared within {grace:.0f}s"
            time.sleep(LATE_SILENCE_POLL_SECONDS)

    def expire_silence(self, done: StepResult) -> StepResult:
        """Expire a silence made by :meth:`silence`."""
        remove_silences(self.alertmanager_account, silence_ids=[done["silence_id"]], dry_run=False)
        return {"silence_id": done["silence_id"]}

    def downtime(self) -> StepResult:
        """Schedule a fixed downtime for the host and all its services."""
        scheduled = schedule_downtime(
            self.icinga_account,
            self.host,
            self.comment,
            all_services=True,
            author=self.author,
            **self.window,
        )
        return {"downtimes": scheduled["downtimes"], "end": scheduled["end"]}

    def remove_downtime(self, done: StepResult) -> StepResult:
        """Remove the downtimes made by :meth:`downtime` (children go with their host)."""
        removed: List[str] = []
        with IcingaClient(self.icinga_account) as client:
            for downtime in list_own_downtimes(client, self.host):
                if downtime.name not in done["downtimes"] or downtime.parent in removed:
                    continue
                if client.remove_downtime(downtime.name):
                    removed.append(downtime.name)
        return {"removed": removed}

    def steps(self, keep: bool = False) -> List[Step]:
        """One silence step per label, then the downtime (with an Icinga account); with
        ``keep`` none is undone when a later step fails."""
        steps = [
            Step(
                silence_step_name(label),
                lambda label=label: self.silence(label),
                None if keep else self.expire_silence,
            )
            for label in self.labels
        ]
        if self.icinga_account is not None:
            steps.append(Step("downtime", self.downtime, None if keep else self.remove_downtime))
        return steps
