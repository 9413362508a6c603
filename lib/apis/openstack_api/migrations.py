"""Move a server to another hypervisor (live or cold), refusing what must not move.

Only ACTIVE and SHUTOFF servers without a task in progress move. ACTIVE servers migrate live
(or cold when ``live`` is false); a SHUTOFF server cannot migrate live, so it always moves cold
and the result says so (``note``). Every other state is refused, naming it, and so are the
flavors the pack config's ``migration`` rules mark as unmovable (migration_rules).

A migration is done when nova has no task left on the server (a cold one is confirmed first
unless ``confirm_resize`` is off); the result carries nova's migration record. A migration
nova refuses or that ends with the server still on its source host raises
:class:`MigrationFailed`, whose report says where the server is.

One migration polls its server; many migrations from one host (a drain) wait on a shared
:class:`~apis.openstack_api.migration_watch.MigrationWatch` instead.
"""

from __future__ import annotations

import enum
import logging
import time
from typing import Any, Dict, List, Optional

from apis import clock
from apis.openstack_api.error_translation import describe as describe_failure
from apis.openstack_api.error_translation import library_failures
from apis.openstack_api.migration_errors import MigrationError, MigrationFailed, MigrationRefused
from apis.openstack_api.migration_rules import MigrationRules
from apis.openstack_api.migration_watch import (
    CONFIRMED_STATUSES,
    FAILED_MIGRATION_STATUSES,
    FINAL_MIGRATION_STATUSES,
    MigrationWatch,
    newest_record,
    record_summary,
)
from apis.openstack_api.servers import describe, find_server
from apis.progress import Progress
from apis.results import ChangeResult, ObjectOutcome, Outcome

LOG = logging.getLogger(__name__)

POLL_SECONDS = 0.5
# a waiting migration checks its own server this often, in case the watch missed its record
WATCH_FALLBACK_SECONDS = 10.0
MOVABLE_STATUSES = ("ACTIVE", "SHUTOFF")


class Mode(enum.Enum):
    """How a server moves."""

    LIVE = "live"
    COLD = "cold"


def plan(server, live: bool, host: Optional[str], rules: MigrationRules) -> Dict[str, Any]:
    """How ``server`` would move, or :class:`MigrationRefused` saying why it cannot."""
    result = {
        **describe(server),
        "source_host": server.compute_host,
        "target_host": host or "chosen by the scheduler",
        "requested": Mode.LIVE.value if live else Mode.COLD.value,
    }
    reason = None
    if server.task_state:
        reason = f"it is busy ({server.status}, task {server.task_state})"
    elif server.status not in MOVABLE_STATUSES:
        reason = f"it is {server.status}; only {' and '.join(MOVABLE_STATUSES)} servers move"
    elif host and host == server.compute_host:
        reason = f"host {host!r} is the host it is on"
    else:
        reason = rules.flavor_refusal(server.flavor)
    if reason:
        raise MigrationRefused(
            f"server {server.name} will not be migrated: {reason}",
            report={**result, "refused": reason},
        )
    mode = Mode.LIVE if live and server.status == "ACTIVE" else Mode.COLD
    result["mode"] = mode.value
    if live and mode is Mode.COLD:
        result["note"] = "a SHUTOFF server cannot migrate live: it moves cold"
    return result


def migrate(
    conn,
    server,
    *,
    live: bool,
    host: Optional[str],
    timeout: float,
    rules: MigrationRules,
    watch: Optional["MigrationWatch"] = None,
) -> Dict[str, Any]:
    """Migrate ``server`` and wait until nova is done; the result with the migration record.

    With ``watch`` (of the server's host) the wait is on the watch's shared poll.
    """
    from openstack import exceptions

    started = time.monotonic()
    result = plan(server, live, host, rules)
    before = {m.id for m in conn.compute.migrations(server_id=server.id)}
    unanswered = None
    try:
        if result["mode"] == Mode.LIVE.value:
            conn.compute.live_migrate_server(server, host=host, block_migration="auto")
        else:
            conn.compute.migrate_server(server, host=host)
    except (exceptions.HttpException, ValueError) as err:
        raise _failed(result, server, f"nova refused it: {_message(err)}") from None
    except library_failures() as err:
        # no answer: nova may have taken it, so where the server ends up tells
        unanswered = describe_failure(err)
    record = _watched(conn, server, watch, before, timeout, started)
    current = _settle(conn, server, result, timeout, started)
    if current.status == "VERIFY_RESIZE" and rules.confirm_resize:
        conn.compute.confirm_server_resize(current)
        record = _watched(conn, server, watch, before, timeout, started, confirming=True)
        current = _settle(conn, server, result, timeout, started, confirming=True)
    if not (record and record["status"] in FINAL_MIGRATION_STATUSES):
        record = _final_migration(conn, server, before, started + timeout)
    result.update(
        status=current.status,
        host=current.compute_host,
        dest_host=current.compute_host,
        migration=record,
        seconds=round(time.monotonic() - started, 2),
    )
    if current.status == "VERIFY_RESIZE":
        result["note"] = "moved; the resize waits for confirmation (migration.confirm_resize off)"
    why = _failure(current, record, result["source_host"])
    if why:
        raise _failed(result, current, f"{unanswered}; {why}" if unanswered else why)
    return result


def _watched(
    conn, server, watch, before, timeout, started, confirming=False
) -> Optional[Dict[str, Any]]:
    """Wait on ``watch`` until the server's new record has ended (been confirmed); that record.

    Every WATCH_FALLBACK_SECONDS the server itself is checked: one that has settled ends the
    wait even when the watch saw no record for it. Without a watch, None at once.
    """
    if watch is None:
        return None
    statuses = CONFIRMED_STATUSES if confirming else FINAL_MIGRATION_STATUSES
    while True:
        remaining = timeout - (time.monotonic() - started)
        record = watch.wait(server.id, before, statuses, min(WATCH_FALLBACK_SECONDS, remaining))
        if (record and record["status"] in statuses) or remaining <= WATCH_FALLBACK_SECONDS:
            return record
        current = conn.compute.get_server(server.id)
        if current.task_state is None and not (confirming and current.status == "VERIFY_RESIZE"):
            return record


def _settle(conn, server, result, timeout, started, confirming=False):
    """The server once nova has no task on it (and, when confirming, no resize to verify)."""
    while True:
        current = conn.compute.get_server(server.id)
        if current.task_state is None and not (confirming and current.status == "VERIFY_RESIZE"):
            return current
        if time.monotonic() - started > timeout:
            result["status"] = current.status
            raise _failed(
                result,
                current,
                f"it did not finish within {timeout:.0f}s (still {current.status}, "
                f"task {current.task_state})",
            )
        time.sleep(POLL_SECONDS)


def _failure(current, record: Optional[Dict[str, Any]], source: str) -> Optional[str]:
    status = (record or {}).get("status")
    if current.status == "ERROR":
        return f"it went to ERROR: {(current.fault or {}).get('message', 'no fault recorded')}"
    if status in FAILED_MIGRATION_STATUSES:
        return f"nova's migration {record['id']} ended {status}"
    if current.compute_host == source:
        return "it is still on its source host" + (f" (migration {status})" if status else "")
    return None


def _failed(result: Dict[str, Any], current, why: str) -> MigrationFailed:
    where = current.compute_host or result["source_host"]
    report = {**result, "host": where, "failed": why}
    report.setdefault("status", current.status)
    return MigrationFailed(
        f"server {result['name']} was not migrated and is on {where}: {why}", report=report
    )


def _message(err: Exception) -> str:
    """An HTTP refusal as the one translation words it (status, request id, what to do)."""
    return describe_failure(err) if isinstance(err, library_failures()) else str(err)


def _final_migration(conn, server, before, deadline: float) -> Optional[Dict[str, Any]]:
    """The migration record once it has a final status (nova updates it after the server)."""
    while True:
        record = _new_migration(conn, server, before)
        if record is None or record["status"] in FINAL_MIGRATION_STATUSES:
            return record
        if time.monotonic() > deadline:
            return record
        time.sleep(POLL_SECONDS)


def _new_migration(conn, server, before) -> Optional[Dict[str, Any]]:
    """Nova's record of the migration just made (the newest one not seen before)."""
    return newest_record(map(record_summary, conn.compute.migrations(server_id=server.id)), before)


def migrate_server(
    conn: Any,
    server: str,
    live: bool = True,
    host: Optional[str] = None,
    snapshot_first: bool = False,
    migration_timeout: Optional[int] = None,
    dry_run: bool = True,
    migration: Optional[Dict[str, Any]] = None,
) -> Dict[str, Any]:
    """Migrate one server (live by default) to ``host`` or where the scheduler chooses, waiting
    at most ``migration_timeout`` seconds (default: the rules' ``timeout_seconds``)."""
    rules = MigrationRules.from_config(migration)
    found = find_server(conn, server)
    if dry_run:
        planned = plan(found, live, host, rules)
        objects = _migration_objects(found, planned["mode"], snapshot_first)
        return {**planned, **vars(ChangeResult(dry_run=True, objects=objects))}
    planned = plan(found, live, host, rules)
    progress = Progress(f"migrate {found.name}", 2 if snapshot_first else 1, LOG)
    progress.note("moving it %s from %s", planned["mode"], found.compute_host)
    wait = rules.timeout_seconds if migration_timeout is None else migration_timeout
    snapshot = snapshot_before_move(conn, found, wait) if snapshot_first else None
    if snapshot:
        progress.step("snapshot %s %s", snapshot["name"], snapshot["status"])
    try:
        result = migrate(conn, found, live=live, host=host, timeout=wait, rules=rules)
    except MigrationError as err:
        if snapshot:
            err.report = {**(err.report or {}), "snapshot": snapshot}
        raise
    progress.step("%s-migrated to %s", result["mode"], result["dest_host"])
    objects = _migration_objects(found, result["mode"], snapshot_first, snapshot)
    return {**result, "snapshot": snapshot, **vars(ChangeResult(dry_run=False, objects=objects))}


def _migration_objects(
    server: Any, mode: str, snapshot_first: bool, snapshot: Optional[Dict[str, Any]] = None
) -> List[ObjectOutcome]:
    """The snapshot taken first (if asked for), then the server's migration."""
    objects = [ObjectOutcome("server", server.name, Outcome.DONE, f"{mode} migrate", id=server.id)]
    if snapshot_first:
        image_id = snapshot["id"] if snapshot else None
        name = f"{server.name}-pre-migration"
        objects.insert(0, ObjectOutcome("snapshot", name, Outcome.DONE, "create", id=image_id))
    return objects


NEVER_SNAPSHOT_PREFIX = "amphora-"


def snapshot_wanted(name: Optional[str], snapshot_before_migrate: bool) -> bool:
    """Whether a server is snapshotted before it moves: when asked for, never an amphora
    (Octavia rebuilds those; their images are only clutter)."""
    return bool(snapshot_before_migrate) and not (name or "").startswith(NEVER_SNAPSHOT_PREFIX)


def snapshot_before_move(conn, server, timeout: float) -> Dict[str, Any]:
    """An image of the server, taken before it moves; waits until nova has captured it."""
    stamp = clock.now().strftime("%Y%m%dT%H%M%SZ")
    name = f"{server.name}-pre-migration-{stamp}"
    image = conn.compute.create_server_image(server, name, wait=False)
    started = time.monotonic()
    while conn.compute.get_server(server.id).task_state is not None:
        if time.monotonic() - started > timeout:
            raise MigrationFailed(
                f"server {server.name} was not migrated: its snapshot {name} did not finish "
                f"within {timeout:.0f}s",
                report={**describe(server), "snapshot": {"id": image.id, "name": name}},
            )
        time.sleep(POLL_SECONDS)
    status = conn.image.get_image(image.id).status
    return {"id": image.id, "name": name, "status": status}
