"""What Icinga 2 offers to select (``attrs``) and join (``joins``) for an object type, as its
``/v1/types`` endpoint describes it: the fields of the type and of its bases."""

from __future__ import annotations

import dataclasses
from typing import Any, Dict, Iterator, List, Mapping, Optional

JOIN_TYPES: Mapping[str, str] = {
    "host": "Host",
    "check_command": "CheckCommand",
    "check_period": "TimePeriod",
    "command_endpoint": "Endpoint",
    "event_command": "EventCommand",
}
"""The Icinga type each join (navigation) of a host or service leads to."""


@dataclasses.dataclass(frozen=True)
class IcingaType:
    """One Icinga object type: the fields the API shows (name -> Icinga type of the value) and
    its joins (name -> joined type name, None when the pack does not know it)."""

    name: str
    fields: Mapping[str, str]
    joins: Mapping[str, Optional[str]]


class TypeCatalog:
    """The object types of one Icinga 2, from its ``/v1/types`` results."""

    def __init__(self, results: List[Dict[str, Any]]) -> None:
        self._raw = {entry["name"]: entry for entry in results}

    def __contains__(self, name: object) -> bool:
        return name in self._raw

    def __getitem__(self, name: str) -> IcingaType:
        fields: Dict[str, str] = {}
        joins: Dict[str, Optional[str]] = {}
        for entry in self._chain(name):
            for field, spec in entry.get("fields", {}).items():
                if spec.get("attributes", {}).get("no_user_view"):
                    continue
                fields.setdefault(field, spec["type"])
                join = spec.get("navigation_name")
                if join:
                    joins.setdefault(join, JOIN_TYPES.get(join))
        return IcingaType(name, dict(sorted(fields.items())), dict(sorted(joins.items())))

    def _chain(self, name: Optional[str]) -> Iterator[Dict[str, Any]]:
        """The type ``name`` and its bases."""
        if name not in self._raw:
            raise KeyError(name)
        while name in self._raw:
            entry = self._raw[name]
            yield entry
            name = entry.get("base")
