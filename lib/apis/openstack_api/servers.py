"""Server lifecycle: create, power, delete, snapshot, with waiting and dry-run."""

from __future__ import annotations

import time
from typing import Any, Callable, Dict, Optional

from apis.openstack_api.exceptions import OpenStackApiError
from apis.results import ObjectOutcome, Outcome, one_object_result

POLL_SECONDS = 2


class ServerError(OpenStackApiError):
    """A server could not be found, changed, or did not reach the wanted state in time."""


def find_unique(finder: Callable[..., Any], kind: str, name_or_id: str, **query: Any) -> Any:
    """One resource by name or id; errors name the parameter and, when ambiguous, the ids."""
    from openstack import exceptions

    try:
        return finder(name_or_id, ignore_missing=False, **query)
    except exceptions.DuplicateResource:
        raise ServerError(f"{kind} {name_or_id!r} is ambiguous: give its id") from None
    except exceptions.NotFoundException:
        raise ServerError(f"{kind} {name_or_id!r} not found") from None


def find_server(conn, server: str) -> Any:
    """A server by name or id: the caller's project first, then (for admins) any project."""
    from openstack import exceptions

    found = conn.compute.find_server(server, ignore_missing=True)
    if found is not None:
        return found
    try:
        return find_unique(conn.compute.find_server, "server", server, all_projects=True)
    except exceptions.ForbiddenException:
        raise ServerError(f"server {server!r} not found") from None


def wait_for(conn, server, status: str, timeout: float, extra: Callable[[Any], bool] = None):
    """Poll until the server has ``status`` (and ``extra`` holds); ERROR ends the wait."""
    deadline = time.monotonic() + timeout
    while True:
        current = conn.compute.get_server(server.id)
        if current.status == status and (extra is None or extra(current)):
            return current
        if current.status == "ERROR" and status != "ERROR":
            fault = (current.fault or {}).get("message", "no fault recorded")
            raise ServerError(f"server {current.name} went to ERROR: {fault}")
        if time.monotonic() > deadline:
            raise ServerError(
                f"server {current.name} is {current.status} (task {current.task_state}), "
                f"not {status}, after {timeout:.0f}s"
            )
        time.sleep(POLL_SECONDS)


def describe(server) -> Dict[str, Any]:
    """What an operator wants to see of a server."""
    return {
        "id": server.id,
        "name": server.name,
        "status": server.status,
        "host": server.compute_host,
        "project_id": server.project_id,
    }


def create_server(
    conn: Any,
    name: str,
    flavor: str,
    image: str,
    network: Optional[str] = None,
    host: Optional[str] = None,
    wait_seconds: float = 600,
    dry_run: bool = True,
) -> Dict[str, Any]:
    """Boot a server (on ``host`` for admins) and wait until ACTIVE (at most ``wait_seconds``);
    an existing one is reported.

    Without ``network`` the server gets no port (``networks: none``).
    """
    existing = conn.compute.find_server(name, ignore_missing=True)
    if existing is not None:
        return server_result(
            dry_run, existing, Outcome.UNCHANGED, "create", "exists", created=False
        )
    flavor_obj = find_unique(conn.compute.find_flavor, "flavor", flavor)
    image_obj = find_unique(conn.image.find_image, "image", image)
    networks: Any = "none"
    if network:
        networks = [{"uuid": find_unique(conn.network.find_network, "network", network).id}]
    plan = {"name": name, "flavor": flavor_obj.name, "image": image_obj.name, "host": host}
    if dry_run:
        planned = ObjectOutcome("server", name, Outcome.DONE, "create")
        return one_object_result(True, planned, **plan, created=False)
    extra = {"host": host} if host else {}
    server = conn.compute.create_server(
        name=name, flavor_id=flavor_obj.id, image_id=image_obj.id, networks=networks, **extra
    )
    server = wait_for(conn, server, "ACTIVE", wait_seconds)
    return server_result(False, server, Outcome.DONE, "create", created=True)


def server_result(
    dry_run: bool, server: Any, outcome: Outcome, change: str, reason: str = "", **fields: Any
) -> Dict[str, Any]:
    """The change result of a one-server action with the server described and the action's
    ``fields``."""
    changed = ObjectOutcome("server", server.name, outcome, change, reason, server.id)
    return one_object_result(dry_run, changed, **describe(server), **fields)


def _power(conn, server, wanted, change, call, timeout, dry_run) -> Dict[str, Any]:
    found = find_server(conn, server)
    previous = found.status
    if dry_run:
        return server_result(True, found, Outcome.DONE, change, previous_status=previous)
    call(conn, found)
    done = wait_for(conn, found, wanted, timeout)
    return server_result(False, done, Outcome.DONE, change, previous_status=previous)


def shutoff_server(conn: Any, server: str, wait_seconds: float = 300, dry_run: bool = True):
    """Stop a server; already SHUTOFF changes nothing."""
    return _idempotent_power(conn, server, "SHUTOFF", "stop", _stop, wait_seconds, dry_run)


def start_server(conn: Any, server: str, wait_seconds: float = 300, dry_run: bool = True):
    """Start a SHUTOFF server; already ACTIVE changes nothing."""
    return _idempotent_power(conn, server, "ACTIVE", "start", _start, wait_seconds, dry_run)


def reboot_server(
    conn: Any,
    server: str,
    hard: bool = False,
    wait_seconds: float = 300,
    dry_run: bool = True,
):
    """Reboot a server (soft by default) and wait until it is ACTIVE again."""

    def reboot(conn, found):
        conn.compute.reboot_server(found, "HARD" if hard else "SOFT")
        time.sleep(POLL_SECONDS)

    change = "hard reboot" if hard else "reboot"
    return _power(conn, server, "ACTIVE", change, reboot, wait_seconds, dry_run)


def _stop(conn, found):
    conn.compute.stop_server(found)


def _start(conn, found):
    conn.compute.start_server(found)


def _idempotent_power(conn, server, wanted, change, call, timeout, dry_run):
    found = find_server(conn, server)
    if found.status == wanted:
        return server_result(
            dry_run, found, Outcome.UNCHANGED, change, f"already {wanted}", previous_status=wanted
        )
    return _power(conn, server, wanted, change, call, timeout, dry_run)


def delete_server(
    conn: Any, server: str, wait_seconds: float = 300, dry_run: bool = True
) -> Dict[str, Any]:
    """Delete a server and wait until it is gone (at most ``wait_seconds``)."""
    found = find_server(conn, server)
    if dry_run:
        return server_result(True, found, Outcome.DONE, "delete", deleted=False)
    conn.compute.delete_server(found)
    conn.compute.wait_for_delete(found, wait=wait_seconds)
    return server_result(False, found, Outcome.DONE, "delete", deleted=True)


def snapshot_server(
    conn: Any,
    server: str,
    snapshot_name: str,
    wait: bool = True,
    wait_seconds: float = 600,
    dry_run: bool = True,
) -> Dict[str, Any]:
    """Create an image of a server; with ``wait``, until the image is active (at most
    ``wait_seconds``)."""
    found = find_server(conn, server)
    result = {"server": found.name, "server_id": found.id, "snapshot_name": snapshot_name}
    image = None
    if not dry_run:
        image = conn.compute.create_server_image(
            found, snapshot_name, wait=wait, timeout=wait_seconds
        )
        image = conn.image.get_image(image.id)
    snapshot = ObjectOutcome(
        "snapshot", snapshot_name, Outcome.DONE, "create", id=image.id if image else None
    )
    return one_object_result(
        dry_run,
        snapshot,
        **result,
        snapshot_id=image.id if image else None,
        snapshot_status=image.status if image else None,
    )
