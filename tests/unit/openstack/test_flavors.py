"""flavor.create and flavor.project.access.add/remove on the fake cloud."""

import pytest
from openstack.compute.v2.flavor import Flavor

from apis.openstack_api import flavors
from apis.openstack_api.identity.exceptions import InvalidParameterError, NameNotFoundError
from apis.openstack_api.networks import ResourceConflictError
from tests.fakes.cloud import FakeCloud


@pytest.fixture(name="cloud")
def fixture_cloud():
    """A public flavor, a private one with web's access, projects web and data."""
    cloud = FakeCloud()
    cloud.project("web")
    cloud.project("data")
    cloud.add(Flavor(id="f-small", name="m1.small", vcpus=1, ram=512, disk=1, is_public=True))
    cloud.add(
        Flavor(
            id="f-gpu",
            name="g1.large",
            vcpus=8,
            ram=16384,
            disk=40,
            is_public=False,
            extra_specs={"pci_passthrough:alias": "gpu:1"},
        ),
    )
    cloud.flavor_access["f-gpu"] = ["p-web"]
    return cloud


def test_create_dry_run_lists_flavor_specs_and_access(cloud):
    result = flavors.flavor_create(
        cloud.conn,
        "c1.tiny",
        1,
        256,
        0,
        is_public=False,
        extra_specs={"hw:cpu_policy": "dedicated"},
        projects=["web", "data"],
    )
    assert [c.summary() for c in result["changes"]] == [
        "create flavor c1.tiny",
        "add flavor extra specs c1.tiny",
        "add flavor access c1.tiny for project web",
        "add flavor access c1.tiny for project data",
    ]
    assert result["flavor"].id is None and not result["flavor"].existed
    cloud.conn.compute.create_flavor.assert_not_called()


def test_create_private_flavor_with_access_then_idempotent(cloud):
    result = flavors.flavor_create(
        cloud.conn,
        "c1.tiny",
        1,
        256,
        0,
        is_public=False,
        description="tiny",
        flavor_id="f-tiny",
        extra_specs={"hw:cpu_policy": "dedicated"},
        projects=["web"],
        dry_run=False,
    )
    cloud.conn.compute.create_flavor.assert_called_once_with(
        name="c1.tiny",
        vcpus=1,
        ram=256,
        disk=0,
        ephemeral=0,
        swap=0,
        is_public=False,
        description="tiny",
        id="f-tiny",
    )
    created = cloud.conn.compute.find_flavor("f-tiny")
    assert created.extra_specs == {"hw:cpu_policy": "dedicated"}
    assert cloud.flavor_access["f-tiny"] == ["p-web"] and result["flavor"].id == "f-tiny"
    again = flavors.flavor_create(
        cloud.conn,
        "c1.tiny",
        1,
        256,
        0,
        is_public=False,
        extra_specs={"hw:cpu_policy": "dedicated"},
        projects=["web", "data"],
        dry_run=False,
    )
    assert [c.summary() for c in again["changes"]] == ["add flavor access c1.tiny for project data"]
    assert again["flavor"].existed and [p.existed for p in again["projects"]] == [True, False]


def test_existing_flavor_with_other_settings_is_a_conflict(cloud):
    with pytest.raises(ResourceConflictError) as err:
        flavors.flavor_create(
            cloud.conn,
            "g1.large",
            8,
            8192,
            40,
            is_public=False,
            extra_specs={"pci_passthrough:alias": "gpu:2"},
        )
    assert "ram=16384 (wanted 8192)" in str(err.value)
    assert "extra spec pci_passthrough:alias='gpu:1' (wanted 'gpu:2')" in str(err.value)
    cloud.conn.compute.create_flavor_extra_specs.assert_not_called()


def test_existing_flavor_gets_missing_extra_specs(cloud):
    result = flavors.flavor_create(
        cloud.conn,
        "g1.large",
        8,
        16384,
        40,
        is_public=False,
        extra_specs={"hw:numa_nodes": 1},
        dry_run=False,
    )
    flavor = cloud.conn.compute.find_flavor("f-gpu")
    assert flavor.extra_specs["hw:numa_nodes"] == "1" and result["changed"]


@pytest.mark.parametrize(
    "args, kwargs, message",
    [
        (("x", 0, 256, 0), {}, "vcpus 0 is out of range: at least 1"),
        (("x", 1, 256, -1), {}, "disk -1 is out of range: at least 0"),
        ((" ", 1, 256, 0), {}, "name is empty"),
        (("x", 1, 256, 0), {"projects": ["web"]}, "only a private flavor"),
    ],
)
def test_create_validates_parameters(cloud, args, kwargs, message):
    with pytest.raises(InvalidParameterError, match=message):
        flavors.flavor_create(cloud.conn, *args, **kwargs)
    cloud.conn.compute.create_flavor.assert_not_called()


def test_access_add_and_remove(cloud):
    dry = flavors.flavor_project_access_add(cloud.conn, "g1.large", ["web", "data"])
    assert [c.summary() for c in dry["changes"]] == ["add flavor access g1.large for project data"]
    assert dry["had_access"] == ["web"]
    flavors.flavor_project_access_add(cloud.conn, "f-gpu", ["data"], dry_run=False)
    assert cloud.flavor_access["f-gpu"] == ["p-web", "p-data"]
    removed = flavors.flavor_project_access_remove(cloud.conn, "g1.large", ["web"], dry_run=False)
    cloud.conn.compute.flavor_remove_tenant_access.assert_called_once_with(
        cloud.conn.compute.find_flavor("f-gpu"), "p-web"
    )
    assert cloud.flavor_access["f-gpu"] == ["p-data"] and removed["changed"]
    again = flavors.flavor_project_access_remove(cloud.conn, "g1.large", ["web"], dry_run=False)
    assert again["changes"] == [] and again["had_access"] == []


def test_access_errors(cloud):
    with pytest.raises(InvalidParameterError, match="flavor 'm1.small' is public"):
        flavors.flavor_project_access_add(cloud.conn, "m1.small", ["web"])
    with pytest.raises(NameNotFoundError, match="flavor 'g1.larg'.*did you mean: g1.large"):
        flavors.flavor_project_access_add(cloud.conn, "g1.larg", ["web"])
    with pytest.raises(InvalidParameterError, match="projects is empty"):
        flavors.flavor_project_access_remove(cloud.conn, "g1.large", [])
    with pytest.raises(InvalidParameterError, match="flavor is empty"):
        flavors.flavor_project_access_remove(cloud.conn, "", ["web"])
    cloud.conn.compute.flavor_add_tenant_access.assert_not_called()
