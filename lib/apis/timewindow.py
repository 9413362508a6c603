"""Time windows from operator input: ISO 8601 start/end times and durations like ``1h30m``.

Shared by the Alertmanager (silences) and Icinga (downtimes) apis; errors are ValueErrors
that the calling api turns into its own exception.
"""

from __future__ import annotations

import datetime
import re
from typing import Optional, Tuple

from apis import clock

_DURATION = re.compile(r"(?:(\d+)w\s*)?(?:(\d+)d\s*)?(?:(\d+)h\s*)?(?:(\d+)m\s*)?(?:(\d+)s)?")
_UNITS = ("weeks", "days", "hours", "minutes", "seconds")


def parse_duration(name: str, text: str) -> datetime.timedelta:
    """``2h``, ``90m``, ``1d12h``, ``2d 6h`` or ``1w`` as a positive timedelta (units in
    that order, largest first, each once; spaces between them allowed)."""
    match = _DURATION.fullmatch(str(text).strip())
    if not text or not match or not any(match.groups()):
        raise ValueError(
            f"{name} {text!r} is not a duration; use weeks, days, hours, minutes and seconds "
            "like 2h, 90m, 1d12h, 2d 6h or 1w"
        )
    value = datetime.timedelta(
        **{unit: int(amount) for unit, amount in zip(_UNITS, match.groups()) if amount}
    )
    if not value:
        raise ValueError(f"{name} {text!r} must be longer than zero")
    return value


def time_window(
    start: Optional[str], end: Optional[str], duration: Optional[str]
) -> Tuple[datetime.datetime, datetime.datetime]:
    """``(start, end)`` from a start (default now) and either an end or a duration."""
    if end and duration:
        raise ValueError("give either end or duration, not both")
    if not end and not duration:
        raise ValueError("give end (an ISO 8601 time) or duration (e.g. 2h)")
    begin = clock.parse(start, "start") if start else clock.now()
    finish = clock.parse(end, "end") if end else begin + parse_duration("duration", duration)
    if finish <= begin:
        raise ValueError(f"end {finish.isoformat()} must be after start {begin.isoformat()}")
    if finish <= clock.now():
        raise ValueError(f"end {finish.isoformat()} is in the past")
    return begin, finish
