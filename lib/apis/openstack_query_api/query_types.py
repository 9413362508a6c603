"""The ``ServerQuery()``-style constructors, one per query type."""

from __future__ import annotations

from typing import Any

from apis.openstack_query_api.query import Query
from apis.openstack_query_api.resource_types import QueryType


def query_of(query_type: Any) -> Query:
    """A new query of the given type (name, alias or QueryType)."""
    return Query(QueryType.from_string(query_type).mapping)


class _TypedQuery(Query):
    """A query whose type is fixed by the subclass."""

    query_type: QueryType

    def __init__(self):
        super().__init__(self.query_type.mapping)


class ServerQuery(_TypedQuery):
    """Servers."""

    query_type = QueryType.SERVERS


class UserQuery(_TypedQuery):
    """Users."""

    query_type = QueryType.USERS


class ProjectQuery(_TypedQuery):
    """Projects."""

    query_type = QueryType.PROJECTS


class FlavorQuery(_TypedQuery):
    """Flavors."""

    query_type = QueryType.FLAVORS


class ImageQuery(_TypedQuery):
    """Images."""

    query_type = QueryType.IMAGES


class HypervisorQuery(_TypedQuery):
    """Hypervisors, with placement usage."""

    query_type = QueryType.HYPERVISORS


class AggregateQuery(_TypedQuery):
    """Host aggregates."""

    query_type = QueryType.AGGREGATES


class FloatingIPQuery(_TypedQuery):
    """Floating IPs."""

    query_type = QueryType.FLOATING_IPS


class NetworkQuery(_TypedQuery):
    """Networks."""

    query_type = QueryType.NETWORKS


class PortQuery(_TypedQuery):
    """Ports."""

    query_type = QueryType.PORTS


class SecurityGroupQuery(_TypedQuery):
    """Security groups."""

    query_type = QueryType.SECURITY_GROUPS
