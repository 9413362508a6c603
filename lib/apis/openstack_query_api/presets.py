"""The comparisons a ``where`` clause can make, with their string aliases."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import functools
import operator
import re
from typing import Any, Callable, Dict, FrozenSet, Tuple

from apis import clock
from apis.choices import by_spelling
from apis.openstack_query_api.exceptions import (
    PresetArgumentError,
    PresetPropertyMismatchError,
    UnknownPresetError,
)
from apis.openstack_query_api.peer_names import ARGUMENT_ALIASES, PRESET_ALIASES
from apis.openstack_query_api.property_types import PropertyType

T = PropertyType
SCALARS = frozenset({T.STRING, T.INTEGER, T.NUMBER, T.BOOLEAN, T.DATETIME})
ORDERED = frozenset({T.INTEGER, T.NUMBER, T.DATETIME, T.STRING})
ANY_TYPE = frozenset(PropertyType)
DURATION_UNITS = ("days", "hours", "minutes", "seconds")


class Arguments(enum.Enum):
    """The keyword arguments a preset takes."""

    VALUE = ("value",)
    VALUES = ("values",)
    DURATION = DURATION_UNITS
    PATTERN = ("pattern",)
    NONE = ()


@dataclasses.dataclass(frozen=True)
class PresetSpec:
    """Aliases, arguments and the property types a preset applies to."""

    aliases: Tuple[str, ...]
    arguments: Arguments
    types: FrozenSet[PropertyType]


class Preset(enum.Enum):
    """Every comparison; string aliases are unique across presets."""

    EQUAL_TO = PresetSpec(("==", "=", "eq", "equal_to", "equals"), Arguments.VALUE, ANY_TYPE)
    NOT_EQUAL_TO = PresetSpec(("!=", "ne", "not_equal_to"), Arguments.VALUE, ANY_TYPE)
    ANY_IN = PresetSpec(("in", "any_in", "one_of"), Arguments.VALUES, ANY_TYPE)
    NOT_ANY_IN = PresetSpec(("not_in", "not_any_in"), Arguments.VALUES, ANY_TYPE)
    GREATER_THAN = PresetSpec((">", "gt", "greater_than"), Arguments.VALUE, ORDERED)
    GREATER_THAN_OR_EQUAL_TO = PresetSpec(
        (">=", "gte", "greater_than_or_equal_to"), Arguments.VALUE, ORDERED
    )
    LESS_THAN = PresetSpec(("<", "lt", "less_than"), Arguments.VALUE, ORDERED)
    LESS_THAN_OR_EQUAL_TO = PresetSpec(
        ("<=", "lte", "less_than_or_equal_to"), Arguments.VALUE, ORDERED
    )
    OLDER_THAN = PresetSpec(("older_than",), Arguments.DURATION, frozenset({T.DATETIME}))
    OLDER_THAN_OR_EQUAL_TO = PresetSpec(
        ("older_than_or_equal_to",), Arguments.DURATION, frozenset({T.DATETIME})
    )
    YOUNGER_THAN = PresetSpec(("younger_than",), Arguments.DURATION, frozenset({T.DATETIME}))
    YOUNGER_THAN_OR_EQUAL_TO = PresetSpec(
        ("younger_than_or_equal_to",), Arguments.DURATION, frozenset({T.DATETIME})
    )
    MATCHES_REGEX = PresetSpec(
        ("~", "regex", "matches_regex", "matches"), Arguments.PATTERN, frozenset({T.STRING})
    )
    NOT_MATCHES_REGEX = PresetSpec(
        ("!~", "not_regex", "not_matches_regex"), Arguments.PATTERN, frozenset({T.STRING})
    )
    IS_NULL = PresetSpec(("is_null", "null", "empty"), Arguments.NONE, ANY_TYPE)
    NOT_NULL = PresetSpec(("not_null", "is_not_null", "not_empty"), Arguments.NONE, ANY_TYPE)

    @classmethod
    @functools.lru_cache(maxsize=None)
    def names(cls) -> Dict[str, "Preset"]:
        """Every accepted spelling (member name, aliases, then the peer library's that are
        not ours already), lower case, to its preset."""
        names = {
            name.lower(): member for member in cls for name in (member.name, *member.value.aliases)
        }
        for spelling, member_name in PRESET_ALIASES.items():
            names.setdefault(spelling, cls[member_name])
        return names

    def own_arguments(self, args: Dict[str, Any]) -> Dict[str, Any]:
        """``args`` with the peer library's argument names as ours (``value`` of a regex is
        its ``pattern``)."""
        renames = ARGUMENT_ALIASES.get(self.value.arguments.name, {})
        own = {name: value for name, value in args.items() if name not in renames}
        for name, value in args.items():
            if name in renames:
                # both spellings given: keep the peer's, for the argument check to name it
                own[name if renames[name] in own else renames[name]] = value
        return own

    @classmethod
    def from_string(cls, text: Any) -> "Preset":
        """The preset for a name or alias, or an error listing the valid ones."""
        if isinstance(text, cls):
            return text
        found, close = by_spelling(cls.names(), text)
        if found is None:
            hint = f" Did you mean {close!r}?" if close else ""
            raise UnknownPresetError(
                f"{text!r} is not a preset; valid presets: "
                + ", ".join(f"{m.name} ({'/'.join(m.value.aliases)})" for m in cls)
                + f".{hint}"
            )
        return found

    def predicate(
        self, prop_type: PropertyType, label: str, now: datetime.datetime, **args: Any
    ) -> Callable[[Any], bool]:
        """A test of one property value, judged at ``now``, after checking the preset fits
        ``prop_type``."""
        if prop_type not in self.value.types:
            raise PresetPropertyMismatchError(
                f"{self.name} cannot compare {label} ({prop_type.value}); it applies to: "
                + ", ".join(sorted(t.value for t in self.value.types))
            )
        args = _check_arguments(self, label, args)
        return _BUILDERS[self](prop_type, args, now)


def _check_arguments(preset: Preset, label: str, args: Dict[str, Any]) -> Dict[str, Any]:
    expected = preset.value.arguments.value
    unknown = sorted(set(args) - set(expected))
    if unknown:
        raise PresetArgumentError(
            f"{preset.name} on {label}: unexpected argument(s) {', '.join(unknown)}; "
            f"it takes: {', '.join(expected) or 'no arguments'}"
        )
    if preset.value.arguments is Arguments.DURATION:
        if not any(args.get(unit) for unit in DURATION_UNITS):
            raise PresetArgumentError(
                f"{preset.name} on {label}: give at least one of {', '.join(DURATION_UNITS)}"
            )
        return args
    missing = [name for name in expected if name not in args]
    if missing:
        raise PresetArgumentError(f"{preset.name} on {label}: missing argument {missing[0]!r}")
    if preset.value.arguments is Arguments.VALUES:
        values = args["values"]
        if isinstance(values, (str, bytes)) or not isinstance(values, (list, tuple, set)):
            raise PresetArgumentError(f"{preset.name} on {label}: 'values' must be a list")
        if not values:
            raise PresetArgumentError(f"{preset.name} on {label}: 'values' is empty")
    return args


def _coerce(prop_type: PropertyType, value: Any) -> Any:
    if prop_type is T.DATETIME:
        try:
            return clock.parse_optional(value)
        except ValueError:
            raise PresetArgumentError(
                f"{value!r} is not an ISO 8601 date/time (e.g. 2026-01-31T12:00:00Z)"
            ) from None
    return value


def _membership(prop_type, args, _now, negate=False):
    values = {_coerce(prop_type, v) for v in args["values"]}

    def test(value):
        if prop_type is T.LIST:
            hit = bool(values & set(value or ()))
        else:
            hit = value in values
        return hit != negate

    return test


def _equality(prop_type, args, _now, negate=False):
    wanted = _coerce(prop_type, args["value"])

    def test(value):
        hit = wanted in (value or ()) if prop_type is T.LIST else value == wanted
        return hit != negate

    return test


def _ordering(compare):
    def build(prop_type, args, _now):
        bound = _coerce(prop_type, args["value"])
        return lambda value: value is not None and compare(value, bound)

    return build


def _age(compare):
    def build(_prop_type, args, now):
        delta = datetime.timedelta(**{unit: float(args.get(unit) or 0) for unit in DURATION_UNITS})
        cutoff = now - delta
        return lambda value: value is not None and compare(value, cutoff)

    return build


def _regex(negate):
    def build(_prop_type, args, _now):
        try:
            pattern = re.compile(args["pattern"])
        except (re.error, TypeError) as err:
            raise PresetArgumentError(
                f"regex {args['pattern']!r} does not compile: {err}"
            ) from None
        return lambda value: (value is not None and bool(pattern.search(str(value)))) != negate

    return build


def _null(negate):
    def build(_prop_type, _args, _now):
        return lambda value: (value is None or value in ("", [], {})) != negate

    return build


_BUILDERS = {
    Preset.EQUAL_TO: _equality,
    Preset.NOT_EQUAL_TO: lambda t, a, n: _equality(t, a, n, negate=True),
    Preset.ANY_IN: _membership,
    Preset.NOT_ANY_IN: lambda t, a, n: _membership(t, a, n, negate=True),
    Preset.GREATER_THAN: _ordering(operator.gt),
    Preset.GREATER_THAN_OR_EQUAL_TO: _ordering(operator.ge),
    Preset.LESS_THAN: _ordering(operator.lt),
    Preset.LESS_THAN_OR_EQUAL_TO: _ordering(operator.le),
    Preset.OLDER_THAN: _age(operator.lt),
    Preset.OLDER_THAN_OR_EQUAL_TO: _age(operator.le),
    Preset.YOUNGER_THAN: _age(operator.gt),
    Preset.YOUNGER_THAN_OR_EQUAL_TO: _age(operator.ge),
    Preset.MATCHES_REGEX: _regex(negate=False),
    Preset.NOT_MATCHES_REGEX: _regex(negate=True),
    Preset.IS_NULL: _null(negate=False),
    Preset.NOT_NULL: _null(negate=True),
}
