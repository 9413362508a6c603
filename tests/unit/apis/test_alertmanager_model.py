"""Matchers, silences and time windows of the Alertmanager api."""

import datetime

import pytest

from apis import timewindow
from apis.alertmanager_api.exceptions import SilenceParameterError
from apis.alertmanager_api.model import (
    Matcher,
    Silence,
    SilenceFilter,
    SilenceState,
    api_time,
)

UTC = datetime.timezone.utc


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("instance=hv01", Matcher("instance", "hv01")),
        (" instance = hv01 ", Matcher("instance", "hv01")),
        ('instance="hv01:9100"', Matcher("instance", "hv01:9100")),
        ('job="say \\"hi\\""', Matcher("job", 'say "hi"')),
        ("env!=prod", Matcher("env", "prod", is_equal=False)),
        ("host=~hv0[12]", Matcher("host", "hv0[12]", is_regex=True)),
        ("host!~hv9.*", Matcher("host", "hv9.*", is_regex=True, is_equal=False)),
        ("severity=", Matcher("severity", "")),
    ],
)
def test_parse_matchers(text, expected):
    assert Matcher.parse(text) == expected
    assert Matcher.parse(str(expected)) == expected


@pytest.mark.parametrize("text", ["instance", "=hv01", "9x=1", "a b=c", ""])
def test_bad_matcher_names_the_syntax(text):
    with pytest.raises(SilenceParameterError, match="label=value, label!=value"):
        Matcher.parse(text)


def test_bad_regex_is_named():
    with pytest.raises(SilenceParameterError, match=r"'hv\(' is not a valid regex"):
        Matcher.parse("host=~hv(")


def test_api_and_filter_forms():
    matcher = Matcher("job", 'a"b\\c', is_regex=True, is_equal=False)
    assert matcher.to_api() == {"name": "job", "value": 'a"b\\c', "isRegex": True, "isEqual": False}
    assert Matcher.from_api(matcher.to_api()) == matcher
    assert Matcher.from_api({"name": "a", "value": "b", "isRegex": False}).is_equal is True
    assert matcher.to_filter() == 'job!~"a\\"b\\\\c"'


@pytest.mark.parametrize(
    ("matcher", "value", "expected"),
    [
        ("a=x", "x", True),
        ("a=x", "xx", False),
        ("a!=x", "y", True),
        ("a=~x.", "xy", True),
        ("a=~x", "xy", False),
        ("a!~x.*", "", True),
        ("a=~.*", "", True),
        ("a=", "", True),
    ],
)
def test_matches_is_anchored(matcher, value, expected):
    assert Matcher.parse(matcher).matches(value) is expected


@pytest.mark.parametrize(
    ("matcher", "expected"),
    [
        ("instance=hv01", True),
        ("instance=hv01:9100", True),
        ("instance=hv01.example.org", True),
        ("instance=hv011", False),
        ("instance=~hv0[1-3]", True),
        ("instance!=hv01", False),
        ("instance!~hv02", False),
    ],
)
def test_matcher_selects_host(matcher, expected):
    assert Matcher.parse(matcher).selects_host("hv01") is expected


def _api_silence(**changes):
    data = {
        "id": "0f3b5a9e-4c1d-4e8a-9b7c-2d6e8f0a1b2c",
        "status": {"state": "active"},
        "matchers": [
            {"name": "alertname", "value": "Down", "isRegex": False, "isEqual": True},
            {"name": "hostname", "value": "hv0[12]", "isRegex": True, "isEqual": True},
        ],
        "startsAt": "2030-01-31T08:00:00.123456789Z",
        "endsAt": "2030-01-31T10:00:00Z",
        "createdBy": "ops",
        "comment": "upgrade",
    }
    data.update(changes)
    return data


def test_silence_from_api_and_summary():
    silence = Silence.from_api(_api_silence())
    assert silence.state is SilenceState.ACTIVE
    assert silence.starts_at == datetime.datetime(2030, 1, 31, 8, 0, 0, 123456, tzinfo=UTC)
    assert silence.selects_host("hv02") and not silence.selects_host("hv03")
    assert silence.summary() == {
        "id": "0f3b5a9e-4c1d-4e8a-9b7c-2d6e8f0a1b2c",
        "state": "active",
        "matchers": ["alertname=Down", "hostname=~hv0[12]"],
        "starts_at": "2030-01-31T08:00:00.123456+00:00",
        "ends_at": "2030-01-31T10:00:00+00:00",
        "created_by": "ops",
        "comment": "upgrade",
    }
    bare = Silence.from_api({k: v for k, v in _api_silence().items() if k != "comment"})
    assert bare.comment == "" and bare.matchers


def test_filter_admits_states():
    assert SilenceFilter.ALL.admits(SilenceState.EXPIRED)
    assert SilenceFilter.PENDING.admits(SilenceState.PENDING)
    assert not SilenceFilter.ACTIVE.admits(SilenceState.PENDING)


def test_api_time_is_utc_with_z():
    moment = datetime.datetime(
        2030, 1, 31, 9, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=1))
    )
    assert api_time(moment) == "2030-01-31T08:00:00Z"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2h", datetime.timedelta(hours=2)),
        ("90m", datetime.timedelta(minutes=90)),
        ("1d12h", datetime.timedelta(days=1, hours=12)),
        ("1w", datetime.timedelta(weeks=1)),
        (" 30s ", datetime.timedelta(seconds=30)),
        ("2d 6h", datetime.timedelta(days=2, hours=6)),
        ("1w 2d 3h 4m 5s", datetime.timedelta(weeks=1, days=2, hours=3, minutes=4, seconds=5)),
    ],
)
def test_parse_duration(text, expected):
    assert timewindow.parse_duration("duration", text) == expected


@pytest.mark.parametrize("text", ["", "2", "2 hours", "2 h", "h", "-1h", "1h2d", "1h 2d", "2d,6h"])
def test_bad_duration_names_the_parameter(text):
    with pytest.raises(ValueError, match="duration .* is not a duration"):
        timewindow.parse_duration("duration", text)


def test_zero_duration_is_refused():
    with pytest.raises(ValueError, match="longer than zero"):
        timewindow.parse_duration("flexible_duration", "0m")


def test_time_window(pin_clock):
    now = pin_clock("2030-01-31T08:00:00Z")
    assert timewindow.time_window(None, None, "2h") == (now, now + datetime.timedelta(hours=2))
    assert timewindow.time_window("2030-02-01T00:00:00Z", "2030-02-02T00:00:00Z", None)[1] == (
        datetime.datetime(2030, 2, 2, tzinfo=UTC)
    )
    for start, end, duration, message in (
        (None, "2030-02-01T00:00:00Z", "1h", "not both"),
        (None, None, None, "give end .* or duration"),
        ("2030-02-01T00:00:00Z", "2030-01-31T09:00:00Z", None, "must be after start"),
        ("2030-01-30T00:00:00Z", "2030-01-30T09:00:00Z", None, "is in the past"),
    ):
        with pytest.raises(ValueError, match=message):
            timewindow.time_window(start, end, duration)
