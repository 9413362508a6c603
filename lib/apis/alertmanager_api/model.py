"""Silences and their label matchers, as the Alertmanager API v2 describes them."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import re
from typing import Any, Dict, Mapping, Tuple

from apis import clock
from apis.alertmanager_api.exceptions import SilenceParameterError

HOST_LABELS = ("instance", "hostname")
_MATCHER = re.compile(r"\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*")
_OPERATORS = {"=": (False, True), "!=": (False, False), "=~": (True, True), "!~": (True, False)}


class SilenceState(enum.Enum):
    """Where a silence is in its life."""

    ACTIVE = "active"
    PENDING = "pending"
    EXPIRED = "expired"


class SilenceFilter(enum.Enum):
    """Which silences to list."""

    ALL = "all"
    ACTIVE = "active"
    PENDING = "pending"
    EXPIRED = "expired"

    def admits(self, state: SilenceState) -> bool:
        """Whether a silence in ``state`` passes this filter."""
        return self is SilenceFilter.ALL or self.value == state.value


@dataclasses.dataclass(frozen=True)
class Matcher:
    """One label matcher: ``name=value``, ``name!=value``, ``name=~regex`` or ``name!~regex``."""

    name: str
    value: str
    is_regex: bool = False
    is_equal: bool = True

    @classmethod
    def parse(cls, text: str) -> "Matcher":
        """A matcher from Prometheus syntax; the value may be double-quoted."""
        match = _MATCHER.fullmatch(str(text))
        if not match:
            raise SilenceParameterError(
                f"matcher {text!r} is not valid; write label=value, label!=value, "
                "label=~regex or label!~regex"
            )
        name, operator, value = match.groups()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        is_regex, is_equal = _OPERATORS[operator]
        if is_regex:
            try:
                re.compile(value)
            except re.error as err:
                raise SilenceParameterError(
                    f"matcher {text!r}: {value!r} is not a valid regex: {err}"
                ) from None
        return cls(name=name, value=value, is_regex=is_regex, is_equal=is_equal)

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> "Matcher":
        """A matcher from an API answer (``isEqual`` is missing before Alertmanager 0.22)."""
        return cls(
            name=data["name"],
            value=data["value"],
            is_regex=bool(data.get("isRegex")),
            is_equal=bool(data.get("isEqual", True)),
        )

    @property
    def operator(self) -> str:
        """The matcher's operator in Prometheus syntax."""
        return {flags: op for op, flags in _OPERATORS.items()}[(self.is_regex, self.is_equal)]

    def to_api(self) -> Dict[str, Any]:
        """The matcher as the API expects it."""
        return {
            "name": self.name,
            "value": self.value,
            "isRegex": self.is_regex,
            "isEqual": self.is_equal,
        }

    def to_filter(self) -> str:
        """The matcher as a ``filter`` query parameter (value quoted and escaped)."""
        escaped = self.value.replace("\\", "\\\\").replace('"', '\\"')
        return f'{self.name}{self.operator}"{escaped}"'

    def __str__(self) -> str:
        return f"{self.name}{self.operator}{self.value}"

    def matches(self, value: str) -> bool:
        """Whether a label with ``value`` satisfies this matcher (regexes are anchored)."""
        hit = re.fullmatch(self.value, value) is not None if self.is_regex else self.value == value
        return hit == self.is_equal

    def selects_host(self, host: str) -> bool:
        """Whether this positive matcher picks ``host`` (or ``host:port``, ``host.domain``)."""
        if not self.is_equal:
            return False
        if self.is_regex:
            return self.matches(host)
        return (
            self.value == host
            or self.value.rpartition(":")[0] == host
            or self.value.startswith(f"{host}.")
        )


@dataclasses.dataclass(frozen=True)
class Silence:
    """A silence as Alertmanager reports it."""

    id: str
    state: SilenceState
    matchers: Tuple[Matcher, ...]
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    created_by: str
    comment: str

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> "Silence":
        """A silence from a ``GET /silences`` or ``GET /silence/{id}`` answer."""
        return cls(
            id=data["id"],
            state=SilenceState(data["status"]["state"]),
            matchers=tuple(Matcher.from_api(m) for m in data.get("matchers") or ()),
            starts_at=clock.parse(data["startsAt"]),
            ends_at=clock.parse(data["endsAt"]),
            created_by=data.get("createdBy", ""),
            comment=data.get("comment", ""),
        )

    def selects_host(self, host: str) -> bool:
        """Whether the silence targets ``host`` through an ``instance`` or ``hostname`` label."""
        return any(m.name in HOST_LABELS and m.selects_host(host) for m in self.matchers)

    def summary(self) -> Dict[str, Any]:
        """The silence as a JSON-able dict with readable matchers."""
        return {
            "id": self.id,
            "state": self.state.value,
            "matchers": [str(m) for m in self.matchers],
            "starts_at": self.starts_at.isoformat(),
            "ends_at": self.ends_at.isoformat(),
            "created_by": self.created_by,
            "comment": self.comment,
        }


def api_time(moment: datetime.datetime) -> str:
    """A timezone-aware time in the API's RFC 3339 form."""
    return clock.isoformat_z(moment)
