"""The fake cloud's session-level answers: the raw nova/keystone listings the query library
sends (``GET /servers/detail``, ``/projects``, ``/users``) and placement's GETs."""

import inspect
from typing import Any, Dict, List

from openstack import exceptions
from openstack.compute.v2 import _proxy as compute_proxy
from openstack.compute.v2.hypervisor import Hypervisor
from openstack.compute.v2.server import Server
from openstack.identity.v3 import _proxy as identity_proxy
from openstack.identity.v3.project import Project
from openstack.identity.v3.user import User

from tests.fakes.store import KINDS, PROXY_ARGS, Store, passes, query_keys

# raw path -> (real proxy, the listing it stands for)
RAW_PATHS = {
    "compute": {"/servers/detail": (compute_proxy.Proxy, "servers")},
    "identity": {
        "/projects": (identity_proxy.Proxy, "projects"),
        "/users": (identity_proxy.Proxy, "users"),
    },
}

# keystone's inexact name filters (case-sensitive here, as on a case-sensitive database)
KEYSTONE_NAME_FILTERS = {
    "name__contains": lambda name, value: value in name,
    "name__startswith": str.startswith,
    "name__endswith": str.endswith,
}


def logs_itself(effect):
    """Mark an effect that writes its own log entries."""
    effect.logs_itself = True
    return effect


class FakeResponse:
    """Enough of requests.Response for the raw reads."""

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


class FakeRawApi(Store):
    """Raw GETs, logged as the SDK listing they stand for (with the SDK's parameter names)
    and ``LISTING.microversion``; placement GETs answer from ``store["placement"]`` (URL ->
    body) and are logged as ``placement.get``."""

    def microversions(self, method: str) -> List[Any]:
        """The microversion of every raw listing of one kind."""
        return [args[0] for name, args, _ in self.log if name == f"{method}.microversion"]

    def wire_raw_api(self) -> None:
        """Serve the session GETs."""
        for service, paths in RAW_PATHS.items():
            self.serve(service, get=self._raw_get(paths))

        @logs_itself
        def placement_get(url):
            self.log.append(("placement.get", (url,), {}))
            pages = self.store.get("placement", {})
            return FakeResponse(200, pages[url]) if url in pages else FakeResponse(404, {})

        self.serve("placement", get=placement_get)

    def _raw_get(self, paths):
        @logs_itself
        def get(url, params=None, microversion=None):
            assert url in paths, url
            real, method = paths[url]
            resource_type = KINDS[method][1]
            mapping = resource_type._query_mapping._mapping  # pylint: disable=protected-access
            client_names = {
                (server["name"] if isinstance(server, dict) else server): client
                for client, server in mapping.items()
            }
            query = {client_names.get(key, key): value for key, value in (params or {}).items()}
            if resource_type is Server:
                query.setdefault("all_projects", False)
                query = {"details": True, **query}
            inspect.signature(getattr(real, method)).bind(None, **query)
            self.log.append((method, (), query))
            self.log.append((f"{method}.microversion", (microversion,), {}))
            inexact = set(KEYSTONE_NAME_FILTERS) if resource_type in (User, Project) else set()
            unknown = set(query) - query_keys(resource_type) - PROXY_ARGS - inexact
            assert not unknown, f"{method} listing got filters the API does not know: {unknown}"
            items = [
                item.to_dict(original_names=True, computed=False)
                for item in self.of(method)
                if passes(item, query) and _passes_names(item, query)
            ]
            return FakeResponse(200, {resource_type.resources_key: items})

        return get


def _passes_names(item: Any, query: Dict[str, Any]) -> bool:
    return all(
        KEYSTONE_NAME_FILTERS[key](item.name or "", value)
        for key, value in query.items()
        if key in KEYSTONE_NAME_FILTERS and value is not None
    )


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
