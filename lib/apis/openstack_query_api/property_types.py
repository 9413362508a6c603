"""Typed, aliased properties of the resources a query can return."""

from __future__ import annotations

import dataclasses
import enum
import functools
from typing import Any, Callable, Dict, Optional, Tuple

from apis import clock
from apis.choices import by_spelling
from apis.openstack_query_api.exceptions import UnknownPropertyError
from apis.openstack_query_api.peer_names import PROPERTY_ALIASES


class PropertyType(enum.Enum):
    """What kind of value a property holds: decides which presets apply."""

    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATETIME = "datetime"
    LIST = "list"
    MAPPING = "mapping"


@dataclasses.dataclass(frozen=True)
class PropertySpec:
    """A property: its canonical key, how to read it off an openstacksdk resource, its type."""

    key: str
    getter: Callable[[Any], Any] = dataclasses.field(compare=False)
    type: PropertyType = PropertyType.STRING
    aliases: Tuple[str, ...] = ()
    normalise: Optional[Callable[[Any], Any]] = dataclasses.field(default=None, compare=False)


def attr(name: str) -> Callable[[Any], Any]:
    """A getter reading one attribute (None when absent); ``.source`` names the attribute."""

    def read(resource: Any) -> Any:
        return getattr(resource, name, None)

    read.source = name
    return read


def item(name: str, key: str) -> Callable[[Any], Any]:
    """A getter reading ``resource.name[key]`` of an embedded mapping (None when absent)."""

    def read(resource: Any) -> Any:
        return (getattr(resource, name, None) or {}).get(key)

    read.source = name
    return read


def prop(key: str, getter: Callable[[Any], Any], kind: PropertyType, *aliases: str):
    """Shorthand for a PropertySpec."""
    return PropertySpec(key, getter, kind, aliases)


class PropertyEnum(enum.Enum):
    """Base of each resource's property enum; member values are :class:`PropertySpec`."""

    @property
    def spec(self) -> PropertySpec:
        """The member's spec."""
        return self.value

    @property
    def key(self) -> str:
        """The canonical column name, unique across resources (``server_name``)."""
        return self.value.key

    @property
    def type(self) -> PropertyType:
        """The property's type."""
        return self.value.type

    def read(self, resource: Any) -> Any:
        """The property's value on a resource; datetimes as aware UTC."""
        value = self.value.getter(resource)
        return clock.parse_optional(value) if self.type is PropertyType.DATETIME else value

    @property
    def base(self) -> "PropertyEnum":
        """The member whose data this property reads: itself (a :class:`MappingKey` reads
        its mapping's)."""
        return self

    @classmethod
    @functools.lru_cache(maxsize=None)
    def names(cls) -> Dict[str, "PropertyEnum"]:
        """Every accepted spelling (member name, key, aliases, then the peer library's
        spellings that are not ours already), lower case, to its member."""
        names: Dict[str, PropertyEnum] = {}
        for member in cls:
            for name in (member.name, member.key, *member.spec.aliases):
                names[name.lower()] = member
        by_key = {member.key: member for member in cls}
        for spelling, key in PROPERTY_ALIASES.get(cls.__name__, {}).items():
            names.setdefault(spelling, by_key[key])
        return names

    @classmethod
    def from_string(cls, text: Any) -> "PropertyEnum":
        """The member for a name or alias, a :class:`MappingKey` for ``mapping.key`` (e.g.
        ``aggregate_metadata.hosttype``), or an error listing the valid keys."""
        if isinstance(text, cls) or (isinstance(text, MappingKey) and text.parent in cls):
            return text
        names = cls.names()
        mapping, dot, wanted = str(text).partition(".")
        if dot and mapping.strip().lower() in names:
            parent = names[mapping.strip().lower()]
            if parent.type is PropertyType.MAPPING and wanted:
                return MappingKey(parent, wanted)
            raise UnknownPropertyError(
                f"{text!r}: only a mapping property takes '.key'; mappings of "
                f"{cls.resource_label()}: "
                + ", ".join(m.key for m in cls if m.type is PropertyType.MAPPING)
            )
        found, close = by_spelling(names, text)
        if found is None:
            hint = f" Did you mean {names[close].key!r}?" if close else ""
            raise UnknownPropertyError(
                f"{text!r} is not a property of {cls.resource_label()}; "
                f"valid properties: {', '.join(m.key for m in cls)} "
                f"(and mapping.key of a mapping).{hint}"
            )
        return found

    @classmethod
    def resource_label(cls) -> str:
        """``ServerProperties`` -> ``servers``, for messages."""
        return cls.__name__.replace("Properties", "").lower() + "s"


@dataclasses.dataclass(frozen=True)
class MappingKey:
    """One key of a mapping property (``aggregate_metadata.hosttype``): a string property
    named ``<mapping key>.<key>``, read from the mapping's data."""

    parent: PropertyEnum
    name: str
    type: PropertyType = dataclasses.field(default=PropertyType.STRING, init=False)

    @property
    def key(self) -> str:
        """The column name."""
        return f"{self.parent.key}.{self.name}"

    @property
    def spec(self) -> PropertySpec:
        """A spec like a member's."""
        return PropertySpec(self.key, self.read, self.type)

    @property
    def base(self) -> PropertyEnum:
        """The mapping property whose data this reads."""
        return self.parent

    def read(self, resource: Any) -> Any:
        """The key's value, None when the mapping lacks it."""
        return (self.parent.read(resource) or {}).get(self.name)
