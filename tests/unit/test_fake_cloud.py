"""The fake cloud itself: its proxies are the real openstacksdk signatures."""

import pytest
from openstack import exceptions

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
