"""The columns an operator picks for an Icinga search: attributes of the objects (``attrs``)
and of the objects they join (``joins``), each checked against what Icinga offers.

A column may look into a dictionary attribute: ``vars.rack`` is the ``rack`` custom variable
(Icinga is asked for ``vars``), ``host.vars.rack`` the host's. Timestamps are shown in ISO
UTC (None before the first), states and state types by name.
"""

from __future__ import annotations

import dataclasses
import difflib
from typing import Any, Iterable, List, Mapping, Optional, Sequence, Tuple

from apis import clock
from apis.icinga_api.exceptions import IcingaParameterError
from apis.icinga_api.object_types import IcingaType, TypeCatalog
from apis.icinga_api.states import state_name


@dataclasses.dataclass(frozen=True)
class Column:
    """One column: ``key`` as the operator wrote it; ``field`` of the object (or of the
    ``join``ed one; None: the whole joined object) of Icinga type ``field_type`` in
    ``owner``, and the ``path`` looked up inside it."""

    key: str
    owner: str
    field: Optional[str]
    field_type: Optional[str] = None
    join: Optional[str] = None
    path: Tuple[str, ...] = ()

    @property
    def asked(self) -> str:
        """What Icinga is asked for: the attribute, or ``join.field`` in joins."""
        return ".".join(p for p in (self.join, self.field) if p)

    def value(self, item: Mapping[str, Any]) -> Any:
        """This column's value in one object of Icinga's answer, as shown to the operator."""
        value: Any = (item.get("joins") or {}).get(self.join) if self.join else item["attrs"]
        for key in (self.field, *self.path) if self.field else self.path:
            value = value.get(key) if isinstance(value, Mapping) else None
        if self.path or self.field is None:
            return value
        if self.field_type == "Timestamp":
            return clock.from_epoch(value).isoformat() if value and value > 0 else None
        return state_name(self.owner, self.field, value)


def _unknown(parameter: str, given: str, part: str, what: str, valid: Iterable[str]) -> str:
    choices = list(valid)
    close = difflib.get_close_matches(part, choices, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"{parameter} {given!r}: {part!r} is not {what}{hint}; valid: {', '.join(choices)}"


def _field_column(
    parameter: str, given: str, kind: IcingaType, dotted: str, join: Optional[str] = None
) -> Column:
    field, *path = dotted.split(".")
    if field not in kind.fields:
        raise IcingaParameterError(
            _unknown(parameter, given, field, f"a {kind.name} attribute", kind.fields)
        )
    if path and kind.fields[field] != "Dictionary":
        raise IcingaParameterError(
            f"{parameter} {given!r}: {field} is a {kind.fields[field]}, not a dictionary to "
            f"look into; use {'.'.join(p for p in (join, field) if p)!r}"
        )
    return Column(given, kind.name, field, kind.fields[field], join, tuple(path))


def attr_columns(kind: IcingaType, attrs: Sequence[str]) -> List[Column]:
    """Columns of the attributes ``attrs`` of ``kind`` objects."""
    columns = []
    for given in attrs:
        field, _, path = given.partition(".")
        if field in kind.joins and (path or field not in kind.fields):
            raise IcingaParameterError(
                f"attrs {given!r}: {field} is joined, not an attribute of {kind.name}; "
                f"put {given!r} in joins"
            )
        columns.append(_field_column("attrs", given, kind, given))
    return columns


def join_columns(catalog: TypeCatalog, kind: IcingaType, joins: Sequence[str]) -> List[Column]:
    """Columns of the joined objects' attributes ``joins`` (``host.address``; ``host``: the
    whole joined object) of ``kind`` objects."""
    columns = []
    for given in joins:
        join, _, rest = given.partition(".")
        if join not in kind.joins:
            raise IcingaParameterError(
                _unknown("joins", given, join, f"a join of {kind.name}", kind.joins)
            )
        target = kind.joins[join]
        if not rest:
            columns.append(Column(given, target or join, None, join=join))
        elif target in catalog:
            columns.append(_field_column("joins", given, catalog[target], rest, join))
        else:
            field, *path = rest.split(".")
            columns.append(Column(given, join, field, join=join, path=tuple(path)))
    return columns


def asked(columns: Sequence[Column]) -> Tuple[List[str], List[str]]:
    """The attrs and the joins to ask Icinga for, each once, in the columns' order."""
    attrs = dict.fromkeys(c.field for c in columns if not c.join and c.field)
    joins = dict.fromkeys(c.asked for c in columns if c.join)
    return list(attrs), list(joins)
