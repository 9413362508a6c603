"""The SSH client with paramiko's SSHClient and Channel replaced by autospecs."""

import dataclasses
import socket
from unittest import mock

import paramiko
import pytest

from apis.ssh_api import client as ssh_client
from apis.ssh_api.account import SSHAccount
from apis.ssh_api.client import SSHSession, check_host, command_line, exec_command
from apis.ssh_api.exceptions import (
    SSHAuthError,
    SSHCommandError,
    SSHConnectionError,
    SSHHostKeyError,
    SSHKeyError,
    SSHParameterError,
    SSHTimeoutError,
)


@pytest.fixture(name="key_file")
def fixture_key_file(tmp_path):
    """An unencrypted RSA key on disk."""
    path = tmp_path / "id_rsa"
    paramiko.RSAKey.generate(1024).write_private_key_file(str(path))
    return path


@pytest.fixture(name="acct")
def fixture_acct(key_file, tmp_path):
    """An account with that key and an empty known_hosts file."""
    known_hosts = tmp_path / "known_hosts"
    known_hosts.write_text("", encoding="ascii")
    return SSHAccount(
        name="hv",
        username="ops",
        private_key_file=str(key_file),
        known_hosts_file=str(known_hosts),
        port=2222,
        timeout=5.0,
    )


class Remote:
    """What the fake remote command prints: a list of (stream, bytes) chunks, then a status."""

    def __init__(self, chunks, status=0):
        self.chunks = list(chunks)
        self.status = status
        self.finished = False

    def _ready(self, stream):
        return bool(self.chunks) and self.chunks[0][0] == stream

    def channel(self):
        """An autospecced paramiko Channel playing the chunks."""
        channel = mock.create_autospec(paramiko.Channel, instance=True)
        channel.recv_ready.side_effect = lambda: self._ready("out")
        channel.recv_stderr_ready.side_effect = lambda: self._ready("err")
        channel.recv.side_effect = lambda size: self.chunks.pop(0)[1]
        channel.recv_stderr.side_effect = lambda size: self.chunks.pop(0)[1]
        channel.exit_status_ready.side_effect = lambda: self.status is not None and not self.chunks
        channel.recv_exit_status.side_effect = lambda: self.status
        return channel


@pytest.fixture(name="paramiko_client")
def fixture_paramiko_client():
    """paramiko.SSHClient as an autospec; select.select does not wait."""
    with mock.patch.object(
        ssh_client.paramiko, "SSHClient", autospec=True
    ) as cls, mock.patch.object(ssh_client.select, "select", autospec=True) as select:
        select.return_value = ([], [], [])
        yield cls.return_value


def _plays(paramiko_client, remote):
    channel = remote.channel()
    paramiko_client.get_transport.return_value.open_session.return_value = channel
    return channel


@pytest.mark.parametrize("host", ["hv01", "hv-01.dc1.example.org", "10.0.0.1", "fe80::1"])
def test_valid_hosts(host):
    assert check_host(f" {host} ") == host


@pytest.mark.parametrize("host", ["", "-oProxyCommand=x", "hv01;id", "hv 01", "a..b", "x" * 254])
def test_invalid_hosts(host):
    with pytest.raises(SSHParameterError, match="is not a host name or an IP address"):
        check_host(host)


def test_command_line_quotes_every_argument():
    assert command_line("/opt/check", ["hv01; rm -rf /", "$(id)", "it's", 3]) == (
        "/opt/check 'hv01; rm -rf /' '$(id)' 'it'\"'\"'s' 3"
    )


def test_run_streams_lines_and_returns_output(acct, paramiko_client):
    remote = Remote(
        [("out", b"line 1\nli"), ("err", b"warn\n"), ("out", b"ne 2\n\xc3"), ("out", b"\xa9t\xc3")]
    )
    channel = _plays(paramiko_client, remote)
    seen = []
    result = exec_command(
        acct, "hv01", "/opt/check", ["a b"], on_output=lambda *item: seen.append(item)
    )
    assert result.stdout == "line 1\nline 2\n\u00e9t\ufffd"
    assert (result.stderr, result.exit_status, result.command) == ("warn\n", 0, "/opt/check 'a b'")
    assert seen == [
        ("stdout", "line 1"),
        ("stderr", "warn"),
        ("stdout", "line 2"),
        ("stdout", "\u00e9t\ufffd"),
    ]
    channel.exec_command.assert_called_once_with("/opt/check 'a b'")
    channel.close.assert_called_once_with()
    paramiko_client.close.assert_called_once_with()
    kwargs = paramiko_client.connect.call_args.kwargs
    assert paramiko_client.connect.call_args.args == ("hv01",)
    assert (kwargs["port"], kwargs["username"], kwargs["timeout"]) == (2222, "ops", 5.0)
    assert kwargs["look_for_keys"] is False and kwargs["allow_agent"] is False
    assert isinstance(kwargs["pkey"], paramiko.RSAKey)
    paramiko_client.load_host_keys.assert_called_once_with(acct.known_hosts_file)


def test_unknown_host_is_refused_by_default(acct, paramiko_client):
    def connect(*_args, **_kwargs):
        [policy] = paramiko_client.set_missing_host_key_policy.call_args.args
        policy.missing_host_key(paramiko_client, "hv01", paramiko.RSAKey.generate(1024))

    paramiko_client.connect.side_effect = connect
    with pytest.raises(SSHHostKeyError, match="host key hv01 \\(ssh-rsa .*accept_new_host_keys"):
        exec_command(acct, "hv01", "true")
    paramiko_client.close.assert_called_once_with()


def test_non_zero_exit(acct, paramiko_client):
    _plays(paramiko_client, Remote([("out", b"checked\n"), ("err", b"dead\n")], status=2))
    with pytest.raises(
        SSHCommandError, match="exited with status 2; stdout: 'checked\\\\n'"
    ) as err:
        exec_command(acct, "hv01", "/opt/check")
    assert (err.value.exit_status, err.value.stdout, err.value.stderr) == (2, "checked\n", "dead\n")


def test_timeout_keeps_partial_output(acct, paramiko_client):
    channel = _plays(paramiko_client, Remote([("out", b"started\n")], status=None))
    with mock.patch.object(ssh_client.time, "monotonic", side_effect=[0.0, 0.5, 1.5]):
        with pytest.raises(SSHTimeoutError, match="did not finish within 1 s") as err:
            SSHSession(acct, "hv01").run(["/opt/slow"], timeout=1)
    assert err.value.stdout == "started\n"
    channel.close.assert_called_once_with()
    ssh_client.select.select.assert_called_once_with([channel], [], [], 0.05)


def test_command_that_cannot_start(acct, paramiko_client):
    paramiko_client.get_transport.return_value.open_session.side_effect = paramiko.SSHException(
        "channel refused"
    )
    with pytest.raises(SSHConnectionError, match="cannot start /opt/x: channel refused"):
        exec_command(acct, "hv01", "/opt/x")


@pytest.mark.parametrize(
    ("error", "expected", "message"),
    [
        (
            paramiko.BadHostKeyException(
                "hv01", paramiko.RSAKey.generate(1024), paramiko.RSAKey.generate(1024)
            ),
            SSHHostKeyError,
            "does not match the one pinned",
        ),
        (paramiko.AuthenticationException("no"), SSHAuthError, "authentication refused"),
        (socket.timeout("timed out"), SSHTimeoutError, "no answer within timeout=5 s"),
        (paramiko.SSHException("No existing session"), SSHTimeoutError, "no answer within"),
        (ConnectionRefusedError(111, "refused"), SSHConnectionError, "ConnectionRefusedError"),
    ],
)
def test_connect_failures(acct, paramiko_client, error, expected, message):
    paramiko_client.connect.side_effect = error
    with pytest.raises(expected, match=message) as raised:
        exec_command(_with(acct, connect_attempts=1), "hv01", "true")
    paramiko_client.close.assert_called_once_with()
    assert "tried" not in str(raised.value)


@pytest.fixture(name="naps")
def fixture_naps(monkeypatch):
    """The retry pauses, recorded instead of slept."""
    naps = []
    monkeypatch.setattr(ssh_client.time, "sleep", naps.append)
    return naps


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (ConnectionRefusedError(111, "refused"), SSHConnectionError),
        (socket.timeout("timed out"), SSHTimeoutError),
        (paramiko.SSHException("Error reading SSH protocol banner"), SSHTimeoutError),
    ],
)
def test_unanswered_connections_are_tried_again(acct, paramiko_client, naps, error, expected):
    paramiko_client.connect.side_effect = error
    with pytest.raises(expected, match=r"\(tried 3 times\)$"):
        exec_command(_with(acct, connect_retry_seconds=2.5), "hv01", "true")
    assert paramiko_client.connect.call_count == 3 and paramiko_client.close.call_count == 3
    assert naps == [2.5, 2.5]


def test_a_connection_that_answers_on_a_later_try_runs_the_command(acct, paramiko_client, naps):
    _plays(paramiko_client, Remote([("out", b"up\n")]))
    paramiko_client.connect.side_effect = [ConnectionResetError(104, "reset"), None]
    result = exec_command(acct, "hv01", "uptime")
    assert result.stdout == "up\n" and paramiko_client.connect.call_count == 2
    assert naps == [5.0]


@pytest.mark.parametrize(
    "error",
    [
        paramiko.AuthenticationException("no"),
        paramiko.BadHostKeyException(
            "hv01", paramiko.RSAKey.generate(1024), paramiko.RSAKey.generate(1024)
        ),
    ],
)
def test_refusals_by_key_are_not_tried_again(acct, paramiko_client, naps, error):
    paramiko_client.connect.side_effect = error
    with pytest.raises((SSHAuthError, SSHHostKeyError)):
        exec_command(acct, "hv01", "true")
    assert paramiko_client.connect.call_count == 1 and not naps


def test_known_hosts_file_missing_or_learned(acct, paramiko_client, tmp_path):
    _plays(paramiko_client, Remote([]))
    learned = tmp_path / "sub" / "known_hosts"
    paramiko_client.load_host_keys.side_effect = [FileNotFoundError(2, "No such file"), None]
    with pytest.raises(SSHHostKeyError, match="cannot read known_hosts_file .*: No such file"):
        exec_command(_with(acct, known_hosts_file=str(learned)), "hv01", "true")
    trusting = _with(acct, known_hosts_file=str(learned), accept_new_host_keys=True)
    with pytest.raises(SSHHostKeyError, match="cannot read known_hosts_file"):
        exec_command(trusting, "hv01", "true")
    learned.parent.mkdir()
    assert exec_command(trusting, "hv01", "true").exit_status == 0
    assert learned.exists()
    paramiko_client.load_host_keys.assert_called_with(str(learned))
    [policy] = paramiko_client.set_missing_host_key_policy.call_args.args
    assert isinstance(policy, paramiko.AutoAddPolicy)


def _with(acct, **changes):
    return dataclasses.replace(acct, **changes)


def _with_key(acct, path, passphrase=None):
    return acct.__class__(
        **{**acct.__dict__, "private_key_file": str(path), "passphrase": passphrase}
    )


def test_private_key_errors(acct, paramiko_client, tmp_path):
    encrypted = tmp_path / "encrypted"
    paramiko.RSAKey.generate(1024).write_private_key_file(str(encrypted), password="phrase")
    garbage = tmp_path / "garbage"
    garbage.write_text("not a key", encoding="ascii")
    for path, passphrase, message in (
        (tmp_path / "missing", None, "cannot be read: No such file"),
        (encrypted, None, "is encrypted; set passphrase"),
        (encrypted, "wrong", "wrong passphrase, or not a private key"),
        (garbage, None, "cannot be loaded: "),
    ):
        with pytest.raises(SSHKeyError, match=message) as err:
            SSHSession(_with_key(acct, path, passphrase), "hv01").connect()
        assert "phrase" not in str(err.value).replace("passphrase", "")
    paramiko_client.connect.assert_not_called()
    SSHSession(_with_key(acct, encrypted, "phrase"), "hv01").connect()
    paramiko_client.connect.assert_called_once()


def test_run_connects_on_demand_and_close_is_idempotent(acct, paramiko_client):
    _plays(paramiko_client, Remote([("out", b"ok")]))
    session = SSHSession(acct, "hv01")
    assert session.run(["echo", "ok"]).stdout == "ok"
    session.close()
    session.close()
    paramiko_client.close.assert_called_once_with()
