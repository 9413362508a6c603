"""Run one lib function for an action: the body of every python runner of the pack.

An action YAML names its lib function in the immutable ``lib_function`` parameter
(``package.module:function``). Its other parameters are passed by name; ``*_account``
parameters are replaced by the account dataclass from the pack config; a lib argument that no
parameter supplies but that is named like a top-level pack config key gets that config value.
A lib argument that is a parameter set (``apis.parameter_set``) is built from the parameters
named like its fields. A lib function taking ``conn`` gets one connection to the
``cloud_account`` cloud for the whole execution (``action_runtime.cloud_connections``). A
search's ``webhook`` (and its ``dry_run``) are the runtime's: it posts the search result to
that StackStorm webhook after the call (``action_runtime.search_webhook``).
"""

from __future__ import annotations

import contextlib
import importlib
import logging
from typing import Any, Callable, Dict, Mapping, Tuple

from action_runtime.cloud_connections import cloud_parameters, open_connections
from action_runtime.error_translation import translate
from action_runtime.errors import EntryPointError, ParameterError
from action_runtime.lib_signature import action_parameters, fold_parameter_sets
from action_runtime.search_webhook import send, take_webhook
from apis.account_kinds import AccountKind

LOG = logging.getLogger(__name__)


def resolve(lib_function: str) -> Callable[..., Any]:
    """The function named ``package.module:function``."""
    module_name, sep, attribute = lib_function.partition(":")
    if not sep or not module_name or not attribute:
        raise EntryPointError(
            f"lib_function {lib_function!r} must look like 'package.module:function'"
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        raise EntryPointError(f"lib_function {lib_function!r}: cannot import: {err}") from None
    function = getattr(module, attribute, None)
    if not callable(function):
        raise EntryPointError(f"lib_function {lib_function!r}: {module_name} has no {attribute}()")
    return function


def build_arguments(
    function: Callable[..., Any], parameters: Mapping[str, Any], config: Mapping[str, Any]
) -> Dict[str, Any]:
    """Keyword arguments for ``function`` from action parameters and the pack config."""
    accepted = action_parameters(function)
    clouds = set(cloud_parameters(function).values())
    arguments: Dict[str, Any] = {}
    for name, value in parameters.items():
        if value is None or name in clouds:  # the runtime opens the connection for it
            continue
        if name not in accepted:
            raise ParameterError(
                f"parameter {name!r} is not accepted by {function.__name__}(); "
                f"it takes: {', '.join(accepted)}"
            )
        kind = AccountKind.for_parameter(name)
        arguments[name] = kind.lookup(value, config) if kind else value
    for name in accepted:
        if name not in arguments and config.get(name) is not None:
            arguments[name] = config[name]
    return fold_parameter_sets(function, arguments)


def dispatch(
    lib_function: str, parameters: Mapping[str, Any], config: Mapping[str, Any]
) -> Tuple[bool, Any]:
    """``(True, result)``, or ``(False, {"error": ..., "error_type": ...})`` on an expected failure
    (the pack's errors, and every library failure an api translates).

    Unexpected exceptions propagate: StackStorm then shows the traceback of the bug.
    """
    from action_runtime.jsonable import to_jsonable

    try:
        function = resolve(lib_function)
        lib_parameters, webhook = take_webhook(function, parameters)
        arguments = build_arguments(function, lib_parameters, config or {})
        with contextlib.ExitStack() as stack:
            arguments.update(open_connections(function, lib_parameters, stack))
            result = function(**arguments)
        if webhook is not None:
            result = send(webhook, result, parameters, config or {})
    except Exception as raised:  # pylint: disable=broad-exception-caught
        err = translate(raised)
        if err is None:
            raise
        LOG.error("%s failed: %s", lib_function, err)
        failure = {"error": str(err), "error_type": type(err).__name__}
        if getattr(err, "report", None) is not None:
            failure["report"] = to_jsonable(err.report)
        return False, failure
    return True, to_jsonable(result)
