"""What the finding sensors share: a fingerprint per finding, and which findings are new.

The datastore keeps ``{fingerprint: group}`` for the findings of the last poll. A finding is
dispatched when its fingerprint was not there; a finding that went away is forgotten (if it
comes back it is new again); a group whose listing failed keeps its fingerprints, so an outage
neither forgets nor re-dispatches anything.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

FINGERPRINT_LENGTH = 20


def fingerprint(content: Mapping[str, Any]) -> str:
    """A stable hash of a finding's content (key order does not matter)."""
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:FINGERPRINT_LENGTH]


def load_seen(stored: Optional[str]) -> Dict[str, str]:
    """The fingerprints recorded by the last poll (a JSON object in the datastore)."""
    if not stored:
        return {}
    try:
        seen = json.loads(stored)
    except ValueError:
        return {}
    if not isinstance(seen, dict):
        return {}
    return {str(key): str(value) for key, value in seen.items()}


@dataclasses.dataclass(frozen=True)
class WatchResult:
    """One poll: payloads to dispatch, fingerprints to store, and what went wrong."""

    new: List[Dict[str, Any]]
    seen: Dict[str, str]
    errors: List[str]

    @property
    def state(self) -> str:
        """The datastore value."""
        return json.dumps(self.seen, sort_keys=True)


def sift(
    findings: Iterable[Tuple[str, Dict[str, Any]]],
    previous: Mapping[str, str],
    failed_groups: Iterable[str] = (),
    errors: Iterable[str] = (),
) -> WatchResult:
    """The new findings among ``(group, payload)`` pairs, each payload with a ``fingerprint``."""
    failed = set(failed_groups)
    seen = {key: group for key, group in previous.items() if group in failed}
    new = []
    for group, payload in findings:
        key = payload["fingerprint"]
        if key not in previous and key not in seen:
            new.append(payload)
        seen[key] = group
    return WatchResult(new=new, seen=seen, errors=list(errors))


def poll_into(sensor_service: Any, logger: Any, watch: Any, settings: Any) -> WatchResult:
    """One poll of a finding sensor against the datastore: log errors, dispatch new findings,
    store the rest. ``watch`` is the module with ``DATASTORE_KEY``, ``TRIGGER`` and
    ``poll(settings, previous)``."""
    result = watch.poll(settings, load_seen(sensor_service.get_value(watch.DATASTORE_KEY)))
    for error in result.errors:
        logger.warning("%s", error)
    for payload in result.new:
        sensor_service.dispatch(trigger=watch.TRIGGER, payload=payload)
    sensor_service.set_value(watch.DATASTORE_KEY, result.state)
    return result
