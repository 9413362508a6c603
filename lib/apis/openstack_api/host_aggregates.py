"""A host's aggregates: their names, their metadata, and which flavors they allow, decided as
nova's AggregateInstanceExtraSpecsFilter decides it.

A host's aggregate metadata is, per key, every value its aggregates give (comma-separated
values split). A flavor is allowed when each of its extra specs that is unscoped or scoped
``aggregate_instance_extra_specs:`` names a key the host's metadata has and one of the host's
values satisfies the spec's requirement; specs of other scopes (``hw:``, ``quota:``...) are
not the filter's business. A flavor without such specs is allowed everywhere.
"""

from __future__ import annotations

import operator
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Set

SCOPE = "aggregate_instance_extra_specs"

Metadata = Dict[str, Set[str]]


def _numeric(compare: Callable[[float, float], bool]) -> Callable[[str, str], bool]:
    def check(value: str, wanted: str) -> bool:
        try:
            return compare(float(value), float(wanted))
        except ValueError:
            return False

    return check


# requirement operators (nova's extra_specs_ops): "= 4" means at least 4
_OPERATORS: Dict[str, Callable[[str, str], bool]] = {
    "=": _numeric(operator.ge),
    "==": _numeric(operator.eq),
    "!=": _numeric(operator.ne),
    ">=": _numeric(operator.ge),
    "<=": _numeric(operator.le),
    "s==": operator.eq,
    "s!=": operator.ne,
    "s<": operator.lt,
    "s<=": operator.le,
    "s>": operator.gt,
    "s>=": operator.ge,
    "<in>": lambda value, wanted: wanted in value,
}


def spec_matches(value: Optional[str], requirement: str) -> bool:
    """Whether an aggregate metadata ``value`` satisfies a flavor extra spec ``requirement``:
    an operator and its operand (``s== ssd``, ``>= 4``, ``<in> nvme``, ``<all-in> a b``,
    ``<or> a <or> b``), or else the whole requirement as a plain string."""
    words = requirement.split()
    op = words[0] if words else None
    operands = words[1:]
    if op not in _OPERATORS and op not in ("<or>", "<all-in>"):
        return value == requirement
    if value is None or not operands:
        return False
    if op == "<or>":
        return value in operands[0::2]
    if op == "<all-in>":
        return all(word in value for word in operands)
    return _OPERATORS[op](value, operands[0])


def names_by_host(aggregates: Iterable[Any]) -> Dict[str, List[str]]:
    """Each host's aggregates, by name."""
    hosts: Dict[str, List[str]] = {}
    for aggregate in aggregates:
        for host in aggregate.hosts or []:
            hosts.setdefault(host, []).append(aggregate.name)
    return hosts


def metadata_by_host(aggregates: Iterable[Any]) -> Dict[str, Metadata]:
    """Each host's aggregate metadata: key -> the values all its aggregates give."""
    hosts: Dict[str, Metadata] = {}
    for aggregate in aggregates:
        for host in aggregate.hosts or []:
            metadata = hosts.setdefault(host, {})
            for key, value in (aggregate.metadata or {}).items():
                metadata.setdefault(key, set()).update(v.strip() for v in str(value).split(","))
    return hosts


def allows(metadata: Mapping[str, Set[str]], extra_specs: Mapping[str, Any]) -> bool:
    """Whether a host with this aggregate ``metadata`` may run a flavor with ``extra_specs``."""
    for key, requirement in (extra_specs or {}).items():
        scope, scoped, name = key.partition(":")
        if not scoped:
            name = key
        elif scope != SCOPE:
            continue
        if not any(spec_matches(value, str(requirement)) for value in metadata.get(name, ())):
            return False
    return True
