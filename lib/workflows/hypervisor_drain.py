"""Drain a hypervisor: take it out of scheduling, then migrate every server away.

The compute service is disabled for maintenance first (a host already disabled for
maintenance is left as it is: that is how a re-run resumes), then the servers still on the
host are listed over all projects. Servers whose names match ``migration.skip_name_patterns``
stay and are reported; the others move with up to ``concurrency`` migrations at a time, each
worker thread on its own openstacksdk connection over the execution's session. Any server
refused or failed makes the drain fail with the full per-server report; running it again
continues with whatever is still on the host. The workers wait on one shared
:class:`MigrationWatch` of the host rather than each polling its own server.
"""

from __future__ import annotations

import concurrent.futures
import logging
import time
from typing import Any, Dict, List, Optional

from apis.openstack_api.error_translation import describe as describe_failure
from apis.openstack_api.error_translation import library_failures
from apis.openstack_api.connection import WorkerConnections
from apis.openstack_api.exceptions import OpenStackApiError
from apis.openstack_api.hypervisor_service import disable_hypervisor, find_compute_service
from apis.openstack_api.hypervisor_state import for_maintenance
from apis.openstack_api.migration_errors import MigrationError, MigrationRefused
from apis.openstack_api.migration_rules import MigrationRules
from apis.openstack_api.migration_watch import MigrationWatch
from apis.openstack_api.migrations import (
    migrate,
    plan,
    snapshot_before_move,
    snapshot_wanted,
)
from apis.openstack_api.servers import describe
from apis.progress import Progress
from apis.results import ChangeResult, ObjectOutcome, Outcome

LOG = logging.getLogger(__name__)

OUTCOMES = ("migrated", "skipped", "refused", "failed", "gone")


class DrainError(OpenStackApiError):
    """The drain could not start, or left servers that should have moved on the host."""


def _servers_on(conn, host: str) -> List[Any]:
    return sorted(
        conn.compute.servers(all_projects=True, compute_host=host), key=lambda s: s.name or ""
    )


def _skipped(server, rules: MigrationRules) -> Optional[Dict[str, Any]]:
    """The entry of a server whose name matches a skip pattern, or None."""
    pattern = rules.skip_pattern(server.name)
    if not pattern:
        return None
    return {**describe(server), "outcome": "skipped", "reason": f"name matches {pattern}"}


def _triage(
    server, live: bool, target_host: Optional[str], rules: MigrationRules, snapshot: bool = False
):
    """``(outcome, entry)`` of the plan for one server: planned (with whether it gets a
    snapshot first), skipped or refused."""
    skipped = _skipped(server, rules)
    if skipped:
        return "skipped", skipped
    try:
        planned = plan(server, live, target_host, rules)
    except MigrationRefused as err:
        return "refused", {**err.report, "outcome": "refused", "reason": err.report["refused"]}
    return "planned", {
        **planned,
        "outcome": "planned",
        "snapshot": snapshot_wanted(server.name, snapshot),
    }


def plan_drain(
    conn: Any,
    hypervisor: str,
    live: bool = True,
    target_host: Optional[str] = None,
    migration: Optional[Dict[str, Any]] = None,
    snapshot_before_migrate: bool = False,
) -> Dict[str, Any]:
    """The servers a drain can move (``server_ids``: only those the migration rules plan;
    ``snapshot_ids``: those of them to snapshot first), and the others with why not:
    ``skipped`` (name patterns) and ``refused`` (each with its ``reason``: flavor, state such
    as ERROR, target)."""
    rules = MigrationRules.from_config(migration)
    host = find_compute_service(conn, hypervisor).host
    entries = [
        _triage(s, live, target_host, rules, snapshot_before_migrate)
        for s in _servers_on(conn, host)
    ]
    return {
        "hypervisor": host,
        "server_ids": [entry["id"] for outcome, entry in entries if outcome == "planned"],
        "snapshot_ids": [
            entry["id"] for outcome, entry in entries if outcome == "planned" and entry["snapshot"]
        ],
        "skipped": [entry for outcome, entry in entries if outcome == "skipped"],
        "refused": [entry for outcome, entry in entries if outcome == "refused"],
        "planned": [entry for outcome, entry in entries if outcome == "planned"],
    }


class _Mover:
    """Migrates servers from worker threads, each on its own connection over one session."""

    def __init__(
        self, conn: Any, watch, live, target_host, timeout, rules, snapshot=False
    ):  # pylint: disable=too-many-arguments
        self.rules = rules
        self.snapshot = snapshot
        self.options = {
            "live": live,
            "host": target_host,
            "timeout": timeout,
            "rules": rules,
            "watch": watch,
        }
        self.connections = WorkerConnections(conn)

    def move(self, server) -> Dict[str, Any]:
        """One server's outcome entry; expected failures become entries, not exceptions."""
        from openstack import exceptions

        try:
            conn = self.connections.get()
            current = conn.compute.get_server(server.id)
            taken = None
            if snapshot_wanted(current.name, self.snapshot):
                taken = snapshot_before_move(conn, current, self.options["timeout"])
            moved = migrate(conn, current, **self.options)
            return {**moved, "outcome": "migrated", "snapshot": taken}
        except exceptions.NotFoundException:
            return {**describe(server), "outcome": "gone", "reason": "deleted during the drain"}
        except MigrationRefused as err:
            return {**err.report, "outcome": "refused", "reason": err.report.get("refused")}
        except MigrationError as err:
            return {**(err.report or describe(server)), "outcome": "failed", "reason": str(err)}
        except (OpenStackApiError, *library_failures()) as err:
            return {
                **describe(server),
                "outcome": "failed",
                "reason": describe_failure(err),
            }


def drain_hypervisor(
    conn: Any,
    hypervisor: str,
    reason: str,
    operator: Optional[str] = None,
    live: bool = True,
    concurrency: Optional[int] = None,
    target_host: Optional[str] = None,
    migration_timeout: Optional[int] = None,
    dry_run: bool = True,
    migration: Optional[Dict[str, Any]] = None,
    snapshot_before_migrate: bool = False,
) -> Dict[str, Any]:
    """Disable a hypervisor for maintenance and migrate its servers away (see module doc).

    With ``snapshot_before_migrate`` each server but ``amphora-*`` ones is snapshotted right
    before it moves (each entry's ``snapshot``: the image, or None; in a dry run: whether)."""
    rules = MigrationRules.from_config(migration)
    concurrency = rules.drain_concurrency if concurrency is None else concurrency
    if concurrency < 1:
        raise DrainError(f"concurrency must be at least 1, not {concurrency}")
    if not reason or not reason.strip():
        raise DrainError("reason must say why the hypervisor is drained")
    started = time.monotonic()
    service = find_compute_service(conn, hypervisor)
    host = service.host
    if target_host and target_host == host:
        raise DrainError(f"target_host {target_host!r} is the hypervisor being drained")
    result: Dict[str, Any] = {
        "hypervisor": host,
        "live": live,
        "concurrency": concurrency,
        "target_host": target_host,
        "dry_run": dry_run,
        "snapshot_before_migrate": bool(snapshot_before_migrate),
    }
    if dry_run:
        servers = _servers_on(conn, host)
        entries = [
            _triage(s, live, target_host, rules, snapshot_before_migrate)[1] for s in servers
        ]
        counts = _counts(entries, started)
        Progress(f"drain {host} (dry run)", len(servers), LOG).note(
            "%s", ", ".join(f"{n} {outcome}" for outcome, n in counts["counts"].items() if n)
        )
        objects = _objects(host, not _maintenance_disabled(service), entries)
        return {
            **vars(ChangeResult(dry_run=True, objects=objects)),
            **result,
            "disable": None,
            "servers": entries,
            **counts,
        }
    result["disable"] = _disable(conn, service, reason, operator)
    servers = _servers_on(conn, host)
    progress = Progress(f"drain {host}", len(servers), LOG)
    progress.note(
        "%s; %d server(s) to move, %d at a time",
        "disabled" if result["disable"]["changed"] else "already disabled",
        len(servers),
        concurrency,
    )
    wait = rules.timeout_seconds if migration_timeout is None else migration_timeout
    with MigrationWatch(conn, host) as watch:
        mover = _Mover(conn, watch, live, target_host, wait, rules, snapshot_before_migrate)
        entries = _move_all(mover, servers, concurrency, progress)
    result["servers"] = entries
    result["remaining"] = [describe(s) for s in _servers_on(conn, host)]
    result.update(_counts(entries, started))
    objects = _objects(host, result["disable"]["changed"], entries)
    result.update(vars(ChangeResult(dry_run=False, objects=objects)))
    counts = result["counts"]
    not_moved = counts["failed"] + counts["refused"]
    if not_moved:
        raise DrainError(
            f"drain of {host}: {not_moved} of {len(entries) - counts['skipped']} server(s) "
            f"not moved ({counts['failed']} failed, {counts['refused']} refused; "
            f"{counts['skipped']} skipped); {host} stays disabled; "
            "run the drain again to continue",
            report=result,
        )
    return result


_SHARED = {
    "planned": Outcome.DONE,
    "migrated": Outcome.DONE,
    "skipped": Outcome.SKIPPED,
    "gone": Outcome.SKIPPED,
    "refused": Outcome.FAILED,
    "failed": Outcome.FAILED,
}


def _objects(host: str, disables: bool, entries: List[Dict[str, Any]]) -> List[ObjectOutcome]:
    """The hypervisor (disabled, or already disabled for maintenance), then every server by
    name: migrated (planned, in a dry run), skipped or failed (refused too), with why."""
    disable = ObjectOutcome(
        "hypervisor",
        host,
        Outcome.DONE if disables else Outcome.UNCHANGED,
        "disable",
        "" if disables else "already disabled for maintenance",
    )
    servers = [
        ObjectOutcome(
            "server",
            e.get("name") or e["id"],
            _SHARED[e["outcome"]],
            "migrate",
            "" if _SHARED[e["outcome"]] is Outcome.DONE else str(e.get("reason") or ""),
            e["id"],
        )
        for e in entries
    ]
    return [disable, *sorted(servers, key=lambda o: (o.name, o.id))]


def _maintenance_disabled(service) -> bool:
    return service.status == "disabled" and for_maintenance(service.disabled_reason)


def _disable(conn: Any, service, reason: str, operator: Optional[str]) -> Dict[str, Any]:
    """Disable for maintenance, unless a previous drain (or operator) already did."""
    if _maintenance_disabled(service):
        return {
            "changed": False,
            "status": "disabled",
            "reason": service.disabled_reason,
            "note": "already disabled for maintenance: resuming",
        }
    done = disable_hypervisor(conn, service.host, reason, operator, dry_run=False)
    return {
        key: done[key]
        for key in ("changed", "status", "reason", "previous_status", "previous_reason")
    }


def _log_entry(progress: Progress, entry: Dict[str, Any]) -> None:
    """One progress line: ``migrated server web-07 to hv-b``, ``refused server gpu: <reason>``."""
    if entry.get("reason"):
        detail = f": {entry['reason']}"
    elif entry["outcome"] == "migrated":
        detail = f" to {entry.get('dest_host')}"
    else:
        detail = ""
    progress.step("%s server %s%s", entry["outcome"], entry.get("name") or entry["id"], detail)


def _move_all(mover: _Mover, servers, concurrency: int, progress: Progress) -> List[Dict[str, Any]]:
    """The skipped servers' entries, then the others' as ``mover`` moves them (it plans each
    again from the server's state at that moment); one progress line per server."""
    entries = []
    to_move = []
    for server in servers:
        skipped = _skipped(server, mover.rules)
        if skipped:
            entries.append(skipped)
            _log_entry(progress, skipped)
        else:
            to_move.append(server)

    def move(server) -> Dict[str, Any]:
        entry = mover.move(server)
        _log_entry(progress, entry)
        return entry

    with concurrent.futures.ThreadPoolExecutor(max_workers=concurrency) as pool:
        entries.extend(pool.map(move, to_move))
    return entries


def _counts(entries: List[Dict[str, Any]], started: float) -> Dict[str, Any]:
    counts = {outcome: 0 for outcome in OUTCOMES + ("planned",)}
    for entry in entries:
        counts[entry["outcome"]] += 1
    return {"counts": counts, "wall_seconds": round(time.monotonic() - started, 2)}


def drain_report(
    hypervisor: str,
    server_ids: List[str],
    migrations: Optional[List[Any]] = None,
    skipped: Optional[List[Dict[str, Any]]] = None,
    refused: Optional[List[Dict[str, Any]]] = None,
    dry_run: bool = True,
) -> Dict[str, Any]:
    """What hypervisor.drain.workflow did, from the results of its server.migrate items.

    ``migrations`` is the with-items task's result: one StackStorm action result per entry of
    ``server_ids`` (``{"result": ..., "exit_code": ...}``, ``None`` for an item never run), as
    Orquesta hands it over whether the items all succeeded or not. ``skipped`` and ``refused``
    are the plan's. Servers that moved are ``migrated`` (``planned`` in a dry run); server.migrate
    refusals join the plan's ``refused``; everything else is ``failed`` with its reason. Unless
    dry-run, any refused or failed server raises :class:`DrainError` with the report, so the
    workflow fails and still shows it.
    """
    report: Dict[str, Any] = {
        "hypervisor": hypervisor,
        "dry_run": dry_run,
        "migrated": [],
        "planned": [],
        "skipped": list(skipped or []),
        "refused": list(refused or []),
        "failed": [],
    }
    results = list(migrations or [])
    for index, server_id in enumerate(server_ids):
        item = results[index] if index < len(results) else None
        outcome, entry = _item_outcome(server_id, item, dry_run)
        report[outcome].append(entry)
    report["counts"] = {
        key: len(report[key]) for key in ("migrated", "planned", "skipped", "refused", "failed")
    }
    not_moved = report["counts"]["refused"] + report["counts"]["failed"]
    if not_moved and not dry_run:
        raise DrainError(
            f"drain of {hypervisor}: {not_moved} server(s) not moved "
            f"({report['counts']['failed']} failed, {report['counts']['refused']} refused; "
            f"{report['counts']['migrated']} migrated); {hypervisor} stays disabled; "
            "run the drain again to continue",
            report=report,
        )
    return report


def _item_outcome(server_id: str, item: Any, dry_run: bool):
    """``(outcome, entry)`` of one server.migrate item result."""
    if not isinstance(item, dict):
        return "failed", {"id": server_id, "reason": "not run: the migrate task stopped first"}
    output = item.get("result")
    if isinstance(output, dict) and "error" not in output:
        return ("planned" if dry_run else "migrated"), {"id": server_id, **output}
    if isinstance(output, dict):
        entry = {"id": server_id, **(output.get("report") or {}), "reason": output["error"]}
        if output.get("error_type") == MigrationRefused.__name__:
            return "refused", entry
        return "failed", {**entry, "error_type": output.get("error_type")}
    reason = item.get("error") or f"no result from server.migrate: {output!r}"
    return "failed", {"id": server_id, "reason": reason}
