"""Fixture cloud for the query library's unit tests."""

import datetime

import pytest
from openstack.compute.v2.aggregate import Aggregate
from openstack.compute.v2.flavor import Flavor
from openstack.compute.v2.server import Server
from openstack.identity.v3.domain import Domain
from openstack.identity.v3.project import Project
from openstack.identity.v3.user import User
from openstack.image.v2.image import Image
from openstack.network.v2.floating_ip import FloatingIP
from openstack.network.v2.network import Network
from openstack.network.v2.port import Port
from openstack.network.v2.security_group import SecurityGroup

from tests.fakes.cloud import FakeCloud
from tests.fakes.raw_api import two_hypervisors

NOW = datetime.datetime(2026, 6, 15, 9, 30, tzinfo=datetime.timezone.utc)


@pytest.fixture(autouse=True)
def fixture_pinned_now(pin_clock):
    """Ages below count from NOW, and so does every query the tests run."""
    pin_clock(NOW)


def ago(days: float) -> str:
    """An ISO timestamp ``days`` ago, as nova prints it."""
    return (NOW - datetime.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def server(name, status, project, user, days, hv="hv1", flavor="m1.small", image="img-1"):
    """A server resource as openstacksdk builds it from the API."""
    return Server(
        id=f"id-{name}",
        name=name,
        status=status,
        project_id=project,
        user_id=user,
        created_at=ago(days),
        updated_at=ago(days / 2),
        hypervisor_hostname=hv,
        compute_host=hv,
        flavor={"original_name": flavor, "vcpus": 1},
        image={"id": image} if image else "",
        tags=["web"] if name.startswith("web") else [],
        is_locked=False,
    )


@pytest.fixture(name="cloud")
def fixture_cloud():
    """A small cloud: 3 projects, 3 users, 6 servers, and one of every other resource."""
    return FakeCloud(
        servers=[
            server("web-1", "ACTIVE", "p-web", "u-alice", 200),
            server("web-2", "SHUTOFF", "p-web", "u-bob", 100),
            server("db-1", "SHUTOFF", "p-data", "u-carol", 50, hv="hv2", flavor="m1.large"),
            server("etl-1", "ERROR", "p-data", "u-carol", 10, hv=None, image=None),
            server("lab-1", "SHUTOFF", "p-lab", "u-alice", 400, hv="hv2"),
            server("lab-2", "ACTIVE", "p-lab", "u-bob", 1),
        ],
        users=[
            User(id="u-alice", name="alice", email="alice@example.org", domain_id="default"),
            User(id="u-bob", name="bob", email="bob@example.org", domain_id="default"),
            User(id="u-carol", name="carol", email=None, domain_id="d-science"),
        ],
        projects=[
            Project(id="p-web", name="web", domain_id="default", description="Web tier"),
            Project(id="p-data", name="data", domain_id="d-science", description="Data"),
            Project(id="p-lab", name="lab", domain_id="d-science", description="Lab"),
        ],
        domains=[Domain(id="default", name="Default"), Domain(id="d-science", name="science")],
        flavors=[
            Flavor(id="f-1", name="m1.small", vcpus=1, ram=512, disk=1, is_public=True),
            Flavor(id="f-2", name="m1.large", vcpus=8, ram=16384, disk=80, is_public=False),
        ],
        images=[
            Image(id="img-1", name="cirros", status="active", visibility="public", size=1000),
            Image(
                id="img-2",
                name="legacy",
                status="active",
                visibility="private",
                owner="p-data",
                properties={"cloudops:decommission_date": "2027-01-01"},
            ),
        ],
        hypervisors=two_hypervisors("maintenance"),
        aggregates=[Aggregate(id=1, name="gpu", hosts=["hv2"], metadata={"gpu": "true"})],
        ips=[FloatingIP(id="fip-1", floating_ip_address="198.51.100.5", project_id="p-web")],
        networks=[Network(id="net-1", name="web-net", project_id="p-web", is_shared=False)],
        ports=[Port(id="port-1", name="", project_id="p-web", device_owner="compute:nova")],
        security_groups=[SecurityGroup(id="sg-1", name="default", project_id="p-web")],
        placement={
            "/resource_providers/rp-1/inventories": {
                "inventories": {
                    "VCPU": {"total": 8, "reserved": 0, "allocation_ratio": 4.0},
                    "MEMORY_MB": {"total": 4096, "reserved": 512, "allocation_ratio": 1.0},
                }
            },
            "/resource_providers/rp-1/usages": {"usages": {"VCPU": 3, "MEMORY_MB": 1024}},
        },
    )
