"""Each action execution authenticates once per cloud, whatever api calls it makes.

Keystone is reached through a loopback proxy (``auth_url`` of the clouds.yaml points at it);
the proxy sees every ``POST /v3/auth/tokens`` the action's process sends, so a connection
opened, or a token fetched again, anywhere below the action runtime is counted. The actions
run as StackStorm runs them (local runner: fresh interpreter, dispatch).
"""

import json
import uuid
from pathlib import Path
from typing import List

import pytest
import yaml

from action_runtime.cloud_connections import cloud_parameters
from action_runtime.dispatch import resolve
from tests.integration.action_run import code_and_result
from tests.integration.devcloud_fixtures import HOST
from tests.integration.fault_proxy import FaultProxy
from workflows import cloud_cross_check, hypervisor_watch

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
CLOUD = "counted"
TWIN = "counted-twin"
KEYSTONE = f"http://{HOST}:5000"

# the parameters each action needs besides cloud_account; changing actions run dry
ARGUMENTS = {
    "check.image.shares": [],
    "check.old.volume.snapshots": [],
    "check.open.security.groups": [],
    "check.orphans": [],
    "check.stale.servers": ["all_projects=true"],
    "check.unusable.flavors": [],
    "check.unused.floating.ips": ["all_projects=true"],
    "email.mailing.list.image.created": ["image=seed-cirros"],
    "email.mailing.list.image.decommissioned": [
        "image=seed-cirros",
        "decommission_date=2030-01-01",
    ],
    "email.ops.down.disabled.hypervisors": [],
    "email.users.with.decom.flavors": ["all_projects=true"],
    "email.users.with.decom.images": ["all_projects=true"],
    "email.users.with.errored.vms": ["all_projects=true"],
    "email.users.with.shutoff.vms": ["all_projects=true"],
    "email.users.with.vms.on.hypervisor": [
        "hypervisor_name=compute1",
        "start=2030-01-01",
        "all_projects=true",
    ],
    "hypervisor.drain": ["hypervisor=compute2", "reason=auth count", "dry_run=true"],
    "hypervisor.drain.plan": ["hypervisor=compute2"],
    "hypervisor.find.empty": [],
    "hypervisor.find.reinstall.candidates": [],
    "hypervisor.maintenance.resume": ["hypervisor=compute2", "dry_run=true"],
    "hypervisor.maintenance.start": ["hypervisor=compute2", "dry_run=true"],
    "hypervisor.maintenance.step": ["hypervisor=compute2", "step=drain", "dry_run=true"],
    "hypervisor.patch.reboot": ["hypervisor=compute2", "dry_run=true"],
    "hypervisor.post.reboot": ["hypervisor=compute2", "dry_run=true"],
    "hypervisor.shutdown.servers": ["hypervisor=compute1", "dry_run=true"],
    # boots and deletes a real server per host, from worker threads
    "hypervisor.test.server": [
        "hypervisors=compute1,compute2",
        "image=seed-cirros",
        "flavors=seed.small",
        "wait_seconds=120",
    ],
    "openstack.search": ["query_type=servers", "all_projects=true"],
    "server.migrate.batch": ["servers=seed-web-2", "dry_run=true"],
    "project.create": [f"name=authcount-{uuid.uuid4().hex[:8]}", "dry_run=true"],
    "project.delete": ["project=seed-web", "force=true", "dry_run=true"],
}
# refused after reading the host's state over the execution's connection: compute2 is in use
# (RUNNING: nothing to resume)
EXPECTED_ERRORS = {
    "hypervisor.maintenance.resume": "MaintenanceStepError",
    "hypervisor.patch.reboot": "PatchRebootError",
    # the devcloud has no cinder: refused after reading the token's catalog
    "check.old.volume.snapshots": "VolumeSnapshotError",
}


def composite_actions() -> List[str]:
    """The python actions whose lib function is a workflow on a cloud connection."""
    names = []
    for path in sorted((ROOT / "actions").glob("*.yaml")):
        action = yaml.safe_load(path.read_text(encoding="utf-8"))
        lib_function = action["parameters"].get("lib_function", {}).get("default", "")
        if lib_function.startswith("workflows.") and cloud_parameters(resolve(lib_function)):
            names.append(action["name"])
    return names


@pytest.fixture(name="keystone", scope="module")
def fixture_keystone(devcloud, clouds_yaml, tmp_path_factory):
    """A proxy in front of keystone, and a clouds.yaml whose two admin clouds auth through it."""
    assert devcloud
    admin = json.loads(clouds_yaml.path.read_text(encoding="utf-8"))["clouds"][clouds_yaml.cloud]
    with FaultProxy(KEYSTONE) as proxy:
        cloud = {**admin, "auth": {**admin["auth"], "auth_url": f"{proxy.url}/v3"}}
        path = tmp_path_factory.mktemp("counted") / "clouds.yaml"
        path.write_text(json.dumps({"clouds": {CLOUD: cloud, TWIN: cloud}}), encoding="utf-8")
        proxy.clouds_yaml = path
        yield proxy


@pytest.fixture(name="config", scope="module")
def fixture_config(alertmanager, tmp_path_factory) -> Path:
    """The example pack config with its Alertmanager account on the local Alertmanager and no
    Icinga account for the maintenance runbooks (the dry runs read silences)."""
    config = yaml.safe_load((ROOT / "cloudops.yaml.example").read_text(encoding="utf-8"))
    config["alertmanager_accounts"] = [{"name": "default", "url": alertmanager.url}]
    config["hypervisor_maintenance"].pop("icinga_account", None)
    path = tmp_path_factory.mktemp("config") / "cloudops.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


@pytest.fixture(name="authentications")
def fixture_authentications(keystone, monkeypatch):
    """``authentications()``: the token requests keystone got since the last call."""
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(keystone.clouds_yaml))

    def authentications() -> int:
        seen, keystone.seen[:] = list(keystone.seen), []
        return sum(1 for method, path, _ in seen if method == "POST" and path.endswith("/tokens"))

    authentications()
    return authentications


def test_every_composite_action_is_counted():
    assert sorted(set(composite_actions()) - set(ARGUMENTS)) == []


@pytest.mark.parametrize("action", sorted(ARGUMENTS))
def test_one_authentication_per_execution(action, config, authentications, seeded_cloud):
    assert seeded_cloud
    code, result = code_and_result(config, action, f"cloud_account={CLOUD}", *ARGUMENTS[action])
    if action in EXPECTED_ERRORS:
        assert code == 1 and result["error_type"] == EXPECTED_ERRORS[action], result
    else:
        assert code == 0, result
    assert authentications() == 1


def test_a_failing_execution_authenticates_once_too(authentications, seeded_cloud):
    assert seeded_cloud
    code, result = code_and_result(
        None, "hypervisor.drain.plan", f"cloud_account={CLOUD}", "hypervisor=compute9"
    )
    assert code == 1 and "compute1" in result["error"], result
    assert authentications() == 1


def test_sensor_polls_authenticate_once_per_cloud(authentications, seeded_cloud):
    assert seeded_cloud
    settings = cloud_cross_check.CrossCheckConfig.from_config(
        {"source_cloud": CLOUD, "target_cloud": TWIN}
    )
    result = cloud_cross_check.poll(settings, {})
    assert not result.errors
    assert authentications() == 2
    hypervisor_watch.poll(CLOUD, {})
    assert authentications() == 1
