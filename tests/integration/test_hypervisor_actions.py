"""Hypervisor service actions and finders through the local runner on the devcloud."""

import pytest

from tests.integration.action_run import code_and_result

pytestmark = pytest.mark.integration


@pytest.fixture(name="compute2")
def fixture_compute2(admin_conn, seeded_cloud):
    """compute2's compute service, enabled again after the test."""
    assert seeded_cloud
    (service,) = [
        s for s in admin_conn.compute.services(binary="nova-compute") if s.host == "compute2"
    ]
    yield service
    admin_conn.compute.enable_service(service)


def status_of(admin_conn, host):
    """The current status and reason of a host's compute service."""
    (service,) = [s for s in admin_conn.compute.services(binary="nova-compute") if s.host == host]
    return service.status, service.disabled_reason


def test_disable_and_enable(clouds_yaml, admin_conn, compute2):
    cloud = f"cloud_account={clouds_yaml.cloud}"
    assert compute2.status == "enabled"
    code, planned = code_and_result(
        None, "hypervisor.service.disable", cloud, "hypervisor=compute2", "reason=disk swap"
    )
    assert code == 0 and planned["dry_run"] and not planned["changed"]
    assert status_of(admin_conn, "compute2")[0] == "enabled"
    code, done = code_and_result(
        None,
        "hypervisor.service.disable",
        cloud,
        "hypervisor=compute2",
        "reason=disk swap",
        "operator=ops-bot",
        "expected_status=enabled",
        "dry_run=false",
    )
    assert code == 0 and done["changed"]
    status, reason = status_of(admin_conn, "compute2")
    assert status == "disabled" and reason.startswith("[maintenance] disk swap (by ops-bot, ")
    code, refused = code_and_result(
        None,
        "hypervisor.service.disable",
        cloud,
        "hypervisor=compute2",
        "reason=again",
        "expected_status=enabled",
        "dry_run=false",
    )
    assert code == 1 and "compute2 is disabled" in refused["error"]
    code, enabled = code_and_result(
        None, "hypervisor.service.enable", cloud, "hypervisor=compute2", "dry_run=false"
    )
    assert code == 0 and enabled["changed"] and enabled["previous_status"] == "disabled"
    assert status_of(admin_conn, "compute2") == ("enabled", None)


def test_finders_skip_busy_hypervisors(clouds_yaml, seeded_cloud):
    busy = {s["host"] for s in seeded_cloud["servers"].values() if s["host"]}
    code, empty = code_and_result(
        None, "hypervisor.find.empty", f"cloud_account={clouds_yaml.cloud}"
    )
    assert code == 0
    assert not busy & {h["hypervisor"] for h in empty["hypervisors"]}
    code, candidates = code_and_result(
        None,
        "hypervisor.find.reinstall.candidates",
        f"cloud_account={clouds_yaml.cloud}",
        "min_uptime_days=0",
        "include_unknown_uptime=true",
    )
    assert code == 0
    assert not busy & {h["hypervisor"] for h in candidates["rows"]}
