"""How a query type reaches its resources: the declarative base every resource module fills in.

A mapping declares its property enum, which ``where`` conditions the API can filter on
server-side, how to list (and, for a few ids, get) resources, and how its results link to
other resource types for chaining. The query engine does the rest.
"""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any, Callable, ClassVar, Dict, FrozenSet, Iterable, Optional, Tuple, Type

from apis.openstack_query_api.presets import Preset
from apis.openstack_query_api.property_types import PropertyEnum

# Glance pages 25 images by default: ask for big pages. Nova already pages at its max_limit
# (1000) and neutron returns everything unpaged; an explicit limit there only makes
# openstacksdk ask for one more, empty, page after the last.
PAGE_SIZE = 1000


@dataclasses.dataclass(frozen=True)
class Condition:
    """One ``where`` clause, compiled to a client-side test."""

    preset: Preset
    prop: PropertyEnum
    args: Dict[str, Any]
    test: Callable[[Any], bool] = dataclasses.field(compare=False, repr=False)
    now: datetime.datetime = dataclasses.field(compare=False, repr=False)

    def matches(self, resource: Any) -> bool:
        """Whether the resource passes this clause."""
        return self.test(self.prop.read(resource))

    def single_value(self) -> Tuple[bool, Any]:
        """``(True, value)`` when the clause pins the property to exactly one value."""
        if self.preset is Preset.EQUAL_TO:
            return True, self.args["value"]
        if self.preset is Preset.ANY_IN and len(self.args["values"]) == 1:
            return True, list(self.args["values"])[0]
        return False, None

    def cutoff(self) -> Optional[datetime.datetime]:
        """For YOUNGER_THAN(_OR_EQUAL_TO): the instant after which values pass."""
        if self.preset not in (Preset.YOUNGER_THAN, Preset.YOUNGER_THAN_OR_EQUAL_TO):
            return None
        return self._instant()

    def before(self) -> Optional[datetime.datetime]:
        """For OLDER_THAN(_OR_EQUAL_TO): the instant before which (or at which) values pass."""
        if self.preset not in (Preset.OLDER_THAN, Preset.OLDER_THAN_OR_EQUAL_TO):
            return None
        return self._instant()

    def _instant(self) -> datetime.datetime:
        units = {k: float(self.args.get(k) or 0) for k in ("days", "hours", "minutes", "seconds")}
        return self.now - datetime.timedelta(**units)


@dataclasses.dataclass(frozen=True)
class Link:
    """A chain from one resource type to another: source property value = target property."""

    source: PropertyEnum
    target: PropertyEnum


@dataclasses.dataclass(frozen=True)
class Scope:
    """Where a run looks: the caller's project, all projects, or given projects/domain."""

    all_projects: bool = False
    project_ids: Optional[Tuple[str, ...]] = None
    domain_id: Optional[str] = None


class ResourceMapping:
    """Base of the per-resource declarations."""

    name: ClassVar[str]
    aliases: ClassVar[Tuple[str, ...]] = ()
    properties: ClassVar[Type[PropertyEnum]]
    id_property: ClassVar[PropertyEnum]
    default_select: ClassVar[Tuple[PropertyEnum, ...]]
    project_property: ClassVar[Optional[PropertyEnum]] = None
    domain_property: ClassVar[Optional[PropertyEnum]] = None
    # properties whose single value the API filters on selectively: ANY_IN over a few of
    # them fans out into one call per value instead of one unfiltered listing
    fanout_properties: ClassVar[Tuple[PropertyEnum, ...]] = ()
    # up to this many ids are fetched with one GET each (concurrently) instead of a listing
    max_gets: ClassVar[int] = 16

    @classmethod
    def server_filters(cls, condition: Condition) -> Dict[str, Any]:
        """API list filters equivalent to (or a superset of) the condition; {} if none."""
        del condition
        return {}

    @classmethod
    def listing_options(cls, reads: FrozenSet[PropertyEnum]) -> Dict[str, Any]:
        """Listing parameters that depend on the properties a query reads (nova's
        microversion), passed to :meth:`list_resources` with the filters."""
        del reads
        return {}

    @classmethod
    def list_resources(cls, conn, filters: Dict[str, Any], scope: Scope) -> Iterable[Any]:
        """Every resource passing the API filters (and the listing options) within the scope."""
        raise NotImplementedError

    @classmethod
    def get_resource(cls, conn, resource_id: str) -> Optional[Any]:
        """One resource by id (None if gone); used to fetch a few ids concurrently."""
        raise NotImplementedError

    @classmethod
    def enrich(cls, conn, resources: list, wanted: Iterable[PropertyEnum]) -> None:
        """Add data that needs extra calls (e.g. placement usage), only for wanted properties."""


def get_or_none(getter: Callable[[str], Any], resource_id: str) -> Optional[Any]:
    """``getter(resource_id)``, or None when the cloud answers 404."""
    from openstack import exceptions

    try:
        return getter(resource_id)
    except exceptions.NotFoundException:
        return None


def exact_filters(mapping_filters: Dict[PropertyEnum, str], condition: Condition) -> Dict[str, Any]:
    """The API filter for a condition pinning a property in ``mapping_filters`` to one value."""
    single, value = condition.single_value()
    if single and value is not None and condition.prop in mapping_filters:
        return {mapping_filters[condition.prop]: value}
    return {}


REGEX_SPECIALS = frozenset(".^$*+?{}[]\\|()")


def keystone_name_filters(name_prop: PropertyEnum, condition: Condition) -> Dict[str, Any]:
    """Keystone's name filter for a regex over NAME_PROP that is a plain string, optionally
    anchored: ``^web$`` -> ``name``, ``^web`` -> ``name__startswith``, ``web$`` ->
    ``name__endswith``, ``web`` -> ``name__contains`` (keystone API 3.10; where the database
    compares case-insensitively it returns a superset, which the query re-checks)."""
    if condition.prop is not name_prop or condition.preset is not Preset.MATCHES_REGEX:
        return {}
    pattern = str(condition.args["pattern"])
    head, tail = pattern.startswith("^"), pattern.endswith("$")
    literal = pattern[int(head) : len(pattern) - int(tail)]
    if not literal or REGEX_SPECIALS & set(literal):
        return {}
    operator = {(True, True): "", (True, False): "__startswith", (False, True): "__endswith"}
    return {f"name{operator.get((head, tail), '__contains')}": literal}
