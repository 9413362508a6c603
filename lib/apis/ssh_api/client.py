"""Run one command on a host over SSH with paramiko, host keys pinned in a known_hosts file.

Unknown hosts are refused unless the account sets ``accept_new_host_keys`` (then the new
key is saved to the known_hosts file); a host whose key differs from the pinned one is
always refused. Arguments are shell-quoted, output is streamed line by line to the log (and
to an optional callback), and a non-zero exit raises :class:`SSHCommandError`.
"""

from __future__ import annotations

import codecs
import dataclasses
import ipaddress
import logging
import re
import select
import shlex
import socket
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence

import paramiko

from apis.ssh_api.account import SSHAccount
from apis.errors import raised_in
from apis.ssh_api.exceptions import (
    SSHApiError,
    SSHAuthError,
    SSHCommandError,
    SSHConnectionError,
    SSHHostKeyError,
    SSHKeyError,
    SSHParameterError,
    SSHTimeoutError,
)

LOG = logging.getLogger(__name__)
# paramiko's transport thread logs each failure this client translates, traceback and all
logging.getLogger("paramiko.transport").setLevel(logging.CRITICAL)

OutputCallback = Callable[[str, str], None]
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
# paramiko reports a negotiation that timed out as "No existing session" or a banner error
_TIMEOUT_HINTS = ("timeout", "timed out", "banner", "no existing session")
_CHUNK = 32768
_TAIL = 2000


@dataclasses.dataclass(frozen=True)
class CommandResult:
    """What a finished remote command printed."""

    host: str
    command: str
    exit_status: int
    stdout: str
    stderr: str


def check_host(host: str) -> str:
    """The host if it is a DNS name or an IP address, else an error naming it."""
    text = str(host or "").strip()
    try:
        ipaddress.ip_address(text)
        return text
    except ValueError:
        pass
    if len(text) > 253 or not _HOSTNAME.fullmatch(text):
        raise SSHParameterError(f"host {host!r} is not a host name or an IP address")
    return text


def command_line(script: str, args: Sequence[Any] = ()) -> str:
    """``script`` and its arguments, each quoted for a POSIX shell."""
    return shlex.join([str(script), *(str(arg) for arg in args)])


def translate_error(err: BaseException) -> Optional[SSHApiError]:
    """The api error for an SSH or network failure that escaped the client, or None."""
    if not isinstance(err, (paramiko.SSHException, OSError)) or not raised_in(err, __package__):
        return None
    if isinstance(err, (socket.timeout, TimeoutError)):
        return SSHTimeoutError(f"ssh: no answer in time: {err}; check the host is up")
    if isinstance(err, paramiko.AuthenticationException):
        return SSHAuthError(f"ssh: authentication refused: {err}; check the account's user and key")
    return SSHConnectionError(f"ssh: {type(err).__name__}: {err}; check the host and its sshd")


class _UnknownHostKey(paramiko.SSHException):
    """The host has no key in known_hosts."""


class _RefuseUnknown(paramiko.MissingHostKeyPolicy):
    def missing_host_key(self, client, hostname, key):
        raise _UnknownHostKey(f"{hostname} ({key.get_name()} {key.get_base64()[:16]}...)")


class _Stream:
    """One output stream: decoded incrementally, logged and passed on line by line."""

    def __init__(self, host: str, name: str, on_output: Optional[OutputCallback]) -> None:
        self.host = host
        self.name = name
        self.on_output = on_output
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.parts: List[str] = []
        self.pending = ""

    def feed(self, data: bytes, final: bool = False) -> None:
        """Take a chunk of output; emit every complete line (and the rest when ``final``)."""
        text = self.decoder.decode(data, final=final)
        self.parts.append(text)
        lines = (self.pending + text).split("\n")
        self.pending = lines.pop()
        if final and self.pending:
            lines.append(self.pending)
            self.pending = ""
        for line in lines:
            LOG.info("%s %s: %s", self.host, self.name, line)
            if self.on_output:
                self.on_output(self.name, line)

    @property
    def text(self) -> str:
        """Everything received so far."""
        return "".join(self.parts)


class SSHSession:
    """An authenticated SSH connection to one host with one account."""

    def __init__(self, account: SSHAccount, host: str) -> None:
        self.account = account
        self.host = check_host(host)
        self.client: Optional[paramiko.SSHClient] = None

    def __enter__(self) -> "SSHSession":
        self.connect()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection."""
        if self.client is not None:
            self.client.close()
            self.client = None

    def _private_key(self) -> paramiko.PKey:
        path = self.account.private_key_file
        passphrase = self.account.passphrase
        label = f"ssh account {self.account.name!r}: private_key_file {path}"
        try:
            return paramiko.PKey.from_path(
                path, password=passphrase.encode() if passphrase else None
            )
        except OSError as err:
            raise SSHKeyError(f"{label} cannot be read: {err.strerror or err}") from None
        except (paramiko.SSHException, TypeError, ValueError) as err:
            encrypted = isinstance(err, (paramiko.PasswordRequiredException, TypeError))
            if encrypted and not passphrase:
                raise SSHKeyError(f"{label} is encrypted; set passphrase") from None
            if passphrase:
                raise SSHKeyError(
                    f"{label} cannot be loaded: wrong passphrase, or not a private key"
                ) from None
            raise SSHKeyError(f"{label} cannot be loaded: {type(err).__name__}: {err}") from None

    def _client(self) -> paramiko.SSHClient:
        known_hosts = Path(self.account.known_hosts_file)
        client = paramiko.SSHClient()
        if self.account.accept_new_host_keys:
            client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        else:
            client.set_missing_host_key_policy(_RefuseUnknown())
        try:
            if self.account.accept_new_host_keys:
                known_hosts.touch(exist_ok=True)
            client.load_host_keys(str(known_hosts))
        except OSError as err:
            raise SSHHostKeyError(
                f"ssh account {self.account.name!r}: cannot read known_hosts_file "
                f"{known_hosts}: {err.strerror or err}"
            ) from None
        return client

    def connect(self) -> None:
        """Open the connection: host key checked against known_hosts, then key auth.

        A connection refused, reset or unanswered is tried again (the account's
        ``connect_attempts``, ``connect_retry_seconds`` apart); the last error says how many
        tries were made. Key, host key and authentication errors are raised at once.
        """
        attempts = max(1, self.account.connect_attempts)
        pkey = self._private_key()
        for attempt in range(1, attempts + 1):
            try:
                self.client = self._connect_once(pkey)
                return
            except (SSHConnectionError, SSHTimeoutError) as err:
                if attempt == attempts:
                    if attempts == 1:
                        raise
                    raise type(err)(f"{err} (tried {attempts} times)") from None
                LOG.warning(
                    "%s; trying again in %g s (%d of %d tries)",
                    err,
                    self.account.connect_retry_seconds,
                    attempt + 1,
                    attempts,
                )
                time.sleep(self.account.connect_retry_seconds)

    def _connect_once(self, pkey: paramiko.PKey) -> paramiko.SSHClient:
        label = f"ssh {self.account.username}@{self.host}:{self.account.port}"
        client = self._client()
        timeout = self.account.timeout
        try:
            client.connect(
                self.host,
                port=self.account.port,
                username=self.account.username,
                pkey=pkey,
                timeout=timeout,
                banner_timeout=timeout,
                auth_timeout=timeout,
                channel_timeout=timeout,
                look_for_keys=False,
                allow_agent=False,
            )
        except paramiko.BadHostKeyException:
            client.close()
            raise SSHHostKeyError(
                f"{label}: the host key does not match the one pinned in "
                f"{self.account.known_hosts_file}; refusing to connect"
            ) from None
        except _UnknownHostKey as err:
            client.close()
            raise SSHHostKeyError(
                f"{label}: host key {err} is not in {self.account.known_hosts_file}; add it "
                "there (or set accept_new_host_keys on the account)"
            ) from None
        except paramiko.AuthenticationException as err:
            client.close()
            raise SSHAuthError(f"{label}: authentication refused: {err}") from None
        except (socket.timeout, TimeoutError):
            client.close()
            raise SSHTimeoutError(f"{label}: no answer within timeout={timeout:g} s") from None
        except paramiko.ssh_exception.NoValidConnectionsError as err:
            client.close()
            causes = "; ".join(sorted({str(e.strerror or e) for e in err.errors.values()}))
            raise SSHConnectionError(
                f"{label}: cannot connect ({causes}); check that sshd runs there and the "
                "account's port"
            ) from None
        except (paramiko.SSHException, OSError) as err:
            client.close()
            if any(hint in str(err).lower() for hint in _TIMEOUT_HINTS):
                raise SSHTimeoutError(
                    f"{label}: no answer within timeout={timeout:g} s ({err})"
                ) from None
            raise SSHConnectionError(f"{label}: {type(err).__name__}: {err}") from None
        return client

    def run(
        self,
        argv: Sequence[Any],
        timeout: Optional[float] = None,
        on_output: Optional[OutputCallback] = None,
    ) -> CommandResult:
        """Run ``argv`` (quoted) and wait for it; output is streamed as it comes."""
        if self.client is None:
            self.connect()
        command = command_line(argv[0], argv[1:])
        limit = timeout if timeout is not None else self.account.timeout
        LOG.info("%s: running %s", self.host, command)
        try:
            channel = self.client.get_transport().open_session(timeout=self.account.timeout)
            channel.exec_command(command)
        except (paramiko.SSHException, OSError, AttributeError) as err:
            raise SSHConnectionError(f"{self.host}: cannot start {command}: {err}") from None
        streams = {
            "stdout": _Stream(self.host, "stdout", on_output),
            "stderr": _Stream(self.host, "stderr", on_output),
        }
        try:
            status = _pump(channel, streams, time.monotonic() + limit)
        finally:
            channel.close()
        for stream in streams.values():
            stream.feed(b"", final=True)
        stdout, stderr = streams["stdout"].text, streams["stderr"].text
        if status is None:
            raise SSHTimeoutError(
                f"{self.host}: {command} did not finish within {limit:g} s; "
                f"stdout: {stdout[-_TAIL:]!r} stderr: {stderr[-_TAIL:]!r}",
                stdout,
                stderr,
            )
        if status != 0:
            raise SSHCommandError(
                f"{self.host}: {command} exited with status {status}; "
                f"stdout: {stdout[-_TAIL:]!r} stderr: {stderr[-_TAIL:]!r}",
                status,
                stdout,
                stderr,
            )
        return CommandResult(self.host, command, status, stdout, stderr)


def _pump(channel: Any, streams: Dict[str, _Stream], deadline: float) -> Optional[int]:
    """Move output into ``streams`` until the command exits (its status) or the deadline
    passes (None)."""
    while True:
        busy = False
        if channel.recv_ready():
            streams["stdout"].feed(channel.recv(_CHUNK))
            busy = True
        if channel.recv_stderr_ready():
            streams["stderr"].feed(channel.recv_stderr(_CHUNK))
            busy = True
        if busy:
            continue
        if channel.exit_status_ready() and not (
            channel.recv_ready() or channel.recv_stderr_ready()
        ):
            return channel.recv_exit_status()
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        select.select([channel], [], [], min(remaining, 0.05))


def exec_command(
    ssh_account: SSHAccount,
    host: str,
    script: str,
    args: Sequence[Any] = (),
    timeout: Optional[float] = None,
    on_output: Optional[OutputCallback] = None,
) -> CommandResult:
    """Run ``script`` with ``args`` on ``host`` and return its output; a non-zero exit
    raises :class:`SSHCommandError` with stdout and stderr."""
    with SSHSession(ssh_account, host) as session:
        return session.run([script, *args], timeout=timeout, on_output=on_output)
