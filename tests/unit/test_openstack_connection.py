"""Cloud name validation and connection errors, with openstacksdk's real config loader."""

import socket

import pytest

from action_runtime.dispatch import dispatch
from apis.openstack_api import cloud_info as cloud_info_module
from apis.openstack_api.connection import check_cloud_name, connect, known_clouds
from apis.openstack_api.exceptions import CloudConnectionError, UnknownCloudError

PASSWORD = "devcloud-admin-secret"
CLOUD_INFO = "apis.openstack_api.cloud_info:cloud_info"


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(name="clouds")
def fixture_clouds(tmp_path, monkeypatch):
    """A clouds.yaml with two clouds whose keystone does not answer."""
    path = tmp_path / "clouds.yaml"
    port = closed_port()
    path.write_text(
        "clouds:\n"
        + "".join(
            f"  {name}:\n"
            f"    auth:\n"
            f"      auth_url: http://127.0.0.1:{port}/v3\n"
            f"      username: admin\n"
            f"      password: {PASSWORD}\n"
            f"      project_name: admin\n"
            f"      user_domain_name: Default\n"
            f"      project_domain_name: Default\n"
            f"    region_name: RegionOne\n"
            f"    api_timeout: 2\n"
            for name in ("prod", "staging")
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(path))
    monkeypatch.delenv("OS_CLOUD", raising=False)
    return path


def test_known_clouds_reads_clouds_yaml(clouds):
    assert clouds.exists()
    assert known_clouds() == ["prod", "staging"]


def test_unknown_cloud_lists_choices_and_suggests(clouds):
    assert clouds.exists()
    with pytest.raises(UnknownCloudError) as err:
        check_cloud_name("prd")
    assert str(err.value) == (
        "cloud_account 'prd' is not a known cloud; "
        "valid clouds: prod, staging. Did you mean 'prod'?"
    )


def test_unreachable_cloud_is_a_clear_error_without_the_password(clouds):
    assert clouds.exists()
    with pytest.raises(CloudConnectionError) as err:
        with connect("prod"):
            pass
    assert "cannot connect to cloud 'prod'" in str(err.value)
    assert PASSWORD not in str(err.value)


def test_the_action_runtime_fails_cleanly_when_the_cloud_cannot_be_reached(clouds):
    assert clouds.exists()
    ok, failure = dispatch(CLOUD_INFO, {"cloud_account": "staging"}, {})
    assert not ok and failure["error_type"] == "CloudConnectionError"
    assert failure["error"].startswith("cannot connect to cloud 'staging': ")
    assert PASSWORD not in failure["error"]


def test_the_action_runtime_names_the_valid_clouds(clouds):
    assert clouds.exists()
    ok, failure = dispatch(CLOUD_INFO, {"cloud_account": "stagin"}, {})
    assert not ok and failure == {
        "error": "cloud_account 'stagin' is not a known cloud; "
        "valid clouds: prod, staging. Did you mean 'staging'?",
        "error_type": "UnknownCloudError",
    }


class FakeAccess:
    """The keystoneauth AccessInfo fields cloud_info reads."""

    username = "admin"
    project_name = "admin"
    project_domain_name = "Default"

    class service_catalog:  # pylint: disable=invalid-name
        """A v3 catalog, unsorted on purpose."""

        catalog = [
            {
                "type": "identity",
                "name": "keystone",
                "endpoints": [
                    {"interface": "public", "region_id": "RegionOne", "url": "http://ks/v3"},
                    {"interface": "admin", "region": "RegionOne", "url": "http://ks-admin/v3"},
                ],
            },
            {"type": "compute", "name": "nova", "endpoints": []},
        ]


class FakeConnection:
    """Only what cloud_info touches of an openstacksdk Connection."""

    def __init__(self):
        self.session = self
        self.auth = self
        self.config = self
        self.name = "prod"

    def get_access(self, session):
        """keystoneauth's get_access(session)."""
        assert session is self
        return FakeAccess()

    @staticmethod
    def get_auth_args():
        """CloudRegion.get_auth_args()."""
        return {"auth_url": "http://ks/v3"}

    @staticmethod
    def get_region_name():
        """CloudRegion.get_region_name()."""
        return "RegionOne"


def test_cloud_info_shapes_the_catalog():
    info = cloud_info_module.cloud_info(FakeConnection())
    assert info["cloud"] == "prod"
    assert [s["type"] for s in info["services"]] == ["compute", "identity"]
    assert info["services"][1]["endpoints"] == [
        {"interface": "admin", "region": "RegionOne", "url": "http://ks-admin/v3"},
        {"interface": "public", "region": "RegionOne", "url": "http://ks/v3"},
    ]
    assert info["user"] == "admin" and info["region"] == "RegionOne"
    assert info["auth_url"] == "http://ks/v3"
