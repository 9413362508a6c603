"""Find Icinga hosts or services by filter expression or by name (glob) and state, with the
columns and joins asked for."""

from __future__ import annotations

import enum
from typing import Any, Dict, List, Mapping, Optional, Sequence, Type

from apis import clock
from apis.icinga_api.account import IcingaAccount
from apis.icinga_api.client import IcingaClient
from apis.icinga_api.columns import Column, asked, attr_columns, join_columns
from apis.icinga_api.exceptions import IcingaParameterError
from apis.icinga_api.filters import Shorthand, build_filter
from apis.icinga_api.object_types import TypeCatalog
from apis.icinga_api.states import STATES
from apis.search_results import OutputType, search_result


class ObjectType(enum.Enum):
    """What to search."""

    HOST = "host"
    SERVICE = "service"

    @property
    def icinga_name(self) -> str:
        """The Icinga type name (``Host``, ``Service``)."""
        return self.value.capitalize()


_DEFAULT_ATTRS = (
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


def _default_row(kind: ObjectType, attrs: Dict[str, Any]) -> Dict[str, Any]:
    result = attrs.get("last_check_result") or {}
    last_check = attrs.get("last_check") or 0
    row = {
        "name": attrs["name"],
        "state": STATES[kind.icinga_name](int(attrs["state"])).name.lower(),
        "output": result.get("output"),
        "in_downtime": bool(attrs.get("downtime_depth")),
        "acknowledged": bool(attrs.get("acknowledgement")),
        "last_check": (clock.from_epoch(last_check).isoformat() if last_check > 0 else None),
    }
    if kind is ObjectType.SERVICE:
        row["host"] = attrs["host_name"]
    return row


def _shorthands(
    kind: ObjectType, name: Optional[str], state: Optional[str], host: Optional[str]
) -> List[Shorthand]:
    if host and kind is ObjectType.HOST:
        raise IcingaParameterError("host only narrows object_type=service; use name for hosts")
    prefix = kind.value
    shorthands = []
    if name:
        shorthands.append(Shorthand(f"match(cloudops_name, {prefix}.name)", "cloudops_name", name))
    if state:
        value = _choice("state", state, STATES[kind.icinga_name]).value
        shorthands.append(Shorthand(f"{prefix}.state==cloudops_state", "cloudops_state", value))
    if host:
        shorthands.append(Shorthand("match(cloudops_host, host.name)", "cloudops_host", host))
    return shorthands


def _columns(
    client: IcingaClient, kind: ObjectType, attrs: Sequence[str], joins: Sequence[str]
) -> List[Column]:
    catalog = TypeCatalog(client.types())
    icinga_type = catalog[kind.icinga_name]
    return attr_columns(icinga_type, attrs) + join_columns(catalog, icinga_type, joins)


def search(
    icinga_account: IcingaAccount,
    object_type: str = ObjectType.HOST.value,
    name: Optional[str] = None,
    state: Optional[str] = None,
    host: Optional[str] = None,
    filter: Optional[str] = None,  # pylint: disable=redefined-builtin
    filter_vars: Optional[Mapping[str, Any]] = None,
    attrs: Optional[Sequence[str]] = None,
    joins: Optional[Sequence[str]] = None,
    output_type: str = OutputType.PROPS.value,
) -> Dict[str, Any]:
    """Hosts or services matching the Icinga filter expression ``filter`` (its values in
    ``filter_vars``) and the shorthands: name glob ``name`` (``*`` and ``?``), ``state``
    and, for services, host name glob ``host``.

    Rows have the columns ``attrs`` then ``joins`` (checked against Icinga's
    ``/v1/types``); without ``attrs``, name, state, output, in_downtime, acknowledged,
    last_check (and host) then ``joins``. The search result (``apis.search_results``) with
    the ``object_type``.
    """
    OutputType.from_string(output_type)
    kind = _choice("object_type", object_type, ObjectType)
    query = build_filter(filter, filter_vars, _shorthands(kind, name, state, host))
    with IcingaClient(icinga_account) as client:
        columns = _columns(client, kind, attrs or (), joins or ()) if attrs or joins else []
        attr_names, join_names = asked(columns)
        if not attrs:
            attr_names = [
                a for a in _DEFAULT_ATTRS if kind is ObjectType.SERVICE or a != "host_name"
            ]
        items = client.objects(
            f"{kind.value}s", query.expression, query.variables, attr_names, join_names
        )
    items.sort(key=lambda item: item["name"])
    rows = [
        {
            **({} if attrs else _default_row(kind, item["attrs"])),
            **{column.key: column.value(item) for column in columns},
        }
        for item in items
    ]
    hint = (
        f"no {kind.value} matched; loosen name, state, host or filter (an Icinga filter "
        f'expression over {kind.value}.*, e.g. "{kind.value}.vars.role == role")'
    )
    return search_result(rows, output_type, hint=hint, object_type=kind.value)
