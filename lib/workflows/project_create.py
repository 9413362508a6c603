"""project.create: a project and, in the same run, its network, router, RBAC shares, default
security group rules, quotas and role grants.

Everything is validated and resolved before anything is created. The parts are built by the
network, router, security group and quota modules; each undo is recorded, and a failure midway
undoes everything in reverse order (the new project's neutron resources are swept, so nothing
half-made survives) and the error says what was rolled back. An existing project of that name
in the domain is reported, never changed.
"""

from __future__ import annotations

import dataclasses
import enum
import logging
import uuid
from typing import Any, Dict, List, Mapping, Optional, Tuple

from apis.openstack_api import networks, quotas as quota_api, routers, security_groups
from apis.openstack_api.identity import project_setup as setup
from apis.openstack_api.identity.exceptions import (
    InvalidParameterError,
    ProjectCreateError,
    describe,
    is_expected,
    openstack_errors,
)
from apis.openstack_api.identity.project_resources import (
    delete_network_resources,
    reset_quotas,
)
from apis.openstack_api.identity.projects import (
    PROJECT_FIELDS,
    ProjectView,
    existing_project,
    project_view,
)
from apis.openstack_api.identity.resolve import IdentityKind, Resolver
from apis.openstack_api.identity.roles import Grantee, role_changes
from apis.progress import Progress
from apis.results import ChangeResult, ObjectOutcome, Outcome
from apis.rollback import Rollback, summary as rollback_summary

LOG = logging.getLogger(__name__)
MAX_NAME = 64


class CreateState(enum.Enum):
    """What project.create did."""

    CREATED = "created"
    EXISTED = "existed"
    WOULD_CREATE = "would_create"


@dataclasses.dataclass(frozen=True)
class Step:
    """One change made (or, in a dry run, to be made): what it does to which object."""

    kind: str
    name: str
    id: Optional[str] = None
    change: str = "create"


@dataclasses.dataclass
class ProjectCreateReport(ChangeResult):
    """The change result (one object per step; the project unchanged when it existed), the
    project (None in a dry run), what happened, and the steps done or planned."""

    state: CreateState
    project: Optional[ProjectView]
    steps: List[Step]
    message: str


def _report(dry_run: bool, state: CreateState, project, steps: List[Step], message: str):
    if state is CreateState.EXISTED:
        objects = [
            ObjectOutcome(
                "project", project.name, Outcome.UNCHANGED, "create", "exists", project.id
            )
        ]
    else:
        objects = [ObjectOutcome(s.kind, s.name, Outcome.DONE, s.change, id=s.id) for s in steps]
    return ProjectCreateReport(dry_run, objects, state, project, steps, message)


@dataclasses.dataclass(frozen=True)
class NetworkRequest:
    """The project network: a subnet, and a router when an external network is given."""

    name: str
    subnet: networks.SubnetSpec
    external_network: Optional[str] = None


@dataclasses.dataclass(frozen=True)
class ProjectRequest:
    """The validated parameters of project.create."""

    name: str
    description: str = ""
    enabled: bool = True
    tags: Tuple[str, ...] = ()
    properties: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    network: Optional[NetworkRequest] = None
    rbac_shared_networks: Tuple[str, ...] = ()
    rules: Tuple[security_groups.RuleSpec, ...] = ()
    quotas: Mapping[str, int] = dataclasses.field(default_factory=dict)
    grants: Tuple[Tuple[Grantee, str, str], ...] = ()

    def __post_init__(self):
        if not self.name or len(self.name) > MAX_NAME:
            raise InvalidParameterError(f"name {self.name!r}: give 1 to {MAX_NAME} characters")
        bad_tags = [t for t in self.tags if not t or "/" in t or "," in t or len(t) > 255]
        if bad_tags:
            raise InvalidParameterError(
                f"tags {bad_tags}: a tag is 1-255 characters without '/' or ','"
            )
        clashes = sorted(set(self.properties) & PROJECT_FIELDS)
        if clashes:
            raise InvalidParameterError(
                f"properties {clashes}: these are project fields, not properties; "
                "use the name, description, tags and enabled parameters"
            )

    @property
    def router_name(self) -> str:
        """The router's name."""
        return f"{self.name}-router"


@dataclasses.dataclass
class Resolved:
    """What the request names, looked up in the cloud."""

    domain_id: str
    grants: List[Tuple[Grantee, Any, Any]]
    external_network: Any = None
    shared_networks: List[Any] = dataclasses.field(default_factory=list)


def project_create(
    conn: Any,
    name: str,
    domain: str = "default",
    description: str = "",
    tags: Optional[List[str]] = None,
    properties: Optional[Dict[str, Any]] = None,
    enabled: bool = True,
    network_cidr: Optional[str] = None,
    network_name: Optional[str] = None,
    dns_nameservers: Optional[List[str]] = None,
    external_network: Optional[str] = None,
    rbac_shared_networks: Optional[List[str]] = None,
    security_group_rules: Optional[List[str]] = None,
    quotas: Optional[Dict[str, Any]] = None,
    admin_users: Optional[List[str]] = None,
    member_users: Optional[List[str]] = None,
    admin_groups: Optional[List[str]] = None,
    member_groups: Optional[List[str]] = None,
    identity_domain: Optional[str] = None,
    dry_run: bool = False,
) -> ProjectCreateReport:
    """Create a project with its optional network, router, shares, rules, quotas and grants.

    Idempotent: a project of that name in the domain is reported as it is and nothing changes.
    """
    grants = tuple(
        (grantee, value, role)
        for grantee, values, role in (
            (Grantee.USER, admin_users, "admin"),
            (Grantee.USER, member_users, "member"),
            (Grantee.GROUP, admin_groups, "admin"),
            (Grantee.GROUP, member_groups, "member"),
        )
        for value in values or []
    )
    request = ProjectRequest(
        name=name,
        description=description or "",
        enabled=enabled,
        tags=tuple(tags or ()),
        properties=dict(properties or {}),
        network=_network_request(
            name, network_cidr, network_name, dns_nameservers, external_network
        ),
        rbac_shared_networks=tuple(dict.fromkeys(rbac_shared_networks or ())),
        rules=tuple(dict.fromkeys(setup.parse_rule(r) for r in security_group_rules or [])),
        quotas=setup.check_quotas(quotas),
        grants=grants,
    )
    with openstack_errors(f"creating project {name!r}"):
        resolver = Resolver(conn)
        domain_id = resolver.domain_id(domain, "domain")
        found = existing_project(conn, name, domain_id)
        if found is not None:
            return _report(
                dry_run,
                CreateState.EXISTED,
                project_view(resolver, found),
                [],
                f"project {name!r} already exists in domain {domain}; nothing changed",
            )
        resolved = _resolve(conn, resolver, request, domain_id, identity_domain)
        if dry_run:
            return _report(
                True,
                CreateState.WOULD_CREATE,
                None,
                _plan(conn, request, resolved),
                f"dry run: project {name!r} would be created; nothing changed",
            )
        return _build(conn, resolver, request, resolved)


def _network_request(
    name: str,
    cidr: Optional[str],
    network_name: Optional[str],
    dns_nameservers: Optional[List[str]],
    external_network: Optional[str],
) -> Optional[NetworkRequest]:
    if cidr:
        try:
            subnet = networks.SubnetSpec(cidr, dns_nameservers=tuple(dns_nameservers or ()))
        except InvalidParameterError as err:
            raise InvalidParameterError(f"network_cidr/dns_nameservers: {err}") from None
        return NetworkRequest(
            name=network_name or f"{name}-net", subnet=subnet, external_network=external_network
        )
    if network_name or dns_nameservers or external_network:
        raise InvalidParameterError(
            "network_name, dns_nameservers and external_network need network_cidr "
            "(the subnet of the project's network)"
        )
    return None


def _resolve(
    conn: Any,
    resolver: Resolver,
    request: ProjectRequest,
    domain_id: str,
    identity_domain: Optional[str],
) -> Resolved:
    roles = {
        role: resolver.find(IdentityKind.ROLE, role, "role")
        for role in sorted({role for _, _, role in request.grants})
    }
    grants = []
    for grantee, value, role in request.grants:
        parameter = f"{role}_{grantee.kind.label}s"
        principal = resolver.find(
            grantee.kind, value, parameter, identity_domain, "identity_domain"
        )
        grants.append((grantee, principal, roles[role]))
    setup.check_quota_services(conn, request.quotas)
    resolved = Resolved(domain_id=domain_id, grants=grants)
    if request.network and request.network.external_network:
        resolved.external_network = networks.find_external_network(
            conn, request.network.external_network, "external_network"
        )
    resolved.shared_networks = [
        networks.find_network(conn, value, "rbac_shared_networks")
        for value in request.rbac_shared_networks
    ]
    return resolved


def _plan(conn: Any, request: ProjectRequest, resolved: Resolved) -> List[Step]:
    """The steps the real run would report: the builder's own phases on a dry-run plan,
    for a project (and default security group) that has nothing yet."""
    builder = _Builder(conn, request, resolved, dry_run=True)
    builder.build()
    return builder.steps()


def _build(
    conn: Any, resolver: Resolver, request: ProjectRequest, resolved: Resolved
) -> ProjectCreateReport:
    builder = _Builder(conn, request, resolved)
    try:
        project = builder.build()
        builder.doing = "reading the project back"
        view = project_view(resolver, conn.identity.get_project(project.id))
    except Exception as err:  # pylint: disable=broad-exception-caught
        summary = rollback_summary(builder.undo.run())
        if not is_expected(err):
            LOG.error("project.create %r: unexpected failure; %s", request.name, summary)
            raise
        raise ProjectCreateError(
            f"project.create {request.name!r} failed while {builder.doing}: {describe(err)}; "
            f"{summary}"
        ) from None
    return _report(
        False, CreateState.CREATED, view, builder.steps(), f"project {request.name!r} created"
    )


class _Builder:
    """Creates the project and its parts, recording undos and the step in progress."""

    def __init__(
        self, conn: Any, request: ProjectRequest, resolved: Resolved, dry_run: bool = False
    ):
        self.conn = conn
        self.request = request
        self.resolved = resolved
        self.dry_run = dry_run
        self.undo = Rollback(lambda err: {"error": describe(err)})
        self.plan = networks.Plan(dry_run=dry_run, roll_back=False)
        self.project: Any = None
        self.grants: List[Step] = []
        self.doing = "starting"

    def build(self) -> Any:
        """Every step in order, one progress line each; the created project."""
        phases = (
            ("project", self._project),
            ("quotas", self._quotas),
            ("role grants", self._grants),
            ("network", self._network),
            ("network shares", self._shares),
            ("security group rules", self._rules),
        )
        label = f"project.create {self.request.name}" + (" (dry run)" if self.dry_run else "")
        progress = Progress(label, len(phases), LOG)
        for name, phase in phases:
            phase()
            progress.step("%s done", name)
        return self.project

    def steps(self) -> List[Step]:
        """What was done (in a dry run: would be done, without ids), in order."""
        known = (lambda found: None) if self.dry_run else (lambda found: found)
        project = Step("project", self.project.name, known(self.project.id))
        changes = [Step(c.resource, c.name, known(c.id), c.verb.value) for c in self.plan.changes]
        quotas = [c for c in changes if c.kind.endswith("quota")]
        rest = [c for c in changes if not c.kind.endswith("quota")]
        return [project, *quotas, *self.grants, *rest]

    def _project(self) -> None:
        request, identity = self.request, self.conn.identity
        self.doing = f"creating project {request.name}"
        if self.dry_run:
            self.project = _Nothing(request.name)
            return
        project = identity.create_project(
            name=request.name,
            domain_id=self.resolved.domain_id,
            description=request.description,
            is_enabled=request.enabled,
            tags=list(request.tags),
            **request.properties,
        )
        self.project = project
        self.undo.add(f"project {request.name}", lambda: identity.delete_project(project))
        self.undo.add(
            "network resources of the project",
            lambda: delete_network_resources(self.conn, project.id),
            itemized=True,
        )

    def _quotas(self) -> None:
        if not self.request.quotas:
            return
        self.doing = "setting quotas"
        conn, project_id = self.conn, self.project.id

        self.undo.add("quotas (back to the defaults)", lambda: reset_quotas(conn, project_id))
        quota_api.apply_quotas(
            conn, self.plan, self.project, self.request.quotas, new_project=self.dry_run
        )

    def _grants(self) -> None:
        for grantee, principal, role in self.resolved.grants:
            what = f"{role.name} for {grantee.kind.label} {principal.name}"
            self.doing = f"granting role {what}"
            self.grants.append(Step("role", what, change="add"))
            if self.dry_run:
                continue
            role_changes(self.conn, grantee, self.project, principal, [role])
            self.undo.add(
                f"role {what}",
                lambda g=grantee, p=principal, r=role: role_changes(
                    self.conn, g, self.project, p, [r], adding=False
                ),
            )

    def _network(self) -> None:
        request = self.request.network
        if request is None:
            return
        self.doing = f"creating network {request.name}"
        network, _ = networks.ensure_network(self.conn, self.plan, self.project, request.name)
        self.doing = f"creating subnet {request.name}-subnet"
        subnet, _ = networks.ensure_subnet(
            self.conn, self.plan, self.project, network, request.name, request.subnet
        )
        if subnet is None:
            subnet = _Nothing(self.plan.changes[-1].name)
        external = self.resolved.external_network
        if external is not None:
            self.doing = f"creating router {self.request.router_name}"
            routers.ensure_router(
                self.conn, self.plan, self.project, self.request.router_name, external, [subnet]
            )

    def _shares(self) -> None:
        for network in self.resolved.shared_networks:
            self.doing = f"sharing network {network.name}"
            networks.share_network(
                self.conn,
                self.plan,
                network,
                self.project,
                networks.RbacAction.ACCESS_AS_SHARED,
            )

    def _rules(self) -> None:
        if not self.request.rules:
            return
        self.doing = "adding rules to the default security group"
        if self.dry_run:
            group = _Nothing("default", project_id=self.project.id)
        else:
            group = security_groups.find_security_group(
                self.conn, self.project, "default", "security_group"
            )
        security_groups.ensure_rules(self.conn, self.plan, group, list(self.request.rules))


@dataclasses.dataclass(frozen=True)
class _Nothing:
    """An object a dry run would create, with an id that matches nothing in the cloud: the
    planners' lookups of its parts (networks, routers, quotas, rules, shares) find what a new
    project has."""

    name: str
    id: str = dataclasses.field(default_factory=lambda: str(uuid.uuid4()))
    cidr: Optional[str] = None
    project_id: Optional[str] = None
