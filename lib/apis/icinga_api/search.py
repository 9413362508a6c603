"""Find Icinga hosts or services by name (glob) and state."""

from __future__ import annotations

import enum
from typing import Any, Dict, List, Optional, Type

from apis import clock
from apis.icinga_api.account import IcingaAccount
from apis.icinga_api.client import IcingaClient
from apis.icinga_api.exceptions import IcingaParameterError
from apis.search_results import OutputType, search_result


class ObjectType(enum.Enum):
    """What to search."""

    HOST = "host"
    SERVICE = "service"


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


_STATES: Dict[ObjectType, Type[enum.Enum]] = {
    ObjectType.HOST: HostState,
    ObjectType.SERVICE: ServiceState,
}
_ATTRS = (
    "name",
    "display_name",
    "host_name",
    "state",
    "last_check",
    "last_check_result",
    "downtime_depth",
    "acknowledgement",
)


def _choice(name: str, value: str, enum_type: Type[enum.Enum]) -> Any:
    members = {member.name.lower(): member for member in enum_type}
    if value.lower() not in members:
        raise IcingaParameterError(f"{name} {value!r} is not one of: {', '.join(members)}")
    return members[value.lower()]


def _row(kind: ObjectType, attrs: Dict[str, Any]) -> Dict[str, Any]:
    result = attrs.get("last_check_result") or {}
    last_check = attrs.get("last_check") or 0
    row = {
        "name": attrs["name"],
        "state": _STATES[kind](int(attrs["state"])).name.lower(),
        "output": result.get("output"),
        "in_downtime": bool(attrs.get("downtime_depth")),
        "acknowledged": bool(attrs.get("acknowledgement")),
        "last_check": (clock.from_epoch(last_check).isoformat() if last_check > 0 else None),
    }
    if kind is ObjectType.SERVICE:
        row["host"] = attrs["host_name"]
    return row


def search(
    icinga_account: IcingaAccount,
    object_type: str = ObjectType.HOST.value,
    name: Optional[str] = None,
    state: Optional[str] = None,
    host: Optional[str] = None,
    output_type: str = OutputType.PROPS.value,
) -> Dict[str, Any]:
    """Hosts or services whose name matches the glob ``name`` (``*`` and ``?``), in
    ``state``; for services, only those of hosts matching the glob ``host``; the search
    result (``apis.search_results``) with the ``object_type``."""
    OutputType.from_string(output_type)
    kind = _choice("object_type", object_type, ObjectType)
    if host and kind is ObjectType.HOST:
        raise IcingaParameterError("host only narrows object_type=service; use name for hosts")
    prefix = kind.value
    clauses: List[str] = []
    variables: Dict[str, Any] = {}
    if name:
        clauses.append(f"match(cloudops_name, {prefix}.name)")
        variables["cloudops_name"] = name
    if state:
        clauses.append(f"{prefix}.state==cloudops_state")
        variables["cloudops_state"] = _choice("state", state, _STATES[kind]).value
    if host:
        clauses.append("match(cloudops_host, host.name)")
        variables["cloudops_host"] = host
    attrs = [a for a in _ATTRS if kind is ObjectType.SERVICE or a != "host_name"]
    with IcingaClient(icinga_account) as client:
        items = client.objects(f"{prefix}s", " && ".join(clauses) or None, variables, attrs)
    rows = sorted(
        (_row(kind, item["attrs"]) for item in items),
        key=lambda row: (row.get("host", ""), row["name"]),
    )
    return search_result(rows, output_type, object_type=kind.value)
