"""A fake cloud for the notification workflows (signature-checked openstacksdk fakes)."""

import datetime

import pytest
from openstack.compute.v2.flavor import Flavor
from openstack.compute.v2.server import Server
from openstack.identity.v3.project import Project
from openstack.identity.v3.user import User
from openstack.image.v2.image import Image

from apis.email_api.account import SMTPAccount
from tests.fakes.cloud import FakeCloud
from tests.fakes.raw_api import two_hypervisors

NOW = datetime.datetime(2026, 6, 15, 9, 30, tzinfo=datetime.timezone.utc)


@pytest.fixture(autouse=True)
def fixture_pinned_now(pin_clock):
    """Server ages and decommission dates below count from NOW, and so do the notifications."""
    pin_clock(NOW)


DECOM = "cloudops:decommission_date"


def server(name, status, project, user, days, hv="hv1", flavor="m1.small", image="img-1"):
    """A server as openstacksdk builds it from nova's answer."""
    created = (NOW - datetime.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return Server(
        id=f"id-{name}",
        name=name,
        status=status,
        project_id=project,
        user_id=user,
        created_at=created,
        updated_at=created,
        hypervisor_hostname=hv,
        compute_host=hv,
        flavor={"original_name": flavor, "vcpus": 1},
        image={"id": image},
    )


@pytest.fixture(name="cloud")
def fixture_cloud():
    """Three owners (carol has no email), a deleted owner, retiring flavor and image."""
    return FakeCloud(
        servers=[
            server("web-1", "SHUTOFF", "p-web", "u-alice", 200, flavor="legacy.small"),
            server("web-2", "SHUTOFF", "p-web", "u-bob", 10),
            server("db-1", "ERROR", "p-data", "u-carol", 50, hv="hv2"),
            server("lab-1", "SHUTOFF", "p-lab", "u-alice", 400, hv="hv2", flavor="legacy.small"),
            server("ghost", "SHUTOFF", "p-lab", "u-gone", 30),
            server("api-1", "ACTIVE", "p-web", "u-bob", 5, image="img-legacy"),
        ],
        users=[
            User(id="u-alice", name="alice", email="alice@example.org", domain_id="default"),
            User(id="u-bob", name="bob", email="bob@example.org", domain_id="default"),
            User(id="u-carol", name="carol", email=None, domain_id="default"),
        ],
        projects=[
            Project(id="p-web", name="web", domain_id="default"),
            Project(id="p-data", name="data", domain_id="default"),
            Project(id="p-lab", name="lab", domain_id="default"),
        ],
        flavors=[
            Flavor(id="f-1", name="m1.small", vcpus=1, ram=512, disk=1, extra_specs={}),
            Flavor(
                id="f-2",
                name="legacy.small",
                vcpus=1,
                ram=512,
                disk=1,
                extra_specs={DECOM: "2026-12-25"},
            ),
        ],
        images=[
            Image(id="img-1", name="cirros", status="active", visibility="public", properties={}),
            Image(
                id="img-legacy",
                name="legacy-os",
                status="active",
                visibility="public",
                os_distro="centos",
                min_disk=5,
                min_ram=512,
                created_at="2020-01-10T09:00:00Z",
                properties={DECOM: "2027-01-24", "os_version": "7"},
            ),
            Image(id="img-dup-1", name="twin", status="active", visibility="public"),
            Image(id="img-dup-2", name="twin", status="active", visibility="public"),
        ],
        hypervisors=two_hypervisors("disk swap"),
    )


@pytest.fixture(name="relay")
def fixture_relay():
    """An SMTP account (never reached: tests either dry-run or mock the connection)."""
    return SMTPAccount.from_config(
        {"name": "relay", "host": "smtp.example.org", "from_address": "cloud@example.org"}
    )
