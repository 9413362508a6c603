"""image.share.to.project and image.decommission.mark on the fake cloud."""

import datetime

import pytest
from openstack.image.v2.image import Image

from apis.openstack_api import images
from apis.openstack_api.identity.exceptions import (
    AmbiguousNameError,
    InvalidParameterError,
)
from apis.openstack_api.images import DECOMMISSION_KEY, parse_date
from tests.result_schemas import check_result
from tests.fakes.cloud import FakeCloud

NOW = datetime.datetime(2026, 6, 15, 9, 30, tzinfo=datetime.timezone.utc)
TOMORROW = (NOW + datetime.timedelta(days=1)).date()


@pytest.fixture(name="cloud")
def fixture_cloud(pin_clock):
    """Images: private (owned by data), shared, public; projects web and data; today is NOW."""
    pin_clock(NOW)
    cloud = FakeCloud()
    cloud.project("web")
    cloud.project("data")
    cloud.add(Image(id="i-priv", name="etl", owner="p-data", visibility="private"))
    cloud.add(Image(id="i-shared", name="tools", owner="p-data", visibility="shared"))
    cloud.add(
        Image(id="i-pub", name="cirros", owner=None, visibility="public", stores="fs", os="linux"),
    )
    return cloud


def test_share_dry_run_lists_visibility_member_and_acceptance(cloud):
    result = images.image_share_to_project(cloud.conn, "etl", "web")
    assert [c.summary() for c in result["changes"]] == [
        "update image etl",
        "add image member etl for project web",
        "update image member etl for project web",
    ]
    assert result["member_status"] is None and not result["already_shared"]
    cloud.conn.image.add_member.assert_not_called()
    cloud.conn.image.update_image.assert_not_called()


def test_share_makes_shared_adds_and_accepts_then_is_idempotent(cloud):
    result = images.image_share_to_project(cloud.conn, "etl", "web", dry_run=False)
    image = cloud.conn.image.get_image("i-priv")
    assert image.visibility == "shared" and result["member_status"] == "accepted"
    cloud.conn.image.add_member.assert_called_once_with(image, member_id="p-web")
    cloud.conn.image.update_member.assert_called_once_with("p-web", image, status="accepted")
    again = images.image_share_to_project(cloud.conn, "etl", "web", dry_run=False)
    check_result("image.share.to.project", again)
    assert again["already_shared"] and again["changes"] == []


def test_pending_member_is_accepted(cloud):
    cloud.conn.image.add_member(cloud.conn.image.get_image("i-shared"), member_id="p-web")
    result = images.image_share_to_project(cloud.conn, "tools", "web", dry_run=False)
    assert [c.verb.value for c in result["changes"]] == ["update"]
    assert cloud.image_members["i-shared"][0].status == "accepted"


def test_share_refuses_public_and_own_images(cloud):
    with pytest.raises(InvalidParameterError, match="image 'cirros' is public"):
        images.image_share_to_project(cloud.conn, "cirros", "web")
    with pytest.raises(InvalidParameterError, match="project data owns image etl"):
        images.image_share_to_project(cloud.conn, "etl", "data")
    cloud.conn.image.add_member.assert_not_called()


def test_duplicate_image_names_need_the_id(cloud):
    cloud.add(Image(id="i-priv2", name="etl", owner="p-web", visibility="private"))
    with pytest.raises(AmbiguousNameError, match=r"i-priv \(project p-data\), i-priv2"):
        images.image_share_to_project(cloud.conn, "etl", "web")
    assert images.find_image(cloud.conn, "i-priv2").owner == "p-web"


def test_decommission_mark_dry_run_then_set_then_idempotent(cloud):
    dry = images.image_decommission_mark(cloud.conn, "cirros", TOMORROW.isoformat())
    assert dry["changes"][0].details == {
        DECOMMISSION_KEY: {"from": None, "to": TOMORROW.isoformat()}
    }
    cloud.conn.image.update_image.assert_not_called()
    images.image_decommission_mark(cloud.conn, "cirros", TOMORROW.isoformat(), dry_run=False)
    image = cloud.conn.image.get_image("i-pub")
    assert image.properties == {
        "stores": "fs",
        "os": "linux",
        DECOMMISSION_KEY: TOMORROW.isoformat(),
    }
    again = images.image_decommission_mark(
        cloud.conn, "cirros", TOMORROW.isoformat(), dry_run=False
    )
    assert again["changes"] == [] and again["previous_date"] == TOMORROW.isoformat()


def test_decommission_date_is_checked(cloud):
    with pytest.raises(InvalidParameterError, match="decommission_date '2027-13-01' is not a"):
        images.image_decommission_mark(cloud.conn, "cirros", "2027-13-01")
    with pytest.raises(InvalidParameterError, match="is in the past"):
        parse_date("2001-01-01")
    assert cloud.calls_made() == []
