"""Autospec'd fakes of every outside call of ``workflows.host_mute`` (Alertmanager silences,
Icinga downtimes), shared by the tests of the actions that silence a host."""

import contextlib
from typing import Any, Dict
from unittest import mock

from workflows import host_mute

MUTE_APIS = (
    "create_silence",
    "remove_silences",
    "list_silences",
    "schedule_downtime",
    "list_own_downtimes",
    "IcingaClient",
)


def patch_host_mute(stack: contextlib.ExitStack) -> Dict[str, Any]:
    """Replace each of :data:`MUTE_APIS` in ``host_mute`` for the life of ``stack``."""
    return {
        name: stack.enter_context(mock.patch.object(host_mute, name, autospec=True))
        for name in MUTE_APIS
    }
