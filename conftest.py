"""Root pytest configuration: the integration fixtures as plugins, the one way tests pin the
pack's clock, and ``--wall-clock DATE`` to run the suite as if on another day."""

import contextlib
import datetime
import itertools
import logging
from pathlib import Path

import pytest

from apis import clock, progress

pytest_plugins = [
    "tests.integration.devcloud_fixtures",
    "tests.integration.peer_fixtures",
]


def pytest_addoption(parser):
    parser.addoption(
        "--require-checked-results",
        action="store_true",
        help="fail unless the run checked every action's result against its output_schema",
    )
    parser.addoption(
        "--checked-results-file",
        metavar="PATH",
        help="add the actions whose result this run checked to PATH, and count those already "
        "in it for --require-checked-results: several pytest runs share one record",
    )
    parser.addoption(
        "--wall-clock",
        metavar="YYYY-MM-DD",
        help="move the wall clock Python reads to noon UTC of this date for the whole run "
        "(time-machine; monotonic timers are untouched): proves no test depends on the day",
    )


def pytest_sessionfinish(session, exitstatus):
    """With --require-checked-results, fail a run that never checked some action's result
    (counting the runs recorded in --checked-results-file)."""
    from tests.result_schemas import unchecked

    record = session.config.getoption("--checked-results-file")
    earlier = merge_checked_record(record)
    if not session.config.getoption("--require-checked-results") or exitstatus:
        return
    missing = sorted(unchecked() - earlier)
    if missing:
        print(f"\nno test checked the result of {len(missing)} action(s): {', '.join(missing)}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def merge_checked_record(path):
    """The action names checked by earlier runs in the record at ``path`` (None: no record),
    after adding this run's."""
    from tests.result_schemas import CHECKED

    if not path:
        return set()
    record = Path(path)
    earlier = set(record.read_text(encoding="utf-8").split()) if record.exists() else set()
    record.write_text("".join(f"{name}\n" for name in sorted(earlier | CHECKED)), "utf-8")
    return earlier


def pytest_configure(config):
    date = config.getoption("--wall-clock")
    if date:
        import time_machine

        moment = datetime.datetime.combine(
            clock.parse_date(date, "--wall-clock"), datetime.time(12), clock.UTC
        )
        config.stash[_TRAVELLER] = time_machine.travel(moment, tick=True)
        config.stash[_TRAVELLER].start()


def pytest_unconfigure(config):
    traveller = config.stash.get(_TRAVELLER, None)
    if traveller is not None:
        traveller.stop()


def pytest_report_header(config):
    date = config.getoption("--wall-clock")
    return f"wall clock moved to {date} (time-machine)" if date else None


_TRAVELLER = pytest.StashKey()


@pytest.fixture(name="pin_clock")
def fixture_pin_clock():
    """Pin ``apis.clock.now()`` for one test: ``pin_clock(moment)`` with a datetime or ISO
    text; it may be called again to move time on."""
    with contextlib.ExitStack() as stack:
        yield lambda moment: stack.enter_context(clock.pinned(moment))


PROGRESS_TICK = 1.5


@pytest.fixture(name="progress_lines")
def fixture_progress_lines(caplog, monkeypatch):
    """The runbooks' progress lines of one test, with a monotonic clock that moves on
    ``PROGRESS_TICK`` seconds at every read (so the first step of a run says 1.5 s, the
    next 3.0 s): ``progress_lines()`` is the list of lines logged so far."""
    ticks = itertools.count()
    monkeypatch.setattr(progress, "MONOTONIC", lambda: next(ticks) * PROGRESS_TICK)
    caplog.set_level(logging.INFO)
    return lambda: [r.getMessage() for r in caplog.records if r.msg == progress.FORMAT]
