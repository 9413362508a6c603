"""Collect the facts of every hypervisor in three API calls (hypervisors, servers, migrations),
or two (hypervisors with their servers, migrations)."""

from __future__ import annotations

import collections
import dataclasses
import re
from typing import Any, Counter, List, Optional

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


def _facts(hypervisor: Any, running_vms: int, migrating: Counter) -> HypervisorFacts:
    service = hypervisor.service_details or {}
    return HypervisorFacts(
        name=hypervisor.name,
        service_state=hypervisor.state,
        service_status=hypervisor.status,
        disabled_reason=service.get("disabled_reason"),
        running_vms=running_vms,
        uptime_seconds=parse_uptime(hypervisor.uptime),
        migrations_in_progress=migrating.get(hypervisor.name, 0),
        host=service.get("host"),
    )


def _migrating(conn: Any, host: Optional[str] = None) -> Counter:
    return collections.Counter(
        migration.source_node
        for migration in conn.compute.migrations(**({"source_compute": host} if host else {}))
        if (migration.status or "").lower() in ACTIVE_MIGRATIONS
    )


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
    migrating = _migrating(conn, host)
    hypervisors = conn.compute.hypervisors(
        details=True, **({"hypervisor_hostname_pattern": host} if host else {})
    )
    return [_facts(h, running.get(h.name, 0), migrating) for h in hypervisors]


@dataclasses.dataclass(frozen=True)
class HypervisorListing:
    """A hypervisor's facts with its address and its placement resource provider."""

    facts: HypervisorFacts
    host_ip: Optional[str]
    provider_id: str


def collect_listings(conn: Any) -> List[HypervisorListing]:
    """The facts of every hypervisor without listing the cloud's servers: two calls, the
    detailed hypervisor listing with each one's servers (compute API 2.53+) and the
    migrations."""
    migrating = _migrating(conn)
    return [
        HypervisorListing(
            facts=_facts(h, len(h.servers or []), migrating), host_ip=h.host_ip, provider_id=h.id
        )
        for h in conn.compute.hypervisors(details=True, with_servers=True)
    ]
