"""Servers (nova)."""

from __future__ import annotations

import re
from typing import Any, Dict, Iterable, Tuple

from apis.openstack_query_api.json_resources import JsonResource, json_listing
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
FLAVOR_ID = "_cloudops_flavor_id"


def _nova_flavor_id(server: Any) -> Any:
    """The flavor id nova gave (up to microversion 2.46); None for a flavor nova names only
    (for which openstacksdk makes the name its id)."""
    flavor_id = item("flavor", "id")(server)
    return None if flavor_id == item("flavor", "original_name")(server) else flavor_id


def _flavor_id(server: Any) -> Any:
    """The flavor's id: from nova up to microversion 2.46, later looked up by name
    (:meth:`ServerMapping.enrich`)."""
    return _nova_flavor_id(server) or getattr(server, FLAVOR_ID, None)


_flavor_id.source = "flavor"


def _ips(server: Any) -> Any:
    """Every address of the server, comma-joined (the peer library's ``addresses``)."""
    addresses = getattr(server, "addresses", None) or {}
    return ", ".join(ip.get("addr", "") for net in addresses.values() for ip in net or [])


_ips.source = "addresses"


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
    SERVER_FLAVOR_ID = prop("server_flavor_id", _flavor_id, T.STRING, "flavor_id")
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
    SERVER_IPS = prop("server_ips", _ips, T.STRING, "ips")
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
    P.SERVER_FLAVOR_ID: "flavor",
    P.SERVER_HOST: "compute_host",
    P.SERVER_HYPERVISOR_NAME: "node",
    P.SERVER_KEY_NAME: "key_name",
    P.SERVER_AVAILABILITY_ZONE: "availability_zone",
}


# the nova microversion that first returns a property; the others come with 2.1
_SINCE = {
    P.SERVER_IS_LOCKED: "2.9",
    P.SERVER_DESCRIPTION: "2.19",
    P.SERVER_TAGS: "2.26",
    P.SERVER_FLAVOR_NAME: "2.47",
}
# ... and that first accepts a list filter
_FILTER_SINCE = {"changes_before": "2.66"}
BASE_MICROVERSION = "2.1"


def microversion(reads: Iterable[PropertyEnum], filters: Iterable[str] = ()) -> str:
    """The lowest nova microversion that returns every property in READS and accepts every
    filter in FILTERS: later ones make nova do more work per server (2.93 lists the
    benchmark's servers about 25 % slower than 2.1)."""
    needed = [BASE_MICROVERSION] + [_SINCE.get(p, BASE_MICROVERSION) for p in reads]
    needed += [_FILTER_SINCE.get(f, BASE_MICROVERSION) for f in filters]
    return max(needed, key=_numbers)


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
        before = condition.before()
        if before and condition.prop is P.SERVER_UPDATED_AT:
            # changes-before filters updated_at only: for created_at it would drop servers
            # created before the instant but updated since
            return {"changes_before": before.isoformat()}
        return {}

    @classmethod
    def listing_options(cls, reads):
        return {"microversion": microversion(reads)}

    @classmethod
    def list_resources(cls, conn, filters, scope):
        filters = dict(filters)
        version = max(
            filters.pop("microversion", BASE_MICROVERSION), microversion((), filters), key=_numbers
        )
        query = dict(filters, all_projects=True) if scope.all_projects else filters
        servers = json_listing(conn.compute, "/servers/detail", RawServer, query, version)
        if {"changes_since", "changes_before"} & set(filters):
            # nova's changes-since/-before also return deleted servers
            return (s for s in servers if s.status not in DELETED_STATES)
        return servers

    @classmethod
    def get_resource(cls, conn, resource_id):
        return get_or_none(conn.compute.get_server, resource_id)

    @classmethod
    def enrich(cls, conn, resources: list, wanted: Iterable[PropertyEnum]) -> None:
        """Flavor ids of servers listed at microversion 2.47 or later (which name the
        flavor only): one flavor listing, by name; a name two flavors share stays None."""
        if P.SERVER_FLAVOR_ID not in wanted:
            return
        missing = [s for s in resources if _nova_flavor_id(s) is None]
        if not missing:
            return
        ids: Dict[str, Any] = {}
        for flavor in conn.compute.flavors(details=False, is_public=None):
            ids[flavor.name] = None if flavor.name in ids else flavor.id
        for server in missing:
            flavor_id = ids.get(item("flavor", "original_name")(server))
            if isinstance(server, JsonResource):
                server.data["flavor"] = {**(server.data.get("flavor") or {}), "id": flavor_id}
            else:
                setattr(server, FLAVOR_ID, flavor_id)


def _numbers(version: str) -> Tuple[int, ...]:
    return tuple(int(n) for n in version.split("."))


class RawServer(JsonResource):
    """A listed server: nova's JSON at the listing's microversion, with openstacksdk's
    attribute names (a field the microversion lacks reads as None)."""

    __slots__ = ()
    sdk_resource = ("openstack.compute.v2.server", "Server")
