"""OpenSSH server on loopback with its own host key, accepting only two client keys for root."""

from __future__ import annotations

import contextlib
import os
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator

from .common import (
    LOOPBACK,
    descendants,
    find_binary,
    free_port,
    port_open,
    run,
    start_daemon,
    wait_until,
)

_CONFIG = """\
Port {port}
ListenAddress {host}
HostKey {host_key}
PidFile {pid_file}
AuthorizedKeysFile {authorized_keys}
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitEmptyPasswords no
AllowTcpForwarding no
X11Forwarding no
PrintMotd no
LogLevel VERBOSE
Subsystem sftp internal-sftp
"""


@dataclass(frozen=True)
class Sshd:
    """The running sshd and the client material to reach it (or to be refused)."""

    host: str
    port: int
    username: str
    ed25519_key: Path
    rsa_key: Path
    known_hosts: Path
    wrong_known_hosts: Path
    host_public_key: str
    pid: int

    def account_entry(self, name: str = "test", **settings: Any) -> Dict[str, Any]:
        """A pack config ``ssh_accounts`` entry for this sshd: its ed25519 key, pinned
        known_hosts (``settings`` change or add to it)."""
        return {
            "name": name,
            "username": self.username,
            "private_key_file": str(self.ed25519_key),
            "known_hosts_file": str(self.known_hosts),
            "port": self.port,
            "timeout": 10,
            **settings,
        }


def _keygen(ssh_keygen: str, path: Path, key_type: str) -> str:
    """Create an unencrypted key pair and return the public key line."""
    bits = ["-b", "2048"] if key_type == "rsa" else []
    run([ssh_keygen, "-q", "-t", key_type, *bits, "-N", "", "-C", path.name, "-f", path])
    return path.with_suffix(".pub").read_text(encoding="ascii").strip()


def _pin(path: Path, port: int, public_key: str) -> Path:
    key_type, key_data = public_key.split()[:2]
    path.write_text(f"[{LOOPBACK}]:{port} {key_type} {key_data}\n", encoding="ascii")
    return path


def _end_sessions(master: int) -> None:
    """Let sshd's sessions and their commands end (TERM them after 2 s) so sshd reaps them."""
    for grace in (2.0, 1.0):
        with contextlib.suppress(TimeoutError):
            wait_until(lambda: not descendants(master), "SSH sessions to end", timeout=grace)
            return
        for pid in descendants(master):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)


@contextlib.contextmanager
def running(state_dir: Path) -> Iterator[Sshd]:
    """Run sshd on a free loopback port with its keys and config in ``state_dir``."""
    sshd = find_binary("/usr/sbin/sshd", "sshd", package="openssh-server")
    ssh_keygen = find_binary("ssh-keygen", package="openssh-client")
    port = free_port()
    host_key = state_dir / "ssh_host_ed25519_key"
    host_public = _keygen(ssh_keygen, host_key, "ed25519")
    wrong_public = _keygen(ssh_keygen, state_dir / "impostor_host_key", "ed25519")
    keys = {kind: state_dir / f"id_{kind}" for kind in ("ed25519", "rsa")}
    authorized = [_keygen(ssh_keygen, path, kind) for kind, path in keys.items()]
    authorized_keys = state_dir / "authorized_keys"
    authorized_keys.write_text("\n".join(authorized) + "\n", encoding="ascii")
    config = state_dir / "sshd_config"
    config.write_text(
        _CONFIG.format(
            port=port,
            host=LOOPBACK,
            host_key=host_key,
            pid_file=state_dir / "sshd.pid",
            authorized_keys=authorized_keys,
        ),
        encoding="ascii",
    )
    os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
    run([sshd, "-t", "-f", config])
    daemon = start_daemon("sshd", [sshd, "-D", "-e", "-f", config], state_dir / "sshd.out")
    try:
        peer = Sshd(
            host=LOOPBACK,
            port=port,
            username="root",
            ed25519_key=keys["ed25519"],
            rsa_key=keys["rsa"],
            known_hosts=_pin(state_dir / "known_hosts", port, host_public),
            wrong_known_hosts=_pin(state_dir / "wrong_known_hosts", port, wrong_public),
            host_public_key=host_public,
            pid=daemon.pid,
        )
        wait_until(lambda: port_open(port), "sshd to listen", daemon)
        yield peer
    finally:
        _end_sessions(daemon.pid)
        daemon.stop()
