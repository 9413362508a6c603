"""hypervisor_maintenance: site defaults of the patch/reboot runbooks."""

import pytest

from apis.icinga_api.account import IcingaAccount
from workflows.maintenance_settings import MaintenanceSettings, MaintenanceSettingsError


def test_given_values_win_over_config():
    site = MaintenanceSettings.from_config({"test_image": "cirros", "test_flavors": ["m1"]})
    assert site.pick("test_image", "other") == "other"
    assert site.pick("test_image", None) == "cirros"
    assert site.test_flavors == ("m1",)


def test_unset_config_is_empty_and_missing_values_are_named():
    site = MaintenanceSettings.from_config(None)
    with pytest.raises(MaintenanceSettingsError, match="test_image is required"):
        site.pick("test_image", None)


def test_unknown_keys_are_named_with_the_valid_ones():
    with pytest.raises(MaintenanceSettingsError, match=r"unknown key\(s\) patch; valid: "):
        MaintenanceSettings.from_config({"patch": "x"})


def test_icinga_account_by_name_or_none():
    accounts = [{"name": "ic", "url": "https://icinga", "password": "s3cret"}]
    site = MaintenanceSettings.from_config({"icinga_account": "ic"})
    account = site.icinga(None, accounts)
    assert isinstance(account, IcingaAccount) and account.url == "https://icinga"
    given = IcingaAccount(name="other", url="https://other")
    assert site.icinga(given, accounts) is given
    assert MaintenanceSettings().icinga(None, accounts) is None
