"""Start a hypervisor's maintenance: the hypervisor.maintenance.start action.

The first link of the maintenance chain, run by the rule ``hypervisor_maintenance_start_when_due``
for a DUE_FOR_MAINTENANCE host (or by an operator for any enabled, up host):

1. the concurrency bound (``hypervisor_maintenance.max_hosts_in_maintenance_per_aggregate``):
   while one of the host's aggregates already has that many hosts disabled for maintenance,
   the host is held (outcome skipped, the host stays enabled and DUE; the state sensor
   dispatches it again when a slot frees);
2. the users of the host's servers get the maintenance notice with the window (the code path
   of email.users.with.vms.on.hypervisor);
3. the host is disabled for maintenance (``[maintenance]`` reason), so the state sensor sees
   PENDING_MAINTENANCE (or DRAINED when empty) and the chain's next rules take over.

When an email is not delivered the host is not disabled and the action fails, naming the
recipients. A host already disabled for maintenance is left alone (outcome unchanged).
"""

from __future__ import annotations

import datetime
from typing import Any, Dict, List, Mapping, Optional

from apis.openstack_api.hypervisor_facts import collect_facts
from apis.openstack_api.hypervisor_service import (
    HypervisorServiceError,
    disable_hypervisor,
    find_compute_service,
)
from apis.openstack_api.hypervisor_state import (
    DEFAULT_UPTIME_LIMIT_DAYS,
    HypervisorFacts,
    HypervisorState,
    compute_state,
)
from apis.openstack_api.maintenance_slots import MaintenanceSlots, aggregates_by_host
from apis.progress import Progress
from apis.results import ChangeResult, ObjectOutcome, Outcome
from apis.timewindow import time_window
from workflows.email_common import Delivery
from workflows.email_users import email_users_with_vms_on_hypervisor
from workflows.maintenance_settings import MaintenanceSettings

STARTABLE = (
    HypervisorState.RUNNING,
    HypervisorState.EMPTY,
    HypervisorState.DUE_FOR_MAINTENANCE,
)
DEFAULT_REASON = "planned maintenance: kernel patches and a reboot"
STEPS = 3


class MaintenanceStartError(HypervisorServiceError):
    """The host cannot enter maintenance, or its users could not all be told."""


def _window(
    start: Optional[str], end: Optional[str], duration: Optional[str], site: MaintenanceSettings
) -> Dict[str, datetime.datetime]:
    try:
        begins, ends = time_window(start, end, duration or (None if end else site.notice_duration))
    except ValueError as err:
        raise MaintenanceStartError(str(err)) from None
    return {"start": begins, "end": ends}


def _host_facts(conn: Any, hypervisor: str) -> tuple:
    """The compute host, its facts and every hypervisor's facts (for the bound)."""
    service = find_compute_service(conn, hypervisor)
    facts = collect_facts(conn)
    mine = [f for f in facts if f.compute_host == service.host or f.name == hypervisor]
    if not mine:
        raise MaintenanceStartError(
            f"hypervisor {hypervisor!r} (host {service.host}) is not in nova's hypervisor list"
        )
    return service.host, mine[0], facts


def _check_startable(hypervisor: str, fact: HypervisorFacts, state: HypervisorState) -> None:
    if state in STARTABLE:
        return
    raise MaintenanceStartError(
        f"hypervisor {hypervisor!r} is {state.value} (status {fact.service_status}, reason "
        f"{fact.disabled_reason!r}); maintenance.start needs an enabled, up host: "
        + ", ".join(s.value for s in STARTABLE)
    )


def _undelivered(notified: Mapping[str, Any]) -> List[str]:
    """Who did not get the notice (recipients, else the failed emails' subjects)."""
    if not notified["failed"]:
        return []
    return sorted(set(notified["failed_recipients"])) or [
        str(entry.get("subject")) for entry in notified["failed"]
    ]


def start_maintenance(  # pylint: disable=too-many-arguments,too-many-locals
    conn: Any,
    hypervisor: str,
    delivery: Delivery,
    start: Optional[str] = None,
    end: Optional[str] = None,
    duration: Optional[str] = None,
    reason: str = DEFAULT_REASON,
    operator: Optional[str] = None,
    hypervisor_maintenance: Optional[Mapping[str, Any]] = None,
    hypervisor_sensor: Optional[Mapping[str, Any]] = None,
) -> Dict[str, Any]:
    """Hold the host if its aggregate is full; else email its users and disable it for
    maintenance (``delivery.dry_run``: only say what would happen).

    The bound and the default window come from the pack config's ``hypervisor_maintenance``,
    the uptime limit of the reported state from ``hypervisor_sensor``.
    """
    site = MaintenanceSettings.from_config(hypervisor_maintenance)
    limit = int(site.max_hosts_in_maintenance_per_aggregate)
    if limit < 1:
        raise MaintenanceStartError(
            f"hypervisor_maintenance.max_hosts_in_maintenance_per_aggregate is {limit}; "
            "it must be 1 or more"
        )
    window = _window(start, end, duration, site)
    host, fact, facts = _host_facts(conn, hypervisor)
    limit_days = (hypervisor_sensor or {}).get("uptime_limit_days", DEFAULT_UPTIME_LIMIT_DAYS)
    state = compute_state(fact, uptime_limit_days=limit_days)
    summary: Dict[str, Any] = {
        "hypervisor": host,
        "state": state.value,
        "window": {key: value.isoformat() for key, value in window.items()},
        "held": None,
        "notice": None,
        "disabled_reason": None,
    }
    progress = Progress(f"maintenance.start {host}", STEPS)
    if fact.in_maintenance:
        progress.note("already disabled for maintenance (%s)", state.value)
        why = f"already disabled for maintenance ({state.value}: {fact.disabled_reason})"
        unchanged = ObjectOutcome("hypervisor", host, Outcome.UNCHANGED, "start maintenance", why)
        return {**summary, **vars(ChangeResult(delivery.dry_run, [unchanged]))}
    _check_startable(hypervisor, fact, state)
    hold = MaintenanceSlots.of(facts, aggregates_by_host(conn), limit).hold(host)
    progress.step("slot %s", str(hold) if hold else "free")
    if hold:
        summary["held"] = {
            "aggregate": hold.aggregate,
            "count": hold.count,
            "limit": hold.limit,
            "hosts": list(hold.hosts),
        }
        held = ObjectOutcome("hypervisor", host, Outcome.SKIPPED, "start maintenance", str(hold))
        return {**summary, **vars(ChangeResult(delivery.dry_run, [held]))}
    notified = email_users_with_vms_on_hypervisor(
        conn,
        delivery,
        hypervisor_name=fact.name,
        start=summary["window"]["start"],
        end=summary["window"]["end"],
        reason=reason,
        all_projects=True,
    )
    summary["notice"] = {
        key: value
        for key, value in notified.items()
        if key not in ("objects", "changed", "dry_run")
    }
    undelivered = _undelivered(notified)
    progress.step(
        "notice to %d user(s), %d undelivered", len(notified["sent_recipients"]), len(undelivered)
    )
    if undelivered:
        raise MaintenanceStartError(
            f"the maintenance notice of {host} was not delivered to {', '.join(undelivered)}; "
            "the host stays enabled: fix the addresses or the SMTP server and start again",
            report=summary,
        )
    disabled = disable_hypervisor(
        conn,
        host,
        reason=f"{reason} until {summary['window']['end']}",
        operator=operator or "hypervisor.maintenance.start",
        maintenance=True,
        expected_status="enabled",
        dry_run=delivery.dry_run,
    )
    summary["disabled_reason"] = disabled["reason"]
    progress.step("disabled for maintenance%s", " (dry run)" if delivery.dry_run else "")
    objects = [*notified["objects"], *disabled["objects"]]
    return {**summary, **vars(ChangeResult(delivery.dry_run, objects))}
