"""Stop every running server on a hypervisor (before a power-off), a few at a time."""

from __future__ import annotations

import concurrent.futures
import enum
import logging
import re
import time
from typing import Any, Dict, List, Optional

from apis.openstack_api.error_translation import describe as describe_failure
from apis.openstack_api.error_translation import library_failures
from apis.openstack_api.connection import WorkerConnections
from apis.openstack_api.exceptions import OpenStackApiError
from apis.openstack_api.hypervisor_service import find_compute_service
from apis.openstack_api.servers import wait_for
from apis import results
from apis.progress import Progress

LOG = logging.getLogger(__name__)

MAX_CONCURRENCY = 16


class HypervisorShutdownError(OpenStackApiError):
    """A parameter is out of range, or some servers on the hypervisor did not stop."""


class Outcome(enum.Enum):
    """What happened to one server."""

    STOPPED = "stopped"
    WOULD_STOP = "would_stop"
    UNCHANGED = "unchanged"
    NOT_TOUCHED = "not_touched"
    SKIPPED = "skipped"
    FAILED = "failed"


def _compile(patterns: Optional[List[str]]) -> List["re.Pattern"]:
    compiled = []
    for pattern in patterns or []:
        try:
            compiled.append(re.compile(pattern))
        except re.error as err:
            raise HypervisorShutdownError(
                f"skip_name_patterns {pattern!r} is not a valid regular expression: {err}"
            ) from None
    return compiled


def _servers_on(conn, host: str, projects: Optional[List[str]]) -> List[Dict[str, Any]]:
    from apis.openstack_query_api import ServerQuery

    query = (
        ServerQuery()
        .select("id", "name", "status", "project_id")
        .where("==", "host", value=host)
        .sort_by("name")
    )
    query.run(conn, all_projects=not projects, from_projects=projects or None, as_admin=True)
    return [
        {
            "id": row["server_id"],
            "name": row["server_name"],
            "project_id": row["server_project_id"],
            "status": row["server_status"],
        }
        for row in query.to_props()
    ]


def _classify(server: Dict[str, Any], skip: List["re.Pattern"], dry_run: bool) -> Outcome:
    if any(pattern.search(server["name"] or "") for pattern in skip):
        return Outcome.SKIPPED
    if server["status"] == "SHUTOFF":
        return Outcome.UNCHANGED
    if server["status"] != "ACTIVE":
        return Outcome.NOT_TOUCHED
    return Outcome.WOULD_STOP if dry_run else Outcome.STOPPED


def _stop(connections: WorkerConnections, server: Dict[str, Any], timeout: float):
    """Stop one server and wait for SHUTOFF: ``(seconds, error or None)``."""
    started = time.monotonic()
    try:
        conn = connections.get()
        found = conn.compute.get_server(server["id"])
        if found.status == "ACTIVE":
            conn.compute.stop_server(found)
        wait_for(conn, found, "SHUTOFF", timeout)
    except (OpenStackApiError, *library_failures()) as err:
        return round(time.monotonic() - started, 1), describe_failure(err)
    return round(time.monotonic() - started, 1), None


_SHARED = {
    Outcome.STOPPED: (results.Outcome.DONE, ""),
    Outcome.WOULD_STOP: (results.Outcome.DONE, ""),
    Outcome.UNCHANGED: (results.Outcome.UNCHANGED, "already SHUTOFF"),
    Outcome.NOT_TOUCHED: (results.Outcome.SKIPPED, "status {status}: only ACTIVE ones stop"),
    Outcome.SKIPPED: (results.Outcome.SKIPPED, "name matches skip_name_patterns"),
    Outcome.FAILED: (results.Outcome.FAILED, "{error}"),
}


def _object(server: Dict[str, Any]) -> results.ObjectOutcome:
    """A server's outcome in the shared change result."""
    outcome, reason = _SHARED[Outcome(server["outcome"])]
    name = server["name"] or server["id"]
    return results.ObjectOutcome(
        "server", name, outcome, "stop", reason.format(**server), server["id"]
    )


def shutdown_servers(
    conn: Any,
    hypervisor: str,
    dry_run: bool = True,
    concurrency: int = 4,
    wait_seconds: float = 300,
    skip_name_patterns: Optional[List[str]] = None,
    projects: Optional[List[str]] = None,
) -> Dict[str, Any]:
    """Stop every ACTIVE server on ``hypervisor`` (of any project, or only of ``projects``).

    SHUTOFF servers are reported ``unchanged``; other states (ERROR, PAUSED...) and names
    matching ``skip_name_patterns`` are left alone. Any server that does not stop fails the
    run with the full report attached.
    """
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise HypervisorShutdownError(
            f"concurrency {concurrency} is out of range: 1 to {MAX_CONCURRENCY}"
        )
    if wait_seconds <= 0:
        raise HypervisorShutdownError(
            f"wait_seconds {wait_seconds} is out of range: more than 0 seconds"
        )
    skip = _compile(skip_name_patterns)
    host = find_compute_service(conn, hypervisor).host
    servers = _servers_on(conn, host, projects)
    progress = Progress(f"shutdown {host}" + (" (dry run)" if dry_run else ""), len(servers), LOG)
    for server in servers:
        server["outcome"] = _classify(server, skip, dry_run).value
        server["seconds"] = None
        server["error"] = None
        if server["outcome"] != Outcome.STOPPED.value:
            progress.step("%s server %s (%s)", server["outcome"], server["name"], server["status"])
    to_stop = [s for s in servers if s["outcome"] == Outcome.STOPPED.value]
    if to_stop:
        connections = WorkerConnections(conn)

        def stop(server):
            seconds, error = _stop(connections, server, wait_seconds)
            outcome = f"failed to stop server {server['name']}: {error}" if error else None
            progress.step(outcome or f"stopped server {server['name']} in {seconds} s")
            return seconds, error

        with concurrent.futures.ThreadPoolExecutor(max_workers=concurrency) as pool:
            done = pool.map(stop, to_stop)
            for server, (seconds, error) in zip(to_stop, done):
                server["seconds"] = seconds
                if error:
                    server.update(outcome=Outcome.FAILED.value, error=error)
    counts = {outcome.value: 0 for outcome in Outcome}
    for server in servers:
        counts[server["outcome"]] += 1
    objects = [_object(server) for server in servers]
    report = {
        **vars(results.ChangeResult(dry_run=dry_run, objects=objects)),
        "hypervisor": host,
        "counts": counts,
        "servers": servers,
    }
    failed = [s["name"] or s["id"] for s in servers if s["outcome"] == Outcome.FAILED.value]
    if failed:
        raise HypervisorShutdownError(
            f"{len(failed)} of {len(to_stop)} servers on {host} did not stop: " + ", ".join(failed),
            report=report,
        )
    return report
