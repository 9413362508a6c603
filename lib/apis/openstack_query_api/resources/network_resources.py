"""Neutron resources: floating IPs, networks, ports, security groups.

Neutron shows an admin every project's resources without an all-projects flag, so the
caller's own project is filtered in explicitly when ``all_projects`` is false.
"""

from __future__ import annotations

from typing import Dict

from apis.openstack_query_api.mapping import (
    ResourceMapping,
    exact_filters,
    get_or_none,
)
from apis.openstack_query_api.property_types import PropertyEnum
from apis.openstack_query_api.property_types import PropertyType as T
from apis.openstack_query_api.property_types import attr, prop


class NeutronMapping(ResourceMapping):
    """Shared listing logic; subclasses name their proxy methods and exact filters."""

    list_method: str
    get_method: str
    exact: Dict[PropertyEnum, str] = {}

    @classmethod
    def server_filters(cls, condition):
        return exact_filters(cls.exact, condition)

    @classmethod
    def list_resources(cls, conn, filters, scope):
        if not scope.all_projects and "project_id" not in filters:
            filters = {**filters, "project_id": conn.current_project_id}
        return getattr(conn.network, cls.list_method)(**filters)

    @classmethod
    def get_resource(cls, conn, resource_id):
        return get_or_none(getattr(conn.network, cls.get_method), resource_id)


class FloatingIPProperties(PropertyEnum):
    """Properties of a floating IP."""

    FLOATING_IP_ID = prop("floating_ip_id", attr("id"), T.STRING, "id")
    FLOATING_IP_ADDRESS = prop(
        "floating_ip_address", attr("floating_ip_address"), T.STRING, "address", "ip"
    )
    FLOATING_IP_STATUS = prop("floating_ip_status", attr("status"), T.STRING, "status")
    FLOATING_IP_PROJECT_ID = prop(
        "floating_ip_project_id", attr("project_id"), T.STRING, "project_id"
    )
    FLOATING_IP_NETWORK_ID = prop(
        "floating_ip_network_id", attr("floating_network_id"), T.STRING, "network_id"
    )
    FLOATING_IP_PORT_ID = prop("floating_ip_port_id", attr("port_id"), T.STRING, "port_id")
    FLOATING_IP_ROUTER_ID = prop("floating_ip_router_id", attr("router_id"), T.STRING, "router_id")
    FLOATING_IP_FIXED_ADDRESS = prop(
        "floating_ip_fixed_address", attr("fixed_ip_address"), T.STRING, "fixed_ip_address"
    )
    FLOATING_IP_DESCRIPTION = prop(
        "floating_ip_description", attr("description"), T.STRING, "description"
    )
    FLOATING_IP_CREATED_AT = prop(
        "floating_ip_created_at", attr("created_at"), T.DATETIME, "created_at"
    )
    FLOATING_IP_UPDATED_AT = prop(
        "floating_ip_updated_at", attr("updated_at"), T.DATETIME, "updated_at"
    )


FIP = FloatingIPProperties


class FloatingIPMapping(NeutronMapping):
    """Floating IPs."""

    name = "floating_ips"
    aliases = ("floating_ip", "fips", "fip", "floatingips")
    properties = FloatingIPProperties
    id_property = FIP.FLOATING_IP_ID
    project_property = FIP.FLOATING_IP_PROJECT_ID
    default_select = (
        FIP.FLOATING_IP_ID,
        FIP.FLOATING_IP_ADDRESS,
        FIP.FLOATING_IP_STATUS,
        FIP.FLOATING_IP_PROJECT_ID,
    )
    fanout_properties = (FIP.FLOATING_IP_PROJECT_ID,)
    list_method, get_method = "ips", "get_ip"
    exact = {
        FIP.FLOATING_IP_ADDRESS: "floating_ip_address",
        FIP.FLOATING_IP_STATUS: "status",
        FIP.FLOATING_IP_PROJECT_ID: "project_id",
        FIP.FLOATING_IP_NETWORK_ID: "floating_network_id",
        FIP.FLOATING_IP_PORT_ID: "port_id",
        FIP.FLOATING_IP_ROUTER_ID: "router_id",
    }


class NetworkProperties(PropertyEnum):
    """Properties of a network."""

    NETWORK_ID = prop("network_id", attr("id"), T.STRING, "id")
    NETWORK_NAME = prop("network_name", attr("name"), T.STRING, "name")
    NETWORK_STATUS = prop("network_status", attr("status"), T.STRING, "status")
    NETWORK_PROJECT_ID = prop("network_project_id", attr("project_id"), T.STRING, "project_id")
    NETWORK_IS_SHARED = prop("network_is_shared", attr("is_shared"), T.BOOLEAN, "shared")
    NETWORK_IS_EXTERNAL = prop(
        "network_is_external", attr("is_router_external"), T.BOOLEAN, "external"
    )
    NETWORK_MTU = prop("network_mtu", attr("mtu"), T.INTEGER, "mtu")
    NETWORK_PROVIDER_TYPE = prop(
        "network_provider_type", attr("provider_network_type"), T.STRING, "provider_type"
    )
    NETWORK_SUBNET_IDS = prop("network_subnet_ids", attr("subnet_ids"), T.LIST, "subnet_ids")
    NETWORK_CREATED_AT = prop("network_created_at", attr("created_at"), T.DATETIME, "created_at")


NET = NetworkProperties


class NetworkMapping(NeutronMapping):
    """Networks."""

    name = "networks"
    aliases = ("network", "nets")
    properties = NetworkProperties
    id_property = NET.NETWORK_ID
    project_property = NET.NETWORK_PROJECT_ID
    default_select = (NET.NETWORK_ID, NET.NETWORK_NAME, NET.NETWORK_STATUS, NET.NETWORK_PROJECT_ID)
    fanout_properties = (NET.NETWORK_PROJECT_ID,)
    list_method, get_method = "networks", "get_network"
    exact = {
        NET.NETWORK_NAME: "name",
        NET.NETWORK_STATUS: "status",
        NET.NETWORK_PROJECT_ID: "project_id",
        NET.NETWORK_IS_SHARED: "is_shared",
        NET.NETWORK_IS_EXTERNAL: "is_router_external",
    }


class PortProperties(PropertyEnum):
    """Properties of a port."""

    PORT_ID = prop("port_id", attr("id"), T.STRING, "id")
    PORT_NAME = prop("port_name", attr("name"), T.STRING, "name")
    PORT_STATUS = prop("port_status", attr("status"), T.STRING, "status")
    PORT_PROJECT_ID = prop("port_project_id", attr("project_id"), T.STRING, "project_id")
    PORT_NETWORK_ID = prop("port_network_id", attr("network_id"), T.STRING, "network_id")
    PORT_DEVICE_ID = prop("port_device_id", attr("device_id"), T.STRING, "device_id")
    PORT_DEVICE_OWNER = prop("port_device_owner", attr("device_owner"), T.STRING, "device_owner")
    PORT_MAC_ADDRESS = prop("port_mac_address", attr("mac_address"), T.STRING, "mac_address")
    PORT_FIXED_IPS = prop("port_fixed_ips", attr("fixed_ips"), T.LIST, "fixed_ips")
    PORT_BINDING_HOST = prop("port_binding_host", attr("binding_host_id"), T.STRING, "host")
    PORT_CREATED_AT = prop("port_created_at", attr("created_at"), T.DATETIME, "created_at")


PORT = PortProperties


class PortMapping(NeutronMapping):
    """Ports."""

    name = "ports"
    aliases = ("port",)
    properties = PortProperties
    id_property = PORT.PORT_ID
    project_property = PORT.PORT_PROJECT_ID
    default_select = (PORT.PORT_ID, PORT.PORT_NAME, PORT.PORT_STATUS, PORT.PORT_DEVICE_OWNER)
    fanout_properties = (PORT.PORT_PROJECT_ID, PORT.PORT_NETWORK_ID, PORT.PORT_DEVICE_ID)
    list_method, get_method = "ports", "get_port"
    exact = {
        PORT.PORT_NAME: "name",
        PORT.PORT_STATUS: "status",
        PORT.PORT_PROJECT_ID: "project_id",
        PORT.PORT_NETWORK_ID: "network_id",
        PORT.PORT_DEVICE_ID: "device_id",
        PORT.PORT_DEVICE_OWNER: "device_owner",
        PORT.PORT_MAC_ADDRESS: "mac_address",
    }


class SecurityGroupProperties(PropertyEnum):
    """Properties of a security group."""

    SECURITY_GROUP_ID = prop("security_group_id", attr("id"), T.STRING, "id")
    SECURITY_GROUP_NAME = prop("security_group_name", attr("name"), T.STRING, "name")
    SECURITY_GROUP_DESCRIPTION = prop(
        "security_group_description", attr("description"), T.STRING, "description"
    )
    SECURITY_GROUP_PROJECT_ID = prop(
        "security_group_project_id", attr("project_id"), T.STRING, "project_id"
    )
    SECURITY_GROUP_RULES = prop(
        "security_group_rules", attr("security_group_rules"), T.LIST, "rules"
    )
    SECURITY_GROUP_CREATED_AT = prop(
        "security_group_created_at", attr("created_at"), T.DATETIME, "created_at"
    )


SG = SecurityGroupProperties


class SecurityGroupMapping(NeutronMapping):
    """Security groups."""

    name = "security_groups"
    aliases = ("security_group", "secgroups", "sgs")
    properties = SecurityGroupProperties
    id_property = SG.SECURITY_GROUP_ID
    project_property = SG.SECURITY_GROUP_PROJECT_ID
    default_select = (SG.SECURITY_GROUP_ID, SG.SECURITY_GROUP_NAME, SG.SECURITY_GROUP_PROJECT_ID)
    fanout_properties = (SG.SECURITY_GROUP_PROJECT_ID,)
    list_method, get_method = "security_groups", "get_security_group"
    exact = {SG.SECURITY_GROUP_NAME: "name", SG.SECURITY_GROUP_PROJECT_ID: "project_id"}
