"""router.create on the fake cloud."""

import pytest
from openstack import exceptions
from openstack.network.v2.network import Network
from openstack.network.v2.port import Port
from openstack.network.v2.router import Router
from openstack.network.v2.subnet import Subnet

from apis.openstack_api import routers
from apis.openstack_api.exceptions import OpenStackConflictError
from apis.openstack_api.identity.exceptions import AmbiguousNameError, NameNotFoundError
from apis.openstack_api.networks import ResourceConflictError
from tests.fakes.cloud import FakeCloud


@pytest.fixture(name="cloud")
def fixture_cloud():
    """A project with two subnets, two external networks and one router on the first."""
    cloud = FakeCloud()
    cloud.project("web")
    for name in ("public", "other-public"):
        cloud.add(Network(id=f"n-{name}", name=name, is_router_external=True))
    cloud.add(Network(id="n-web", name="web-net", project_id="p-web"))
    for number in (1, 2):
        cloud.add(
            Subnet(
                id=f"s-{number}",
                name=f"sub{number}",
                network_id="n-web",
                project_id="p-web",
                cidr=f"10.0.{number}.0/24",
            ),
        )
    cloud.add(
        Router(
            id="r-old",
            name="old",
            project_id="p-web",
            external_gateway_info={"network_id": "n-public"},
        ),
    )
    cloud.add(
        Port(
            id="port-1",
            device_id="r-old",
            device_owner="network:router_interface",
            fixed_ips=[{"subnet_id": "s-1", "ip_address": "10.0.1.1"}],
        ),
    )
    return cloud


def test_dry_run_lists_router_and_interfaces(cloud):
    result = routers.router_create(
        cloud.conn, "web", "edge", external_network="public", subnets=["sub1", "s-2"]
    )
    assert [c.summary() for c in result["changes"]] == [
        "create router edge",
        "add router interface edge on subnet sub1",
        "add router interface edge on subnet sub2",
    ]
    assert result["changes"][0].details["external_gateway_info"] == {"network_id": "n-public"}
    cloud.conn.network.create_router.assert_not_called()
    cloud.conn.network.add_interface_to_router.assert_not_called()


def test_creates_router_with_gateway_and_interfaces_then_is_idempotent(cloud):
    result = routers.router_create(
        cloud.conn, "web", "edge", external_network="public", subnets=["sub1"], dry_run=False
    )
    router = next(r for r in cloud.of("routers") if r.name == "edge")
    assert result["changed"] and result["router"].id == router.id
    assert router.project_id == "p-web"
    assert router.external_gateway_info == {"network_id": "n-public"}
    cloud.conn.network.add_interface_to_router.assert_called_once_with(router, subnet="s-1")
    again = routers.router_create(
        cloud.conn, "web", "edge", external_network="public", subnets=["sub1"], dry_run=False
    )
    assert again["changes"] == [] and again["router"].existed
    assert len(cloud.calls("network", "create_router")) == 1


def test_existing_router_gets_missing_gateway_and_interfaces_only(cloud):
    cloud.add(Router(id="r-bare", name="bare", project_id="p-web"))
    result = routers.router_create(
        cloud.conn, "web", "bare", external_network="public", subnets=["sub2"], dry_run=False
    )
    assert [c.verb.value for c in result["changes"]] == ["update", "add"]
    bare = next(r for r in cloud.of("routers") if r.id == "r-bare")
    assert bare.external_gateway_info == {"network_id": "n-public"}
    old = routers.router_create(cloud.conn, "web", "old", subnets=["sub1", "sub2"], dry_run=False)
    assert [c.summary() for c in old["changes"]] == ["add router interface old on subnet sub2"]


def test_gateway_on_another_network_is_a_conflict(cloud):
    with pytest.raises(ResourceConflictError, match="not on external_network other-public"):
        routers.router_create(cloud.conn, "web", "old", external_network="other-public")
    cloud.conn.network.update_router.assert_not_called()


def test_bad_names(cloud):
    with pytest.raises(NameNotFoundError, match=r"subnets 'sub3'.*did you mean: sub2, sub1"):
        routers.router_create(cloud.conn, "web", "edge", subnets=["sub3"])
    cloud.add(Router(id="r-twin", name="old", project_id="p-web"))
    with pytest.raises(AmbiguousNameError, match="2 routers with that name"):
        routers.router_create(cloud.conn, "web", "old")


def test_a_failed_second_interface_undoes_the_first_and_the_router(cloud):
    added = []

    def add_interface(router, subnet=None, port=None, **_kwargs):
        if added:
            raise exceptions.ConflictException("subnet in use")
        added.append((router, subnet, port))
        return {}

    cloud.serve("network", add_interface_to_router=add_interface)
    cloud.serve("network", remove_interface_from_router=lambda router, subnet=None, port=None: {})
    with pytest.raises(OpenStackConflictError, match="subnet in use") as failure:
        routers.router_create(cloud.conn, "web", "edge", subnets=["sub1", "sub2"], dry_run=False)
    edge = added[0][0]
    cloud.conn.network.remove_interface_from_router.assert_called_once_with(edge, subnet="s-1")
    assert edge.id not in {r.id for r in cloud.of("routers")}
    assert str(failure.value).endswith(
        "rolled back: add router interface edge on subnet sub1, create router edge"
    )
