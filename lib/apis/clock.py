"""The pack's one clock and its one timestamp parser.

Every "now" in the pack is :func:`now` (aware UTC) and every timestamp that OpenStack, Jira,
Alertmanager, Icinga or an operator sends goes through :func:`parse` (aware UTC), so a test
pins time in one way, :func:`pinned`, and nothing depends on the day the suite runs. Reading
the wall clock anywhere else is refused by the lint phase (ruff's banned-api list in
pyproject.toml). Monotonic timers for timeouts are not dates and stay ``time.monotonic``.
"""

from __future__ import annotations

import contextlib
import datetime
import re
from typing import Any, Iterator, Optional

import iso8601

UTC = datetime.timezone.utc

# iso8601 also takes a bare year ("2026") as a date; a timestamp here always has a full date
_FULL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

_pinned: Optional[datetime.datetime] = None  # pylint: disable=invalid-name


def now() -> datetime.datetime:
    """The current time, timezone-aware UTC (the pinned time inside :func:`pinned`)."""
    if _pinned is not None:
        return _pinned
    return datetime.datetime.now(UTC)  # noqa: TID251 - the one wall-clock read


def today() -> datetime.date:
    """Today's date in UTC."""
    return now().date()


@contextlib.contextmanager
def pinned(moment: Any) -> Iterator[datetime.datetime]:
    """Make :func:`now` return ``moment`` (a datetime or ISO text) until the block ends."""
    global _pinned  # pylint: disable=global-statement
    before, _pinned = _pinned, parse(moment)
    try:
        yield _pinned
    finally:
        _pinned = before


def parse(value: Any, name: str = "time") -> datetime.datetime:
    """An ISO 8601 date or date-time (``Z``, an offset, or none for UTC; any fraction of a
    second) or a datetime, as an aware UTC datetime. A ValueError names ``name``."""
    if isinstance(value, datetime.datetime):
        moment = value
    elif isinstance(value, datetime.date):
        moment = datetime.datetime(value.year, value.month, value.day)
    else:
        text = str(value).strip()
        try:
            if not _FULL_DATE.match(text):
                raise iso8601.ParseError(text)
            moment = iso8601.parse_date(text, default_timezone=UTC)
        except iso8601.ParseError:
            raise ValueError(
                f"{name} {value!r} is not an ISO 8601 date or time such as "
                "2030-01-31 or 2030-01-31T08:00:00Z"
            ) from None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def parse_date(value: Any, name: str = "date") -> datetime.date:
    """A ``YYYY-MM-DD`` date and nothing more (a date given as a day, not a moment)."""
    text = str(value).strip()
    if not _FULL_DATE.fullmatch(text):
        raise ValueError(f"{name} {value!r} is not a YYYY-MM-DD date")
    return parse(text, name).date()


def parse_optional(value: Any, name: str = "time") -> Optional[datetime.datetime]:
    """:func:`parse`, with None and "" staying None."""
    return None if value in (None, "") else parse(value, name)


def is_timestamp(value: Any) -> bool:
    """Whether ``value`` is text :func:`parse` takes."""
    if not isinstance(value, str):
        return False
    try:
        parse(value)
    except ValueError:
        return False
    return True


def from_epoch(seconds: float) -> datetime.datetime:
    """A Unix timestamp (as Icinga sends them) as an aware UTC datetime."""
    return datetime.datetime.fromtimestamp(seconds, UTC)


def isoformat_z(moment: datetime.datetime) -> str:
    """RFC 3339 UTC text ending in ``Z``, as Alertmanager and most APIs write it."""
    return parse(moment).isoformat().replace("+00:00", "Z")
