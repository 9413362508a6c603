"""The ssh.remote.command lib function and its allow-list, with SSHSession autospecced."""

from unittest import mock

import pytest

from apis.ssh_api import client as ssh_client
from apis.ssh_api.account import SSHAccount
from apis.ssh_api.client import CommandResult
from apis.ssh_api.exceptions import SSHParameterError
from apis.ssh_api.remote_command import AllowedScript, allowed_script, run_remote_command
from apis.results import ObjectOutcome, Outcome
from tests.result_schemas import check_result

ACCOUNT = SSHAccount(name="hv", username="ops", private_key_file="/k", known_hosts_file="/kh")
ALLOWED = [
    {"name": "nova-status", "path": "/usr/local/sbin/nova-status", "description": "status"},
    {"name": "evacuate", "path": "/usr/local/sbin/evacuate"},
]


@pytest.fixture(name="session")
def fixture_session():
    """The SSHSession run_remote_command opens, as an autospec."""
    with mock.patch.object(ssh_client, "SSHSession", autospec=True) as cls:
        instance = cls.return_value
        instance.__enter__.return_value = instance
        instance.host = "hv01"
        yield instance
    cls.assert_called_once_with(ACCOUNT, "hv01")


def test_allow_list_lookup():
    assert allowed_script("evacuate", ALLOWED) == AllowedScript(
        "evacuate", "/usr/local/sbin/evacuate", ""
    )
    with pytest.raises(SSHParameterError, match="valid scripts: nova-status, evacuate. Did you"):
        allowed_script("nova-stat", ALLOWED)
    with pytest.raises(SSHParameterError, match="valid scripts: none configured"):
        allowed_script("nova-status", None)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"name": "x"}, "needs a name and a path"),
        ({"name": "x", "path": "bin/x"}, "must be an absolute, normalised path"),
        ({"name": "x", "path": "/opt/../bin/sh"}, "must be an absolute, normalised path"),
    ],
)
def test_bad_allow_list_entries(entry, message):
    with pytest.raises(SSHParameterError, match=message):
        allowed_script("x", [entry])


def test_dry_run_only_connects(session):
    result = run_remote_command(
        ACCOUNT, "hv01", "nova-status", args=["a b"], ssh_allowed_scripts=ALLOWED
    )
    assert result == {
        "dry_run": True,
        "changed": False,
        "objects": [ObjectOutcome("command", "nova-status on hv01", Outcome.DONE, "run")],
        "host": "hv01",
        "command": "/usr/local/sbin/nova-status 'a b'",
    }
    session.run.assert_not_called()
    check_result("ssh.remote.command", result)


def test_runs_the_allow_listed_path(session):
    session.run.return_value = CommandResult("hv01", "/usr/local/sbin/evacuate 1", 0, "done\n", "")
    result = run_remote_command(
        ACCOUNT,
        "hv01",
        "evacuate",
        args=[1],
        command_timeout=60,
        dry_run=False,
        ssh_allowed_scripts=ALLOWED,
    )
    session.run.assert_called_once_with(["/usr/local/sbin/evacuate", "1"], timeout=60)
    assert result == {
        "dry_run": False,
        "changed": True,
        "objects": [ObjectOutcome("command", "evacuate on hv01", Outcome.DONE, "run")],
        "host": "hv01",
        "command": "/usr/local/sbin/evacuate 1",
        "exit_status": 0,
        "stdout": "done\n",
        "stderr": "",
    }


def test_unknown_script_never_connects():
    with mock.patch.object(ssh_client, "SSHSession", autospec=True) as cls:
        with pytest.raises(SSHParameterError, match="script '/bin/rm' is not in"):
            run_remote_command(
                ACCOUNT, "hv01", "/bin/rm", dry_run=False, ssh_allowed_scripts=ALLOWED
            )
    cls.assert_not_called()
