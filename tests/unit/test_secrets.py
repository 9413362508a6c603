"""Secret config values never reach logs, printed results or exception messages."""

import io
import logging

import pytest

from action_runtime.dispatch import dispatch
from packtools import local_runner

SMTP_PASSWORD = "smtp-Pa55word-4f9c"
JIRA_TOKEN = "jira-T0ken-8d1e"
ICINGA_PASSWORD = 918273645  # a secret of the wrong type still must not leak


def write_config(path, icinga_password):
    """A pack config holding secrets."""
    path.write_text(
        f"""
smtp_accounts:
  - name: relay
    host: smtp.example.org
    username: notifier
    password: {SMTP_PASSWORD}
jira_accounts:
  - name: jsm
    url: https://jira.example.org
    username: bot
    api_token: {JIRA_TOKEN}
icinga_accounts:
  - name: icinga
    url: https://icinga.example.org
    password: {icinga_password}
""",
        encoding="utf-8",
    )
    return path


def run_action(config, *argv):
    """Run an action through the local runner, capturing everything it prints."""
    out, err = io.StringIO(), io.StringIO()
    code = local_runner.run(["--config", str(config), "--log-level", "DEBUG", *argv], out, err)
    return code, out.getvalue() + err.getvalue()


def assert_no_secret(text):
    """None of the secrets, in any form, is in ``text``."""
    for value in (SMTP_PASSWORD, JIRA_TOKEN, str(ICINGA_PASSWORD)):
        assert value not in text


def test_successful_action_masks_secrets(tmp_path):
    code, printed = run_action(write_config(tmp_path / "c.yaml", '"icinga-pw"'), "accounts.list")
    assert code == 0
    assert '"password": "********"' in printed and '"api_token": "********"' in printed
    assert_no_secret(printed)
    assert "icinga-pw" not in printed


def test_invalid_config_error_masks_secrets(tmp_path):
    code, printed = run_action(write_config(tmp_path / "c.yaml", ICINGA_PASSWORD), "hello")
    assert code == 2
    assert "is not of type 'string'" in printed
    assert_no_secret(printed)


def test_failing_lib_call_keeps_secrets_out_of_logs_and_errors(caplog):
    config = {
        "smtp_accounts": [
            {"name": "relay", "host": "smtp", "password": SMTP_PASSWORD, "security": "tls"}
        ]
    }
    with caplog.at_level(logging.DEBUG):
        ok, result = dispatch("workflows.pack_accounts:list_accounts", {"kind": "smtp"}, config)
    assert not ok and result["error_type"] == "AccountConfigError"
    assert "security='tls'" in result["error"]
    assert_no_secret(result["error"] + caplog.text)


def test_account_lookup_error_keeps_secrets_out():
    from apis.account_kinds import AccountKind

    config = {
        "jira_accounts": [{"name": "jsm", "url": "u", "username": "b", "api_token": JIRA_TOKEN}]
    }
    with pytest.raises(Exception) as err:
        AccountKind.JIRA.lookup("other", config)
    assert_no_secret(str(err.value) + repr(AccountKind.JIRA.lookup("jsm", config)))
