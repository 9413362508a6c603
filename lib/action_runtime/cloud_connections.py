"""The one OpenStack connection per cloud of an action execution.

A lib function that talks to OpenStack takes an open connection, ``conn``; its action keeps
the ``cloud_account`` parameter (a clouds.yaml cloud name). The runtime opens the connection,
authenticated once, before the call and closes it afterwards, also when the call fails. A
function working on two clouds takes ``<prefix>_conn`` for each ``<prefix>_cloud_account``.
"""

from __future__ import annotations

import contextlib
import inspect
from typing import Any, Callable, Dict, Mapping

from action_runtime.errors import ParameterError

CONNECTION_SUFFIX = "conn"
CLOUD_SUFFIX = "cloud_account"


def cloud_parameters(function: Callable[..., Any]) -> Dict[str, str]:
    """``{connection argument: cloud parameter}`` for each connection ``function`` takes."""
    return {
        name: name[: -len(CONNECTION_SUFFIX)] + CLOUD_SUFFIX
        for name in inspect.signature(function).parameters
        if name == CONNECTION_SUFFIX or name.endswith("_" + CONNECTION_SUFFIX)
    }


def open_connections(
    function: Callable[..., Any], parameters: Mapping[str, Any], stack: contextlib.ExitStack
) -> Dict[str, Any]:
    """The connections ``function`` takes, each opened for its cloud parameter and closed when
    ``stack`` closes."""
    from apis.openstack_api.connection import connect

    opened: Dict[str, Any] = {}
    for argument, parameter in cloud_parameters(function).items():
        cloud = parameters.get(parameter)
        if not cloud:
            raise ParameterError(
                f"parameter {parameter!r} is required by {function.__name__}(): "
                "name a cloud of clouds.yaml"
            )
        opened[argument] = stack.enter_context(connect(str(cloud)))
    return opened
