"""quota.show and quota.set on the fake cloud."""

import pytest

from apis.openstack_api import quotas
from apis.openstack_api.identity.exceptions import InvalidParameterError
from apis.openstack_api.networks import ChangeRefusedError, Plan
from apis.openstack_api.quotas import QuotaKey, QuotaService, QuotaUsage
from tests.result_schemas import check_result
from tests.fakes.cloud import FakeCloud

COMPUTE = {key.key: (10, 0) for key in QuotaKey.of(QuotaService.COMPUTE)}
NETWORK = {key.key: (50, 0) for key in QuotaKey.of(QuotaService.NETWORK)}
VOLUME = {key.key: (100, 0) for key in QuotaKey.of(QuotaService.VOLUME)}


@pytest.fixture(name="cloud")
def fixture_cloud():
    """Project web using 4 cores and 2 floating IPs; no block storage."""
    cloud = FakeCloud()
    cloud.project("web")
    cloud.quotas = {
        "compute": {"p-web": {**COMPUTE, "cores": (20, 4)}},
        "network": {"p-web": {**NETWORK, "floating_ips": (5, 2)}},
        "volume": {"p-web": dict(VOLUME)},
    }
    return cloud


def test_show_reports_usage_and_absent_services(cloud):
    result = quotas.quota_show(cloud.conn, "web")
    assert result["compute"]["cores"] == QuotaUsage(limit=20, in_use=4, reserved=0)
    assert result["network"]["floating_ips"] == QuotaUsage(limit=5, in_use=2, reserved=0)
    assert result["volume"] is None and result["absent_services"] == ["volume"]
    assert result["project"].name == "web"
    cloud.conn.block_storage.get_quota_set.assert_not_called()


def test_show_includes_block_storage_when_present(cloud):
    cloud.catalog.add("block-storage")
    result = quotas.quota_show(cloud.conn, "web")
    assert result["volume"]["gigabytes"].limit == 100 and result["absent_services"] == []
    cloud.conn.block_storage.get_quota_set.assert_called_once_with("p-web", usage=True)


def test_set_dry_run_reports_only_real_changes(cloud):
    result = quotas.quota_set(cloud.conn, "web", cores=30, instances=10, floating_ips=-1)
    assert result["quotas"] == {
        "cores": {"from": 20, "to": 30},
        "floating_ips": {"from": 5, "to": -1},
    }
    assert [c.resource for c in result["changes"]] == ["compute quota", "network quota"]
    cloud.conn.compute.update_quota_set.assert_not_called()
    cloud.conn.network.update_quota.assert_not_called()


def test_set_applies_only_given_keys(cloud):
    result = quotas.quota_set(cloud.conn, "web", cores=30, ram=4096, routers=2, dry_run=False)
    assert result["changed"]
    cloud.conn.compute.update_quota_set.assert_called_once_with("p-web", cores=30, ram=4096)
    cloud.conn.network.update_quota.assert_called_once_with("p-web", check_limit=True, routers=2)
    assert cloud.quotas["compute"]["p-web"]["cores"] == (30, 4)
    again = quotas.quota_set(cloud.conn, "web", cores=30, ram=4096, routers=2, dry_run=False)
    check_result("quota.set", again)
    assert not again["changed"] and again["quotas"] == {}


def test_set_below_usage_is_refused_unless_force(cloud):
    with pytest.raises(ChangeRefusedError) as err:
        quotas.quota_set(cloud.conn, "web", cores=2, floating_ips=1, dry_run=False)
    assert "cores=2 is below current usage 4" in str(err.value)
    assert "floating_ips=1 is below current usage 2" in str(err.value)
    cloud.conn.compute.update_quota_set.assert_not_called()
    quotas.quota_set(cloud.conn, "web", cores=2, floating_ips=1, force=True, dry_run=False)
    cloud.conn.compute.update_quota_set.assert_called_once_with("p-web", cores=2, force=True)
    cloud.conn.network.update_quota.assert_called_once_with(
        "p-web", check_limit=False, floating_ips=1
    )


def test_set_volume_quotas(cloud):
    with pytest.raises(InvalidParameterError, match="volumes: this cloud has no volume service"):
        quotas.quota_set(cloud.conn, "web", volumes=5)
    cloud.catalog.add("block-storage")
    quotas.quota_set(cloud.conn, "web", volumes=5, dry_run=False)
    cloud.conn.block_storage.update_quota_set.assert_called_once_with("p-web", volumes=5)


@pytest.mark.parametrize(
    "values, message",
    [
        ({"cores": -2}, "cores -2 is out of range"),
        ({"cores": True}, "cores True is out of range"),
        ({"volume": 1}, "quota 'volume' is not one of: instances, cores"),
    ],
)
def test_bad_values_name_the_quota(cloud, values, message):
    with pytest.raises(InvalidParameterError, match=message):
        quotas.apply_quotas(cloud.conn, Plan(True), cloud.of("projects")[0], values)


def test_set_needs_a_quota(cloud):
    with pytest.raises(InvalidParameterError, match="give at least one quota: instances"):
        quotas.quota_set(cloud.conn, "web")
    assert cloud.calls_made() == []
