"""The accounts.list lib function."""

import pytest

from apis.account import AccountConfigError
from workflows.hello import hello
from workflows.pack_accounts import AccountKindError, list_accounts
from tests.result_schemas import check_result


def test_hello_defaults():
    assert hello() == {"greeting": "Hello, world!"}


def test_lists_every_kind_masked():
    result = list_accounts(
        smtp_accounts=[{"name": "relay", "host": "smtp", "password": "s3cret"}],
        ssh_accounts=[
            {"name": "hv", "username": "ops", "private_key_file": "/k", "known_hosts_file": "/kh"}
        ],
    )
    assert set(result) == {
        "smtp_accounts",
        "jira_accounts",
        "alertmanager_accounts",
        "icinga_accounts",
        "ssh_accounts",
    }
    assert result["smtp_accounts"][0]["password"] == "********"
    assert result["ssh_accounts"][0]["port"] == 22
    assert "s3cret" not in str(result)
    check_result("accounts.list", result)


def test_one_kind():
    assert list_accounts(kind="jira") == {"jira_accounts": []}


def test_bad_kind_lists_choices():
    with pytest.raises(
        AccountKindError, match="not one of: all, smtp, jira, alertmanager, icinga, ssh"
    ):
        list_accounts(kind="mail")


def test_broken_entry_fails_by_name():
    with pytest.raises(AccountConfigError, match="smtp account 'relay': missing required"):
        list_accounts(smtp_accounts=[{"name": "relay", "password": "s3cret"}])
