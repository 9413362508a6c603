"""Find hypervisors to act on: empty ones, and candidates for a reinstall."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from apis.openstack_api.hypervisor_facts import collect_facts
from apis.openstack_api.hypervisor_state import compute_state


def _row(fact, aggregates: Dict[str, List[str]]) -> Dict[str, Any]:
    return {
        "hypervisor": fact.name,
        "state": compute_state(fact).value,
        "status": fact.service_status,
        "running_vms": fact.running_vms,
        "uptime_days": (
            None if fact.uptime_seconds is None else round(fact.uptime_seconds / 86400, 1)
        ),
        "aggregates": aggregates.get(fact.name, []),
    }


def _aggregates_by_host(conn) -> Dict[str, List[str]]:
    hosts: Dict[str, List[str]] = {}
    for aggregate in conn.compute.aggregates():
        for host in aggregate.hosts or []:
            hosts.setdefault(host, []).append(aggregate.name)
    return hosts


def find_empty(conn: Any, include_disabled: bool = True) -> Dict[str, Any]:
    """Hypervisors with no servers (enabled ones only, unless include_disabled)."""
    facts = collect_facts(conn)
    aggregates = _aggregates_by_host(conn)
    rows = [
        _row(fact, aggregates)
        for fact in facts
        if fact.running_vms == 0 and (include_disabled or fact.service_status == "enabled")
    ]
    return {"count": len(rows), "hypervisors": sorted(rows, key=lambda r: r["hypervisor"])}


def find_reinstall_candidates(
    conn: Any,
    min_uptime_days: float = 90,
    not_in_aggregate: Optional[str] = None,
    include_unknown_uptime: bool = False,
) -> Dict[str, Any]:
    """Empty, enabled hypervisors up for at least ``min_uptime_days``, outside an aggregate."""
    facts = collect_facts(conn)
    aggregates = _aggregates_by_host(conn)
    rows = []
    for fact in facts:
        if fact.running_vms or fact.service_status != "enabled" or fact.service_state != "up":
            continue
        if not_in_aggregate and not_in_aggregate in aggregates.get(fact.name, []):
            continue
        if fact.uptime_seconds is None:
            if not include_unknown_uptime:
                continue
        elif fact.uptime_seconds < min_uptime_days * 86400:
            continue
        rows.append(_row(fact, aggregates))
    return {"count": len(rows), "hypervisors": sorted(rows, key=lambda r: r["hypervisor"])}
