"""Migrate the servers a webhook body names (rule ``server_migrate_from_webhook``, action
``server.migrate.batch``), each only when its flavor passes the pack config's
``webhook_migration`` patterns, snapshotted first unless it is an amphora.

A server moves when its flavor name fully matches one of ``allow_flavor_patterns`` (an empty
list allows every flavor) and none of ``deny_flavor_patterns`` (deny wins); the ``migration``
rules (unmovable flavors, busy servers) apply on top, as for ``server.migrate``. Servers move
one after another; one that fails does not stop the others, and the action fails at the end
naming them, with every server's outcome in its report.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from apis.errors import CloudopsError
from apis.openstack_api.migration_errors import MigrationError, MigrationRefused
from apis.openstack_api.migrations import migrate_server, snapshot_wanted
from apis.openstack_api.servers import ServerError, find_server
from apis.config_section import check_known_keys
from apis.progress import Progress
from apis.results import ChangeResult, ObjectOutcome, Outcome

LOG = logging.getLogger(__name__)
SECTION = "webhook_migration"


class WebhookMigrationError(CloudopsError):
    """The ``webhook_migration`` config or the servers given are bad, or a migration failed."""


@dataclasses.dataclass(frozen=True)
class FlavorPatterns:
    """The pack config's ``webhook_migration`` section."""

    allow_flavor_patterns: Tuple[re.Pattern, ...] = ()
    deny_flavor_patterns: Tuple[re.Pattern, ...] = ()
    snapshot_first: bool = True
    live: bool = True

    @classmethod
    def from_config(cls, config: Optional[Mapping[str, Any]]) -> "FlavorPatterns":
        """The settings, or an error naming the bad key or pattern."""
        config = dict(config or {})
        check_known_keys(
            SECTION, config, [f.name for f in dataclasses.fields(cls)], WebhookMigrationError
        )
        values: Dict[str, Any] = {}
        for key in ("allow_flavor_patterns", "deny_flavor_patterns"):
            values[key] = tuple(
                _compile(pattern, f"{SECTION}.{key}[{n}]")
                for n, pattern in enumerate(config.get(key) or [])
            )
        for key in ("snapshot_first", "live"):
            if key in config:
                values[key] = bool(config[key])
        return cls(**values)

    def refusal(self, flavor: str) -> Optional[str]:
        """Why a server of flavor ``flavor`` must not move, or None."""
        for pattern in self.deny_flavor_patterns:
            if pattern.fullmatch(flavor):
                return f"flavor {flavor} matches {SECTION}.deny_flavor_patterns {pattern.pattern!r}"
        if self.allow_flavor_patterns and not any(
            p.fullmatch(flavor) for p in self.allow_flavor_patterns
        ):
            allowed = ", ".join(repr(p.pattern) for p in self.allow_flavor_patterns)
            return f"flavor {flavor} matches none of {SECTION}.allow_flavor_patterns {allowed}"
        return None


def _compile(pattern: Any, where: str) -> re.Pattern:
    try:
        return re.compile(str(pattern))
    except re.error as err:
        raise WebhookMigrationError(f"{where}: {pattern!r} is not a valid regex: {err}") from None


ROW_KEYS = ("server_id", "id", "server_name", "name")
"""The keys of a search row naming its server, by preference (server.search rows have
``server_id`` and ``server_name``)."""


def server_refs(servers: Any) -> List[str]:
    """The id (else name) of each server given: names or ids, or search rows (a list, or an
    object of group -> rows) with one of :data:`ROW_KEYS`."""
    if isinstance(servers, Mapping):
        servers = [row for group in servers.values() for row in group]
    refs = []
    for n, item in enumerate(servers or []):
        ref = item
        if isinstance(item, Mapping):
            ref = next((item[key] for key in ROW_KEYS if item.get(key)), None)
        if not isinstance(ref, str) or not ref:
            raise WebhookMigrationError(
                f"servers[{n}] {item!r} names no server: give a name or id, or a search row "
                f"with one of {', '.join(ROW_KEYS)}"
            )
        refs.append(ref)
    return list(dict.fromkeys(refs))


def flavor_name(server: Any) -> str:
    """The name of the server's flavor (embedded since compute API 2.47)."""
    flavor = server.flavor
    return str(getattr(flavor, "original_name", None) or getattr(flavor, "name", None) or "")


def migrate_servers(
    conn: Any,
    servers: Sequence[Any],
    dry_run: bool = True,
    webhook_migration: Optional[Mapping[str, Any]] = None,
    migration: Optional[Dict[str, Any]] = None,
) -> Dict[str, Any]:
    """Migrate each server whose flavor the ``webhook_migration`` patterns allow (see the
    module doc); ``servers`` entries are names, ids or search rows."""
    patterns = FlavorPatterns.from_config(webhook_migration)
    refs = server_refs(servers)
    progress = Progress("migrate servers from webhook", len(refs), LOG)
    entries = [_migrate_one(conn, ref, patterns, dry_run, migration) for ref in refs]
    for entry in entries:
        progress.step("%s: %s %s", entry["server"], entry["outcome"], entry["reason"])
    objects = [obj for entry in entries for obj in entry.pop("objects")]
    result = {"servers": entries, **vars(ChangeResult(dry_run=dry_run, objects=objects))}
    failed = [e["server"] for e in entries if e["outcome"] == Outcome.FAILED.value]
    if failed:
        raise WebhookMigrationError(
            f"{len(failed)} of {len(entries)} server(s) not migrated: {', '.join(failed)}; "
            "see the report",
            report=result,
        )
    return result


def _migrate_one(
    conn: Any,
    ref: str,
    patterns: FlavorPatterns,
    dry_run: bool,
    migration: Optional[Dict[str, Any]],
) -> Dict[str, Any]:
    """One server's entry: outcome, reason, flavor, whether snapshotted, and its objects."""
    entry: Dict[str, Any] = {"server": ref, "flavor": None, "snapshot_first": False}
    try:
        found = find_server(conn, ref)
    except ServerError as err:
        return _entry(entry, Outcome.FAILED, str(err), ObjectOutcome("server", ref, Outcome.FAILED))
    entry.update(server=found.name, id=found.id, flavor=flavor_name(found))
    refused = patterns.refusal(entry["flavor"])
    if refused:
        skipped = ObjectOutcome("server", found.name, Outcome.SKIPPED, "migrate", refused, found.id)
        return _entry(entry, Outcome.SKIPPED, refused, skipped)
    entry["snapshot_first"] = snapshot_wanted(found.name, patterns.snapshot_first)
    try:
        moved = migrate_server(
            conn,
            found.id,
            live=patterns.live,
            snapshot_first=entry["snapshot_first"],
            dry_run=dry_run,
            migration=migration,
        )
    except MigrationError as err:
        outcome = Outcome.SKIPPED if isinstance(err, MigrationRefused) else Outcome.FAILED
        obj = ObjectOutcome("server", found.name, outcome, "migrate", str(err), found.id)
        return _entry(entry, outcome, str(err), obj)
    entry["dest_host"] = moved.get("dest_host")
    return {**entry, "outcome": Outcome.DONE.value, "reason": "", "objects": moved["objects"]}


def _entry(entry: Dict[str, Any], outcome: Outcome, reason: str, obj: ObjectOutcome):
    return {**entry, "outcome": outcome.value, "reason": reason, "objects": [obj]}
