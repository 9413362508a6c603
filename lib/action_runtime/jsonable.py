"""Turn lib results into what StackStorm can store: JSON types only."""

from __future__ import annotations

import dataclasses
import datetime
import enum
from typing import Any

from apis.account import Account


def to_jsonable(value: Any) -> Any:
    """Dataclasses, enums, datetimes, sets and tuples become JSON values; accounts are masked."""
    if isinstance(value, Account):
        value = value.public_view()
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    elif isinstance(value, enum.Enum):
        value = value.value
    elif isinstance(value, (set, frozenset)):
        value = sorted(value, key=str)
    if isinstance(value, dict):
        return {str(key): to_jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(item) for item in value]
    if isinstance(value, datetime.datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=datetime.timezone.utc)
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return value
