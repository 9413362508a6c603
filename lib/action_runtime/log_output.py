"""Send the pack's own log lines (progress at INFO and above) to the action's stderr.

StackStorm's python runner (``python_action_wrapper``) configures no logging: only the
``self.logger`` of an Action has a handler, and a record of any other logger at INFO is
dropped (Python's last-resort handler writes WARNING and above, message only). StackStorm
shows an action's stderr while it runs and in ``st2 execution get``, so the runner calls
:func:`send_to_stderr` before the lib function starts.
"""

from __future__ import annotations

import logging
import sys

PACK_LOGGERS = ("action_runtime", "workflows", "apis")
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def send_to_stderr(runner_level: int = logging.DEBUG) -> None:
    """Make the pack's loggers log INFO and above (or from ``runner_level``, the level of the
    action's own logger, i.e. the runner's ``log_level``, when that is higher), and give the
    root logger a stderr handler unless someone (the local runner, pytest) already gave it one.

    A lower level set before (the local runner's ``--log-level DEBUG``) stays; third-party
    loggers keep the root's level (WARNING in StackStorm).
    """
    level = max(logging.INFO, runner_level)
    for name in PACK_LOGGERS:
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() > level:
            logger.setLevel(level)
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(handler)
