"""Shared helpers for peer services: loopback ports, readiness polling and process lifetime."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

LOOPBACK = "127.0.0.1"


class PeerUnavailable(RuntimeError):
    """The peer cannot run on this machine because its binary or library is missing."""


def find_binary(*candidates: str, package: str) -> str:
    """Return the first of ``candidates`` found (a name on PATH or an absolute path)."""
    for candidate in candidates:
        found = shutil.which(candidate)
        if found:
            return os.path.abspath(found)
    raise PeerUnavailable(f"{candidates[0]} not found; install the Debian package {package}")


def free_port() -> int:
    """Return a TCP port on the loopback interface that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def port_open(port: int, host: str = LOOPBACK) -> bool:
    """Tell whether something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def descendants(pid: int) -> list[int]:
    """PIDs of the live or unreaped descendants of ``pid``, deepest first, read from /proc."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text(encoding="ascii", errors="replace").rpartition(")")[2].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        frontier = [child for child, parent in parents.items() if parent in frontier]
        found.extend(frontier)
    return found[::-1]


def _proc_address(encoded: str) -> tuple[str, int]:
    address, port = encoded.split(":")
    raw = bytes.fromhex(address)
    if len(raw) == 4:
        return socket.inet_ntop(socket.AF_INET, raw[::-1]), int(port, 16)
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
    return socket.inet_ntop(socket.AF_INET6, words), int(port, 16)


def listening_addresses(pid: int) -> set[tuple[str, int]]:
    """TCP addresses on which ``pid`` or its descendants listen, read from /proc."""
    inodes = set()
    for proc in [pid, *descendants(pid)]:
        for link in Path(f"/proc/{proc}/fd").glob("*"):
            with contextlib.suppress(OSError):
                target = os.readlink(link)
                if target.startswith("socket:["):
                    inodes.add(target[len("socket:[") : -1])
    found = set()
    for table in ("tcp", "tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/net/{table}").read_text(encoding="ascii").splitlines()[1:]:
                fields = line.split()
                if fields[3] == "0A" and fields[9] in inodes:
                    found.add(_proc_address(fields[1]))
    return found


def run(cmd: Sequence[str | os.PathLike], cwd: Path | None = None) -> str:
    """Run a short setup command and return its stdout; raise with its stderr on failure."""
    argv = [os.fspath(arg) for arg in cmd]
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False, timeout=60)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


@dataclass
class Daemon:
    """A peer service process running in its own process group, logging to ``log_path``."""

    name: str
    process: subprocess.Popen
    log_path: Path

    @property
    def pid(self) -> int:
        """PID of the service, also its process group id."""
        return self.process.pid

    def alive(self) -> bool:
        """Tell whether the service process is still running."""
        return self.process.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        """Return the last lines of the service's output."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the service's process group by PID: SIGTERM, then SIGKILL after ``timeout``."""
        self._signal_group(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._signal_group(signal.SIGKILL)
            self.process.wait(timeout=timeout)
        self._signal_group(signal.SIGKILL)
        with contextlib.suppress(TimeoutError):
            wait_until(lambda: not self._signal_group(0), f"{self.name} to be reaped", timeout=5)

    def _signal_group(self, sig: int) -> bool:
        """Send ``sig`` to the process group; tell whether any member was left to receive it."""
        try:
            os.killpg(self.pid, sig)
        except ProcessLookupError:
            return False
        return True


def start_daemon(name: str, cmd: Sequence[str], log_path: Path, cwd: Path | None = None) -> Daemon:
    """Start ``cmd`` in a new session with stdout and stderr going to ``log_path``.

    With util-linux ``setpriv`` the service also gets SIGTERM should the test process die."""
    setpriv = shutil.which("setpriv")
    guard = [setpriv, "--pdeathsig", "TERM", "--"] if setpriv else []
    with open(log_path, "ab") as log:
        process = subprocess.Popen(  # pylint: disable=consider-using-with
            [*guard, *map(os.fspath, cmd)],
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Daemon(name, process, log_path)


def wait_until(
    ready: Callable[[], bool], what: str, daemon: Daemon | None = None, timeout: float = 30.0
) -> None:
    """Poll ``ready`` until it is true; fail early with the log tail if ``daemon`` exits."""
    deadline = time.monotonic() + timeout
    delay = 0.01
    while True:
        if ready():
            return
        if daemon is not None and not daemon.alive():
            raise RuntimeError(
                f"{daemon.name} exited with {daemon.process.returncode} before {what}:\n"
                f"{daemon.log_tail()}"
            )
        if time.monotonic() > deadline:
            tail = f":\n{daemon.log_tail()}" if daemon else ""
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}{tail}")
        time.sleep(delay)
        delay = min(delay * 2, 0.2)
