"""The peer library's (openstackquery 1.3) preset and property spellings as aliases of ours,
and the properties added to match it, on the fake cloud."""

import pytest
from openstack.compute.v2.aggregate import Aggregate

from apis.openstack_query_api import (
    AggregateQuery,
    FlavorQuery,
    HypervisorQuery,
    ImageQuery,
    Preset,
    ProjectQuery,
    ServerQuery,
    UserQuery,
)
from apis.openstack_api.exceptions import UnknownCloudError
from apis.openstack_query_api.exceptions import PresetArgumentError, UnknownPropertyError
from apis.openstack_query_api.peer_names import (
    ARGUMENT_ALIASES,
    NOT_ALIASED,
    PRESET_ALIASES,
    PROPERTY_ALIASES,
    QUERY_TYPE_ALIASES,
)
from apis.openstack_query_api.presets import Arguments
from apis.openstack_query_api.resource_types import QueryType
from apis.openstack_query_api.resources.servers import ServerProperties

# every property name and alias of the peer's enums, per query type (openstackquery 1.3)
PEER_PROPERTIES = {
    "servers": [
        "flavor_id",
        "hypervisor_name",
        "hv_name",
        "image_id",
        "project_id",
        "server_creation_date",
        "created_at",
        "server_description",
        "description",
        "desc",
        "vm_description",
        "server_id",
        "vm_id",
        "id",
        "uuid",
        "server_last_updated_date",
        "updated_at",
        "server_name",
        "vm_name",
        "name",
        "server_status",
        "status",
        "vm_status",
        "user_id",
        "ips",
        "vm_ips",
        "server_ips",
    ],
    "users": [
        "user_domain_id",
        "domain_id",
        "user_description",
        "description",
        "desc",
        "user_email",
        "email",
        "email_addr",
        "email_address",
        "user_email_address",
        "user_id",
        "id",
        "uuid",
        "user_name",
        "name",
        "username",
    ],
    "projects": [
        "project_description",
        "description",
        "desc",
        "project_domain_id",
        "domain_id",
        "project_id",
        "id",
        "uuid",
        "project_is_domain",
        "is_domain",
        "project_is_enabled",
        "is_enabled",
        "project_name",
        "name",
        "project_parent_id",
        "parent_id",
    ],
    "flavors": [
        "flavor_description",
        "description",
        "desc",
        "flavor_disk",
        "disk",
        "disk_size",
        "flavor_ephemeral",
        "ephemeral",
        "ephemeral_disk",
        "ephemeral_disk_size",
        "flavor_id",
        "id",
        "uuid",
        "flavor_is_disabled",
        "is_disabled",
        "flavor_is_public",
        "is_public",
        "flavor_name",
        "name",
        "flavor_ram",
        "ram",
        "ram_size",
        "flavor_swap",
        "swap",
        "swap_size",
        "flavor_vcpu",
        "vcpu",
        "vcpus",
    ],
    "images": [
        "image_creation_date",
        "created_at",
        "image_id",
        "id",
        "uuid",
        "image_last_updated_date",
        "updated_at",
        "image_minimum_disk",
        "min_disk",
        "disk",
        "image_minimum_ram",
        "min_ram",
        "ram",
        "image_name",
        "name",
        "image_size",
        "size",
        "image_status",
        "status",
    ],
    "hypervisors": [
        "hypervisor_id",
        "id",
        "uuid",
        "host_id",
        "hypervisor_ip",
        "ip",
        "host_ip",
        "hypervisor_name",
        "name",
        "host_name",
        "hypervisor_state",
        "state",
        "hypervisor_status",
        "status",
        "hypervisor_disabled_reason",
        "disabled_reason",
        "hypervisor_uptime_days",
        "vcpus",
        "vcpus_used",
        "vcpus_avail",
        "vcpus_free",
        "memory_mb_size",
        "memory_size",
        "memory_mb",
        "memory",
        "ram",
        "memory_mb_used",
        "memory_used",
        "memory_mb_avail",
        "memory_avail",
        "memory_free",
        "free_ram_mb",
        "disk_gb_size",
        "disk",
        "local_disk",
        "local_gb",
        "disk_gb_used",
        "disk_used",
        "local_disk_used",
        "local_gb_used",
        "disk_gb_avail",
        "disk_avail",
        "local_disk_free",
        "free_disk_gb",
        "hosttype",
        "gpunum",
        "local_storage_type",
    ],
    "aggregates": [
        "aggregate_created_at",
        "created_at",
        "aggregate_deleted",
        "deleted",
        "aggregate_deleted_at",
        "deleted_at",
        "aggregate_host_ips",
        "hosts",
        "aggregate_hosttype",
        "metadata_hosttype",
        "hosttype",
        "aggregate_updated_at",
        "updated_at",
        "aggregate_id",
        "id",
        "uuid",
    ],
}
PEER_PRESETS = [
    "EQUAL_TO", "equal", "==", "NOT_EQUAL_TO", "not_equal", "!=", "ANY_IN", "in",
    "NOT_ANY_IN", "not_in", "GREATER_THAN", "greater", "more_than", "more", ">",
    "GREATER_THAN_OR_EQUAL_TO", "greater_or_equal", "more_than_or_equal_to", "more_or_equal",
    ">=", "LESS_THAN", "less", "<", "LESS_THAN_OR_EQUAL_TO", "less_or_equal", "<=",
    "OLDER_THAN", "older", "OLDER_THAN_OR_EQUAL_TO", "older_or_equal", "YOUNGER_THAN",
    "younger", "newer_than", "newer", "YOUNGER_THAN_OR_EQUAL_TO", "younger_or_equal",
    "newer_than_or_equal_to", "newer_or_equal", "MATCHES_REGEX", "match_regex", "regex", "re",
]  # fmt: skip
ENUMS = {qt.mapping.properties.__name__: qt.mapping.properties for qt in QueryType}


def own_names(enum_class):
    """Our own spellings (no peer aliases) of each member."""
    return {
        name.lower(): member
        for member in enum_class
        for name in (member.name, member.key, *member.spec.aliases)
    }


@pytest.mark.parametrize("enum_name", sorted(PROPERTY_ALIASES))
def test_property_aliases_never_shadow_our_names(enum_name):
    enum_class = ENUMS[enum_name]
    ours = own_names(enum_class)
    by_key = {member.key: member for member in enum_class}
    for spelling, key in PROPERTY_ALIASES[enum_name].items():
        assert key in by_key, f"{enum_name}: {spelling} -> unknown key {key}"
        assert (
            spelling not in ours or ours[spelling] is by_key[key]
        ), f"{enum_name}: peer {spelling!r} would mean {key}, ours means {ours[spelling].key}"
        assert enum_class.from_string(spelling) is by_key[key]


def test_preset_aliases_never_shadow_our_names():
    ours = {n.lower(): m for m in Preset for n in (m.name, *m.value.aliases)}
    for spelling, member_name in PRESET_ALIASES.items():
        assert spelling not in ours or ours[spelling] is Preset[member_name], spelling
        assert Preset.from_string(spelling) is Preset[member_name]
    assert set(ARGUMENT_ALIASES) <= {a.name for a in Arguments}


def test_what_is_not_aliased_is_ours_with_another_meaning():
    assert Preset.from_string("<=") is Preset.LESS_THAN_OR_EQUAL_TO
    for enum_name, spellings in NOT_ALIASED.items():
        if enum_name == "Preset":
            continue
        for spelling in spellings:
            assert spelling not in PROPERTY_ALIASES.get(enum_name, {})
            assert spelling in own_names(ENUMS[enum_name])


def test_query_type_aliases_never_shadow_ours():
    ours = {
        name: member
        for member in QueryType
        for name in (member.name.lower(), *member.mapping.aliases)
    }
    for spelling, name in QUERY_TYPE_ALIASES.items():
        assert spelling not in ours or ours[spelling] is QueryType[name.upper()], spelling
        assert QueryType.from_string(spelling) is QueryType[name.upper()]


def test_peer_style_chain_then_run(cloud):
    servers = ServerQuery().where("EQUAL_TO", "vm_status", value="ERROR")
    servers.run(cloud, as_admin=True, all_projects=True)
    owners = servers.then("USER_QUERY", keep_previous_results=True)
    owners.run(cloud, as_admin=True, all_projects=True)
    assert [(r["user_id"], len(r["previous"])) for r in owners.to_props()] == [("u-carol", 1)]


@pytest.mark.parametrize("query_type", sorted(PEER_PROPERTIES))
def test_every_peer_property_name_resolves(query_type):
    properties = QueryType.from_string(query_type).mapping.properties
    for spelling in PEER_PROPERTIES[query_type]:
        properties.from_string(spelling)


@pytest.mark.parametrize("spelling", PEER_PRESETS)
def test_every_peer_preset_name_resolves(spelling):
    assert isinstance(Preset.from_string(spelling), Preset)


# one query in the peer's spelling and in ours: (preset, property, argument) per step
SPELLINGS = {
    "peer": {
        "select": ("server_id", "server_name", "server_creation_date", "vm_status"),
        "in": ("ANY_IN", "vm_status"),
        "age": ("OLDER_THAN_OR_EQUAL_TO", "server_creation_date"),
        "regex": ("MATCHES_REGEX", "vm_name", "value"),
        "sort": ("server_creation_date", "descending"),
    },
    "ours": {
        "select": ("id", "name", "created_at", "status"),
        "in": ("in", "status"),
        "age": ("older_than_or_equal_to", "created_at"),
        "regex": ("~", "name", "pattern"),
        "sort": ("created_at", "desc"),
    },
}


def spelled(names, cloud):
    """The query in one spelling, run."""
    regex, regex_prop, regex_arg = names["regex"]
    return (
        ServerQuery()
        .select(*names["select"])
        .where(*names["in"], values=["SHUTOFF", "ERROR"])
        .where(*names["age"], days=20)
        .where(regex, regex_prop, **{regex_arg: "^(web|db|lab)"})
        .sort_by(names["sort"])
        .run(cloud, as_admin=True, all_projects=True)
    )


def test_peer_style_server_query_returns_our_rows(cloud):
    peer = spelled(SPELLINGS["peer"], cloud)
    assert peer.to_props() == spelled(SPELLINGS["ours"], cloud).to_props()
    assert [row["server_name"] for row in peer.to_props()] == ["db-1", "web-2", "lab-1"]


def test_regex_value_and_pattern_together_is_named():
    with pytest.raises(PresetArgumentError, match="unexpected argument"):
        ServerQuery().where("regex", "name", value="^a", pattern="^b")


def test_peer_names_for_other_resources(cloud):
    def ids(query, key):
        return sorted(r[key] for r in query.run(cloud, as_admin=True, all_projects=True).to_props())

    assert ids(UserQuery().where("not_equal", "username", value="bob"), "user_id") == [
        "u-alice",
        "u-carol",
    ]
    assert ids(ProjectQuery().where("equal", "project_is_enabled", value=True), "project_id") == []
    assert ids(FlavorQuery().where("more_or_equal", "vcpu", value=2), "flavor_id") == ["f-2"]
    assert ids(ImageQuery().where("less", "image_minimum_ram", value=1), "image_id") == []
    assert ids(ImageQuery().where("newer", "image_creation_date", days=1), "image_id") == []


def test_server_flavor_id_from_the_flavor_listing_and_to_the_api(cloud):
    query = ServerQuery().select("name", "flavor_id").where("==", "flavor_id", value="f-2")
    rows = query.run(cloud, as_admin=True, all_projects=True).to_props()
    assert rows == [{"server_name": "db-1", "server_flavor_id": "f-2"}]
    assert cloud.kwargs_of("servers")[-1]["flavor"] == "f-2"
    every = ServerQuery().select("name", "flavor_id").run(cloud, as_admin=True, all_projects=True)
    assert {r["server_name"]: r["server_flavor_id"] for r in every.to_props()}["web-1"] == "f-1"


def test_server_flavor_id_needs_no_listing_when_nova_gives_it(cloud):
    for server in cloud.of("servers"):
        server.flavor = {"id": "f-9"}
    query = ServerQuery().select("flavor_id").run(cloud, as_admin=True, all_projects=True)
    assert {r["server_flavor_id"] for r in query.to_props()} == {"f-9"}
    assert not cloud.kwargs_of("flavors")


@pytest.fixture(name="racks")
def fixture_racks(cloud):
    """hv2 in two aggregates (hosttype, gpunum, local storage); DISK_GB in hv1's placement."""
    cloud.add(
        Aggregate(id=2, name="a100", hosts=["hv2"], metadata={"hosttype": "A100", "gpunum": "4"})
    )
    cloud.add(Aggregate(id=3, name="ssd", hosts=["hv2"], metadata={"local_storage_type": "ssd"}))
    placement = cloud.store["placement"]
    placement["/resource_providers/rp-1/inventories"]["inventories"]["DISK_GB"] = {
        "total": 100,
        "reserved": 10,
        "allocation_ratio": 1.0,
    }
    placement["/resource_providers/rp-1/usages"]["usages"]["DISK_GB"] = 30
    return cloud


def test_avail_properties_are_total_minus_used(racks):
    query = (
        HypervisorQuery()
        .select("name", "disk_gb_avail", "vcpus_avail", "memory_mb_avail", "free_disk_gb")
        .where("==", "name", value="hv1")
        .run(racks, as_admin=True)
    )
    assert query.to_props() == [
        {
            "hypervisor_name": "hv1",
            "hypervisor_disk_gb_available": 60,
            "hypervisor_vcpus_available": 29,
            "hypervisor_memory_mb_available": 2560,
        }
    ]


def test_aggregate_metadata_properties(racks):
    query = (
        HypervisorQuery()
        .select("name", "hosttype", "gpunum", "local_storage_type", "aggregate_metadata.gpu")
        .run(racks, as_admin=True)
    )
    assert query.to_props() == [
        {
            "hypervisor_name": "hv1",
            "hypervisor_hosttype": None,
            "hypervisor_gpunum": None,
            "hypervisor_local_storage_type": None,
            "hypervisor_aggregate_metadata.gpu": None,
        },
        {
            "hypervisor_name": "hv2",
            "hypervisor_hosttype": "A100",
            "hypervisor_gpunum": 4,
            "hypervisor_local_storage_type": "ssd",
            "hypervisor_aggregate_metadata.gpu": "true",
        },
    ]
    assert not [c for c in racks.log if c[0] == "placement.get"]
    gpus = HypervisorQuery().where(">=", "gpunum", value=2).run(racks, as_admin=True)
    assert [r["hypervisor_name"] for r in gpus.to_props()] == ["hv2"]
    assert not [c for c in racks.log if c[0] == "placement.get"]


def test_any_metadata_key_filters_and_sorts(racks):
    query = (
        HypervisorQuery()
        .select("name")
        .where("in", "aggregate_metadata.local_storage_type", values=["ssd", "nvme"])
        .sort_by(("aggregate_metadata.hosttype", "desc"))
        .run(racks, as_admin=True)
    )
    assert query.to_props() == [{"hypervisor_name": "hv2"}]
    aggregates = AggregateQuery().select("name", "hosttype").where("==", "hosttype", value="A100")
    assert aggregates.run(racks, as_admin=True).to_props() == [
        {"aggregate_name": "a100", "aggregate_hosttype": "A100"}
    ]


def test_mapping_key_of_a_non_mapping_is_named():
    with pytest.raises(UnknownPropertyError, match="only a mapping property takes"):
        HypervisorQuery().select("name.first")
    assert ServerProperties.from_string("metadata.owner").key == "server_metadata.owner"


def test_run_takes_a_cloud_name_like_the_peer(tmp_path, monkeypatch):
    clouds = tmp_path / "clouds.yaml"
    clouds.write_text("clouds:\n  prod:\n    auth: {auth_url: 'http://127.0.0.1:9/v3'}\n")
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(clouds))
    with pytest.raises(UnknownCloudError, match="'prdo' is not a known cloud.*prod"):
        ServerQuery().run("prdo")
