"""apis.clock: the one "now" (pinnable) and the one timestamp parser."""

import datetime

import pytest

from apis import clock

UTC = datetime.timezone.utc


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("2026-01-02T03:04:05Z", datetime.datetime(2026, 1, 2, 3, 4, 5)),  # Jira, Alertmanager
        ("2026-01-02T03:04:05.123456", datetime.datetime(2026, 1, 2, 3, 4, 5, 123456)),  # nova
        ("2026-01-02T05:04:05+02:00", datetime.datetime(2026, 1, 2, 3, 4, 5)),
        ("2026-01-02T03:04:05.123456789Z", datetime.datetime(2026, 1, 2, 3, 4, 5, 123456)),
        ("2026-01-02T03:04:05.000+0000", datetime.datetime(2026, 1, 2, 3, 4, 5)),  # Jira
        (" 2026-01-02 03:04 ", datetime.datetime(2026, 1, 2, 3, 4)),  # an operator
        ("2026-01-02", datetime.datetime(2026, 1, 2)),
        (datetime.datetime(2026, 1, 2, 3, 4, 5), datetime.datetime(2026, 1, 2, 3, 4, 5)),
        (datetime.date(2026, 1, 2), datetime.datetime(2026, 1, 2)),
    ],
)
def test_parse_gives_aware_utc(raw, expected):
    parsed = clock.parse(raw)
    assert parsed == expected.replace(tzinfo=UTC)
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize("raw", ["tomorrow", "", "2026", "12:00", "2026-13-01"])
def test_parse_refuses_text_that_is_no_timestamp_and_names_it(raw):
    with pytest.raises(ValueError, match=f"start {raw!r} is not an ISO 8601 date or time"):
        clock.parse(raw, "start")
    assert not clock.is_timestamp(raw)


def test_optional_and_date_only_forms():
    assert clock.parse_optional(None) is None and clock.parse_optional("") is None
    assert clock.parse_date("2026-03-04") == datetime.date(2026, 3, 4)
    with pytest.raises(ValueError, match="decommission_date '2026-03-04T10:00' is not a YYYY-MM"):
        clock.parse_date("2026-03-04T10:00", "decommission_date")
    assert clock.is_timestamp("2026-03-04") and not clock.is_timestamp(20260304)


def test_epoch_and_rfc3339_text():
    moment = clock.from_epoch(1_800_000_000)
    assert moment == datetime.datetime(2027, 1, 15, 8, 0, tzinfo=UTC)
    assert clock.isoformat_z(moment) == "2027-01-15T08:00:00Z"
    offset = datetime.timezone(datetime.timedelta(hours=-5))
    assert clock.isoformat_z(datetime.datetime(2027, 1, 15, 3, tzinfo=offset)).endswith("08:00:00Z")


def test_pinned_now_nests_and_restores():
    with clock.pinned("2030-01-31T08:00:00Z") as outer:
        assert clock.now() == outer == datetime.datetime(2030, 1, 31, 8, tzinfo=UTC)
        assert clock.today() == datetime.date(2030, 1, 31)
        with clock.pinned(datetime.datetime(2031, 2, 1, 9)):
            assert clock.now() == datetime.datetime(2031, 2, 1, 9, tzinfo=UTC)
        assert clock.now() == outer
    assert clock.now() != outer


def test_the_unpinned_clock_is_aware_utc_and_follows_the_wall_clock():
    import time_machine

    with time_machine.travel(datetime.datetime(2028, 12, 31, 23, 59, tzinfo=UTC), tick=False):
        assert clock.now() == datetime.datetime(2028, 12, 31, 23, 59, tzinfo=UTC)
        assert clock.now().tzinfo is UTC


def test_pin_clock_fixture_moves_time_on(pin_clock):
    pin_clock("2026-06-01T00:00:00Z")
    first = clock.now()
    pin_clock(first + datetime.timedelta(days=1))
    assert clock.now() - first == datetime.timedelta(days=1)
