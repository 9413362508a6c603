"""Servers (nova)."""

from __future__ import annotations

import re
from typing import Any, Dict

from apis.openstack_query_api.mapping import (
    Condition,
    ResourceMapping,
    get_or_none,
)
from apis.openstack_query_api.presets import Preset
from apis.openstack_query_api.property_types import PropertyEnum, PropertySpec
from apis.openstack_query_api.property_types import PropertyType as T
from apis.openstack_query_api.property_types import attr, item, prop

DELETED_STATES = ("DELETED", "SOFT_DELETED")


class ServerProperties(PropertyEnum):
    """Properties of a server."""

    SERVER_ID = prop("server_id", attr("id"), T.STRING, "id", "uuid")
    SERVER_NAME = prop("server_name", attr("name"), T.STRING, "name")
    SERVER_STATUS = PropertySpec(
        "server_status", attr("status"), T.STRING, ("status",), normalise=str.upper
    )
    SERVER_CREATED_AT = prop(
        "server_created_at", attr("created_at"), T.DATETIME, "created_at", "created"
    )
    SERVER_UPDATED_AT = prop(
        "server_updated_at", attr("updated_at"), T.DATETIME, "updated_at", "last_updated"
    )
    SERVER_LAUNCHED_AT = prop("server_launched_at", attr("launched_at"), T.DATETIME, "launched_at")
    SERVER_DESCRIPTION = prop("server_description", attr("description"), T.STRING, "description")
    SERVER_PROJECT_ID = prop("server_project_id", attr("project_id"), T.STRING, "project_id")
    SERVER_USER_ID = prop("server_user_id", attr("user_id"), T.STRING, "user_id")
    SERVER_FLAVOR_NAME = prop(
        "server_flavor_name", item("flavor", "original_name"), T.STRING, "flavor_name", "flavor"
    )
    SERVER_IMAGE_ID = prop("server_image_id", item("image", "id"), T.STRING, "image_id", "image")
    SERVER_HYPERVISOR_NAME = prop(
        "server_hypervisor_name",
        attr("hypervisor_hostname"),
        T.STRING,
        "hypervisor_name",
        "hypervisor",
        "node",
    )
    SERVER_HOST = prop("server_host", attr("compute_host"), T.STRING, "host", "compute_host")
    SERVER_ADDRESSES = prop("server_addresses", attr("addresses"), T.MAPPING, "addresses")
    SERVER_TAGS = prop("server_tags", attr("tags"), T.LIST, "tags")
    SERVER_METADATA = prop("server_metadata", attr("metadata"), T.MAPPING, "metadata")
    SERVER_IS_LOCKED = prop("server_is_locked", attr("is_locked"), T.BOOLEAN, "locked")
    SERVER_KEY_NAME = prop("server_key_name", attr("key_name"), T.STRING, "key_name")
    SERVER_AVAILABILITY_ZONE = prop(
        "server_availability_zone", attr("availability_zone"), T.STRING, "availability_zone"
    )


P = ServerProperties

# single-value filters nova evaluates itself: property -> list query parameter
_EXACT = {
    P.SERVER_STATUS: "status",
    P.SERVER_PROJECT_ID: "project_id",
    P.SERVER_USER_ID: "user_id",
    P.SERVER_IMAGE_ID: "image",
    P.SERVER_HOST: "compute_host",
    P.SERVER_HYPERVISOR_NAME: "node",
    P.SERVER_KEY_NAME: "key_name",
    P.SERVER_AVAILABILITY_ZONE: "availability_zone",
}


class ServerMapping(ResourceMapping):
    """Servers: paged ``/servers/detail`` listings, all projects in one listing."""

    name = "servers"
    aliases = ("server", "vm", "vms", "instances")
    properties = ServerProperties
    id_property = P.SERVER_ID
    project_property = P.SERVER_PROJECT_ID
    default_select = (P.SERVER_ID, P.SERVER_NAME, P.SERVER_STATUS, P.SERVER_PROJECT_ID)
    fanout_properties = (
        P.SERVER_PROJECT_ID,
        P.SERVER_USER_ID,
        P.SERVER_IMAGE_ID,
        P.SERVER_HYPERVISOR_NAME,
        P.SERVER_HOST,
    )

    @classmethod
    def server_filters(cls, condition: Condition) -> Dict[str, Any]:
        single, value = condition.single_value()
        if single and condition.prop in _EXACT and value is not None:
            return {_EXACT[condition.prop]: value}
        if condition.prop is P.SERVER_NAME:
            if condition.preset is Preset.MATCHES_REGEX:
                return {"name": condition.args["pattern"]}
            if single and value is not None:
                return {"name": f"^{re.escape(str(value))}$"}
        cutoff = condition.cutoff()
        if cutoff and condition.prop in (P.SERVER_UPDATED_AT, P.SERVER_CREATED_AT):
            # updated_at >= created_at, so changes-since is a superset for creation dates too
            return {"changes_since": cutoff.isoformat()}
        return {}

    @classmethod
    def list_resources(cls, conn, filters, scope):
        servers = conn.compute.servers(details=True, all_projects=scope.all_projects, **filters)
        if "changes_since" in filters:
            # changes-since also returns deleted servers
            return (s for s in servers if s.status not in DELETED_STATES)
        return servers

    @classmethod
    def get_resource(cls, conn, resource_id):
        return get_or_none(conn.compute.get_server, resource_id)
