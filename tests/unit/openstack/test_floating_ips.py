"""floating.ip.allocate / .release on the fake cloud."""

import pytest
from openstack.network.v2.floating_ip import FloatingIP
from openstack.network.v2.network import Network

from apis.openstack_api import floating_ips
from apis.openstack_api.identity.exceptions import InvalidParameterError
from apis.openstack_api.networks import ChangeRefusedError, ResourceConflictError
from tests.result_schemas import check_result
from tests.fakes.cloud import FakeCloud


def fip(address, project, port=None, network="n-pub"):
    """A floating IP as neutron returns it."""
    return FloatingIP(
        id=f"f-{address}",
        floating_ip_address=address,
        project_id=project,
        floating_network_id=network,
        port_id=port,
        status="DOWN",
    )


@pytest.fixture(name="cloud")
def fixture_cloud():
    """Projects web, ops and admin; web holds one floating IP, ops an attached one."""
    cloud = FakeCloud()
    for name in ("web", "ops", "admin"):
        cloud.project(name)
    cloud.add(Network(id="n-pub", name="public", is_router_external=True))
    cloud.add(fip("198.51.100.20", "p-web"))
    cloud.add(fip("198.51.100.21", "p-ops", port="port-9"))
    cloud.add(fip("198.51.100.22", "p-admin"))
    return cloud


def test_allocate_count_counts_what_the_project_holds(cloud):
    dry = floating_ips.floating_ip_allocate(cloud.conn, "web", count=3)
    assert [c.name for c in dry["changes"]] == ["#2 of 3", "#3 of 3"]
    assert [f.name for f in dry["floating_ips"]] == ["198.51.100.20"]
    cloud.conn.network.create_ip.assert_not_called()
    done = floating_ips.floating_ip_allocate(cloud.conn, "web", count=3, dry_run=False)
    held = [f for f in cloud.of("ips") if f.project_id == "p-web"]
    assert len(held) == 3 and done["changed"] and len(done["floating_ips"]) == 3
    for call in cloud.calls("network", "create_ip"):
        assert call.kwargs == {"floating_network_id": "n-pub", "project_id": "p-web"}
    again = floating_ips.floating_ip_allocate(cloud.conn, "web", count=3, dry_run=False)
    check_result("floating.ip.allocate", again)
    assert again["changes"] == [] and all(f.existed for f in again["floating_ips"])


def test_allocate_addresses(cloud):
    result = floating_ips.floating_ip_allocate(
        cloud.conn,
        "web",
        external_network="public",
        addresses=["198.51.100.20", "198.51.100.50"],
        count=3,
        dry_run=True,
    )
    assert [c.name for c in result["changes"]] == ["198.51.100.50", "#3 of 3"]
    floating_ips.floating_ip_allocate(cloud.conn, "web", addresses=["198.51.100.50"], dry_run=False)
    created = next(f for f in cloud.of("ips") if f.floating_ip_address == "198.51.100.50")
    assert created.project_id == "p-web"
    with pytest.raises(
        ResourceConflictError, match="198.51.100.21 already belongs to project p-ops"
    ):
        floating_ips.floating_ip_allocate(cloud.conn, "web", addresses=["198.51.100.21"])
    with pytest.raises(InvalidParameterError, match="'300.1.1.1' is not an IP address"):
        floating_ips.floating_ip_allocate(cloud.conn, "web", addresses=["300.1.1.1"])


def test_allocate_validates_count(cloud):
    with pytest.raises(InvalidParameterError, match="give count, addresses or both"):
        floating_ips.floating_ip_allocate(cloud.conn, "web")
    with pytest.raises(InvalidParameterError, match="count must be at least 1, not 0"):
        floating_ips.floating_ip_allocate(cloud.conn, "web", count=0)
    cloud.conn.network.create_ip.assert_not_called()


def test_release_dry_run_then_release(cloud):
    dry = floating_ips.floating_ip_release(cloud.conn, ["198.51.100.20", "198.51.100.99"], "web")
    assert [c.summary() for c in dry["changes"]] == ["delete floating IP 198.51.100.20"]
    assert dry["absent"] == ["198.51.100.99"]
    cloud.conn.network.delete_ip.assert_not_called()
    done = floating_ips.floating_ip_release(cloud.conn, ["f-198.51.100.20"], dry_run=False)
    assert done["changed"] and "198.51.100.20" not in [
        f.floating_ip_address for f in cloud.of("ips")
    ]
    again = floating_ips.floating_ip_release(cloud.conn, ["198.51.100.20"], dry_run=False)
    assert again["absent"] == ["198.51.100.20"] and not again["changed"]


def test_release_refuses_everything_if_anything_is_refused(cloud):
    with pytest.raises(ChangeRefusedError) as err:
        floating_ips.floating_ip_release(
            cloud.conn,
            ["198.51.100.20", "198.51.100.21", "198.51.100.22"],
            project="web",
            protected_projects=["admin"],
            dry_run=False,
        )
    message = str(err.value)
    assert "198.51.100.21 (project ops) does not belong to project web" in message
    assert "198.51.100.21 (project ops) is attached to port port-9 (use force)" in message
    assert "198.51.100.22 (project admin) belongs to a protected project" in message
    cloud.conn.network.delete_ip.assert_not_called()


def test_release_attached_with_force(cloud):
    result = floating_ips.floating_ip_release(
        cloud.conn, ["198.51.100.21"], force=True, dry_run=False
    )
    assert result["changes"][0].details == {"project_id": "p-ops", "port_id": "port-9"}
    assert len(cloud.of("ips")) == 2


def test_release_needs_values(cloud):
    with pytest.raises(InvalidParameterError, match="floating_ips is empty"):
        floating_ips.floating_ip_release(cloud.conn, [])
    assert cloud.calls_made() == []
