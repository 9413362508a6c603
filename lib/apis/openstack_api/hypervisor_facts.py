"""Collect the facts and load of every hypervisor in three API calls (hypervisors, servers,
migrations)."""

from __future__ import annotations

import collections
import dataclasses
import re
from typing import Any, Counter, Dict, List, Optional

from apis.openstack_api.hypervisor_state import HypervisorFacts

UPTIME = re.compile(r"up\s+(?:(\d+)\s+days?,\s*)?(?:(\d+):(\d+)|(\d+)\s+min)")
ACTIVE_MIGRATIONS = ("queued", "preparing", "running", "post-migrating", "migrating")


def parse_uptime(text: Optional[str]) -> Optional[float]:
    """Seconds from ``uptime``-style text (`` 10:01:02 up 3 days,  4:05, ...``, ``up 5 min,``)."""
    if not text:
        return None
    match = UPTIME.search(text)
    if not match:
        return None
    days, hours, minutes, only_minutes = (int(group or 0) for group in match.groups())
    return float(days * 86400 + hours * 3600 + (minutes + only_minutes) * 60)


@dataclasses.dataclass(frozen=True)
class HypervisorLoad:
    """A hypervisor's facts with what its servers use (the sum of their flavors' vcpus and
    RAM; None when a server's flavor is not known) and its address."""

    facts: HypervisorFacts
    host_ip: Optional[str] = None
    vcpus_used: Optional[int] = 0
    memory_mb_used: Optional[int] = 0


def _plus(total: Optional[int], amount: Optional[int]) -> Optional[int]:
    return None if total is None or amount is None else total + amount


def collect_loads(conn: Any, host: Optional[str] = None) -> List[HypervisorLoad]:
    """:func:`collect_facts` with each hypervisor's load, from the same three API calls.

    The load comes from the flavors embedded in the server listing (compute API 2.47 and
    later), not from placement: no call per host. It may differ from placement's usage while
    a server migrates or resizes (placement then holds both hosts' allocations).
    """
    narrow = {"compute_host": host} if host else {}
    running: Counter = collections.Counter()
    used: Dict[str, List[Optional[int]]] = collections.defaultdict(lambda: [0, 0])
    for server in conn.compute.servers(details=True, all_projects=True, limit=1000, **narrow):
        node = server.hypervisor_hostname
        running[node] += 1
        flavor = server.flavor
        used[node][0] = _plus(used[node][0], flavor.vcpus if flavor else None)
        used[node][1] = _plus(used[node][1], flavor.ram if flavor else None)
    migrating = collections.Counter(
        migration.source_node
        for migration in conn.compute.migrations(**({"source_compute": host} if host else {}))
        if (migration.status or "").lower() in ACTIVE_MIGRATIONS
    )
    hypervisors = conn.compute.hypervisors(
        details=True, **({"hypervisor_hostname_pattern": host} if host else {})
    )
    loads = []
    for hypervisor in hypervisors:
        service = hypervisor.service_details or {}
        facts = HypervisorFacts(
            name=hypervisor.name,
            service_state=hypervisor.state,
            service_status=hypervisor.status,
            disabled_reason=service.get("disabled_reason"),
            running_vms=running.get(hypervisor.name, 0),
            uptime_seconds=parse_uptime(hypervisor.uptime),
            migrations_in_progress=migrating.get(hypervisor.name, 0),
            host=service.get("host"),
        )
        vcpus, memory = used[hypervisor.name]
        loads.append(
            HypervisorLoad(
                facts=facts,
                host_ip=hypervisor.host_ip,
                vcpus_used=vcpus,
                memory_mb_used=memory,
            )
        )
    return loads


def collect_facts(conn: Any, host: Optional[str] = None) -> List[HypervisorFacts]:
    """Facts for every hypervisor: service state/status/reason, VMs, uptime, migrations.

    With ``host`` (a compute host name), only that host's servers and migrations are listed
    and only hypervisors whose name contains it are returned: one host's state without
    listing every server of the cloud.
    """
    return [load.facts for load in collect_loads(conn, host)]
