"""Which flavors a host's aggregates allow, as nova's AggregateInstanceExtraSpecsFilter decides.

A flavor without extra specs fits every host. Otherwise every extra spec whose key has no
scope (``hosttype``) or the ``aggregate_instance_extra_specs:`` scope must match a value of
that key in the metadata of the host's aggregates (all aggregates holding the host, comma
separated values split); specs of other scopes (``hw:``, ``quota:``, ``cloudops:``) are
ignored. A requirement is compared with nova's extra-spec operators (``s==``, ``<in>``,
``<or>``, ``>=``...; see nova/scheduler/filters/extra_specs_ops.py), else as plain text.
Forced boots (``zone:host``) skip nova's filters, so a caller that forces a host asks here.
"""

from __future__ import annotations

import dataclasses
import operator
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Set

SCOPE = "aggregate_instance_extra_specs"


def _as_floats(test: Callable[[float, float], bool]) -> Callable[[str, str], bool]:
    def compare(value: str, wanted: str) -> bool:
        try:
            return test(float(value), float(wanted))
        except ValueError:
            return False

    return compare


OPERATORS: Dict[str, Callable[[str, str], bool]] = {
    "=": _as_floats(operator.ge),
    "==": _as_floats(operator.eq),
    "!=": _as_floats(operator.ne),
    ">=": _as_floats(operator.ge),
    "<=": _as_floats(operator.le),
    "s==": operator.eq,
    "s!=": operator.ne,
    "s<": operator.lt,
    "s<=": operator.le,
    "s>": operator.gt,
    "s>=": operator.ge,
    "<in>": lambda value, wanted: wanted in value,
}


def value_matches(value: str, requirement: str) -> bool:
    """Whether one aggregate metadata value meets one extra-spec requirement."""
    words = requirement.split()
    op = words.pop(0) if words else None
    if op == "<or>":
        return value in words[::2]
    if op == "<all-in>":
        return bool(words) and all(word in value for word in words)
    test = OPERATORS.get(op) if op else None
    if test is None:
        return value == requirement
    return bool(words) and test(value, words[0])


def aggregate_key(spec_key: str) -> Optional[str]:
    """The metadata key an extra spec constrains (None: another scope, ignored)."""
    scope, _, key = spec_key.partition(":")
    if not key:
        return spec_key
    return key if scope == SCOPE else None


def host_metadata(aggregates: Iterable[Any], host: str) -> Dict[str, Set[str]]:
    """Every metadata value of the aggregates that hold ``host``, by key."""
    metadata: Dict[str, Set[str]] = {}
    for aggregate in aggregates:
        if host in (aggregate.hosts or ()):
            for key, value in (aggregate.metadata or {}).items():
                metadata.setdefault(key, set()).update(v.strip() for v in str(value).split(","))
    return metadata


def flavor_fits(extra_specs: Optional[Mapping[str, str]], metadata: Mapping[str, Set[str]]) -> bool:
    """Whether a flavor with ``extra_specs`` passes the filter on a host with ``metadata``."""
    for spec_key, requirement in (extra_specs or {}).items():
        key = aggregate_key(spec_key)
        if key is None:
            continue
        if not any(value_matches(value, str(requirement)) for value in metadata.get(key, ())):
            return False
    return True


@dataclasses.dataclass(frozen=True)
class HostAggregates:
    """The aggregates holding one host (name -> metadata) and their merged metadata."""

    host: str
    aggregates: Dict[str, Dict[str, str]]
    metadata: Dict[str, Set[str]]

    def allows(self, flavors: Iterable[Any]) -> List[Any]:
        """The flavors (with ``extra_specs`` loaded) nova would place on this host."""
        return [f for f in flavors if flavor_fits(f.extra_specs, self.metadata)]

    def describe(self) -> str:
        """``agg1 {hosttype=A, ssd=true}, agg2 {}`` or ``no aggregate``."""
        if not self.aggregates:
            return "no aggregate"
        return ", ".join(
            f"{name} {{{', '.join(f'{k}={v}' for k, v in sorted(meta.items()))}}}"
            for name, meta in sorted(self.aggregates.items())
        )


def aggregates_of_hosts(conn: Any, hosts: Iterable[str]) -> Dict[str, HostAggregates]:
    """:class:`HostAggregates` of each compute host (one aggregate listing)."""
    every = list(conn.compute.aggregates())
    return {
        host: HostAggregates(
            host=host,
            aggregates={a.name: dict(a.metadata or {}) for a in every if host in (a.hosts or ())},
            metadata=host_metadata(every, host),
        )
        for host in hosts
    }
