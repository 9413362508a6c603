"""Move a server to another hypervisor (live or cold), refusing what must not move.

Only ACTIVE and SHUTOFF servers without a task in progress move. ACTIVE servers migrate live
(or cold when ``live`` is false); a SHUTOFF server cannot migrate live, so it always moves cold
and the result says so (``note``). Every other state is refused, naming it. Flavors the pack
config's ``migration`` rules mark as unmovable (GPU/FPGA extra specs, too many vCPUs) are
refused with the property or limit that matched.

A migration is done when nova has no task left on the server (a cold one is confirmed first
unless ``confirm_resize`` is off); the result carries nova's migration record. A migration
nova refuses or that ends with the server still on its source host raises
:class:`MigrationFailed`, whose report says where the server is.

One migration polls its server. Many migrations from one host (a drain) share a
:class:`MigrationWatch` instead: one listing of the host's recently changed migration records
per poll for all of them, where polling every server would cost nova a GET per server per
poll, and each GET of a server a neutron call too.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import re
import threading
import time
from typing import Any, Dict, Iterable, Mapping, Optional, Tuple

from apis import clock
from apis.openstack_api.connection import connect
from apis.openstack_api.servers import ServerError, describe, find_server

POLL_SECONDS = 0.5
# a waiting migration checks its own server this often, in case the watch missed its record
WATCH_FALLBACK_SECONDS = 10.0
# how far behind the newest record it has seen the watch's changes-since window starts
# (records are stamped before their transaction commits; nova hosts' clocks differ a little)
WATCH_MARGIN_SECONDS = 5.0
# the first window, from the client's clock
WATCH_START_SECONDS = 60.0
MOVABLE_STATUSES = ("ACTIVE", "SHUTOFF")
FAILED_MIGRATION_STATUSES = ("error", "failed", "cancelled")
FINAL_MIGRATION_STATUSES = FAILED_MIGRATION_STATUSES + ("completed", "confirmed", "finished")
CONFIRMED_STATUSES = FAILED_MIGRATION_STATUSES + ("confirmed",)
DEFAULT_REFUSE_FLAVOR_PROPERTIES = (
    "pci_passthrough:alias",
    "resources:VGPU",
    "resources:PGPU",
    "resources:FPGA",
)
DEFAULT_SKIP_NAME_PATTERNS = ("^amphora-",)


class MigrationError(ServerError):
    """A server migration could not be planned, started or finished."""


class MigrationConfigError(MigrationError):
    """The pack config's ``migration`` object has a bad key or value."""


class MigrationRefused(MigrationError):
    """The server must not or cannot move (flavor, state, target); nothing was changed."""


class MigrationFailed(MigrationError):
    """Nova refused or failed the migration, or it did not finish in time."""


class Mode(enum.Enum):
    """How a server moves."""

    LIVE = "live"
    COLD = "cold"


@dataclasses.dataclass(frozen=True)
class FlavorRule:
    """One ``refuse_flavor_properties`` entry: an extra-spec key, optionally ``key=regex``.

    A bare key matches any value but empty and ``0`` (``resources:VGPU=0`` asks for no vGPU).
    """

    key: str
    pattern: Optional[re.Pattern] = None

    @classmethod
    def parse(cls, text: str, where: str) -> "FlavorRule":
        """``key`` or ``key=regex`` (the regex must match the whole value)."""
        key, sep, regex = str(text).partition("=")
        if not key.strip():
            raise MigrationConfigError(f"{where} {text!r} has no extra-spec key")
        return cls(key.strip(), _compile(regex, where) if sep else None)

    def matches(self, extra_specs: Mapping[str, Any]) -> bool:
        """Whether the flavor's extra specs have this key (with a matching value)."""
        if self.key not in extra_specs:
            return False
        value = str(extra_specs[self.key]).strip()
        if self.pattern is None:
            return value not in ("", "0")
        return bool(self.pattern.fullmatch(value))

    def __str__(self) -> str:
        return self.key + (f"={self.pattern.pattern}" if self.pattern else "")


@dataclasses.dataclass(frozen=True)
class MigrationRules:
    """The pack config's ``migration`` object (defaults for every key)."""

    refuse_flavor_properties: Tuple[FlavorRule, ...] = tuple(
        FlavorRule(key) for key in DEFAULT_REFUSE_FLAVOR_PROPERTIES
    )
    max_vcpus: int = 0
    skip_name_patterns: Tuple[re.Pattern, ...] = tuple(
        re.compile(p) for p in DEFAULT_SKIP_NAME_PATTERNS
    )
    drain_concurrency: int = 4
    timeout_seconds: int = 900
    confirm_resize: bool = True

    @classmethod
    def from_config(cls, config: Optional[Mapping[str, Any]]) -> "MigrationRules":
        """Rules from the config object; errors name the bad key."""
        config = dict(config or {})
        valid = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(config) - set(valid))
        if unknown:
            raise MigrationConfigError(
                f"migration: unknown key(s) {', '.join(unknown)}; valid keys: {', '.join(valid)}"
            )
        values: Dict[str, Any] = {}
        if "refuse_flavor_properties" in config:
            entries = _list(config, "refuse_flavor_properties")
            values["refuse_flavor_properties"] = tuple(
                FlavorRule.parse(e, f"migration.refuse_flavor_properties[{n}]")
                for n, e in enumerate(entries)
            )
        if "skip_name_patterns" in config:
            entries = _list(config, "skip_name_patterns")
            values["skip_name_patterns"] = tuple(
                _compile(e, f"migration.skip_name_patterns[{n}]") for n, e in enumerate(entries)
            )
        for key, minimum in (("max_vcpus", 0), ("drain_concurrency", 1), ("timeout_seconds", 1)):
            if key in config:
                values[key] = _integer(config, key, minimum)
        if "confirm_resize" in config:
            if not isinstance(config["confirm_resize"], bool):
                raise MigrationConfigError(
                    f"migration.confirm_resize must be true or false, "
                    f"not {config['confirm_resize']!r}"
                )
            values["confirm_resize"] = config["confirm_resize"]
        return cls(**values)

    def flavor_refusal(self, flavor) -> Optional[str]:
        """Why a server of this (embedded) flavor must not move, or None."""
        if not getattr(flavor, "original_name", None):
            return "its flavor's extra specs are unknown (compute API older than 2.47)"
        extra_specs = flavor.extra_specs or {}
        for rule in self.refuse_flavor_properties:
            if rule.matches(extra_specs):
                return f"its flavor has extra spec {rule.key}={extra_specs[rule.key]}"
        vcpus = getattr(flavor, "vcpus", None) or 0
        if self.max_vcpus and vcpus > self.max_vcpus:
            return f"its flavor has {vcpus} vCPUs, more than migration.max_vcpus {self.max_vcpus}"
        return None

    def skip_pattern(self, name: Optional[str]) -> Optional[str]:
        """The skip_name_patterns entry a server name matches, or None."""
        for pattern in self.skip_name_patterns:
            if pattern.search(name or ""):
                return pattern.pattern
        return None


def _list(config: Mapping[str, Any], key: str) -> list:
    value = config[key]
    if not isinstance(value, (list, tuple)):
        raise MigrationConfigError(f"migration.{key} must be a list, not {value!r}")
    return list(value)


def _compile(regex: Any, where: str) -> re.Pattern:
    try:
        return re.compile(str(regex))
    except re.error as err:
        raise MigrationConfigError(f"{where}: {regex!r} is not a valid regex: {err}") from None


def _integer(config: Mapping[str, Any], key: str, minimum: int) -> int:
    value = config[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise MigrationConfigError(
            f"migration.{key} must be an integer >= {minimum}, not {value!r}"
        )
    return value


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
    try:
        if result["mode"] == Mode.LIVE.value:
            conn.compute.live_migrate_server(server, host=host, block_migration="auto")
        else:
            conn.compute.migrate_server(server, host=host)
    except (exceptions.HttpException, ValueError) as err:
        raise _failed(result, server, f"nova refused it: {_message(err)}") from None
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
        raise _failed(result, current, why)
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
    details = getattr(err, "details", None)
    return str(details or err)


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
    return _newest(map(_summary, conn.compute.migrations(server_id=server.id)), before)


def _newest(records: Iterable[Dict[str, Any]], before) -> Optional[Dict[str, Any]]:
    """The record summary with the highest id not in ``before``, or None."""
    return max((r for r in records if r["id"] not in before), key=lambda r: r["id"], default=None)


def _summary(record) -> Dict[str, Any]:
    """What a result says of a migration record."""
    return {
        "id": record.id,
        "uuid": getattr(record, "uuid", None),
        "status": record.status,
        "type": record.migration_type,
        "source": record.source_compute,
        "dest": record.dest_compute,
    }


class MigrationWatch:
    """Migration records of one source host, listed once per poll for every waiting migration.

    Each poll lists the records changed since a little before the newest one seen (nova's
    ``changes-since``), so it stays small however long the drain runs. Use it as a context
    manager: the poller is a thread on ``conn``, which nothing else may use meanwhile.
    """

    def __init__(self, conn, source_host: str, interval: Optional[float] = None):
        self._conn = conn
        self._host = source_host
        self._interval = POLL_SECONDS if interval is None else interval
        self._since = clock.now() - datetime.timedelta(seconds=WATCH_START_SECONDS)
        self._records: Dict[str, Dict[int, Dict[str, Any]]] = {}
        self._changed = threading.Condition()
        self._stopped = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"migration-watch-{source_host}", daemon=True
        )
        self.polls = 0
        self.error: Optional[str] = None

    def __enter__(self) -> "MigrationWatch":
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stopped.set()
        with self._changed:
            self._changed.notify_all()
        self._thread.join()

    def _run(self) -> None:
        from openstack import exceptions

        while not self._stopped.is_set():
            try:
                self.poll()
            except exceptions.SDKException as err:
                # the workers' own checks (WATCH_FALLBACK_SECONDS) carry on meanwhile
                self.error = f"{type(err).__name__}: {err}"
            self._stopped.wait(self._interval)

    def poll(self) -> None:
        """One listing; wakes every waiting migration."""
        since = self._since.strftime("%Y-%m-%dT%H:%M:%S")
        listed = list(self._conn.compute.migrations(source_compute=self._host, changes_since=since))
        stamps = [clock.parse(m.updated_at) for m in listed if m.updated_at]
        with self._changed:
            self.polls += 1
            for record in listed:
                self._records.setdefault(record.server_id, {})[record.id] = _summary(record)
            if stamps:
                margin = datetime.timedelta(seconds=WATCH_MARGIN_SECONDS)
                self._since = max(self._since, max(stamps) - margin)
            self._changed.notify_all()

    def wait(self, server_id: str, before, statuses, timeout: float) -> Optional[Dict[str, Any]]:
        """The server's newest record not in ``before`` once its status is one of ``statuses``;
        after ``timeout`` seconds (or once the watch stops) whatever it has, or None."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                record = _newest(self._records.get(server_id, {}).values(), before)
                remaining = deadline - time.monotonic()
                ended = record is not None and record["status"] in statuses
                if ended or remaining <= 0 or self._stopped.is_set():
                    return record
                self._changed.wait(remaining)


def migrate_server(
    cloud_account: str,
    server: str,
    live: bool = True,
    host: Optional[str] = None,
    snapshot_first: bool = False,
    timeout: Optional[int] = None,
    dry_run: bool = True,
    migration: Optional[Dict[str, Any]] = None,
) -> Dict[str, Any]:
    """Migrate one server (live by default) to ``host`` or where the scheduler chooses."""
    rules = MigrationRules.from_config(migration)
    with connect(cloud_account) as conn:
        found = find_server(conn, server)
        if dry_run:
            return {**plan(found, live, host, rules), "dry_run": True}
        plan(found, live, host, rules)
        wait = rules.timeout_seconds if timeout is None else timeout
        snapshot = _snapshot(conn, found, wait) if snapshot_first else None
        try:
            result = migrate(conn, found, live=live, host=host, timeout=wait, rules=rules)
        except MigrationError as err:
            if snapshot:
                err.report = {**(err.report or {}), "snapshot": snapshot}
            raise
    return {**result, "snapshot": snapshot, "dry_run": False}


def _snapshot(conn, server, timeout: float) -> Dict[str, Any]:
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
