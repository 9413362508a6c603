"""Icinga 2 API filter expressions: the operator's own ``filter`` with its ``filter_vars``,
ANDed with the clauses the search's shorthand parameters (name, state, host) make.

A value given by the operator only ever travels in ``filter_vars``, never inside the
expression, so it cannot change what a filter selects, whatever quotes it holds.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any, Dict, Mapping, Optional, Sequence

from apis.icinga_api.exceptions import IcingaParameterError

SHORTHAND_PREFIX = "cloudops_"
"""Prefix of the variables the shorthand clauses use (refused in filter_vars)."""

OBJECT_VARIABLES = frozenset({"host", "service"})
"""Variables Icinga sets to the object being filtered (they would hide a filter_var)."""

_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@dataclasses.dataclass(frozen=True)
class Shorthand:
    """One clause a shorthand parameter makes: ``clause`` refers to ``variable``, set to
    ``value``."""

    clause: str
    variable: str
    value: Any


@dataclasses.dataclass(frozen=True)
class IcingaFilter:
    """The ``filter`` and ``filter_vars`` sent to Icinga (no filter: every object)."""

    expression: Optional[str]
    variables: Dict[str, Any]


def _checked_variables(variables: Mapping[str, Any]) -> Dict[str, Any]:
    if not isinstance(variables, Mapping):
        raise IcingaParameterError(
            'filter_vars must be an object of variable name -> value, e.g. {"rack": "r1"}'
        )
    for name in variables:
        if not _VARIABLE.match(str(name)):
            raise IcingaParameterError(
                f"filter_vars {name!r}: not a variable name (letters, digits and _, not "
                "starting with a digit)"
            )
        if name in OBJECT_VARIABLES or str(name).startswith(SHORTHAND_PREFIX):
            raise IcingaParameterError(
                f"filter_vars {name!r}: reserved (Icinga's object variables "
                f"{', '.join(sorted(OBJECT_VARIABLES))} and the pack's {SHORTHAND_PREFIX}*); "
                "rename it"
            )
    return dict(variables)


def build_filter(
    expression: Optional[str],
    variables: Optional[Mapping[str, Any]],
    shorthands: Sequence[Shorthand] = (),
) -> IcingaFilter:
    """The filter of the operator's ``expression`` and ``variables`` and the
    ``shorthands``' clauses, all ANDed."""
    expression = (expression or "").strip() or None
    if variables and not expression:
        raise IcingaParameterError(
            "filter_vars are the variables a filter refers to: give filter too, e.g. "
            'filter=\'host.vars.rack == rack\' filter_vars={"rack": "r1"}'
        )
    values = _checked_variables(variables or {})
    clauses = [s.clause for s in shorthands]
    if expression:
        clauses.append(f"({expression})" if shorthands else expression)
    values.update((s.variable, s.value) for s in shorthands)
    return IcingaFilter(" && ".join(clauses) or None, values)
