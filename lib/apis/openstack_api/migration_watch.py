"""Nova's migration records, and one watch over a host's records for many migrations.

Many migrations from one host (a drain) share a :class:`MigrationWatch`: one listing of the
host's recently changed migration records per poll for all of them, where polling every server
would cost nova a GET per server per poll, and each GET of a server a neutron call too.
"""

from __future__ import annotations

import datetime
import threading
import time
from typing import Any, Dict, Iterable, Optional

from apis import clock
from apis.openstack_api.error_translation import library_failures

POLL_SECONDS = 0.5
# how far behind the newest record it has seen the watch's changes-since window starts
# (records are stamped before their transaction commits; nova hosts' clocks differ a little)
WATCH_MARGIN_SECONDS = 5.0
# the first window, from the client's clock
WATCH_START_SECONDS = 60.0
FAILED_MIGRATION_STATUSES = ("error", "failed", "cancelled")
FINAL_MIGRATION_STATUSES = FAILED_MIGRATION_STATUSES + ("completed", "confirmed", "finished")
CONFIRMED_STATUSES = FAILED_MIGRATION_STATUSES + ("confirmed",)


def newest_record(records: Iterable[Dict[str, Any]], before) -> Optional[Dict[str, Any]]:
    """The record summary with the highest id not in ``before``, or None."""
    return max((r for r in records if r["id"] not in before), key=lambda r: r["id"], default=None)


def record_summary(record) -> Dict[str, Any]:
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
        while not self._stopped.is_set():
            try:
                self.poll()
            except library_failures() as err:
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
                self._records.setdefault(record.server_id, {})[record.id] = record_summary(record)
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
                record = newest_record(self._records.get(server_id, {}).values(), before)
                remaining = deadline - time.monotonic()
                ended = record is not None and record["status"] in statuses
                if ended or remaining <= 0 or self._stopped.is_set():
                    return record
                self._changed.wait(remaining)
