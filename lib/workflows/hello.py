"""The smallest action: proves the runner path without touching any outside system, and that
a runbook's progress lines reach the action's stderr."""

from __future__ import annotations

import logging
from typing import Dict

from apis.progress import Progress

LOG = logging.getLogger(__name__)


def hello(name: str = "world") -> Dict[str, str]:
    """A greeting for ``name`` (and one progress line: ``hello <name>: greeted (1 of 1, ...)``)."""
    Progress(f"hello {name}", 1, LOG).step("greeted")
    return {"greeting": f"Hello, {name}!"}
