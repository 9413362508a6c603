"""One poll of the hypervisor state sensor: current states, and which changed since last time.

A DUE_FOR_MAINTENANCE host that ``hypervisor.maintenance.start`` held (its aggregate had no
free maintenance slot) gets its chance again when a slot frees: in the poll that sees a host of
its aggregate leave maintenance, the sensor dispatches the change again (previous and current
both DUE_FOR_MAINTENANCE) for as many waiting DUE hosts as the aggregate has free slots,
longest up first. A host held for another reason (e.g. emailing failed) is not retried by
itself; an operator runs the start again.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any, Dict, List, Mapping, Optional, Sequence, Set, Tuple

from apis.openstack_api.connection import connect
from apis.openstack_api.hypervisor_facts import collect_facts
from apis.openstack_api.hypervisor_state import (
    DEFAULT_REBOOT_WINDOW_SECONDS,
    DEFAULT_UPTIME_LIMIT_DAYS,
    MAINTENANCE_STATES,
    HypervisorFacts,
    HypervisorState,
    StateChange,
    changes,
    compute_state,
)
from apis.openstack_api.maintenance_slots import (
    DEFAULT_MAX_HOSTS_IN_MAINTENANCE,
    MaintenanceSlots,
    aggregates_by_host,
)

DATASTORE_KEY = "hypervisor_states"
TRIGGER = "cloudops.hypervisor.state_change"
DUE = HypervisorState.DUE_FOR_MAINTENANCE.value
WAS_IN_MAINTENANCE = {state.value for state in MAINTENANCE_STATES} | {HypervisorState.DOWN.value}


def load_states(stored: Optional[str]) -> Dict[str, str]:
    """The states recorded by the last poll (a JSON object in the datastore)."""
    if not stored:
        return {}
    try:
        states = json.loads(stored)
    except ValueError:
        return {}
    return states if isinstance(states, dict) else {}


def due_again(
    facts: Sequence[HypervisorFacts],
    states: Mapping[str, str],
    previous: Mapping[str, str],
    slots: MaintenanceSlots,
) -> List[StateChange]:
    """DUE hosts to dispatch again because a host of their aggregate left maintenance."""
    freed: Set[str] = set()
    for fact in facts:
        left = previous.get(fact.name) in WAS_IN_MAINTENANCE and not fact.in_maintenance
        if left and states[fact.name] != HypervisorState.DOWN.value:
            freed.update(slots.groups_of(fact.compute_host))
    due = sorted(
        (fact for fact in facts if states[fact.name] == DUE),
        key=lambda fact: (-(fact.uptime_seconds or 0), fact.name),
    )
    again: List[StateChange] = []
    for group in sorted(freed):
        members = [fact for fact in due if group in slots.groups_of(fact.compute_host)]
        free = slots.free(group) - sum(1 for fact in members if previous.get(fact.name) != DUE)
        waiting = [
            fact
            for fact in members
            if previous.get(fact.name) == DUE and fact.name not in {c.name for c in again}
        ]
        again.extend(StateChange(fact.name, DUE, DUE) for fact in waiting[: max(0, free)])
    return again


def poll(  # pylint: disable=too-many-arguments
    cloud_account: str,
    previous: Dict[str, str],
    reboot_window_seconds: float = DEFAULT_REBOOT_WINDOW_SECONDS,
    uptime_limit_days: Optional[float] = DEFAULT_UPTIME_LIMIT_DAYS,
    max_hosts_in_maintenance: int = DEFAULT_MAX_HOSTS_IN_MAINTENANCE,
) -> Tuple[List[Dict[str, Any]], str]:
    """Trigger payloads for changed hypervisors (and DUE ones given another chance), and the
    JSON of every current state.

    Each payload names the cloud, so a rule can hand it on to the action it runs.
    """
    with connect(cloud_account) as conn:
        facts = collect_facts(conn)
        states = {
            fact.name: compute_state(fact, reboot_window_seconds, uptime_limit_days).value
            for fact in facts
        }
        found = changes(facts, previous, reboot_window_seconds, uptime_limit_days)
        if DUE in states.values():
            slots = MaintenanceSlots.of(facts, aggregates_by_host(conn), max_hosts_in_maintenance)
            found.extend(due_again(facts, states, previous, slots))
    payloads = [{**dataclasses.asdict(change), "cloud_account": cloud_account} for change in found]
    return payloads, json.dumps(states, sort_keys=True)
