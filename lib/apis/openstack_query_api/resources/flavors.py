"""Flavors (nova)."""

from __future__ import annotations

from apis.openstack_query_api.mapping import ResourceMapping, get_or_none
from apis.openstack_query_api.presets import Preset
from apis.openstack_query_api.property_types import PropertyEnum
from apis.openstack_query_api.property_types import PropertyType as T
from apis.openstack_query_api.property_types import attr, prop


class FlavorProperties(PropertyEnum):
    """Properties of a flavor."""

    FLAVOR_ID = prop("flavor_id", attr("id"), T.STRING, "id")
    FLAVOR_NAME = prop("flavor_name", attr("name"), T.STRING, "name")
    FLAVOR_DESCRIPTION = prop("flavor_description", attr("description"), T.STRING, "description")
    FLAVOR_VCPUS = prop("flavor_vcpus", attr("vcpus"), T.INTEGER, "vcpus", "cpus")
    FLAVOR_RAM = prop("flavor_ram", attr("ram"), T.INTEGER, "ram", "memory", "ram_mb")
    FLAVOR_DISK = prop("flavor_disk", attr("disk"), T.INTEGER, "disk", "disk_gb")
    FLAVOR_EPHEMERAL = prop("flavor_ephemeral", attr("ephemeral"), T.INTEGER, "ephemeral")
    FLAVOR_SWAP = prop("flavor_swap", attr("swap"), T.INTEGER, "swap")
    FLAVOR_IS_PUBLIC = prop("flavor_is_public", attr("is_public"), T.BOOLEAN, "is_public", "public")
    FLAVOR_IS_DISABLED = prop("flavor_is_disabled", attr("is_disabled"), T.BOOLEAN, "disabled")
    FLAVOR_EXTRA_SPECS = prop(
        "flavor_extra_specs", attr("extra_specs"), T.MAPPING, "extra_specs", "properties"
    )


P = FlavorProperties


class FlavorMapping(ResourceMapping):
    """Flavors: one listing of public and private flavors."""

    name = "flavors"
    aliases = ("flavor",)
    properties = FlavorProperties
    id_property = P.FLAVOR_ID
    default_select = (P.FLAVOR_ID, P.FLAVOR_NAME, P.FLAVOR_VCPUS, P.FLAVOR_RAM, P.FLAVOR_DISK)

    @classmethod
    def server_filters(cls, condition):
        if condition.preset is Preset.GREATER_THAN_OR_EQUAL_TO:
            if condition.prop is P.FLAVOR_RAM:
                return {"min_ram": condition.args["value"]}
            if condition.prop is P.FLAVOR_DISK:
                return {"min_disk": condition.args["value"]}
        single, value = condition.single_value()
        if single and condition.prop is P.FLAVOR_IS_PUBLIC and isinstance(value, bool):
            return {"is_public": value}
        return {}

    @classmethod
    def list_resources(cls, conn, filters, scope):
        filters.setdefault("is_public", None)
        return conn.compute.flavors(details=True, **filters)

    @classmethod
    def get_resource(cls, conn, resource_id):
        return get_or_none(conn.compute.get_flavor, resource_id)
