"""Which action parameters a lib function takes, with its parameter sets spread into fields
and each connection it takes (``conn``) as its cloud parameter (``cloud_account``)."""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any, Callable, Dict, List, Mapping, Type

from action_runtime.cloud_connections import cloud_parameters
from action_runtime.errors import ParameterError
from apis.parameter_set import ParameterSet


def parameter_sets(function: Callable[..., Any]) -> Dict[str, Type[ParameterSet]]:
    """The function's arguments that are parameter sets, by argument name."""
    sets = {}
    for name, parameter in inspect.signature(function).parameters.items():
        hint = _annotation(function, parameter.annotation)
        if isinstance(hint, type) and issubclass(hint, ParameterSet):
            sets[name] = hint
    return sets


def _annotation(function: Callable[..., Any], annotation: Any) -> Any:
    """The annotation's object (a string one is a plain name in the function's module)."""
    if isinstance(annotation, str):
        return getattr(inspect.unwrap(function), "__globals__", {}).get(annotation)
    return annotation


def action_parameters(function: Callable[..., Any]) -> Dict[str, bool]:
    """Every action parameter the function takes (a parameter set's fields in its place, a
    connection's cloud parameter in its place), in order, each with whether it is required."""
    sets = parameter_sets(function)
    clouds = cloud_parameters(function)
    taken: Dict[str, bool] = {}
    for parameter in inspect.signature(function).parameters.values():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        fields = _fields(sets[parameter.name]) if parameter.name in sets else None
        if parameter.name in clouds:
            fields = {clouds[parameter.name]: True}
        if fields is None:
            fields = {parameter.name: parameter.default is parameter.empty}
        for name, required in fields.items():
            if name in taken:
                raise TypeError(f"{function.__qualname__}() takes parameter {name!r} twice")
            taken[name] = required
    return taken


def fold_parameter_sets(
    function: Callable[..., Any], arguments: Mapping[str, Any]
) -> Dict[str, Any]:
    """``arguments`` with each parameter set's fields gathered into one instance of the set."""
    folded = dict(arguments)
    for name, parameter_set in parameter_sets(function).items():
        fields = _fields(parameter_set)
        missing = [field for field, required in fields.items() if required and field not in folded]
        if missing:
            raise ParameterError(
                f"{function.__name__}() needs parameter(s) {', '.join(missing)} "
                f"(of its {parameter_set.__name__})"
            )
        folded[name] = parameter_set(**{f: folded.pop(f) for f in fields if f in folded})
    return folded


def _fields(parameter_set: Type[ParameterSet]) -> Dict[str, bool]:
    return {
        field.name: field.default is dataclasses.MISSING
        and field.default_factory is dataclasses.MISSING
        for field in dataclasses.fields(parameter_set)
        if field.init
    }


def set_fields(function: Callable[..., Any]) -> Dict[str, List[str]]:
    """Each parameter set the function takes (``module.Class``) and its fields."""
    return {
        f"{cls.__module__}.{cls.__qualname__}": list(_fields(cls))
        for cls in parameter_sets(function).values()
    }
