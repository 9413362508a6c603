"""An in-memory cloud that unit tests pass to the apis and workflows as their ``conn``.

Every proxy method is ``create_autospec`` of the real openstacksdk method, so a call with
arguments the real method does not take fails; list filters must be in the resource's real
query mapping and create/update attributes must be real body attributes of the resource class.
"""

import itertools
from typing import Any, Dict, List
from unittest import mock

from openstack import exceptions, fields
from openstack.block_storage.v3 import _proxy as block_storage_proxy
from openstack.block_storage.v3.quota_set import QuotaSet as VolumeQuotaSet
from openstack.compute.v2 import _proxy as compute_proxy
from openstack.compute.v2.flavor import Flavor
from openstack.compute.v2.quota_set import QuotaSet
from openstack.identity.v3 import _proxy as identity_proxy
from openstack.identity.v3.domain import Domain
from openstack.identity.v3.project import Project
from openstack.image.v2 import _proxy as image_proxy
from openstack.image.v2.image import Image
from openstack.image.v2.member import Member
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

PROXY_ARGS = {"details", "limit", "marker"}
PROXIES = {
    "identity": identity_proxy.Proxy,
    "compute": compute_proxy.Proxy,
    "network": network_proxy.Proxy,
    "image": image_proxy.Proxy,
    "block_storage": block_storage_proxy.Proxy,
}

# proxy method -> (store kind, resource class)
LISTINGS = {
    "identity": {"projects": ("projects", Project), "domains": ("domains", Domain)},
    "compute": {"flavors": ("flavors", Flavor)},
    "image": {"images": ("images", Image)},
    "network": {
        "networks": ("networks", Network),
        "subnets": ("subnets", Subnet),
        "routers": ("routers", Router),
        "ports": ("ports", Port),
        "ips": ("ips", FloatingIP),
        "security_groups": ("security_groups", SecurityGroup),
        "security_group_rules": ("security_group_rules", SecurityGroupRule),
        "rbac_policies": ("rbac_policies", RBACPolicy),
    },
}
GETTERS = {
    "identity": {"get_project": "projects"},
    "image": {"get_image": "images"},
    "network": {
        "get_network": "networks",
        "get_subnet": "subnets",
        "get_ip": "ips",
        "get_security_group": "security_groups",
    },
}
CREATORS = {
    "compute": {"create_flavor": ("flavors", Flavor)},
    "network": {
        "create_network": ("networks", Network),
        "create_subnet": ("subnets", Subnet),
        "create_router": ("routers", Router),
        "create_ip": ("ips", FloatingIP),
        "create_security_group_rule": ("security_group_rules", SecurityGroupRule),
        "create_rbac_policy": ("rbac_policies", RBACPolicy),
    },
}
DEFAULTS = {
    Network: {"mtu": 1500, "is_router_external": False, "status": "ACTIVE"},
    FloatingIP: {"status": "DOWN", "port_id": None},
    Flavor: {"extra_specs": {}, "swap": 0, "ephemeral": 0},
}


def body_attributes(resource_type: Any) -> set:
    """The attributes a resource class sends and receives."""
    return {
        name
        for name in dir(resource_type)
        if isinstance(getattr(resource_type, name, None), fields.Body)
    }


def check_attributes(resource_type: Any, attrs: Dict[str, Any]) -> None:
    """Fail like a real resource would silently drop: unknown attributes are bugs."""
    unknown = set(attrs) - body_attributes(resource_type)
    assert not unknown, f"{resource_type.__name__} has no attribute(s) {sorted(unknown)}"


class SpecProxy:
    """A proxy whose methods are autospecs of the real ones, made on first use.

    (Autospeccing a whole openstacksdk proxy up front takes about 0.3 s per proxy.)
    """

    def __init__(self, real: Any, effects: Dict[str, Any]):
        self.__dict__["_instance"] = real.__new__(real)
        self.__dict__["_effects"] = effects
        self.__dict__["_methods"] = {}

    def __getattr__(self, name: str) -> Any:
        methods = self.__dict__["_methods"]
        if name not in methods:
            if name.startswith("_"):
                raise AttributeError(name)
            method = mock.create_autospec(getattr(self.__dict__["_instance"], name))
            method.side_effect = self.__dict__["_effects"].get(name)
            methods[name] = method
        return methods[name]

    def methods(self) -> Dict[str, Any]:
        """The methods used so far, by name."""
        return dict(self.__dict__["_methods"])


class FakeCloud:
    """Resources by kind, served through autospec'd openstacksdk proxies."""

    def __init__(self, services=("compute", "network", "image", "identity"), cloud_name="prod"):
        self.store: Dict[str, List[Any]] = {}
        self.services = set(services)
        self.flavor_access: Dict[str, List[str]] = {}
        self.members: Dict[str, List[Member]] = {}
        self.quotas: Dict[str, Dict[str, Any]] = {}
        self._ids = itertools.count(1)
        self._addresses = (f"198.51.100.{n}" for n in itertools.count(100))
        self.conn = mock.NonCallableMock(spec=[*PROXIES, "has_service", "config"])
        self.conn.config.name = cloud_name
        for name, real in PROXIES.items():
            setattr(self.conn, name, SpecProxy(real, self._effects(name)))
        self.conn.has_service = mock.Mock(side_effect=lambda kind: kind in self.services)

    # ------------------------------------------------------------------ setup
    def new_id(self, prefix: str = "id") -> str:
        """A fresh id."""
        return f"{prefix}-{next(self._ids)}"

    def add(self, kind: str, resource: Any) -> Any:
        """Put a resource into the cloud."""
        self.store.setdefault(kind, []).append(resource)
        return resource

    def project(self, name: str, domain_id: str = "default", **attrs) -> Project:
        """Add a project (and its domain)."""
        if not any(d.id == domain_id for d in self.store.get("domains", [])):
            self.add("domains", Domain(id=domain_id, name=domain_id.capitalize()))
        return self.add(
            "projects", Project(id=f"p-{name}", name=name, domain_id=domain_id, **attrs)
        )

    def of(self, kind: str) -> List[Any]:
        """The resources of one kind."""
        return list(self.store.get(kind, []))

    def calls(self, service: str, method: str) -> List[Any]:
        """The calls of one proxy method."""
        return getattr(getattr(self.conn, service), method).call_args_list

    def calls_made(self) -> List[str]:
        """``service.method`` of every proxy call so far, in no particular order."""
        return [
            f"{service}.{name}"
            for service in PROXIES
            for name, method in getattr(self.conn, service).methods().items()
            for _ in method.call_args_list
        ]

    # ------------------------------------------------------------------ wiring
    def _effects(self, service: str) -> Dict[str, Any]:
        effects: Dict[str, Any] = {}
        for method, (kind, resource_type) in LISTINGS.get(service, {}).items():
            effects[method] = self._lister(kind, resource_type)
        for method, kind in GETTERS.get(service, {}).items():
            effects[method] = self._getter(kind)
        for method, (kind, resource_type) in CREATORS.get(service, {}).items():
            effects[method] = self._creator(kind, resource_type)
        effects.update(
            {
                "network": {
                    "update_router": self._updater(Router),
                    "add_interface_to_router": self._add_interface,
                    "delete_ip": self._delete_ip,
                    "get_quota": self._network_quota,
                    "update_quota": self._set_quota("network"),
                },
                "compute": {
                    "find_flavor": self._find_flavor,
                    "get_flavor_access": self._get_flavor_access,
                    "flavor_add_tenant_access": self._add_flavor_access,
                    "flavor_remove_tenant_access": self._remove_flavor_access,
                    "create_flavor_extra_specs": self._add_extra_specs,
                    "get_quota_set": self._quota_set("compute", QuotaSet),
                    "update_quota_set": self._set_quota("compute"),
                },
                "block_storage": {
                    "get_quota_set": self._quota_set("volume", VolumeQuotaSet),
                    "update_quota_set": self._set_quota("volume"),
                },
                "image": {
                    "update_image": self._update_image,
                    "get_member": self._get_member,
                    "add_member": self._add_member,
                    "update_member": self._update_member,
                },
            }.get(service, {})
        )
        return effects

    def _lister(self, kind: str, resource_type: Any):
        mapping = resource_type._query_mapping  # pylint: disable=protected-access
        allowed = set(mapping._mapping) | PROXY_ARGS  # pylint: disable=protected-access

        def listing(*args, **query):
            assert not args, f"{kind} listing takes keyword filters only"
            unknown = set(query) - allowed
            assert not unknown, f"{kind}: filters the SDK does not know: {unknown}"
            filters = {k: v for k, v in query.items() if k not in PROXY_ARGS and v is not None}
            return iter(
                [r for r in self.of(kind) if all(getattr(r, k) == v for k, v in filters.items())]
            )

        return listing

    def _getter(self, kind: str):
        def get(resource_id, *args, **kwargs):
            assert not args and not kwargs
            resource_id = getattr(resource_id, "id", resource_id)
            for resource in self.of(kind):
                if resource.id == resource_id:
                    return resource
            raise exceptions.NotFoundException(f"{kind} {resource_id} not found")

        return get

    def _creator(self, kind: str, resource_type: Any):
        def create(**attrs):
            check_attributes(resource_type, attrs)
            values = {**DEFAULTS.get(resource_type, {}), "id": self.new_id(kind), **attrs}
            if resource_type is FloatingIP and not values.get("floating_ip_address"):
                values["floating_ip_address"] = next(self._addresses)
            return self.add(kind, resource_type(**values))

        return create

    @staticmethod
    def _updater(resource_type: Any):
        def update(resource, **attrs):
            check_attributes(resource_type, attrs)
            for key, value in attrs.items():
                setattr(resource, key, value)
            return resource

        return update

    def _add_interface(self, router, subnet=None, port=None, **_):
        assert port is None and subnet is not None
        return self.add(
            "ports",
            Port(
                id=self.new_id("port"),
                device_id=router.id,
                device_owner="network:router_interface",
                fixed_ips=[{"subnet_id": subnet, "ip_address": "10.0.0.1"}],
            ),
        )

    def _delete_ip(self, floating_ip, ignore_missing=True, if_revision=None):
        assert if_revision is None
        before = len(self.store.get("ips", []))
        self.store["ips"] = [f for f in self.of("ips") if f.id != floating_ip.id]
        if before == len(self.store["ips"]) and not ignore_missing:
            raise exceptions.NotFoundException("no such floating IP")

    def _find_flavor(self, name_or_id, ignore_missing=True, *, get_extra_specs=False, **query):
        assert not query and get_extra_specs in (True, False)
        for flavor in self.of("flavors"):
            if name_or_id in (flavor.id, flavor.name):
                return flavor
        if ignore_missing:
            return None
        raise exceptions.NotFoundException(f"no flavor {name_or_id}")

    def _get_flavor_access(self, flavor):
        if flavor.is_public:
            raise exceptions.NotFoundException("Access list not available for public flavors.")
        return [
            {"flavor_id": flavor.id, "tenant_id": t} for t in self.flavor_access.get(flavor.id, [])
        ]

    def _add_flavor_access(self, flavor, tenant):
        self.flavor_access.setdefault(flavor.id, []).append(tenant)

    def _remove_flavor_access(self, flavor, tenant):
        self.flavor_access[flavor.id].remove(tenant)

    @staticmethod
    def _add_extra_specs(flavor, extra_specs):
        flavor.extra_specs = {**(flavor.extra_specs or {}), **extra_specs}
        return flavor

    def _quota_set(self, service: str, resource_type: Any):
        def get(project, usage=False, **query):
            assert not query
            quota = self.quotas[service][project]
            values = {key: value[0] for key, value in quota.items()}
            if usage:
                values["usage"] = {key: value[1] for key, value in quota.items()}
                values["reservation"] = {key: 0 for key in quota}
            return resource_type(id=project, **values)

        return get

    def _network_quota(self, quota, details=False):
        assert details
        values = self.quotas["network"][quota]
        return QuotaDetails(
            **{k: {"limit": v[0], "used": v[1], "reserved": 0} for k, v in values.items()}
        )

    def _set_quota(self, service: str):
        def update(project, **attrs):
            attrs.pop("force", None)
            attrs.pop("check_limit", None)
            for key, value in attrs.items():
                self.quotas[service][project][key] = (value, self.quotas[service][project][key][1])

        return update

    @staticmethod
    def _update_image(image, **attrs):
        """Like openstacksdk: properties not given are removed (glance refuses ``stores``)."""
        properties = {k: v for k, v in attrs.items() if k not in body_attributes(Image)}
        if properties:
            assert "stores" in properties, "update_image would remove the read-only 'stores'"
            image.properties = properties
        for key, value in attrs.items():
            if key not in properties:
                setattr(image, key, value)
        return image

    def _get_member(self, member, image):
        for found in self.members.get(image.id, []):
            if found.member_id == member:
                return found
        raise exceptions.NotFoundException(f"{member} is not a member")

    def _add_member(self, image, **attrs):
        check_attributes(Member, attrs)
        member = Member(id=attrs["member_id"], status="pending", **attrs)
        self.members.setdefault(image.id, []).append(member)
        return member

    def _update_member(self, member, image, **attrs):
        found = self._get_member(member, image)
        found.status = attrs["status"]
        return found
