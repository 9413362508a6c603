"""The hypervisor state machine: one state per hypervisor from facts nova already has.

enabled, up longer than the uptime limit -------------------> DUE_FOR_MAINTENANCE
enabled  --------------------------------------------------> RUNNING (VMs) / EMPTY
disabled, other reason ------------------------------------> DISABLED
disabled for maintenance, migrations running --------------> DRAINING
disabled for maintenance, VMs left ------------------------> PENDING_MAINTENANCE
disabled for maintenance, no VMs, booted recently ---------> REBOOTED
disabled for maintenance, no VMs --------------------------> DRAINED
compute service down ---------------------------------------> DOWN
facts missing ----------------------------------------------> UNKNOWN

The uptime limit (``uptime_limit_days``, default 180; 0 or None: never due) marks hosts past
their kernel-patch limit; ``hypervisor.maintenance.start`` takes a DUE host into the chain.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Dict, Iterable, List, Optional

MAINTENANCE_TAG = "[maintenance]"
DEFAULT_REBOOT_WINDOW_SECONDS = 3600
DEFAULT_UPTIME_LIMIT_DAYS = 180.0
SECONDS_PER_DAY = 86400


class HypervisorState(enum.Enum):
    """Where a hypervisor is in its maintenance cycle."""

    RUNNING = "RUNNING"
    EMPTY = "EMPTY"
    DUE_FOR_MAINTENANCE = "DUE_FOR_MAINTENANCE"
    PENDING_MAINTENANCE = "PENDING_MAINTENANCE"
    DRAINING = "DRAINING"
    DRAINED = "DRAINED"
    REBOOTED = "REBOOTED"
    DISABLED = "DISABLED"
    DOWN = "DOWN"
    UNKNOWN = "UNKNOWN"


MAINTENANCE_STATES = (
    HypervisorState.PENDING_MAINTENANCE,
    HypervisorState.DRAINING,
    HypervisorState.DRAINED,
    HypervisorState.REBOOTED,
)
"""The states of a host disabled for maintenance (a rebooting one may also be DOWN)."""


@dataclasses.dataclass(frozen=True)
class HypervisorFacts:
    """What the state is computed from (None: not known)."""

    name: str
    service_state: Optional[str]
    service_status: Optional[str]
    disabled_reason: Optional[str] = None
    running_vms: Optional[int] = None
    uptime_seconds: Optional[float] = None
    migrations_in_progress: int = 0
    host: Optional[str] = None

    @property
    def compute_host(self) -> str:
        """The compute service host (aggregates list these), else the hypervisor name."""
        return self.host or self.name

    @property
    def uptime_days(self) -> Optional[float]:
        """Days up (None: not reported)."""
        return None if self.uptime_seconds is None else self.uptime_seconds / SECONDS_PER_DAY

    @property
    def in_maintenance(self) -> bool:
        """Whether the host is disabled for maintenance (whatever its state, even DOWN)."""
        return (self.service_status or "").lower() == "disabled" and for_maintenance(
            self.disabled_reason
        )


@dataclasses.dataclass(frozen=True)
class StateChange:
    """A hypervisor whose state differs from the last one recorded."""

    name: str
    previous: Optional[str]
    current: str


def for_maintenance(reason: Optional[str]) -> bool:
    """Whether a disabled reason says the host was disabled for maintenance."""
    return bool(reason) and "maintenance" in reason.lower()


def past_uptime_limit(facts: HypervisorFacts, uptime_limit_days: Optional[float]) -> bool:
    """Whether the host has been up longer than ``uptime_limit_days`` (0 or None: never)."""
    if not uptime_limit_days or facts.uptime_seconds is None:
        return False
    return facts.uptime_seconds > float(uptime_limit_days) * SECONDS_PER_DAY


def compute_state(  # pylint: disable=too-many-return-statements
    facts: HypervisorFacts,
    reboot_window_seconds: float = DEFAULT_REBOOT_WINDOW_SECONDS,
    uptime_limit_days: Optional[float] = DEFAULT_UPTIME_LIMIT_DAYS,
) -> HypervisorState:
    """The state for one hypervisor's facts (the table in the module docstring, in order)."""
    if facts.service_state is None or facts.service_status is None:
        return HypervisorState.UNKNOWN
    if facts.service_state.lower() == "down":
        return HypervisorState.DOWN
    if facts.running_vms is None:
        return HypervisorState.UNKNOWN
    if facts.service_status.lower() == "enabled":
        if past_uptime_limit(facts, uptime_limit_days):
            return HypervisorState.DUE_FOR_MAINTENANCE
        return HypervisorState.RUNNING if facts.running_vms else HypervisorState.EMPTY
    if not for_maintenance(facts.disabled_reason):
        return HypervisorState.DISABLED
    if facts.migrations_in_progress:
        return HypervisorState.DRAINING
    if facts.running_vms:
        return HypervisorState.PENDING_MAINTENANCE
    if facts.uptime_seconds is not None and facts.uptime_seconds < reboot_window_seconds:
        return HypervisorState.REBOOTED
    return HypervisorState.DRAINED


def changes(
    facts: Iterable[HypervisorFacts],
    previous: Dict[str, str],
    reboot_window_seconds: float = DEFAULT_REBOOT_WINDOW_SECONDS,
    uptime_limit_days: Optional[float] = DEFAULT_UPTIME_LIMIT_DAYS,
) -> List[StateChange]:
    """The hypervisors whose state is not the one recorded in ``previous`` (new ones too)."""
    found = []
    for fact in facts:
        current = compute_state(fact, reboot_window_seconds, uptime_limit_days).value
        if previous.get(fact.name) != current:
            found.append(StateChange(fact.name, previous.get(fact.name), current))
    return found
