"""The fake cloud's store and its proxies: resources by kind, served through autospecs.

Every proxy method is ``mock.create_autospec`` of the real openstacksdk method, so a call with
arguments the real method does not take fails before the fake answers it. What a method does
is its *effect*: a function given the call's arguments. Each call is logged in order with the
arguments bound to the effect's own signature (its defaults filled in).
"""

import inspect
import itertools
import re
from typing import Any, Callable, Dict, List, Tuple
from unittest import mock

from openstack import exceptions, fields
from openstack.block_storage.v3 import _proxy as block_storage_proxy
from openstack.compute.v2 import _proxy as compute_proxy
from openstack.identity.v3 import _proxy as identity_proxy
from openstack.image.v2 import _proxy as image_proxy
from openstack.network.v2 import _proxy as network_proxy
from openstack.placement.v1 import _proxy as placement_proxy
from openstack.block_storage.v3.snapshot import Snapshot
from openstack.block_storage.v3.volume import Volume
from openstack.compute.v2.aggregate import Aggregate
from openstack.compute.v2.flavor import Flavor
from openstack.compute.v2.hypervisor import Hypervisor
from openstack.compute.v2.migration import Migration
from openstack.compute.v2.server import Server
from openstack.compute.v2.service import Service
from openstack.identity.v3.domain import Domain
from openstack.identity.v3.group import Group
from openstack.identity.v3.project import Project
from openstack.identity.v3.role import Role
from openstack.identity.v3.user import User
from openstack.image.v2.image import Image
from openstack.network.v2.floating_ip import FloatingIP
from openstack.network.v2.network import Network
from openstack.network.v2.port import Port
from openstack.network.v2.rbac_policy import RBACPolicy
from openstack.network.v2.router import Router
from openstack.network.v2.security_group import SecurityGroup
from openstack.network.v2.security_group_rule import SecurityGroupRule
from openstack.network.v2.subnet import Subnet

PROXIES = {
    "identity": identity_proxy.Proxy,
    "compute": compute_proxy.Proxy,
    "network": network_proxy.Proxy,
    "image": image_proxy.Proxy,
    "block_storage": block_storage_proxy.Proxy,
    "placement": placement_proxy.Proxy,
}

# store kind (the proxy's listing method) -> (service, resource class, getter, deleter)
KINDS: Dict[str, Tuple[str, Any, str, str]] = {
    "domains": ("identity", Domain, "get_domain", ""),
    "projects": ("identity", Project, "get_project", "delete_project"),
    "users": ("identity", User, "get_user", ""),
    "groups": ("identity", Group, "get_group", ""),
    "roles": ("identity", Role, "get_role", ""),
    "servers": ("compute", Server, "get_server", "delete_server"),
    "flavors": ("compute", Flavor, "get_flavor", ""),
    "hypervisors": ("compute", Hypervisor, "get_hypervisor", ""),
    "aggregates": ("compute", Aggregate, "get_aggregate", ""),
    "services": ("compute", Service, "", ""),
    "migrations": ("compute", Migration, "", ""),
    "images": ("image", Image, "get_image", "delete_image"),
    "volumes": ("block_storage", Volume, "get_volume", "delete_volume"),
    "snapshots": ("block_storage", Snapshot, "get_snapshot", "delete_snapshot"),
    "networks": ("network", Network, "get_network", "delete_network"),
    "subnets": ("network", Subnet, "get_subnet", "delete_subnet"),
    "routers": ("network", Router, "get_router", "delete_router"),
    "ports": ("network", Port, "get_port", "delete_port"),
    "ips": ("network", FloatingIP, "get_ip", "delete_ip"),
    "security_groups": ("network", SecurityGroup, "get_security_group", "delete_security_group"),
    "security_group_rules": (
        "network",
        SecurityGroupRule,
        "get_security_group_rule",
        "delete_security_group_rule",
    ),
    "rbac_policies": ("network", RBACPolicy, "get_rbac_policy", "delete_rbac_policy"),
}
KIND_OF = {resource_type: kind for kind, (_, resource_type, _, _) in KINDS.items()}

# list filters whose meaning differs from "attribute equals value"
SERVER_FILTER_ATTRIBUTES = {
    "node": "hypervisor_hostname",
    "image": None,
    "flavor": None,
    "changes_since": None,
    "changes_before": None,
}
PROXY_ARGS = {"details", "all_projects", "limit", "marker"}


def id_of(value: Any) -> str:
    """The id of a resource or of an id."""
    return getattr(value, "id", value)


def body_attributes(resource_type: Any) -> set:
    """The attributes a resource class sends and receives."""
    return {
        name
        for name in dir(resource_type)
        if isinstance(getattr(resource_type, name, None), fields.Body)
    }


def check_attributes(resource_type: Any, attrs: Dict[str, Any]) -> None:
    """Fail where a real resource would silently drop: unknown attributes are bugs (but
    keystone keeps a project's extra attributes as its properties)."""
    if resource_type is Project:
        return
    unknown = set(attrs) - body_attributes(resource_type)
    assert not unknown, f"{resource_type.__name__} has no attribute(s) {sorted(unknown)}"


def query_keys(resource_type: Any) -> set:
    """The list filters a resource class accepts."""
    return set(resource_type._query_mapping._mapping)  # pylint: disable=protected-access


def passes(item: Any, query: Dict[str, Any]) -> bool:
    """Whether ``item`` passes the equality filters the API would apply (nova: names are
    regexes; filters that are not attributes are the server's business)."""
    for key, value in query.items():
        if key in PROXY_ARGS or value is None:
            continue
        attribute = SERVER_FILTER_ATTRIBUTES.get(key, key) if isinstance(item, Server) else key
        if attribute is None or not hasattr(item, attribute):
            continue
        actual = getattr(item, attribute)
        if key == "name" and isinstance(item, Server):
            if not re.search(value, actual or ""):
                return False
        elif actual != value:
            return False
    return True


def bound(effect: Callable, args: tuple, kwargs: Dict[str, Any]) -> Tuple[tuple, dict]:
    """The arguments as ``effect`` sees them: required ones positional, the rest by name."""
    signature = inspect.signature(effect)
    binding = signature.bind(*args, **kwargs)
    binding.apply_defaults()
    positional, named = [], {}
    for name, value in binding.arguments.items():
        param = signature.parameters[name]
        if param.kind is param.VAR_POSITIONAL:
            positional.extend(value)
        elif param.kind is param.VAR_KEYWORD:
            named.update(value)
        elif param.default is param.empty and param.kind is not param.KEYWORD_ONLY:
            positional.append(value)
        else:
            named[name] = value
    return tuple(positional), named


def _shaped(signature: inspect.Signature, generic: Callable) -> Callable:
    def effect(*args, **kwargs):
        binding = signature.bind(*args, **kwargs)
        return generic(*binding.args, **binding.kwargs)

    effect.__signature__ = signature
    return effect


class SpecProxy:
    """A proxy whose methods are autospecs of the real ones, made on first use.

    (Autospeccing a whole openstacksdk proxy up front takes about 0.3 s per proxy.)
    """

    def __init__(self, service: str, real: Any, store: "Store"):
        self.__dict__.update(
            _service=service, _instance=real.__new__(real), _store=store, _methods={}
        )

    def __getattr__(self, name: str) -> Any:
        methods = self.__dict__["_methods"]
        if name not in methods:
            if name.startswith("_"):
                raise AttributeError(name)
            method = mock.create_autospec(getattr(self.__dict__["_instance"], name))
            method.side_effect = self.__dict__["_store"].answerer(self.__dict__["_service"], name)
            methods[name] = method
        return methods[name]

    def methods(self) -> Dict[str, Any]:
        """The methods used so far, by name."""
        return dict(self.__dict__["_methods"])


class Store:
    """Resources by kind (the proxies' listing names), the effects that serve them and the
    log of calls."""

    def __init__(self, **data: Any):
        self.store: Dict[str, Any] = {}
        self.effects: Dict[str, Dict[str, Callable]] = {}
        self.log: List[Tuple[str, tuple, dict]] = []
        self._ids = itertools.count(1)
        for kind, items in data.items():
            self.store[kind] = list(items) if isinstance(items, (list, tuple)) else items

    def new_id(self, prefix: str = "id") -> str:
        """A fresh id."""
        return f"{prefix}-{next(self._ids)}"

    def add(self, resource: Any) -> Any:
        """Put a resource into the cloud (with a fresh id if it has none)."""
        if not resource.id:
            resource.id = self.new_id()
        self.store.setdefault(KIND_OF[type(resource)], []).append(resource)
        return resource

    def of(self, kind: str) -> List[Any]:
        """The resources of one kind."""
        return list(self.store.get(kind, []))

    def remove(self, kind: str, resource_id: str) -> bool:
        """Take a resource out; whether it was there."""
        before = self.of(kind)
        self.store[kind] = [r for r in before if r.id != resource_id]
        return len(before) != len(self.store[kind])

    def serve(self, service: str, **effects: Callable) -> None:
        """Make proxy methods of ``service`` do what the given functions do."""
        self.effects.setdefault(service, {}).update(effects)

    def serve_shaped(self, service: str, **effects: Callable) -> None:
        """Serve effects written for many methods under each real method's parameter names
        (a call by keyword reaches them as the SDK would take it)."""
        for name, generic in effects.items():
            real = inspect.signature(getattr(PROXIES[service], name))
            real = real.replace(parameters=list(real.parameters.values())[1:])
            self.serve(service, **{name: _shaped(real, generic)})

    def fail(self, service: str, method: str, error: Exception) -> None:
        """Make one proxy method raise (after its signature check)."""

        def failing(*_args, **_kwargs):
            raise error

        self.serve(service, **{method: failing})

    def answerer(self, service: str, method: str) -> Callable:
        """What an autospec'd method calls: log the call, then its effect (a method the
        fake does not serve fails the test)."""

        def answer(*args, **kwargs):
            effect = self.effects.get(service, {}).get(method)
            if effect is None:
                raise AssertionError(f"the fake cloud does not serve {service}.{method}")
            if not getattr(effect, "logs_itself", False):
                self.log.append((method, *bound(effect, args, kwargs)))
            return effect(*args, **kwargs)

        return answer

    def kwargs_of(self, method: str) -> List[Dict[str, Any]]:
        """The keyword arguments of every logged call to one method."""
        return [kwargs for name, _, kwargs in self.log if name == method]

    # ------------------------------------------------------------------ generic effects
    def lister(self, kind: str, real: Callable) -> Callable:
        """A listing filtered like the API: filters the SDK does not know fail."""
        named = set(inspect.signature(real).parameters) - {"self", "query"}
        allowed = query_keys(KINDS[kind][1]) | named

        def listing(**query):
            unknown = set(query) - allowed
            assert not unknown, f"{kind}: filters the SDK does not know: {unknown}"
            return iter([r for r in self.of(kind) if passes(r, query)])

        return listing

    def getter(self, kind: str) -> Callable:
        """A get by resource or id that raises NotFound like the SDK."""

        def get(resource, *_args, **_kwargs):
            for found in self.of(kind):
                if found.id == id_of(resource):
                    return found
            raise exceptions.NotFoundException(f"{kind} {id_of(resource)} not found")

        return get

    def deleter(self, kind: str) -> Callable:
        """A delete that raises NotFound unless ``ignore_missing``."""

        def delete(resource, ignore_missing=True, **_kwargs):
            if not self.remove(kind, id_of(resource)) and not ignore_missing:
                raise exceptions.NotFoundException(f"{kind} {id_of(resource)} not found")

        return delete

    def creator(self, kind: str, defaults: Dict[str, Any]) -> Callable:
        """A create that checks the attributes against the resource class."""
        resource_type = KINDS[kind][1]

        def create(**attrs):
            check_attributes(resource_type, attrs)
            return self.add(resource_type(**{**defaults, "id": self.new_id(kind), **attrs}))

        return create

    @staticmethod
    def updater(resource_type: Any) -> Callable:
        """An update that sets the given (real) attributes."""

        def update(resource, **attrs):
            check_attributes(resource_type, attrs)
            for key, value in attrs.items():
                setattr(resource, key, value)
            return resource

        return update
