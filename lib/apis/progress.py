"""One INFO line per step of a long runbook, in one format an operator can follow.

    drain hv-3: migrated server web-07 (12 of 40, 93.2 s)

``what`` names the runbook and its object, each step says what happened to which object, then
how many steps of the total are done and the seconds since the runbook started, read from a
monotonic clock (never the wall clock). StackStorm shows these lines, written to stderr by the
action runner, while the action runs and in ``st2 execution get``.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable, Optional

LOG = logging.getLogger(__name__)
FORMAT = "%s: %s (%d of %d, %.1f s)"

# the monotonic clock every Progress reads unless given its own (tests replace it)
MONOTONIC = time.monotonic  # pylint: disable=invalid-name


class Progress:
    """Counts and logs the steps of one runbook run; safe to share between worker threads."""

    def __init__(
        self,
        what: str,
        total: int,
        logger: Optional[logging.Logger] = None,
        clock: Optional[Callable[[], float]] = None,
    ):
        self.what = what
        self.total = total
        self.done = 0
        self._logger = logger or LOG
        self._clock = clock or MONOTONIC
        self._started = self._clock()
        self._lock = threading.Lock()

    def elapsed(self) -> float:
        """Seconds since the run started."""
        return self._clock() - self._started

    def step(self, message: str, *args: object) -> None:
        """Log one finished step: ``what: message (n of total, s)``; ``args`` fill ``message``
        as in logging."""
        with self._lock:
            self.done += 1
            self._log(message, args)

    def note(self, message: str, *args: object) -> None:
        """Log a line that is not one of the counted steps (the start, a phase), with the
        steps done so far."""
        with self._lock:
            self._log(message, args)

    def _log(self, message: str, args: tuple) -> None:
        self._logger.info(
            FORMAT,
            self.what,
            message % args if args else message,
            self.done,
            self.total,
            self.elapsed(),
        )
