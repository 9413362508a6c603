"""The SSH api against a real OpenSSH server: keys, pinned host keys, quoting, output, timeouts."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import threading
import time
from typing import Any, Callable, Iterator, List, Tuple

import pytest
import yaml

from apis.ssh_api.account import SSHAccount
from apis.ssh_api.client import SSHSession, exec_command
from apis.ssh_api.exceptions import (
    SSHAuthError,
    SSHCommandError,
    SSHConnectionError,
    SSHHostKeyError,
    SSHKeyError,
    SSHTimeoutError,
)
from tests.integration.action_run import run_action, same_changes
from tests.integration.peers.common import LOOPBACK, free_port

pytestmark = pytest.mark.integration

ECHO_ARGS = """#!/bin/sh
for arg in "$@"; do printf '<%s>\\n' "$arg"; done
echo "warning: on stderr" >&2
"""
FAIL = """#!/bin/sh
echo "checked $1"
echo "nova-compute is dead" >&2
exit 3
"""


def account(sshd, **settings: Any) -> SSHAccount:
    """An account for the test sshd with its ed25519 key and pinned known_hosts."""
    return SSHAccount(**sshd.account_entry(**settings))


@pytest.fixture(name="scripts")
def fixture_scripts(tmp_path):
    """Two scripts on the 'remote' host (sshd runs on this machine)."""
    paths = {}
    for name, body in (("echo-args", ECHO_ARGS), ("fail", FAIL)):
        path = tmp_path / name
        path.write_text(body, encoding="ascii")
        path.chmod(0o755)
        paths[name] = path
    return paths


@contextlib.contextmanager
def loopback_server(handle: Callable[[socket.socket, int], List[socket.socket]]) -> Iterator[int]:
    """A TCP port whose connections go to ``handle`` with their number (from 1), in a thread;
    the sockets it returns are closed at the end."""
    server = socket.create_server((LOOPBACK, 0))
    server.settimeout(0.1)
    held: List[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        number = 0
        while not stop.is_set():
            try:
                conn = server.accept()[0]
            except OSError:
                continue
            number += 1
            held.extend(handle(conn, number))

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        server.close()


def silent_server():
    """A TCP port that accepts connections and never says a word."""
    return loopback_server(lambda conn, number: [conn])


@pytest.mark.parametrize("key_attr", ["ed25519_key", "rsa_key"])
def test_arguments_are_quoted_and_output_streamed(sshd, scripts, tmp_path, key_attr):
    marker = tmp_path / "pwned"
    args = ["hv01; touch " + str(marker), "$(touch " + str(marker) + ")", "a b", "it's"]
    seen: List[Tuple[str, str]] = []
    result = exec_command(
        account(sshd, private_key_file=str(getattr(sshd, key_attr))),
        sshd.host,
        str(scripts["echo-args"]),
        args,
        on_output=lambda stream, line: seen.append((stream, line)),
    )
    assert result.exit_status == 0
    assert result.stdout.splitlines() == [f"<{arg}>" for arg in args]
    assert result.stderr == "warning: on stderr\n"
    assert not marker.exists()
    assert [line for stream, line in seen if stream == "stdout"] == result.stdout.splitlines()
    assert ("stderr", "warning: on stderr") in seen


def test_non_zero_exit_raises_with_output(sshd, scripts):
    with pytest.raises(SSHCommandError, match="exited with status 3") as failed:
        exec_command(account(sshd), sshd.host, str(scripts["fail"]), ["hv01"])
    assert failed.value.exit_status == 3
    assert failed.value.stdout == "checked hv01\n"
    assert failed.value.stderr == "nova-compute is dead\n"
    assert "nova-compute is dead" in str(failed.value)


def test_command_timeout_keeps_partial_output(sshd):
    started = time.monotonic()
    with SSHSession(account(sshd), sshd.host) as session:
        with pytest.raises(SSHTimeoutError, match="did not finish within 2 s") as slow:
            session.run(["sh", "-c", "echo started; sleep 30"], timeout=2)
        assert session.run(["echo", "still usable"]).stdout == "still usable\n"
    assert slow.value.stdout == "started\n"
    assert time.monotonic() - started < 10


def test_host_keys_are_pinned(sshd, tmp_path):
    with pytest.raises(SSHHostKeyError, match="does not match"):
        exec_command(account(sshd, known_hosts_file=str(sshd.wrong_known_hosts)), sshd.host, "true")
    with pytest.raises(SSHHostKeyError, match="does not match"):
        exec_command(
            account(sshd, known_hosts_file=str(sshd.wrong_known_hosts), accept_new_host_keys=True),
            sshd.host,
            "true",
        )
    empty = tmp_path / "known_hosts"
    empty.write_text("", encoding="ascii")
    with pytest.raises(SSHHostKeyError, match="is not in .*accept_new_host_keys"):
        exec_command(account(sshd, known_hosts_file=str(empty)), sshd.host, "true")
    with pytest.raises(SSHHostKeyError, match="cannot read known_hosts_file"):
        exec_command(account(sshd, known_hosts_file=str(tmp_path / "missing")), sshd.host, "true")

    learned = tmp_path / "learned_known_hosts"
    trusting = account(sshd, known_hosts_file=str(learned), accept_new_host_keys=True)
    assert exec_command(trusting, sshd.host, "true").exit_status == 0
    pinned = learned.read_text(encoding="ascii").split()
    assert pinned[0] == f"[{LOOPBACK}]:{sshd.port}"
    assert pinned[1:] == sshd.host_public_key.split()[:2]
    assert (
        exec_command(account(sshd, known_hosts_file=str(learned)), sshd.host, "true").stdout == ""
    )


def test_keys_and_authentication(sshd, tmp_path):
    foreign = tmp_path / "foreign_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(foreign)], check=True)
    with pytest.raises(SSHAuthError, match="authentication refused"):
        exec_command(account(sshd, private_key_file=str(foreign)), sshd.host, "true")

    encrypted = tmp_path / "encrypted_key"
    shutil.copy(sshd.ed25519_key, encrypted)
    encrypted.chmod(0o600)
    subprocess.run(
        ["ssh-keygen", "-q", "-p", "-N", "s3cret-phrase", "-f", str(encrypted)], check=True
    )
    with pytest.raises(SSHKeyError, match="is encrypted; set passphrase"):
        exec_command(account(sshd, private_key_file=str(encrypted)), sshd.host, "true")
    with pytest.raises(SSHKeyError, match="wrong passphrase") as wrong:
        exec_command(
            account(sshd, private_key_file=str(encrypted), passphrase="wrong-phrase"),
            sshd.host,
            "true",
        )
    assert "wrong-phrase" not in str(wrong.value)
    unlocked = account(sshd, private_key_file=str(encrypted), passphrase="s3cret-phrase")
    assert exec_command(unlocked, sshd.host, "id", ["-un"]).stdout == "root\n"


def test_connect_timeout_and_refusal(sshd):
    with silent_server() as port:
        started = time.monotonic()
        with pytest.raises(SSHTimeoutError, match="no answer within timeout=0.5 s"):
            exec_command(
                account(sshd, port=port, timeout=0.5, connect_attempts=1), LOOPBACK, "true"
            )
        assert time.monotonic() - started < 5
    started = time.monotonic()
    with pytest.raises(
        SSHConnectionError, match=r"cannot connect \(Connection refused\).*\(tried 3 times\)$"
    ):
        exec_command(account(sshd, port=free_port(), connect_retry_seconds=0.3), LOOPBACK, "true")
    assert time.monotonic() - started >= 0.6


def dropping_relay(upstream: int, drop: int):
    """A TCP port in front of the test sshd that closes its first ``drop`` connections before
    the banner, as an sshd over its MaxStartups does, and relays the ones after."""

    def pipe(source: socket.socket, target: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                target.sendall(data)
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_WR)

    def handle(conn: socket.socket, number: int) -> List[socket.socket]:
        if number <= drop:
            conn.close()
            return []
        remote = socket.create_connection((LOOPBACK, upstream))
        for ends in ((conn, remote), (remote, conn)):
            threading.Thread(target=pipe, args=ends, daemon=True).start()
        return [conn, remote]

    return loopback_server(handle)


def test_a_connection_dropped_before_the_banner_is_tried_again(sshd, tmp_path):
    settings = {
        "known_hosts_file": str(tmp_path / "known_hosts"),
        "accept_new_host_keys": True,
        "connect_retry_seconds": 0.2,
    }
    with dropping_relay(sshd.port, drop=2) as port:
        result = exec_command(account(sshd, port=port, **settings), LOOPBACK, "echo", ["through"])
        assert result.stdout == "through\n"
    with dropping_relay(sshd.port, drop=2) as port:
        with pytest.raises(SSHTimeoutError, match=r"banner.*\(tried 2 times\)$"):
            exec_command(account(sshd, port=port, connect_attempts=2, **settings), LOOPBACK, "true")


def test_remote_command_action_through_the_local_runner(sshd, scripts, tmp_path):
    config = tmp_path / "cloudops.yaml"
    ssh_account = sshd.account_entry("hypervisors")
    allowed = [
        {"name": "echo-args", "path": str(scripts["echo-args"]), "description": "echo"},
        {"name": "fail", "path": str(scripts["fail"])},
    ]
    config.write_text(
        yaml.safe_dump({"ssh_accounts": [ssh_account], "ssh_allowed_scripts": allowed}),
        encoding="utf-8",
    )
    code, answer, printed = run_action(
        config, "ssh.remote.command", f"host={LOOPBACK}", "script=echo-args", "args=hv 01"
    )
    assert code == 0, printed
    planned = answer["result"]
    assert (planned["dry_run"], planned["changed"], planned["host"], planned["command"]) == (
        True,
        False,
        LOOPBACK,
        f"{scripts['echo-args']} 'hv 01'",
    )
    code, answer, printed = run_action(
        config,
        "ssh.remote.command",
        f"host={LOOPBACK}",
        "script=echo-args",
        "args=hv 01",
        "dry_run=false",
    )
    assert code == 0, printed
    assert answer["result"]["stdout"] == "<hv 01>\n" and answer["result"]["exit_status"] == 0
    assert same_changes(planned, answer["result"]) and answer["result"]["changed"]

    code, answer, printed = run_action(
        config, "ssh.remote.command", f"host={LOOPBACK}", "script=fail", "dry_run=false"
    )
    assert code == 1, printed
    assert answer["result"]["error_type"] == "SSHCommandError"
    assert "nova-compute is dead" in answer["result"]["error"]

    code, answer, printed = run_action(
        config, "ssh.remote.command", f"host={LOOPBACK}", "script=/bin/rm", "dry_run=false"
    )
    assert code == 1, printed
    assert answer["result"]["error"].endswith("valid scripts: echo-args, fail")
