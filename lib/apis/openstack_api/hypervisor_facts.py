"""Collect the facts of every hypervisor in three API calls (hypervisors, servers, migrations)."""

from __future__ import annotations

import collections
import re
from typing import Any, List, Optional

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


def collect_facts(conn: Any, host: Optional[str] = None) -> List[HypervisorFacts]:
    """Facts for every hypervisor: service state/status/reason, VMs, uptime, migrations.

    With ``host`` (a compute host name), only that host's servers and migrations are listed
    and only hypervisors whose name contains it are returned: one host's state without
    listing every server of the cloud.
    """
    narrow = {"compute_host": host} if host else {}
    running = collections.Counter(
        server.hypervisor_hostname
        for server in conn.compute.servers(details=True, all_projects=True, limit=1000, **narrow)
    )
    migrating = collections.Counter(
        migration.source_node
        for migration in conn.compute.migrations(**({"source_compute": host} if host else {}))
        if (migration.status or "").lower() in ACTIVE_MIGRATIONS
    )
    hypervisors = conn.compute.hypervisors(
        details=True, **({"hypervisor_hostname_pattern": host} if host else {})
    )
    facts = []
    for hypervisor in hypervisors:
        service = hypervisor.service_details or {}
        facts.append(
            HypervisorFacts(
                name=hypervisor.name,
                service_state=hypervisor.state,
                service_status=hypervisor.status,
                disabled_reason=service.get("disabled_reason"),
                running_vms=running.get(hypervisor.name, 0),
                uptime_seconds=parse_uptime(hypervisor.uptime),
                migrations_in_progress=migrating.get(hypervisor.name, 0),
                host=service.get("host"),
            )
        )
    return facts
