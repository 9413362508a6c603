"""network.check.routers on the fake cloud."""

import pytest
from openstack.network.v2.network import Network
from openstack.network.v2.router import Router
from openstack.network.v2.subnet import Subnet

from apis.openstack_api import network_checks
from apis.openstack_api.identity.exceptions import InvalidParameterError
from tests.fakes.cloud import FakeCloud


def router(name, network=None, ips=(), project="p-web"):
    """A router, with a gateway when ``network`` is given."""
    gateway = None
    if network:
        gateway = {
            "network_id": network,
            "external_fixed_ips": [{"subnet_id": "s", "ip_address": ip} for ip in ips],
        }
    return Router(id=f"r-{name}", name=name, project_id=project, external_gateway_info=gateway)


def gateway_cloud():
    """Project web, two external networks (public 198.51.100.0/24, the expected one, and legacy
    203.0.113.0/24) and a router with its gateway on each (good and bad)."""
    cloud = FakeCloud()
    cloud.project("web")
    for net, cidr in (("public", "198.51.100.0/24"), ("legacy", "203.0.113.0/24")):
        cloud.add(Network(id=f"n-{net}", name=net, is_router_external=True))
        cloud.add(Subnet(id=f"s-{net}", network_id=f"n-{net}", cidr=cidr))
    cloud.add(router("good", "n-public", ["198.51.100.5"]))
    cloud.add(router("bad", "n-legacy", ["203.0.113.7"]))
    return cloud


@pytest.fixture(name="cloud")
def fixture_cloud():
    """The gateway cloud plus routers without addresses and one without a gateway."""
    cloud = gateway_cloud()
    cloud.add(router("noip-good", "n-public"))
    cloud.add(router("noip-bad", "n-legacy", project="p-gone"))
    cloud.add(router("internal"))
    return cloud


def test_reports_routers_outside_the_expected_cidrs(cloud):
    result = network_checks.network_check_routers(cloud.conn, ["198.51.100.0/24", "2001:db8::/32"])
    assert result["checked"] == 4 and result["count"] == 2
    noip, bad = result["routers"]
    assert (noip.router_name, noip.project_name, noip.project_id) == ("noip-bad", None, "p-gone")
    assert noip.reason.startswith("gateway has no IP")
    assert (bad.router_name, bad.project_name, bad.external_network_name) == (
        "bad",
        "web",
        "legacy",
    )
    assert bad.gateway_ips == ["203.0.113.7"] and "203.0.113.7 outside" in bad.reason
    assert result["expected_external_cidrs"] == ["198.51.100.0/24", "2001:db8::/32"]


def test_all_expected_gives_no_findings(cloud):
    result = network_checks.network_check_routers(cloud.conn, ["198.51.100.0/24", "203.0.113.0/24"])
    assert result["count"] == 0 and result["routers"] == []


@pytest.mark.parametrize(
    "cidrs, message",
    [(None, "expected_external_cidrs is empty"), (["10.0.0.0/33"], "'10.0.0.0/33' is not a CIDR")],
)
def test_bad_cidrs(cloud, cidrs, message):
    with pytest.raises(InvalidParameterError, match=message):
        network_checks.network_check_routers(cloud.conn, cidrs)
    assert cloud.calls_made() == []
