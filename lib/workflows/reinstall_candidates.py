"""Reinstall candidates: hypervisors filtered by uptime, load, name, address, state and the
flavors their aggregates allow, sorted by load, returned as a search result.

Two listings (hypervisors with their servers, migrations: :func:`collect_listings`), the
aggregates once, the flavors once only when a flavor filter is given, and placement's usage
(vCPUs and RAM used, as ``hypervisor.search`` reads it) only for the hosts that passed every
other filter, concurrently.
"""

from __future__ import annotations

import collections
import dataclasses
import enum
import fnmatch
import re
from typing import Any, Callable, Counter, Dict, List, Optional, Sequence

from apis import choices
from apis.openstack_api import aggregate_flavors
from apis.openstack_api.exceptions import OpenStackApiError
from apis.openstack_api.hypervisor_facts import HypervisorListing, collect_listings
from apis.openstack_api.hypervisor_state import compute_state
from apis.openstack_query_api.concurrency import concurrently
from apis.openstack_query_api.resources.hypervisors import placement_usage
from apis.search_results import OutputType, search_result


class CandidateSearchError(OpenStackApiError):
    """A reinstall candidate filter is invalid (names the parameter)."""


class SortKey(enum.Enum):
    """Row columns the candidates can be sorted by."""

    VCPUS_USED = "vcpus_used"
    MEMORY_MB_USED = "memory_mb_used"
    RUNNING_VMS = "running_vms"
    UPTIME_DAYS = "uptime_days"
    HYPERVISOR = "hypervisor"


class SortDirection(enum.Enum):
    """Ascending (least loaded first) or descending."""

    ASC = "asc"
    DESC = "desc"


def _choice(kind: type, parameter: str, value: Any) -> Any:
    try:
        return kind(str(value).strip().lower())
    except ValueError:
        names = [member.value for member in kind]
        raise CandidateSearchError(
            f"{parameter} {value!r} is not known; {choices.choices(names, str(value))}"
        ) from None


def _regex(parameter: str, pattern: Optional[str]) -> Optional["re.Pattern"]:
    if not pattern:
        return None
    try:
        return re.compile(pattern)
    except re.error as err:
        raise CandidateSearchError(
            f"{parameter} {pattern!r} is not a valid regular expression: {err}"
        ) from None


@dataclasses.dataclass
class Host:
    """One hypervisor as the filters see it."""

    listing: HypervisorListing
    aggregates: List[str]
    metadata: aggregate_flavors.Metadata
    allowed_flavors: List[str] = dataclasses.field(default_factory=list)
    vcpus_used: Optional[int] = None
    memory_mb_used: Optional[int] = None

    @property
    def name(self) -> str:
        """The hypervisor name."""
        return self.listing.facts.name

    @property
    def uptime_days(self) -> Optional[float]:
        """Days up, None when nova does not report it."""
        return self.listing.facts.uptime_days

    def allows(self, flavor: Any) -> bool:
        """Whether the host's aggregates allow ``flavor``."""
        return aggregate_flavors.allows(self.metadata, flavor.extra_specs or {})

    def row(self, flavors_asked: bool) -> Dict[str, Any]:
        """The host as a result row."""
        facts = self.listing.facts
        row = {
            "hypervisor": facts.name,
            "host_ip": self.listing.host_ip,
            "state": compute_state(facts).value,
            "service_state": facts.service_state,
            "status": facts.service_status,
            "running_vms": facts.running_vms,
            "vcpus_used": self.vcpus_used,
            "memory_mb_used": self.memory_mb_used,
            "uptime_days": None if self.uptime_days is None else round(self.uptime_days, 1),
            "aggregates": self.aggregates,
        }
        if flavors_asked:
            row["allowed_flavors"] = self.allowed_flavors
        return row


@dataclasses.dataclass(frozen=True)
class Criterion:
    """One filter: the parameter (as the operator gave it), whether it is set, and the test a
    host must pass."""

    label: str
    active: bool
    passes: Callable[[Host], bool]


def _matches_any(host: Host, patterns: Sequence[str]) -> bool:
    """Whether the host name, or its short name, matches a name or shell pattern."""
    names = {host.name, host.name.split(".")[0], host.listing.facts.compute_host}
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns for name in names)


def _check_patterns(parameter: str, patterns: Sequence[str], hosts: List[Host]) -> None:
    """Refuse a hostname pattern that matches no hypervisor (a typo would silently keep a
    host the operator meant to exclude, or list nothing)."""
    for pattern in patterns:
        if not any(_matches_any(host, [pattern]) for host in hosts):
            raise CandidateSearchError(
                f"{parameter} {pattern!r} matches no hypervisor; "
                + choices.choices([host.name for host in hosts], pattern)
            )


def _resolve_flavors(parameter: str, wanted: Sequence[str], flavors: List[Any]) -> List[Any]:
    by_key = {key: flavor for flavor in flavors for key in (flavor.id, flavor.name)}
    missing = [value for value in wanted if value not in by_key]
    if missing:
        raise CandidateSearchError(
            f"{parameter} {missing[0]!r}: no flavor with that name or id; "
            + choices.choices(sorted({flavor.name for flavor in flavors}), missing[0])
        )
    return [by_key[value] for value in wanted]


def _sorted(rows: List[Dict[str, Any]], key: SortKey, direction: SortDirection) -> List[Dict]:
    """Rows by ``key`` (unknown values last either way), ties by hypervisor name."""
    by_name = sorted(rows, key=lambda row: row["hypervisor"])
    known = [row for row in by_name if row[key.value] is not None]
    unknown = [row for row in by_name if row[key.value] is None]
    known.sort(key=lambda row: row[key.value], reverse=direction is SortDirection.DESC)
    return known + unknown


@dataclasses.dataclass
class Filters:
    """The host filters of the search, in the order a left-out host is counted under."""

    include_down: bool = False
    include_disabled: bool = False
    include_hostnames: Sequence[str] = ()
    exclude_hostnames: Sequence[str] = ()
    names: Optional["re.Pattern"] = None
    addresses: Optional["re.Pattern"] = None
    not_in_aggregate: Optional[str] = None
    include_unknown_uptime: bool = False
    min_uptime_days: float = 0
    max_servers: Optional[int] = None

    def criteria(self, hosts: List[Host]) -> List[Criterion]:
        """The tests of the filters that are set (hostname patterns checked against
        ``hosts``)."""
        _check_patterns("include_hostnames", self.include_hostnames, hosts)
        _check_patterns("exclude_hostnames", self.exclude_hostnames, hosts)
        found = [
            Criterion(
                "include_down=false",
                not self.include_down,
                lambda h: h.listing.facts.service_state == "up",
            ),
            Criterion(
                "include_disabled=false",
                not self.include_disabled,
                lambda h: h.listing.facts.service_status == "enabled",
            ),
            Criterion(
                "include_hostnames",
                bool(self.include_hostnames),
                lambda h: _matches_any(h, self.include_hostnames),
            ),
            Criterion(
                "exclude_hostnames",
                bool(self.exclude_hostnames),
                lambda h: not _matches_any(h, self.exclude_hostnames),
            ),
            Criterion("name_regex", bool(self.names), lambda h: bool(self.names.search(h.name))),
            Criterion(
                "address_regex",
                bool(self.addresses),
                lambda h: bool(self.addresses.search(h.listing.host_ip or "")),
            ),
            Criterion(
                "not_in_aggregate",
                bool(self.not_in_aggregate),
                lambda h: self.not_in_aggregate not in h.aggregates,
            ),
            Criterion(
                "include_unknown_uptime=false",
                bool(self.min_uptime_days) and not self.include_unknown_uptime,
                lambda h: h.uptime_days is not None,
            ),
            Criterion(
                f"min_uptime_days={self.min_uptime_days:g}",
                bool(self.min_uptime_days),
                lambda h: h.uptime_days is None or h.uptime_days >= self.min_uptime_days,
            ),
            Criterion(
                f"max_servers={self.max_servers}",
                self.max_servers is not None,
                lambda h: _at_most(h.listing.facts.running_vms, self.max_servers),
            ),
        ]
        return [criterion for criterion in found if criterion.active]


def _at_most(value: Optional[int], limit: Optional[int]) -> bool:
    """Whether a known ``value`` is within ``limit`` (an unknown one never is)."""
    return value is not None and limit is not None and value <= limit


def _flavor_criteria(
    conn: Any, hosts: List[Host], flavors: Sequence[str], exclude_flavors: Sequence[str]
) -> List[Criterion]:
    """The flavor filters, from one flavor listing (none when neither is given); sets each
    host's ``allowed_flavors`` (those of ``flavors`` its aggregates allow)."""
    if not flavors and not exclude_flavors:
        return []
    listed = list(conn.compute.flavors(details=True, is_public=None))
    wanted = _resolve_flavors("flavors", flavors, listed)
    unwanted = _resolve_flavors("exclude_flavors", exclude_flavors, listed)
    for host in hosts:
        host.allowed_flavors = [flavor.name for flavor in wanted if host.allows(flavor)]
    found = []
    if wanted:
        found.append(Criterion("flavors", True, lambda h: bool(h.allowed_flavors)))
    if unwanted:
        found.append(Criterion("exclude_flavors", True, lambda h: not any(map(h.allows, unwanted))))
    return found


def _screen(hosts: List[Host], criteria: List[Criterion], failures: Counter) -> List[Host]:
    """The hosts that pass every active criterion; each other one counted in ``failures``
    under the first it failed."""
    passed = []
    for host in hosts:
        failed = next((c.label for c in criteria if c.active and not c.passes(host)), None)
        if failed:
            failures[failed] += 1
        else:
            passed.append(host)
    return passed


def _add_usage(conn: Any, hosts: List[Host]) -> None:
    """Each host's vCPUs and RAM in use from placement (None where it has no record)."""
    usages = concurrently(lambda host: placement_usage(conn, host.listing.provider_id), hosts)
    for host, usage in zip(hosts, usages):
        host.vcpus_used = usage.get("VCPU", {}).get("used")
        host.memory_mb_used = usage.get("MEMORY_MB", {}).get("used")


def _hosts(conn: Any) -> List[Host]:
    """Every hypervisor with its aggregates and their metadata (aggregates listed once;
    matched by compute service host, the name aggregates use)."""
    listings = collect_listings(conn)
    held = aggregate_flavors.aggregates_of_hosts(
        conn, [each.facts.compute_host for each in listings]
    )
    return [
        Host(
            listing,
            sorted(held[listing.facts.compute_host].aggregates),
            held[listing.facts.compute_host].metadata,
        )
        for listing in listings
    ]


def find_reinstall_candidates(
    conn: Any,
    min_uptime_days: float = 90,
    not_in_aggregate: Optional[str] = None,
    include_unknown_uptime: bool = False,
    max_servers: Optional[int] = 0,
    max_vcpus_used: Optional[int] = None,
    name_regex: Optional[str] = None,
    address_regex: Optional[str] = None,
    include_hostnames: Optional[List[str]] = None,
    exclude_hostnames: Optional[List[str]] = None,
    flavors: Optional[List[str]] = None,
    exclude_flavors: Optional[List[str]] = None,
    include_down: bool = False,
    include_disabled: bool = False,
    sort_by: str = SortKey.VCPUS_USED.value,
    sort_direction: str = SortDirection.ASC.value,
    output_type: str = OutputType.PROPS.value,
) -> Dict[str, Any]:
    """Hypervisors passing every filter, sorted; ``excluded_by`` counts the hosts each filter
    left out (each host under the first filter it failed, in the order of :class:`Filters`,
    then flavors, exclude_flavors and max_vcpus_used, whose usage is read from placement
    only for the hosts that passed the others)."""
    for parameter, value in (
        ("min_uptime_days", min_uptime_days),
        ("max_servers", max_servers),
        ("max_vcpus_used", max_vcpus_used),
    ):
        if value is not None and value < 0:
            raise CandidateSearchError(f"{parameter} is {value}; give 0 or more")
    key = _choice(SortKey, "sort_by", sort_by)
    direction = _choice(SortDirection, "sort_direction", sort_direction)
    OutputType.from_string(output_type)
    filters = Filters(
        include_down=include_down,
        include_disabled=include_disabled,
        include_hostnames=include_hostnames or (),
        exclude_hostnames=exclude_hostnames or (),
        names=_regex("name_regex", name_regex),
        addresses=_regex("address_regex", address_regex),
        not_in_aggregate=not_in_aggregate,
        include_unknown_uptime=include_unknown_uptime,
        min_uptime_days=min_uptime_days or 0,
        max_servers=max_servers,
    )
    hosts = _hosts(conn)
    criteria = filters.criteria(hosts) + _flavor_criteria(
        conn, hosts, flavors or (), exclude_flavors or ()
    )
    load = Criterion(
        f"max_vcpus_used={max_vcpus_used}",
        max_vcpus_used is not None,
        lambda h: _at_most(h.vcpus_used, max_vcpus_used),
    )
    failures: Counter = collections.Counter()
    passed = _screen(hosts, criteria, failures)
    _add_usage(conn, passed)
    passed = _screen(passed, [load], failures)
    criteria.append(load)
    rows = [host.row(flavors_asked=bool(flavors)) for host in passed]
    excluded_by = {c.label: failures[c.label] for c in criteria if failures[c.label]}
    hint = f"no hypervisor passed; of {len(hosts)}: " + ", ".join(
        f"{count} failed {label}" for label, count in excluded_by.items()
    )
    return search_result(
        _sorted(rows, key, direction),
        output_type,
        hint=hint if hosts else "nova lists no hypervisor",
        excluded_by=excluded_by,
    )
