"""Find empty hypervisors (reinstall candidates by load: :mod:`workflows.reinstall_candidates`)."""

from __future__ import annotations

from typing import Any, Dict, List

from apis.openstack_api import aggregate_flavors
from apis.openstack_api.hypervisor_facts import collect_facts
from apis.openstack_api.hypervisor_state import compute_state


def _row(fact, aggregates: List[str]) -> Dict[str, Any]:
    return {
        "hypervisor": fact.name,
        "state": compute_state(fact).value,
        "status": fact.service_status,
        "running_vms": fact.running_vms,
        "uptime_days": None if fact.uptime_days is None else round(fact.uptime_days, 1),
        "aggregates": aggregates,
    }


def find_empty(conn: Any, include_disabled: bool = True) -> Dict[str, Any]:
    """Hypervisors with no servers (enabled ones only, unless include_disabled), with the
    aggregates of their compute service host."""
    aggregates = aggregate_flavors.names_by_host(conn.compute.aggregates())
    rows = [
        _row(fact, aggregates.get(fact.compute_host, []))
        for fact in collect_facts(conn)
        if fact.running_vms == 0 and (include_disabled or fact.service_status == "enabled")
    ]
    return {"count": len(rows), "hypervisors": sorted(rows, key=lambda r: r["hypervisor"])}
