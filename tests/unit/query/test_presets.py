"""Every preset, its aliases, and the errors it raises."""

import datetime

import pytest

from apis.openstack_query_api.exceptions import (
    PresetArgumentError,
    PresetPropertyMismatchError,
    UnknownPresetError,
)
from apis.openstack_query_api.presets import Preset
from apis.openstack_query_api.property_types import PropertyType as T

NOW = datetime.datetime(2026, 6, 1, tzinfo=datetime.timezone.utc)
DAY = datetime.timedelta(days=1)


def check(preset, kind, actual, **args):
    """Apply a preset to one value."""
    return Preset.from_string(preset).predicate(kind, "prop", now=NOW, **args)(actual)


@pytest.mark.parametrize(
    "preset, kind, value, args, expected",
    [
        ("==", T.STRING, "ACTIVE", {"value": "ACTIVE"}, True),
        ("==", T.STRING, "ERROR", {"value": "ACTIVE"}, False),
        ("equal_to", T.LIST, ["a", "b"], {"value": "b"}, True),
        ("!=", T.STRING, "ERROR", {"value": "ACTIVE"}, True),
        ("!=", T.STRING, None, {"value": "ACTIVE"}, True),
        ("in", T.STRING, "b", {"values": ["a", "b"]}, True),
        ("in", T.STRING, "c", {"values": ["a", "b"]}, False),
        ("any_in", T.LIST, ["x", "b"], {"values": ["a", "b"]}, True),
        ("not_in", T.STRING, "c", {"values": ["a", "b"]}, True),
        ("not_any_in", T.LIST, ["a"], {"values": ["a", "b"]}, False),
        (">", T.INTEGER, 5, {"value": 4}, True),
        (">", T.INTEGER, 4, {"value": 4}, False),
        (">", T.INTEGER, None, {"value": 4}, False),
        (">=", T.INTEGER, 4, {"value": 4}, True),
        ("<", T.NUMBER, 1.5, {"value": 2}, True),
        ("<=", T.NUMBER, 2.0, {"value": 2}, True),
        ("<", T.DATETIME, NOW - DAY, {"value": "2026-06-01T00:00:00Z"}, True),
        ("older_than", T.DATETIME, NOW - 3 * DAY, {"days": 2}, True),
        ("older_than", T.DATETIME, NOW - DAY, {"days": 2}, False),
        ("older_than", T.DATETIME, None, {"days": 2}, False),
        ("older_than_or_equal_to", T.DATETIME, NOW - 2 * DAY, {"days": 2}, True),
        ("older_than", T.DATETIME, NOW - 2 * DAY, {"days": 2}, False),
        ("younger_than", T.DATETIME, NOW - datetime.timedelta(minutes=5), {"hours": 1}, True),
        ("younger_than_or_equal_to", T.DATETIME, NOW - DAY, {"hours": 24}, True),
        ("younger_than", T.DATETIME, NOW - DAY, {"hours": 12, "minutes": 30, "seconds": 1}, False),
        ("~", T.STRING, "web-01", {"pattern": r"^web-\d+$"}, True),
        ("regex", T.STRING, "db-01", {"pattern": "^web"}, False),
        ("!~", T.STRING, "db-01", {"pattern": "^web"}, True),
        ("!~", T.STRING, None, {"pattern": "^web"}, True),
        ("is_null", T.STRING, None, {}, True),
        ("is_null", T.STRING, "", {}, True),
        ("is_null", T.LIST, [], {}, True),
        ("not_null", T.STRING, "x", {}, True),
        ("not_null", T.MAPPING, {}, {}, False),
    ],
)
def test_preset_semantics(preset, kind, value, args, expected):
    assert check(preset, kind, value, **args) is expected


def test_every_alias_is_unambiguous():
    seen = {}
    for preset in Preset:
        for name in {preset.name.lower(), *preset.value.aliases}:
            assert name.lower() not in seen, f"{name} used by {seen.get(name.lower())} and {preset}"
            seen[name.lower()] = preset
    assert Preset.from_string("OLDER_THAN") is Preset.OLDER_THAN
    assert Preset.from_string(" ~ ") is Preset.MATCHES_REGEX
    assert Preset.from_string(Preset.IS_NULL) is Preset.IS_NULL


def test_unknown_preset_suggests():
    with pytest.raises(UnknownPresetError, match="Did you mean 'older_than'"):
        Preset.from_string("older_then")


def test_preset_not_valid_for_type():
    with pytest.raises(PresetPropertyMismatchError, match="OLDER_THAN cannot compare prop"):
        check("older_than", T.STRING, "x", days=1)


@pytest.mark.parametrize(
    "preset, args, message",
    [
        ("==", {}, "missing argument 'value'"),
        ("==", {"value": 1, "values": [1]}, "unexpected argument"),
        ("in", {"values": "abc"}, "must be a list"),
        ("in", {"values": []}, "'values' is empty"),
        ("older_than", {}, "at least one of days"),
        ("~", {"pattern": "(unclosed"}, "does not compile"),
        ("<", {"value": "yesterday"}, "not an ISO 8601 date"),
    ],
)
def test_argument_errors(preset, args, message):
    kind = T.DATETIME if preset == "<" else T.STRING
    if preset == "older_than":
        kind = T.DATETIME
    with pytest.raises(PresetArgumentError, match=message):
        check(preset, kind, None, **args)
