"""Servers (nova)."""

from __future__ import annotations

import functools
import re
import urllib.parse
from typing import Any, Dict, Iterator

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
        servers = raw_server_listing(conn, filters, scope.all_projects)
        if "changes_since" in filters:
            # changes-since also returns deleted servers
            return (s for s in servers if s.status not in DELETED_STATES)
        return servers

    @classmethod
    def get_resource(cls, conn, resource_id):
        return get_or_none(conn.compute.get_server, resource_id)


class RawServer:
    """A server as nova's JSON, read through openstacksdk's attribute names.

    Building openstacksdk Server objects costs about 2.6 ms of CPU per server, more than nova
    takes to list it; listings therefore keep the JSON and only name the fields like the SDK.
    """

    __slots__ = ("data",)

    def __init__(self, data: Dict[str, Any]):
        self.data = data

    def __getattr__(self, name: str) -> Any:
        try:
            return self.data.get(_json_keys()[name])
        except KeyError:
            raise AttributeError(name) from None

    def __repr__(self) -> str:
        return f"RawServer(id={self.data.get('id')!r}, name={self.data.get('name')!r})"


@functools.lru_cache(maxsize=1)
def _json_keys() -> Dict[str, str]:
    from openstack.compute.v2.server import Server

    mapping = Server._body_mapping()  # pylint: disable=protected-access
    return {attribute: key for key, attribute in mapping.items()}


def raw_server_listing(conn, filters: Dict[str, Any], all_projects: bool) -> Iterator[RawServer]:
    """``GET /servers/detail`` pages at the SDK's microversion, following nova's next links."""
    from openstack import exceptions
    from openstack.compute.v2.server import Server

    query = dict(filters, all_projects=True) if all_projects else dict(filters)
    params = Server._query_mapping._transpose(query, Server)  # pylint: disable=protected-access
    microversion = Server._get_microversion(conn.compute)  # pylint: disable=protected-access
    while True:
        response = conn.compute.get("/servers/detail", params=params, microversion=microversion)
        exceptions.raise_from_response(response)
        body = response.json()
        for server in body.get("servers", []):
            yield RawServer(server)
        following = [link for link in body.get("servers_links", []) if link.get("rel") == "next"]
        if not following:
            return
        params = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(following[0]["href"]).query))
