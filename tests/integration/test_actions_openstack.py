"""The OpenStack example action against the real devcloud, through the local runner."""

import pytest
import yaml

from apis.openstack_api.cloud_info import cloud_info
from apis.openstack_api.connection import connect
from apis.openstack_api.exceptions import CloudConnectionError
from tests.integration.action_run import run_action

pytestmark = pytest.mark.integration

EXPECTED_SERVICES = {"compute", "identity", "image", "network", "placement"}


def test_cloud_info_action_as_admin(clouds_yaml):
    code, answer, _ = run_action(None, "openstack.cloud.info", f"cloud_account={clouds_yaml.cloud}")
    assert code == 0, answer
    info = answer["result"]
    assert info["cloud"] == clouds_yaml.cloud
    assert info["user"] == "admin" and info["project"] == "admin"
    assert info["region"] == "RegionOne"
    assert EXPECTED_SERVICES <= {service["type"] for service in info["services"]}
    identity = next(s for s in info["services"] if s["type"] == "identity")
    assert any(e["url"].startswith("http://127.0.0.1:5000") for e in identity["endpoints"])


def test_cloud_info_as_project_member(throwaway_project, monkeypatch):
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(throwaway_project.clouds_yaml))
    with connect(throwaway_project.cloud) as conn:
        info = cloud_info(conn)
    assert info["project"] == throwaway_project.project_name
    assert info["user"] == throwaway_project.user_name


def test_wrong_password_fails_cleanly_without_leaking_it(clouds_yaml, tmp_path, monkeypatch):
    clouds = yaml.safe_load(clouds_yaml.path.read_text(encoding="utf-8"))
    wrong = "not-the-admin-password-5c1d"
    clouds["clouds"][clouds_yaml.cloud]["auth"]["password"] = wrong
    path = tmp_path / "clouds.yaml"
    path.write_text(yaml.safe_dump(clouds), encoding="utf-8")
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(path))
    with pytest.raises(CloudConnectionError, match="cannot connect to cloud 'devcloud'") as err:
        with connect(clouds_yaml.cloud):
            pass
    assert wrong not in str(err.value)
    code, answer, printed = run_action(
        None, "openstack.cloud.info", f"cloud_account={clouds_yaml.cloud}"
    )
    assert code == 1 and answer["result"]["error_type"] == "CloudConnectionError"
    assert wrong not in printed
