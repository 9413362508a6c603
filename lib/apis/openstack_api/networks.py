"""Networks, subnets and network RBAC (network.create, network.rbac.share).

Also the pieces the other admin-resource modules (routers, floating IPs, security groups,
quotas, flavors, images) share: name-or-id lookups that name the bad parameter, and
:class:`Plan`, which applies changes or, in a dry run, only reports them.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import enum
import ipaddress
import logging
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

from apis.openstack_api.exceptions import OpenStackApiError
from apis.openstack_api.identity.exceptions import (
    AmbiguousNameError,
    InvalidParameterError,
    NameNotFoundError,
    describe,
    openstack_errors,
)
from apis.openstack_api.identity.resolve import IdentityKind, IdentityRef, Resolver
from apis.results import ChangeResult, ObjectOutcome, Outcome
from apis.rollback import Rollback, summary as rollback_summary

LOG = logging.getLogger(__name__)


class ResourceConflictError(OpenStackApiError):
    """A resource with the requested name exists but differs from what was asked for."""


class ChangeRefusedError(OpenStackApiError):
    """A safety rule refuses the change (usage, protection, attachment); see ``force``."""


class Verb(enum.Enum):
    """What a change does to a resource."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    ADD = "add"
    REMOVE = "remove"


@dataclasses.dataclass
class Change:
    """One change an action made (or, in a dry run, would make)."""

    verb: Verb
    resource: str
    name: str
    id: Optional[str] = None
    details: Dict[str, Any] = dataclasses.field(default_factory=dict)

    def summary(self) -> str:
        """E.g. ``create network web-net``."""
        return f"{self.verb.value} {self.resource} {self.name}"


@dataclasses.dataclass
class Ref:
    """A resource an action found or created; ``id`` is None for one a dry run would create."""

    id: Optional[str]
    name: str
    existed: bool


class Plan:
    """Collects changes; runs each one unless this is a dry run, and reverts them when a later
    one fails through an :class:`apis.rollback.Rollback` (unless ``roll_back`` is off: a caller
    with its own rollback)."""

    def __init__(self, dry_run: bool, roll_back: bool = True):
        self.dry_run = dry_run
        self.roll_back = roll_back
        self.changes: List[Change] = []
        self._rollback = Rollback(lambda err: {"error": describe(err)})

    def apply(
        self,
        change: Change,
        operation: Callable[[], Any],
        undo: Optional[Callable[[Any], Any]] = None,
    ) -> Any:
        """Record ``change`` and run ``operation`` (not in a dry run); its result, or None.

        ``undo(result)`` reverts it. A failure names the change and everything already done
        before it, and reverts what can be (saying what was, and what was not).
        """
        done = "; ".join(c.summary() for c in self.changes)
        self.changes.append(change)
        if self.dry_run:
            return None
        try:
            with openstack_errors(change.summary() + (f" (already done: {done})" if done else "")):
                result = operation()
        except OpenStackApiError as err:
            if len(self._rollback):
                err.args = (f"{err}; {rollback_summary(self._rollback.run())}",)
            raise
        if undo is not None and self.roll_back:
            self._rollback.add(change.summary(), functools.partial(undo, result))
        if change.id is None:
            change.id = getattr(result, "id", None)
        LOG.info("%s (id %s)", change.summary(), change.id)
        return result

    def report(self, **extra: Any) -> Dict[str, Any]:
        """The action result: the change result (one object per change, and one per
        :class:`Ref` in ``extra`` that existed), the detailed changes and the action's own
        fields."""
        done = [
            ObjectOutcome(c.resource, c.name, Outcome.DONE, c.verb.value, id=c.id)
            for c in self.changes
        ]
        kept = [
            ObjectOutcome(kind, r.name, Outcome.UNCHANGED, "", "exists", r.id)
            for kind, r in _refs(extra)
            if r.existed
        ]
        result = ChangeResult(dry_run=self.dry_run, objects=done + kept)
        return {**vars(result), "changes": self.changes, **extra}


def _refs(fields: Dict[str, Any]) -> Iterator[Tuple[str, "Ref"]]:
    """``(kind, ref)`` of every :class:`Ref` among an action's own result fields."""
    for key, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, Ref):
                yield key.replace("_", " ").rstrip("s"), item


def ref(resource: Any, existed: bool = True, name: str = "") -> Ref:
    """The :class:`Ref` of a resource (or of the one a dry run would create, when None)."""
    if resource is None:
        return Ref(id=None, name=name, existed=False)
    return Ref(id=resource.id, name=resource.name or name, existed=existed)


def get_or_none(getter: Callable[[str], Any], value: str) -> Any:
    """``getter(value)``, or None when the cloud has no such id."""
    from openstack import exceptions

    try:
        return getter(value)
    except (exceptions.NotFoundException, exceptions.BadRequestException):
        return None


def pick(
    kind: str,
    value: str,
    parameter: str,
    matches: Sequence[Any],
    getter: Callable[[str], Any],
    candidates: Callable[[], Iterable[str]] = lambda: (),
) -> Any:
    """The one resource among ``matches`` (found by name), else the one with id ``value``.

    Several matches are an error listing them; none an error with close names as hints.
    """
    if not value or not str(value).strip():
        raise InvalidParameterError(f"{parameter} is empty; give a {kind} name or id")
    if len(matches) > 1:
        listed = ", ".join(
            f"{m.id} (project {getattr(m, 'project_id', None) or getattr(m, 'owner', None)})"
            for m in matches
        )
        raise AmbiguousNameError(
            f"{parameter} {value!r} is ambiguous: {len(matches)} {kind}s have that name: "
            f"{listed}; give the id"
        )
    if matches:
        return matches[0]
    found = get_or_none(getter, value)
    if found is not None:
        return found
    hints = difflib.get_close_matches(value, sorted({str(n) for n in candidates() if n}), n=5)
    raise NameNotFoundError(
        f"{parameter} {value!r}: no {kind} with that name or id"
        + (f"; did you mean: {', '.join(hints)}?" if hints else "")
    )


def find_project(
    conn: Any,
    project: str,
    project_domain: Optional[str] = None,
    parameter: str = "project",
    domain_parameter: Optional[str] = "project_domain",
) -> Any:
    """The keystone project named or numbered ``project`` (in ``project_domain`` if given)."""
    return Resolver(conn).find(
        IdentityKind.PROJECT, project, parameter, project_domain, domain_parameter
    )


def project_ref(conn: Any, project: Any) -> IdentityRef:
    """How results name a project: id, name, domain name."""
    return Resolver(conn).ref(project)


def find_network(
    conn: Any, value: str, parameter: str = "network", project_id: Optional[str] = None
) -> Any:
    """A network by name (in ``project_id`` if given) or id."""
    scope = {"project_id": project_id} if project_id else {}
    return pick(
        "network",
        value,
        parameter,
        list(conn.network.networks(name=value, **scope)),
        conn.network.get_network,
        lambda: (n.name for n in conn.network.networks(**scope)),
    )


def find_external_network(conn: Any, value: Optional[str], parameter: str) -> Any:
    """An external network by name or id; the only one when ``value`` is empty."""
    external = list(conn.network.networks(is_router_external=True))
    names = ", ".join(sorted(n.name for n in external)) or "none"
    if not value:
        if len(external) == 1:
            return external[0]
        raise InvalidParameterError(
            f"{parameter} is required: this cloud has {len(external)} external networks: {names}"
        )
    network = find_network(conn, value, parameter)
    if not network.is_router_external:
        raise InvalidParameterError(
            f"{parameter} {value!r} is not an external network; external networks: {names}"
        )
    return network


def find_subnet(conn: Any, value: str, parameter: str, project_id: Optional[str] = None) -> Any:
    """A subnet by name (in ``project_id`` if given) or id."""
    scope = {"project_id": project_id} if project_id else {}
    return pick(
        "subnet",
        value,
        parameter,
        list(conn.network.subnets(name=value, **scope)),
        conn.network.get_subnet,
        lambda: (s.name for s in conn.network.subnets(**scope)),
    )


def _network(value: str, parameter: str) -> Any:
    try:
        return ipaddress.ip_network(value, strict=True)
    except ValueError as err:
        raise InvalidParameterError(f"{parameter} {value!r} is not a network CIDR: {err}") from None


def _address(value: str, parameter: str) -> Any:
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        raise InvalidParameterError(f"{parameter} {value!r} is not an IP address") from None


@dataclasses.dataclass(frozen=True)
class SubnetSpec:
    """A subnet to create; validated on construction."""

    cidr: str
    name: Optional[str] = None
    gateway_ip: Optional[str] = None
    enable_dhcp: bool = True
    dns_nameservers: Tuple[str, ...] = ()

    def __post_init__(self):
        network = _network(self.cidr, "cidr")
        if self.gateway_ip and _address(self.gateway_ip, "gateway_ip") not in network:
            raise InvalidParameterError(f"gateway_ip {self.gateway_ip!r} is not in cidr {network}")
        for server in self.dns_nameservers:
            _address(server, "dns_nameservers")

    @property
    def network(self) -> Any:
        """The cidr as an ipaddress network."""
        return ipaddress.ip_network(self.cidr)

    def attrs(self, name: str, network_id: Optional[str], project_id: str) -> Dict[str, Any]:
        """create_subnet arguments."""
        attrs = {
            "name": name,
            "network_id": network_id,
            "project_id": project_id,
            "cidr": str(self.network),
            "ip_version": self.network.version,
            "is_dhcp_enabled": self.enable_dhcp,
        }
        if self.gateway_ip:
            attrs["gateway_ip"] = self.gateway_ip
        if self.dns_nameservers:
            attrs["dns_nameservers"] = list(self.dns_nameservers)
        return attrs


def _create(
    plan: Plan, change: Change, create: Callable[..., Any], delete: Callable[..., Any], attrs
) -> Tuple[Any, bool]:
    """``(created, False)``: ``create(**attrs)`` as a change of ``plan``, deleted on rollback."""
    return (
        plan.apply(
            change,
            lambda: create(**attrs),
            lambda created: delete(created, ignore_missing=True),
        ),
        False,
    )


def ensure_network(
    conn: Any,
    plan: Plan,
    project: Any,
    name: str,
    description: Optional[str] = None,
    mtu: Optional[int] = None,
) -> Tuple[Any, bool]:
    """The project's network called ``name``, created if missing: ``(network or None, existed)``.

    None is the network a dry run would create.
    """
    existing = list(conn.network.networks(name=name, project_id=project.id))
    if len(existing) > 1:
        raise AmbiguousNameError(
            f"name {name!r}: project {project.name} has {len(existing)} networks with that name: "
            + ", ".join(n.id for n in existing)
        )
    if existing:
        network = existing[0]
        if mtu is not None and network.mtu != mtu:
            raise ResourceConflictError(
                f"network {name!r} exists in project {project.name} with mtu {network.mtu}, "
                f"not {mtu}"
            )
        return network, True
    attrs: Dict[str, Any] = {"name": name, "project_id": project.id}
    if description:
        attrs["description"] = description
    if mtu is not None:
        attrs["mtu"] = mtu
    change = Change(Verb.CREATE, "network", name, details=dict(attrs))
    return _create(plan, change, conn.network.create_network, conn.network.delete_network, attrs)


def ensure_subnet(
    conn: Any, plan: Plan, project: Any, network: Any, network_name: str, spec: SubnetSpec
) -> Tuple[Any, bool]:
    """The network's subnet with ``spec.cidr``, created if missing: ``(subnet or None, existed)``.

    ``network`` None is a network the dry run would create.
    """
    name = spec.name or f"{network_name}-subnet"
    if network is not None:
        subnets = list(conn.network.subnets(network_id=network.id))
        same = [s for s in subnets if ipaddress.ip_network(s.cidr) == spec.network]
        if same:
            return same[0], True
        for subnet in subnets:
            if subnet.name == name:
                raise ResourceConflictError(
                    f"subnet {name!r} exists on network {network_name} with cidr {subnet.cidr}, "
                    f"not {spec.network}"
                )
    attrs = spec.attrs(name, network.id if network is not None else None, project.id)
    change = Change(Verb.CREATE, "subnet", name, details=dict(attrs))
    return _create(plan, change, conn.network.create_subnet, conn.network.delete_subnet, attrs)


class RbacAction(enum.Enum):
    """What a network RBAC policy grants the target project."""

    ACCESS_AS_SHARED = "access_as_shared"
    ACCESS_AS_EXTERNAL = "access_as_external"


def share_network(
    conn: Any, plan: Plan, network: Any, project: Any, action: RbacAction
) -> Tuple[Any, bool]:
    """An RBAC policy giving ``project`` ``action`` on ``network``, created if missing."""
    query = {
        "object_type": "network",
        "object_id": network.id,
        "action": action.value,
        "target_project_id": project.id,
    }
    existing = list(conn.network.rbac_policies(**query))
    if existing:
        return existing[0], True
    attrs = {**query, "project_id": network.project_id}
    change = Change(
        Verb.CREATE,
        "rbac policy",
        f"{action.value} of network {network.name} for project {project.name}",
        details=dict(attrs),
    )
    return _create(
        plan, change, conn.network.create_rbac_policy, conn.network.delete_rbac_policy, attrs
    )


def network_create(
    conn: Any,
    project: str,
    name: str,
    project_domain: Optional[str] = None,
    description: Optional[str] = None,
    mtu: Optional[int] = None,
    cidr: Optional[str] = None,
    subnet_name: Optional[str] = None,
    gateway_ip: Optional[str] = None,
    enable_dhcp: bool = True,
    dns_nameservers: Optional[List[str]] = None,
    dry_run: bool = True,
) -> Dict[str, Any]:
    """Create a project network and, with ``cidr``, its subnet; existing ones are reported."""
    spec = None
    if cidr:
        spec = SubnetSpec(cidr, subnet_name, gateway_ip, enable_dhcp, tuple(dns_nameservers or ()))
    elif subnet_name or gateway_ip or dns_nameservers:
        raise InvalidParameterError(
            "subnet_name, gateway_ip and dns_nameservers need cidr (the subnet to create)"
        )
    with openstack_errors("network.create"):
        owner = find_project(conn, project, project_domain)
        plan = Plan(dry_run)
        network, existed = ensure_network(conn, plan, owner, name, description, mtu)
        subnet = None
        if spec is not None:
            found, subnet_existed = ensure_subnet(conn, plan, owner, network, name, spec)
            subnet = ref(found, subnet_existed, spec.name or f"{name}-subnet")
        return plan.report(
            project=project_ref(conn, owner), network=ref(network, existed, name), subnet=subnet
        )


def network_rbac_share(
    conn: Any,
    network: str,
    project: str,
    project_domain: Optional[str] = None,
    network_project: Optional[str] = None,
    rbac_action: str = RbacAction.ACCESS_AS_SHARED.value,
    dry_run: bool = True,
) -> Dict[str, Any]:
    """Share a network with one project through an RBAC policy (existing ones reported)."""
    try:
        action = RbacAction(rbac_action)
    except ValueError:
        raise InvalidParameterError(
            f"rbac_action {rbac_action!r} is not one of: " + ", ".join(a.value for a in RbacAction)
        ) from None
    with openstack_errors("network.rbac.share"):
        target = find_project(conn, project, project_domain)
        owner_id = None
        if network_project:
            owner = find_project(conn, network_project, None, "network_project", None)
            owner_id = owner.id
        net = find_network(conn, network, "network", owner_id)
        plan = Plan(dry_run)
        policy, existed = share_network(conn, plan, net, target, action)
        return plan.report(
            project=project_ref(conn, target),
            network=ref(net),
            rbac_policy=Ref(id=policy.id if policy else None, name=action.value, existed=existed),
        )
