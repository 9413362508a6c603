"""Property enums: unique keys, unambiguous aliases, UTC datetimes."""

import datetime

import pytest

from apis.openstack_query_api.exceptions import UnknownPropertyError
from apis.openstack_query_api.property_types import PropertyType
from apis.openstack_query_api.resource_types import QueryType
from apis.openstack_query_api.resources.servers import ServerProperties


def test_keys_are_unique_across_every_resource():
    keys = [prop.key for qt in QueryType for prop in qt.mapping.properties]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize("query_type", list(QueryType))
def test_aliases_are_unambiguous_within_a_resource(query_type):
    seen = {}
    for prop in query_type.mapping.properties:
        for name in {prop.name.lower(), prop.key, *prop.spec.aliases}:
            assert name not in seen, f"{name}: {seen.get(name)} and {prop}"
            seen[name] = prop
    for prop in query_type.mapping.default_select:
        assert prop in query_type.mapping.properties


def test_from_string_accepts_name_key_alias():
    assert ServerProperties.from_string("STATUS") is ServerProperties.SERVER_STATUS
    assert ServerProperties.from_string("server_status") is ServerProperties.SERVER_STATUS
    assert ServerProperties.from_string("SERVER_STATUS") is ServerProperties.SERVER_STATUS
    assert ServerProperties.from_string(ServerProperties.SERVER_ID) is ServerProperties.SERVER_ID


def test_unknown_property_names_resource_and_suggests():
    with pytest.raises(UnknownPropertyError) as err:
        ServerProperties.from_string("flavour")
    assert "is not a property of servers" in str(err.value)
    assert "Did you mean 'server_flavor_name'?" in str(err.value)


def test_datetime_properties_read_as_utc():
    from openstack.compute.v2.server import Server

    created = ServerProperties.SERVER_CREATED_AT.read(Server(created_at="2026-01-02T03:04:05Z"))
    assert created.tzinfo is datetime.timezone.utc
    assert ServerProperties.SERVER_CREATED_AT.type is PropertyType.DATETIME


RESOURCE_CLASSES = {
    "servers": "openstack.compute.v2.server:Server",
    "users": "openstack.identity.v3.user:User",
    "projects": "openstack.identity.v3.project:Project",
    "flavors": "openstack.compute.v2.flavor:Flavor",
    "images": "openstack.image.v2.image:Image",
    "hypervisors": "openstack.compute.v2.hypervisor:Hypervisor",
    "aggregates": "openstack.compute.v2.aggregate:Aggregate",
    "floating_ips": "openstack.network.v2.floating_ip:FloatingIP",
    "networks": "openstack.network.v2.network:Network",
    "ports": "openstack.network.v2.port:Port",
    "security_groups": "openstack.network.v2.security_group:SecurityGroup",
}


@pytest.mark.parametrize(
    "query_type, prop",
    [(qt, p) for qt in QueryType for p in qt.mapping.properties],
    ids=lambda value: getattr(value, "name", str(value)),
)
def test_every_property_reads_from_an_sdk_resource(query_type, prop):
    """Each getter names a real attribute of the SDK resource (empty resource: no error)."""
    import importlib

    module, _, name = RESOURCE_CLASSES[query_type.mapping.name].partition(":")
    resource_class = getattr(importlib.import_module(module), name)
    attributes = set(resource_class()._attributes())  # pylint: disable=protected-access
    value = prop.read(resource_class())
    assert value in (None, [], {}, 0, False, "") or isinstance(value, (str, int))
    source = getattr(prop.spec.getter, "source", None)
    if source is None:  # computed (placement usage)
        assert prop.key.startswith("hypervisor_")
    else:
        assert source in attributes, f"{prop}: {resource_class.__name__} has no {source!r}"
