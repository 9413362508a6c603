"""A fake openstacksdk connection that checks every call against the real proxy signatures.

Each fake proxy method binds its arguments to the real openstacksdk method's signature and
checks list filters against the resource's real ``_query_mapping``, so a call the real SDK
would reject fails here too. Calls are recorded for assertions.
"""

from __future__ import annotations

import copy
import inspect
import re
import threading
from types import SimpleNamespace
from typing import Any, Dict, List

from openstack import exceptions
from openstack.compute.v2 import _proxy as compute_proxy
from openstack.compute.v2.aggregate import Aggregate
from openstack.compute.v2.flavor import Flavor
from openstack.compute.v2.hypervisor import Hypervisor
from openstack.compute.v2.migration import Migration
from openstack.compute.v2.server import Server
from openstack.compute.v2.service import Service
from openstack.identity.v3 import _proxy as identity_proxy
from openstack.identity.v3.domain import Domain
from openstack.identity.v3.project import Project
from openstack.identity.v3.user import User
from openstack.image.v2 import _proxy as image_proxy
from openstack.image.v2.image import Image
from openstack.network.v2 import _proxy as network_proxy
from openstack.network.v2.floating_ip import FloatingIP
from openstack.network.v2.network import Network
from openstack.network.v2.port import Port
from openstack.network.v2.security_group import SecurityGroup
from openstack.network.v2.security_group_rule import SecurityGroupRule

# query parameters the proxies take besides the resource's _query_mapping
PROXY_ARGS = {"details", "all_projects", "limit", "marker"}


# list filters whose meaning differs from "attribute equals value"
SERVER_FILTER_ATTRIBUTES = {
    "node": "hypervisor_hostname",
    "image": None,
    "changes_since": None,
    "changes_before": None,
}


# keystone's inexact name filters (case-sensitive here, as on a case-sensitive database)
KEYSTONE_NAME_FILTERS = {
    "name__contains": lambda name, value: value in name,
    "name__startswith": str.startswith,
    "name__endswith": str.endswith,
}


def _passes(item: Any, query: Dict[str, Any]) -> bool:
    """Apply the simple equality filters the real API would (regex for server names,
    keystone's inexact name filters)."""
    for key, value in query.items():
        if key in PROXY_ARGS or value is None:
            continue
        if key in KEYSTONE_NAME_FILTERS:
            if not KEYSTONE_NAME_FILTERS[key](item.name or "", value):
                return False
            continue
        attribute = SERVER_FILTER_ATTRIBUTES.get(key, key)
        if attribute is None or not hasattr(item, attribute):
            continue
        actual = getattr(item, attribute)
        if key == "name" and isinstance(item, Server):
            if not re.search(value, actual or ""):
                return False
        elif actual != value:
            return False
    return True


class FakeProxy:
    """Serves resources from lists; records and checks calls."""

    real: Any
    listings: Dict[str, Any] = {}
    getters: Dict[str, Any] = {}

    def __init__(self, calls: List[tuple], data: Dict[str, list]):
        self.calls = calls
        self.data = data

    def _check(self, method: str, args: tuple, kwargs: Dict[str, Any]) -> None:
        inspect.signature(getattr(self.real, method)).bind(None, *args, **kwargs)
        self.calls.append((method, args, kwargs))

    # raw listings the query library sends: path -> the SDK listing method it stands for
    raw_paths: Dict[str, str] = {}

    def get(self, url, params=None, microversion=None):
        """A raw listing (``GET /servers/detail``, ``/projects``, ``/users``) as the query
        library pages it: recorded as the SDK listing with the SDK's parameter names,
        answered with the API's JSON; its microversion goes to ``microversions``."""
        assert url in self.raw_paths, url
        method = self.raw_paths[url]
        resource_type = self.listings[method]
        mapping = resource_type._query_mapping._mapping  # pylint: disable=protected-access
        client_names = {
            (server["name"] if isinstance(server, dict) else server): client
            for client, server in mapping.items()
        }
        query = {client_names.get(key, key): value for key, value in (params or {}).items()}
        if resource_type is Server:
            query.setdefault("all_projects", False)
            query = {"details": True, **query}
        self._check(method, (), query)
        self.calls.append((f"{method}.microversion", (microversion,), {}))
        inexact = set(KEYSTONE_NAME_FILTERS) if resource_type in (User, Project) else set()
        unknown = set(query) - set(mapping) - PROXY_ARGS - inexact
        assert not unknown, f"{method} listing got filters the API does not know: {unknown}"
        items = [
            item.to_dict(original_names=True, computed=False)
            for item in self.data.get(method, [])
            if _passes(item, query)
        ]
        return FakeResponse(200, {resource_type.resources_key: items})

    def __getattr__(self, method: str):
        if method in self.listings:
            resource_type = self.listings[method]

            def listing(*args, **query):
                self._check(method, args, query)
                mapping = resource_type._query_mapping  # pylint: disable=protected-access
                allowed = set(mapping._mapping) | PROXY_ARGS  # pylint: disable=protected-access
                unknown = set(query) - allowed
                assert not unknown, f"{method}() got filters the SDK does not know: {unknown}"
                return iter(item for item in self.data.get(method, []) if _passes(item, query))

            return listing
        if method in self.getters:

            def getter(resource_id, *args, **kwargs):
                self._check(method, (resource_id, *args), kwargs)
                for item in self.data.get(self.getters[method], []):
                    if item.id == resource_id:
                        return item
                raise exceptions.NotFoundException(f"{resource_id} not found")

            return getter
        raise AttributeError(method)


class FakeCompute(FakeProxy):
    """compute proxy."""

    real = compute_proxy.Proxy
    default_microversion = "2.93"  # what the SDK negotiates with a Zed nova
    raw_paths = {"/servers/detail": "servers"}

    def disable_service(self, service, host=None, binary=None, disabled_reason=None):
        """Disable a compute service (recorded, and applied to the fake)."""
        self._check(
            "disable_service",
            (service,),
            {"host": host, "binary": binary, "disabled_reason": disabled_reason},
        )
        service.status, service.disabled_reason = "disabled", disabled_reason
        return service

    def enable_service(self, service, host=None, binary=None):
        """Enable a compute service (recorded, and applied to the fake)."""
        self._check("enable_service", (service,), {"host": host, "binary": binary})
        service.status, service.disabled_reason = "enabled", None
        return service

    def server_actions(self, server, **query):
        """Instance actions of one server (``server_actions`` by server id), newest first."""
        self._check("server_actions", (server,), query)
        return iter(self.data.get("server_actions", {}).get(server, []))

    def stop_server(self, server):
        """Stop a server: ``stop_results`` by server id says what happens (a status to go to,
        or an exception to raise); the default is SHUTOFF."""
        self._check("stop_server", (server,), {})
        outcome = self.data.get("stop_results", {}).get(server.id, "SHUTOFF")
        if isinstance(outcome, Exception):
            raise outcome
        server.status = outcome

    def get_flavor_access(self, flavor):
        """Projects with access to a private flavor."""
        self._check("get_flavor_access", (flavor,), {})
        return list(self.data.get("flavor_access", {}).get(flavor.id, []))

    listings = {
        "servers": Server,
        "flavors": Flavor,
        "hypervisors": Hypervisor,
        "aggregates": Aggregate,
        "services": Service,
        "migrations": Migration,
    }
    getters = {
        "get_server": "servers",
        "get_flavor": "flavors",
        "get_hypervisor": "hypervisors",
        "get_aggregate": "aggregates",
    }


class FakeIdentity(FakeProxy):
    """identity proxy."""

    real = identity_proxy.Proxy
    raw_paths = {"/projects": "projects", "/users": "users"}
    listings = {"users": User, "projects": Project, "domains": Domain}
    getters = {"get_user": "users", "get_project": "projects"}

    def find_project(self, name_or_id, ignore_missing=True, **query):
        """Keystone-like find by id or name."""
        self._check("find_project", (name_or_id,), {"ignore_missing": ignore_missing, **query})
        for project in self.data.get("projects", []):
            if name_or_id in (project.id, project.name):
                return project
        return _missing(name_or_id, ignore_missing)

    def find_domain(self, name_or_id, ignore_missing=True):
        """Keystone-like find by id or name."""
        self._check("find_domain", (name_or_id,), {"ignore_missing": ignore_missing})
        for domain in self.data.get("domains", []):
            if name_or_id in (domain.id, domain.name):
                return domain
        return _missing(name_or_id, ignore_missing)


def _missing(name_or_id, ignore_missing):
    """What find_* returns for nothing found."""
    if ignore_missing:
        return None
    raise exceptions.NotFoundException(f"No resource found for {name_or_id}")


class FakeImage(FakeProxy):
    """image proxy."""

    real = image_proxy.Proxy
    listings = {"images": Image}

    def members(self, image, **query):
        """Members of a shared image."""
        self._check("members", (image,), query)
        return iter(self.data.get("image_members", {}).get(image.id, []))

    getters = {"get_image": "images"}


class FakeNetwork(FakeProxy):
    """network proxy."""

    real = network_proxy.Proxy
    listings = {
        "ips": FloatingIP,
        "networks": Network,
        "ports": Port,
        "security_groups": SecurityGroup,
        "security_group_rules": SecurityGroupRule,
    }
    getters = {
        "get_ip": "ips",
        "get_network": "networks",
        "get_port": "ports",
        "get_security_group": "security_groups",
    }


class FakeResponse:
    """Enough of requests.Response for placement reads."""

    def __init__(self, status_code: int, body: Dict[str, Any]):
        self.status_code = status_code
        self.body = body

    def json(self):
        """The body."""
        return self.body

    def raise_for_status(self):
        """Raise on 4xx/5xx like requests."""
        if self.status_code >= 400:
            raise exceptions.HttpException(f"HTTP {self.status_code}")


class FakePlacement:
    """placement: GET by URL from a dict of URL -> body."""

    def __init__(self, calls: List[tuple], pages: Dict[str, Dict[str, Any]]):
        self.calls = calls
        self.pages = pages

    def get(self, url):
        """One GET."""
        self.calls.append(("placement.get", (url,), {}))
        if url not in self.pages:
            return FakeResponse(404, {})
        return FakeResponse(200, self.pages[url])


class FakeConnection:
    """A connection over in-memory resources."""

    current_project_id = "p-admin"

    def __init__(self, cloud_name: str = "prod", **data: list):
        self.config = SimpleNamespace(name=cloud_name)
        self.derived_in: List[int] = []  # the thread of each global_request(), shared by all
        self.global_request_id = None
        self.calls: List[tuple] = []
        self.compute = FakeCompute(self.calls, data)
        self.identity = FakeIdentity(self.calls, data)
        self.image = FakeImage(self.calls, data)
        self.network = FakeNetwork(self.calls, data)
        self.placement = FakePlacement(self.calls, data.get("placement", {}))

    def global_request(self, global_request_id):
        """A connection over the same session (here: the same resources and call log)."""
        self.derived_in.append(threading.get_ident())
        derived = copy.copy(self)
        derived.global_request_id = global_request_id
        return derived

    def listing_calls(self, method: str) -> List[Dict[str, Any]]:
        """The keyword arguments of every call to one listing method."""
        return [kwargs for name, _, kwargs in self.calls if name == method]

    def microversions(self, method: str) -> List[Any]:
        """The microversion of every raw listing of one kind."""
        return [args[0] for name, args, _ in self.calls if name == f"{method}.microversion"]


def two_hypervisors(disabled_reason: str) -> List[Hypervisor]:
    """hv1 up and enabled; hv2 down and disabled for ``disabled_reason``."""
    return [
        Hypervisor(id="rp-1", name="hv1", state="up", status="enabled"),
        Hypervisor(
            id="rp-2",
            name="hv2",
            state="down",
            status="disabled",
            service_details={"host": "hv2", "disabled_reason": disabled_reason},
        ),
    ]
