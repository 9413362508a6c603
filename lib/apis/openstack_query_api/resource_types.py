"""The query types by name: each names the resource mapping it uses, imported on use."""

from __future__ import annotations

import difflib
import enum
import importlib
from typing import Any, Type

from apis.openstack_query_api.exceptions import UnknownQueryTypeError
from apis.openstack_query_api.mapping import ResourceMapping
from apis.openstack_query_api.peer_names import QUERY_TYPE_ALIASES

_RESOURCES = "apis.openstack_query_api.resources"


class QueryType(enum.Enum):
    """Every resource a query can return: ``(module, mapping class)``, imported on use."""

    SERVERS = ("servers", "ServerMapping")
    USERS = ("users", "UserMapping")
    PROJECTS = ("projects", "ProjectMapping")
    FLAVORS = ("flavors", "FlavorMapping")
    IMAGES = ("images", "ImageMapping")
    HYPERVISORS = ("hypervisors", "HypervisorMapping")
    AGGREGATES = ("aggregates", "AggregateMapping")
    FLOATING_IPS = ("network_resources", "FloatingIPMapping")
    NETWORKS = ("network_resources", "NetworkMapping")
    PORTS = ("network_resources", "PortMapping")
    SECURITY_GROUPS = ("network_resources", "SecurityGroupMapping")

    @property
    def mapping(self) -> Type[ResourceMapping]:
        """The resource mapping class."""
        module, name = self.value
        return getattr(importlib.import_module(f"{_RESOURCES}.{module}"), name)

    @classmethod
    def from_string(cls, text: Any) -> "QueryType":
        """The type for a name or alias (``servers``, ``server``, ``vms``...)."""
        if isinstance(text, cls):
            return text
        wanted = str(text).strip().lower().replace("-", "_").replace(" ", "_")
        names = {}
        for member in cls:
            names[member.name.lower()] = member
            for alias in member.mapping.aliases:
                names[alias] = member
        for spelling, name in QUERY_TYPE_ALIASES.items():
            names.setdefault(spelling, cls[name.upper()])
        if wanted in names:
            return names[wanted]
        close = difflib.get_close_matches(wanted, list(names), n=1)
        hint = f" Did you mean {names[close[0]].name.lower()!r}?" if close else ""
        raise UnknownQueryTypeError(
            f"{text!r} is not a query type; valid types: "
            f"{', '.join(m.name.lower() for m in cls)}.{hint}"
        )
