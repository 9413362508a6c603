"""Host aggregates (nova)."""

from __future__ import annotations

from apis.openstack_query_api.mapping import ResourceMapping, get_or_none
from apis.openstack_query_api.property_types import PropertyEnum
from apis.openstack_query_api.property_types import PropertyType as T
from apis.openstack_query_api.property_types import attr, item, prop


class AggregateProperties(PropertyEnum):
    """Properties of a host aggregate."""

    AGGREGATE_ID = prop("aggregate_id", attr("id"), T.STRING, "id")
    AGGREGATE_NAME = prop("aggregate_name", attr("name"), T.STRING, "name")
    AGGREGATE_AVAILABILITY_ZONE = prop(
        "aggregate_availability_zone", attr("availability_zone"), T.STRING, "availability_zone"
    )
    AGGREGATE_HOSTS = prop("aggregate_hosts", attr("hosts"), T.LIST, "hosts")
    AGGREGATE_METADATA = prop("aggregate_metadata", attr("metadata"), T.MAPPING, "metadata")
    AGGREGATE_CREATED_AT = prop(
        "aggregate_created_at", attr("created_at"), T.DATETIME, "created_at"
    )
    AGGREGATE_UPDATED_AT = prop(
        "aggregate_updated_at", attr("updated_at"), T.DATETIME, "updated_at"
    )
    AGGREGATE_DELETED = prop("aggregate_deleted", attr("is_deleted"), T.BOOLEAN, "is_deleted")
    AGGREGATE_DELETED_AT = prop(
        "aggregate_deleted_at", attr("deleted_at"), T.DATETIME, "deleted_at"
    )
    AGGREGATE_HOSTTYPE = prop(
        "aggregate_hosttype", item("metadata", "hosttype"), T.STRING, "hosttype"
    )


P = AggregateProperties


class AggregateMapping(ResourceMapping):
    """Aggregates: one listing (nova has no aggregate filters)."""

    name = "aggregates"
    aliases = ("aggregate", "host_aggregates")
    properties = AggregateProperties
    id_property = P.AGGREGATE_ID
    default_select = (P.AGGREGATE_ID, P.AGGREGATE_NAME, P.AGGREGATE_HOSTS)

    @classmethod
    def list_resources(cls, conn, filters, scope):
        return conn.compute.aggregates()

    @classmethod
    def get_resource(cls, conn, resource_id):
        return get_or_none(conn.compute.get_aggregate, resource_id)
