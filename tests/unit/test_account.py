"""Account dataclasses: parsing from config, secrets kept out of every printed form."""

import pytest

from apis.account import MASK, AccountConfigError
from apis.alertmanager_api.account import AlertmanagerAccount
from apis.email_api.account import SMTPAccount, SMTPSecurity
from apis.icinga_api.account import IcingaAccount
from apis.jira_api.account import JiraAccount
from apis.ssh_api.account import SSHAccount

SECRET = "pa55-w0rd-never-shown"


def test_smtp_account_from_config_coerces_enum_and_keeps_defaults():
    account = SMTPAccount.from_config(
        {"name": "relay", "host": "smtp.example.org", "security": "ssl", "password": SECRET}
    )
    assert account.security is SMTPSecurity.SSL
    assert account.port == 587
    assert account.password == SECRET


def test_secret_hidden_from_repr_and_public_view():
    account = JiraAccount.from_config(
        {"name": "jsm", "url": "https://jira", "username": "bot", "api_token": SECRET}
    )
    assert SECRET not in repr(account)
    assert account.public_view()["api_token"] == MASK
    assert account.public_view()["password"] is None
    assert account.secret_values() == [SECRET]


def test_unknown_setting_names_account_and_valid_settings():
    with pytest.raises(AccountConfigError) as err:
        AlertmanagerAccount.from_config({"name": "am", "url": "http://am", "pasword": SECRET})
    message = str(err.value)
    assert "alertmanager account 'am'" in message
    assert "pasword" in message and "password" in message
    assert SECRET not in message


def test_missing_required_setting_is_named():
    with pytest.raises(
        AccountConfigError, match=r"ssh account 'hv': missing required .*known_hosts_file"
    ):
        SSHAccount.from_config({"name": "hv", "username": "ops", "private_key_file": "/k"})


def test_missing_name_is_reported():
    with pytest.raises(AccountConfigError, match=r"<unnamed>.*missing required setting\(s\) name"):
        IcingaAccount.from_config({"url": "https://icinga:5665"})


def test_bad_enum_value_lists_choices():
    with pytest.raises(
        AccountConfigError, match=r"security='tls' is not one of: none, ssl, starttls"
    ):
        SMTPAccount.from_config({"name": "relay", "host": "smtp", "security": "tls"})


def test_public_view_renders_enums_as_values():
    view = SMTPAccount.from_config({"name": "relay", "host": "smtp"}).public_view()
    assert view["security"] == "starttls"


@pytest.mark.parametrize(
    "settings, expected",
    [
        ({}, True),
        ({"verify": False}, False),
        ({"ca_file": "/etc/ca.pem"}, "/etc/ca.pem"),
        ({"ca_file": "/etc/ca.pem", "verify": False}, False),
    ],
)
def test_tls_verify_is_what_requests_needs(settings, expected):
    account = IcingaAccount.from_config({"name": "i", "url": "https://icinga", **settings})
    assert account.tls_verify == expected
