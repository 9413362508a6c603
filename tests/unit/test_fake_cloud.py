"""The fake cloud itself: its proxies are the real openstacksdk signatures."""

import pytest
from openstack import exceptions

from tests.fakes import project_cloud
from tests.fakes.openstack_cloud import FakeCloud


@pytest.fixture(name="fake")
def fixture_fake():
    return FakeCloud()


def test_proxies_check_signatures(fake):
    with pytest.raises(TypeError):
        fake.conn.network.add_interface_to_router("router", subnet_id="s")
    with pytest.raises(TypeError):
        fake.conn.compute.get_quota_set()


def test_listing_rejects_filters_the_sdk_does_not_know(fake):
    with pytest.raises(AssertionError, match="filters the SDK does not know"):
        fake.conn.network.networks(owner="x")


def test_create_rejects_unknown_attributes_and_stores_the_rest(fake):
    with pytest.raises(AssertionError, match="no attribute"):
        fake.conn.network.create_network(name="n", tenant="x")
    created = fake.conn.network.create_network(name="n", project_id="p")
    assert list(fake.conn.network.networks(name="n")) == [created]
    assert created.mtu == 1500


def test_getter_raises_not_found_like_the_sdk(fake):
    with pytest.raises(exceptions.NotFoundException):
        fake.conn.network.get_network("nope")


@pytest.fixture(name="cloud")
def fixture_cloud():
    return project_cloud.FakeCloud()


def test_fake_proxies_reject_calls_the_sdk_would_reject(cloud):
    with pytest.raises(TypeError):
        cloud.conn.identity.assign_project_role_to_user("p", "u")
    with pytest.raises(TypeError):
        cloud.conn.network.add_interface_to_router("r", subnet_id="s")
    with pytest.raises(AssertionError, match="filters the SDK does not know"):
        list(cloud.conn.network.networks(router_external=True))


def test_fake_neutron_makes_the_default_group_when_listed_by_project(cloud):
    assert not list(cloud.conn.network.security_groups())
    listed = list(cloud.conn.network.security_groups(project_id="p-1"))
    assert [(g.name, g.project_id) for g in listed] == [("default", "p-1")]


def test_fake_getters_raise_not_found(cloud):
    with pytest.raises(exceptions.NotFoundException):
        cloud.conn.identity.get_project("nope")
    assert cloud.conn.identity.get_project(project_cloud.ADMIN_PROJECT).name == "admin"
