"""Run a script from the pack config's allow-list on a host: the ssh.remote.command action."""

from __future__ import annotations

import dataclasses
import difflib
import posixpath
from typing import Any, Dict, List, Mapping, Optional, Sequence

from apis.ssh_api.account import SSHAccount
from apis.ssh_api.exceptions import SSHParameterError
from apis.results import ObjectOutcome, Outcome, one_object_result


@dataclasses.dataclass(frozen=True)
class AllowedScript:
    """A script operators may run remotely: an absolute path on the hosts, chosen by name."""

    name: str
    path: str
    description: str = ""

    @classmethod
    def from_config(cls, entry: Mapping[str, Any]) -> "AllowedScript":
        """One ``ssh_allowed_scripts`` entry; the path must be absolute and plain."""
        name, path = entry.get("name"), entry.get("path")
        if not name or not path:
            raise SSHParameterError(
                f"ssh_allowed_scripts entry {dict(entry)!r} needs a name and a path"
            )
        if not posixpath.isabs(path) or posixpath.normpath(path) != path:
            raise SSHParameterError(
                f"ssh_allowed_scripts entry {name!r}: path {path!r} must be an absolute, "
                "normalised path"
            )
        return cls(name=name, path=path, description=entry.get("description") or "")


def allowed_script(
    script: str, ssh_allowed_scripts: Optional[Sequence[Mapping[str, Any]]]
) -> AllowedScript:
    """The allow-listed script called ``script``, or an error listing the valid names."""
    allowed = [AllowedScript.from_config(entry) for entry in ssh_allowed_scripts or ()]
    for candidate in allowed:
        if candidate.name == script:
            return candidate
    names = [candidate.name for candidate in allowed]
    hint = difflib.get_close_matches(script, names, n=1)
    raise SSHParameterError(
        f"script {script!r} is not in the pack config's ssh_allowed_scripts; valid scripts: "
        f"{', '.join(names) if names else 'none configured'}"
        + (f". Did you mean {hint[0]!r}?" if hint else "")
    )


def run_remote_command(
    ssh_account: SSHAccount,
    host: str,
    script: str,
    args: Optional[Sequence[Any]] = None,
    command_timeout: Optional[float] = None,
    dry_run: bool = True,
    ssh_allowed_scripts: Optional[Sequence[Mapping[str, Any]]] = None,
) -> Dict[str, Any]:
    """Run the allow-listed ``script`` with ``args`` on ``host``; with ``dry_run`` only
    connect (host key and login checked) and tell the command that would run."""
    from apis.ssh_api.client import SSHSession, command_line

    chosen = allowed_script(script, ssh_allowed_scripts)
    arguments: List[str] = [str(arg) for arg in args or ()]
    command = command_line(chosen.path, arguments)
    with SSHSession(ssh_account, host) as session:
        if dry_run:
            ran = ObjectOutcome("command", f"{script} on {session.host}", Outcome.DONE, "run")
            return one_object_result(True, ran, host=session.host, command=command)
        result = session.run([chosen.path, *arguments], timeout=command_timeout)
    ran = ObjectOutcome("command", f"{script} on {result.host}", Outcome.DONE, "run")
    return one_object_result(
        False,
        ran,
        host=result.host,
        command=result.command,
        exit_status=result.exit_status,
        stdout=result.stdout,
        stderr=result.stderr,
    )
