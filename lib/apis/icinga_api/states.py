"""Icinga host and service states, and the names the pack shows for them."""

from __future__ import annotations

import enum
from typing import Any, Dict, Type


class HostState(enum.Enum):
    """Icinga host states."""

    UP = 0
    DOWN = 1


class ServiceState(enum.Enum):
    """Icinga service states."""

    OK = 0
    WARNING = 1
    CRITICAL = 2
    UNKNOWN = 3


class StateType(enum.Enum):
    """Whether a state is confirmed (hard) or still being rechecked (soft)."""

    SOFT = 0
    HARD = 1


STATES: Dict[str, Type[enum.Enum]] = {"Host": HostState, "Service": ServiceState}
"""The states of each Icinga object type, by its Icinga type name."""

STATE_FIELDS = frozenset({"state", "last_state", "last_hard_state"})
"""Fields holding a state of the object (shown by name)."""

STATE_TYPE_FIELDS = frozenset({"state_type", "last_state_type"})
"""Fields holding a :class:`StateType` (shown by name)."""


def state_name(type_name: str, field: str, value: Any) -> Any:
    """The lower-case name of a state held in ``field`` of a ``type_name`` object; other
    fields' values (and values no state has) unchanged."""
    states = STATES.get(type_name) if field in STATE_FIELDS else None
    if field in STATE_TYPE_FIELDS:
        states = StateType
    if states is None or not isinstance(value, (int, float)):
        return value
    try:
        return states(int(value)).name.lower()
    except ValueError:
        return value
