"""An in-memory cloud for the identity and project unit tests, passed to them as ``conn``.

Every proxy is ``mock.create_autospec`` of the real openstacksdk proxy, so a call the SDK
would reject (wrong argument name, missing argument) fails here too; list filters are checked
against the resource's real ``_query_mapping``. Side effects mimic the cloud where the code
depends on them: neutron creates a project's default security group when security groups are
listed with a project filter, router interfaces are ports, keystone names are unique per
domain.
"""

from __future__ import annotations

import itertools
from types import SimpleNamespace
from typing import Any, Dict, List, Optional
from unittest import mock

from openstack import exceptions, fields
from openstack.block_storage.v3 import _proxy as block_storage_proxy
from openstack.block_storage.v3.volume import Volume
from openstack.compute.v2 import _proxy as compute_proxy
from openstack.compute.v2.quota_set import QuotaSet
from openstack.compute.v2.server import Server
from openstack.identity.v3 import _proxy as identity_proxy
from openstack.identity.v3.domain import Domain
from openstack.identity.v3.group import Group
from openstack.identity.v3.project import Project
from openstack.identity.v3.role import Role
from openstack.identity.v3.role_assignment import RoleAssignment
from openstack.identity.v3.user import User
from openstack.image.v2 import _proxy as image_proxy
from openstack.image.v2.image import Image
from openstack.network.v2 import _proxy as network_proxy
from openstack.network.v2.floating_ip import FloatingIP
from openstack.network.v2.network import Network
from openstack.network.v2.port import Port
from openstack.network.v2.quota import QuotaDetails
from openstack.network.v2.rbac_policy import RBACPolicy
from openstack.network.v2.router import Router
from openstack.network.v2.security_group import SecurityGroup
from openstack.network.v2.security_group_rule import SecurityGroupRule
from openstack.network.v2.subnet import Subnet

PROXY_ARGS = {"all_projects", "details"}
ADMIN_PROJECT = "p-admin"
DEFAULT_QUOTAS = {
    "compute": {"instances": 10, "cores": 20, "ram": 51200},
    "network": {"networks": 100, "routers": 10, "floating_ips": 50},
    "volume": {"volumes": 10, "gigabytes": 1000},
}


def _id(value: Any) -> str:
    return value if isinstance(value, str) else value.id


def query_keys(cls: type) -> set:
    """The list filters a resource class accepts."""
    return set(cls._query_mapping._mapping)  # pylint: disable=protected-access


def body_attributes(cls: type) -> set:
    """The attributes a resource class sends and receives."""
    return {name for name in dir(cls) if isinstance(getattr(cls, name, None), fields.Body)}


def _matches(item: Any, query: Dict[str, Any]) -> bool:
    return all(
        getattr(item, key, None) == value
        for key, value in query.items()
        if key not in PROXY_ARGS and value is not None
    )


_PROXIES: Dict[type, Any] = {}


def autospec_proxy(real: type) -> Any:
    """An autospec of a real proxy class; built once (that is slow), reset for every use."""
    if real not in _PROXIES:
        _PROXIES[real] = mock.create_autospec(real, instance=True)
    proxy = _PROXIES[real]
    proxy.reset_mock(return_value=True, side_effect=True)
    return proxy


class FakeConnection:
    """The parts of openstack.connection.Connection the actions use."""

    def __init__(self, services: List[str], cloud_name: str = "prod"):
        self.services = services
        self.config = SimpleNamespace(name=cloud_name)
        self.current_project_id = ADMIN_PROJECT
        self.identity = autospec_proxy(identity_proxy.Proxy)
        self.network = autospec_proxy(network_proxy.Proxy)
        self.compute = autospec_proxy(compute_proxy.Proxy)
        self.image = autospec_proxy(image_proxy.Proxy)
        self.block_storage = autospec_proxy(block_storage_proxy.Proxy)
        self.closed = False

    def has_service(self, service_type: str, version: Optional[str] = None) -> bool:
        """Whether the catalog has the service."""
        assert version is None or isinstance(version, str)
        return service_type in self.services

    def close(self) -> None:
        """Close the connection."""
        self.closed = True


class FakeCloud:
    """In-memory keystone, neutron, nova, glance and (optionally) cinder."""

    def __init__(self, services=("identity", "compute", "network", "image")):
        self.conn = FakeConnection(list(services))
        self.ids = (f"id-{n}" for n in itertools.count(1))
        self.store: Dict[type, Dict[str, Any]] = {}
        self.grants: set = set()
        self.members: set = set()
        self.quotas: Dict[tuple, Dict[str, int]] = {}
        self._wire()
        for domain in (Domain(id="default", name="Default"), Domain(id="d-seed", name="seed")):
            self.add(domain)
        for role in ("admin", "member", "reader"):
            self.add(Role(id=f"r-{role}", name=role))
        self.add(Project(id=ADMIN_PROJECT, name="admin", domain_id="default", tags=[]))

    # --- state -------------------------------------------------------------------------

    def calls_made(self) -> List[str]:
        """``service.method`` of every proxy call so far."""
        return [
            f"{service}.{call[0]}"
            for service in ("identity", "network", "compute", "image", "block_storage")
            for call in getattr(self.conn, service).mock_calls
        ]

    def add(self, resource: Any) -> Any:
        """Store a resource (an id is assigned if it has none)."""
        if not resource.id:
            resource.id = next(self.ids)
        self.store.setdefault(type(resource), {})[resource.id] = resource
        return resource

    def all(self, cls: type) -> List[Any]:
        """Every stored resource of a type."""
        return list(self.store.get(cls, {}).values())

    def project(self, name: str, domain_id: str = "default", **attrs: Any) -> Project:
        """Add a project."""
        return self.add(Project(name=name, domain_id=domain_id, tags=[], **attrs))

    def user(self, name: str, domain_id: str = "default") -> User:
        """Add a user."""
        return self.add(User(name=name, domain_id=domain_id))

    def group(self, name: str, domain_id: str = "default") -> Group:
        """Add a group."""
        return self.add(Group(name=name, domain_id=domain_id))

    def external_network(self, name: str = "public") -> Network:
        """Add an external network."""
        return self.add(Network(name=name, project_id=ADMIN_PROJECT, is_router_external=True))

    def calls(self, proxy: str, method: str) -> List[Any]:
        """The recorded calls of one proxy method."""
        return getattr(getattr(self.conn, proxy), method).call_args_list

    def fail(self, proxy: str, method: str, error: Exception) -> None:
        """Make one proxy method raise (after its signature check)."""
        getattr(getattr(self.conn, proxy), method).side_effect = error

    # --- wiring ------------------------------------------------------------------------

    def _lister(self, cls: type, extra=()):
        allowed = query_keys(cls) | PROXY_ARGS | set(extra)

        def listing(*_args, **query):
            unknown = set(query) - allowed
            assert (
                not unknown
            ), f"{cls.__name__} listing got filters the SDK does not know: {unknown}"
            return iter([r for r in self.all(cls) if _matches(r, query)])

        return listing

    def _getter(self, cls: type):
        def get(value, *_args, **_kwargs):
            found = self.store.get(cls, {}).get(_id(value))
            if found is None:
                raise exceptions.NotFoundException(f"{cls.__name__} {_id(value)} not found")
            return found

        return get

    def _creator(self, cls: type):
        def create(**attrs):
            if cls is not Project:
                unknown = set(attrs) - body_attributes(cls)
                assert not unknown, f"{cls.__name__} has no attribute(s) {sorted(unknown)}"
            return self.add(cls(**attrs))

        return create

    def _deleter(self, cls: type):
        def delete(value, ignore_missing=True, **_kwargs):
            if self.store.get(cls, {}).pop(_id(value), None) is None and not ignore_missing:
                raise exceptions.NotFoundException(f"{cls.__name__} {_id(value)} not found")

        return delete

    def _wire(self) -> None:
        identity, net = self.conn.identity, self.conn.network
        compute, image, storage = self.conn.compute, self.conn.image, self.conn.block_storage
        for proxy, cls, lister, getter in (
            (identity, Domain, "domains", "get_domain"),
            (identity, Project, "projects", "get_project"),
            (identity, User, "users", "get_user"),
            (identity, Group, "groups", "get_group"),
            (identity, Role, "roles", "get_role"),
            (net, Network, "networks", "get_network"),
            (net, Subnet, "subnets", "get_subnet"),
            (net, SecurityGroupRule, "security_group_rules", "get_security_group_rule"),
            (net, Port, "ports", "get_port"),
            (net, Router, "routers", "get_router"),
            (net, FloatingIP, "ips", "get_ip"),
            (net, RBACPolicy, "rbac_policies", "get_rbac_policy"),
            (compute, Server, "servers", "get_server"),
            (image, Image, "images", "get_image"),
            (storage, Volume, "volumes", "get_volume"),
        ):
            getattr(proxy, lister).side_effect = self._lister(cls)
            getattr(proxy, getter).side_effect = self._getter(cls)
        for proxy, cls, name in (
            (identity, Project, "project"),
            (net, Network, "network"),
            (net, Subnet, "subnet"),
            (net, Router, "router"),
            (net, SecurityGroupRule, "security_group_rule"),
            (net, RBACPolicy, "rbac_policy"),
        ):
            getattr(proxy, f"create_{name}").side_effect = self._creator(cls)
        for proxy, cls, method in (
            (identity, Project, "delete_project"),
            (net, Network, "delete_network"),
            (net, Subnet, "delete_subnet"),
            (net, Router, "delete_router"),
            (net, Port, "delete_port"),
            (net, FloatingIP, "delete_ip"),
            (net, SecurityGroup, "delete_security_group"),
            (net, SecurityGroupRule, "delete_security_group_rule"),
            (net, RBACPolicy, "delete_rbac_policy"),
            (compute, Server, "delete_server"),
            (image, Image, "delete_image"),
            (storage, Volume, "delete_volume"),
        ):
            getattr(proxy, method).side_effect = self._deleter(cls)
        self._wire_identity()
        self._wire_network()
        self._wire_quotas()
        compute.wait_for_delete.side_effect = lambda res, **_kw: res
        storage.wait_for_delete.side_effect = lambda res, **_kw: res
        image.update_image.side_effect = self._update_image

    def _wire_identity(self) -> None:
        identity = self.conn.identity
        for kind in ("user", "group"):
            key = kind

            def check(project, principal, role, *, inherited=False, key=key):
                assert not inherited
                return (key, _id(project), _id(principal), _id(role)) in self.grants

            def assign(project, principal, role, *, inherited=False, key=key):
                assert not inherited
                self.grants.add((key, _id(project), _id(principal), _id(role)))

            def unassign(project, principal, role, *, inherited=False, key=key):
                assert not inherited
                self.grants.discard((key, _id(project), _id(principal), _id(role)))

            getattr(identity, f"validate_{kind}_has_project_role").side_effect = check
            getattr(identity, f"assign_project_role_to_{kind}").side_effect = assign
            getattr(identity, f"unassign_project_role_from_{kind}").side_effect = unassign
        identity.check_user_in_group.side_effect = lambda u, g: (_id(g), _id(u)) in self.members
        identity.add_user_to_group.side_effect = lambda u, g: self.members.add((_id(g), _id(u)))
        identity.remove_user_from_group.side_effect = lambda u, g: self.members.discard(
            (_id(g), _id(u))
        )
        identity.role_assignments.side_effect = self._role_assignments

    def _named(self, cls: type, value_id: str) -> Dict[str, Any]:
        item = self.store[cls][value_id]
        named = {"id": item.id, "name": item.name}
        if getattr(item, "domain_id", None):
            domain = self.store[Domain][item.domain_id]
            named["domain"] = {"id": domain.id, "name": domain.name}
        return named

    def _role_assignments(self, **query):
        allowed = query_keys(RoleAssignment)
        assert not set(query) - allowed, set(query) - allowed
        assert not (query.get("effective") and query.get("group_id")), "keystone: 400"
        rows = []
        for kind, project_id, principal_id, role_id in sorted(self.grants):
            principals = [(kind, principal_id)]
            if kind == "group" and query.get("effective"):
                principals = [("user", u) for g, u in sorted(self.members) if g == principal_id]
            for who, who_id in principals:
                row = {
                    "scope_project_id": project_id,
                    "role_id": role_id,
                    f"{who}_id": who_id,
                }
                if any(query.get(k) not in (None, v) for k, v in row.items()) or (
                    query.get("user_id" if who == "group" else "group_id")
                ):
                    continue
                cls = User if who == "user" else Group
                rows.append(
                    RoleAssignment(
                        role=self._named(Role, role_id),
                        scope={"project": self._named(Project, project_id)},
                        **{who: self._named(cls, who_id)},
                    )
                )
        return iter(rows)

    def _wire_network(self) -> None:
        net = self.conn.network

        def ensure_default_group(project_id):
            if not any(
                g.project_id == project_id and g.name == "default" for g in self.all(SecurityGroup)
            ):
                self.add(SecurityGroup(name="default", project_id=project_id))

        def security_groups(**query):
            self._lister(SecurityGroup)(**query)
            if query.get("project_id"):
                ensure_default_group(query["project_id"])
            return iter([g for g in self.all(SecurityGroup) if _matches(g, query)])

        def add_interface(router, subnet=None, port=None, *, advertise_host=False):
            assert port is None and not advertise_host
            ensure_default_group(self.store[Router][_id(router)].project_id)
            made = self.add(
                Port(
                    device_id=_id(router),
                    device_owner="network:router_interface",
                    project_id=self.store[Router][_id(router)].project_id,
                    fixed_ips=[{"subnet_id": subnet}],
                )
            )
            return {"port_id": made.id, "subnet_id": subnet}

        def remove_interface(router, subnet=None, port=None):
            for item in self.all(Port):
                if item.device_id == _id(router) and (
                    item.id == port or item.fixed_ips == [{"subnet_id": subnet}]
                ):
                    del self.store[Port][item.id]
            return {}

        def create_network(**attrs):
            ensure_default_group(attrs["project_id"])
            return self._creator(Network)(**attrs)

        def delete_network(network, ignore_missing=True, if_revision=None):
            assert if_revision is None
            for subnet in self.all(Subnet):
                if subnet.network_id == _id(network):
                    del self.store[Subnet][subnet.id]
            self._deleter(Network)(network, ignore_missing)

        net.security_groups.side_effect = security_groups
        net.create_network.side_effect = create_network
        net.delete_network.side_effect = delete_network
        net.add_interface_to_router.side_effect = add_interface
        net.remove_interface_from_router.side_effect = remove_interface

    def _wire_quotas(self) -> None:
        def setter(service):
            def update(project, **attrs):
                attrs.pop("force", None)
                attrs.pop("check_limit", None)
                self.quotas.setdefault((service, _id(project)), {}).update(attrs)

            return update

        def reset(service):
            def revert(project, **_query):
                self.quotas.pop((service, _id(project)), None)

            return revert

        def quota_set(service):
            def get(project, usage=False, **query):
                assert not query
                values = {**DEFAULT_QUOTAS[service], **self.quotas.get((service, _id(project)), {})}
                if usage:
                    values["usage"] = {key: 0 for key in values}
                    values["reservation"] = {key: 0 for key in values}
                return QuotaSet(id=_id(project), **values)

            return get

        def defaults(service, kind=QuotaSet):
            return lambda project: kind(id=_id(project), **DEFAULT_QUOTAS[service])

        def network_quota(project, details=False):
            assert details
            values = {**DEFAULT_QUOTAS["network"], **self.quotas.get(("network", _id(project)), {})}
            return QuotaDetails(
                **{k: {"limit": v, "used": 0, "reserved": 0} for k, v in values.items()}
            )

        compute, storage, net = self.conn.compute, self.conn.block_storage, self.conn.network
        compute.get_quota_set.side_effect = quota_set("compute")
        compute.update_quota_set.side_effect = setter("compute")
        compute.revert_quota_set.side_effect = reset("compute")
        storage.get_quota_set.side_effect = quota_set("volume")
        storage.update_quota_set.side_effect = setter("volume")
        storage.revert_quota_set.side_effect = reset("volume")
        net.get_quota.side_effect = network_quota
        compute.get_quota_set_defaults.side_effect = defaults("compute")
        storage.get_quota_set_defaults.side_effect = defaults("volume")
        net.get_quota_default.side_effect = defaults("network")
        net.update_quota.side_effect = setter("network")
        net.delete_quota.side_effect = lambda project, ignore_missing=True: reset("network")(
            project
        )

    def _update_image(self, value, **attrs):
        found = self.store[Image][_id(value)]
        for key, item in attrs.items():
            setattr(found, key, item)
        return found
