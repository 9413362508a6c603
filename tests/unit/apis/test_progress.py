"""apis.progress: one line per runbook step, with n of total and monotonic elapsed seconds."""

import logging
import threading

from apis.progress import FORMAT, Progress

LOG = logging.getLogger("workflows.example")


class StepClock:
    """A monotonic clock that reads ``start``, then moves on by ``tick`` at every read."""

    def __init__(self, start=1000.0, tick=0.25):
        self.now = start - tick
        self.tick = tick

    def __call__(self):
        self.now += self.tick
        return self.now


def lines(caplog):
    """(logger, level, text) of every progress line logged."""
    return [(r.name, r.levelno, r.getMessage()) for r in caplog.records if r.msg == FORMAT]


def test_each_step_says_what_which_object_n_of_total_and_elapsed(caplog):
    caplog.set_level(logging.INFO)
    progress = Progress("drain hv-3", 40, LOG, clock=StepClock(tick=46.6))
    progress.step("migrated server %s to %s", "web-07", "hv-4")
    progress.step("skipped server amphora-1: name matches ^amphora-")
    assert lines(caplog) == [
        (
            "workflows.example",
            logging.INFO,
            "drain hv-3: migrated server web-07 to hv-4 (1 of 40, 46.6 s)",
        ),
        (
            "workflows.example",
            logging.INFO,
            "drain hv-3: skipped server amphora-1: name matches ^amphora- (2 of 40, 93.2 s)",
        ),
    ]
    assert progress.done == 2


def test_a_note_does_not_count_and_text_without_arguments_is_kept_as_it_is(caplog):
    caplog.set_level(logging.INFO)
    progress = Progress("email via smtp", 3, LOG, clock=StepClock(tick=1.0))
    progress.note("connecting")
    progress.step("refused for bob: 550 5.1.1 100% full")
    assert [line for _, _, line in lines(caplog)] == [
        "email via smtp: connecting (0 of 3, 1.0 s)",
        "email via smtp: refused for bob: 550 5.1.1 100% full (1 of 3, 2.0 s)",
    ]


def test_elapsed_comes_from_the_monotonic_clock_only(caplog, pin_clock):
    """Moving the wall clock (the pack's clock.now) does not change elapsed seconds."""
    caplog.set_level(logging.INFO)
    clock = StepClock(start=5.0, tick=2.0)
    progress = Progress("test server", 1, LOG, clock=clock)
    pin_clock("2030-01-01T00:00:00Z")
    progress.step("hv-1 with m1.tiny: booted and deleted in 2.0 s")
    assert lines(caplog)[0][2].endswith("(1 of 1, 2.0 s)")


def test_steps_from_worker_threads_are_each_counted_once(caplog):
    caplog.set_level(logging.INFO)
    progress = Progress("shutdown hv-1", 64, LOG, clock=StepClock(tick=0.0))
    workers = [
        threading.Thread(
            target=lambda n=n: [progress.step("stopped %d", n * 8 + i) for i in range(8)]
        )
        for n in range(8)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    counted = sorted(int(line.split("(")[1].split(" of")[0]) for _, _, line in lines(caplog))
    assert counted == list(range(1, 65)) and progress.done == 64


def test_without_a_logger_it_logs_as_apis_progress(caplog, progress_lines):
    Progress("check", 1).step("done")
    assert progress_lines() == ["check: done (1 of 1, 1.5 s)"]
    assert caplog.records[-1].name == "apis.progress"
