"""The concurrency bound of hypervisor maintenance: at most N hosts per aggregate at once.

A host counts as in maintenance while its compute service is disabled for maintenance
(PENDING_MAINTENANCE, DRAINING, DRAINED, REBOOTED, or DOWN while it reboots). Hosts in no
aggregate form one group of their own; a host in several aggregates needs a free slot in each.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from apis.openstack_api.aggregate_flavors import names_by_host
from apis.openstack_api.hypervisor_state import HypervisorFacts

NO_AGGREGATE = "(no aggregate)"
DEFAULT_MAX_HOSTS_IN_MAINTENANCE = 1


def aggregates_by_host(conn: Any) -> Dict[str, List[str]]:
    """The names of the aggregates of each compute host (hosts in none are left out)."""
    return names_by_host(conn.compute.aggregates())


@dataclasses.dataclass(frozen=True)
class Hold:
    """Why a host may not enter maintenance now: one of its aggregates is full."""

    aggregate: str
    count: int
    limit: int
    hosts: Tuple[str, ...]

    def __str__(self) -> str:
        return (
            f"held: aggregate {self.aggregate} has {self.count} of {self.limit} in maintenance "
            f"(hosts {', '.join(self.hosts)})"
        )


@dataclasses.dataclass(frozen=True)
class MaintenanceSlots:
    """Which hosts are in maintenance in each group, and the bound per group."""

    limit: int
    groups: Mapping[str, Tuple[str, ...]]
    busy: Mapping[str, Tuple[str, ...]]

    @classmethod
    def of(
        cls,
        facts: Iterable[HypervisorFacts],
        aggregates: Mapping[str, Sequence[str]],
        limit: int = DEFAULT_MAX_HOSTS_IN_MAINTENANCE,
    ) -> "MaintenanceSlots":
        """The slots of a cloud from every hypervisor's facts and the aggregates by host."""
        groups: Dict[str, Tuple[str, ...]] = {}
        busy: Dict[str, List[str]] = {}
        for fact in facts:
            host = fact.compute_host
            groups[host] = tuple(sorted(aggregates.get(host) or ())) or (NO_AGGREGATE,)
            if fact.in_maintenance:
                for group in groups[host]:
                    busy.setdefault(group, []).append(host)
        return cls(
            limit=int(limit),
            groups=groups,
            busy={group: tuple(sorted(hosts)) for group, hosts in busy.items()},
        )

    def groups_of(self, host: str) -> Tuple[str, ...]:
        """The aggregates of ``host`` (or the no-aggregate group)."""
        return self.groups.get(host) or (NO_AGGREGATE,)

    def free(self, group: str) -> int:
        """How many more hosts of ``group`` may enter maintenance now."""
        return max(0, self.limit - len(self.busy.get(group, ())))

    def hold(self, host: str) -> Optional[Hold]:
        """Why ``host`` must wait (its first full aggregate), or None when it may start."""
        for group in self.groups_of(host):
            others = tuple(h for h in self.busy.get(group, ()) if h != host)
            if len(others) >= self.limit:
                return Hold(group, len(others), self.limit, others)
        return None
