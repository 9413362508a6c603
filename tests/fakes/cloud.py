"""THE fake cloud of the unit tests: one store of resources served through autospec'd
openstacksdk proxies, passed to the apis and workflows as their ``conn``.

A call with arguments the real SDK method does not take fails; list filters must be in the
resource's real query mapping (or be named parameters of the real listing) and
create/update attributes must be real body attributes of the resource class::

    cloud = FakeCloud(servers=[...], users=[...])      # or cloud.add(Server(...))
    run(cloud.conn, ...)                               # the cloud is its own connection
    cloud.calls("compute", "stop_server")              # calls as made (mock.call objects)
    cloud.kwargs_of("servers")                         # the logged keyword arguments
"""

import copy
import threading
from types import SimpleNamespace
from typing import Any, Dict, List


from tests.fakes.compute import FakeCompute
from tests.fakes.identity import ADMIN_PROJECT, FakeKeystone
from tests.fakes.network import FakeNeutron
from tests.fakes.quotas import FakeQuotas
from tests.fakes.raw_api import FakeRawApi
from tests.fakes.store import KINDS, PROXIES, SpecProxy

CREATES = {
    "identity": {"create_project": "projects"},
    "compute": {"create_flavor": "flavors"},
    "network": {
        "create_subnet": "subnets",
        "create_router": "routers",
        "create_security_group_rule": "security_group_rules",
        "create_rbac_policy": "rbac_policies",
    },
}
FLAVOR_DEFAULTS = {"extra_specs": {}, "swap": 0, "ephemeral": 0}


class FakeCloud(
    FakeKeystone, FakeNeutron, FakeCompute, FakeQuotas, FakeRawApi
):  # pylint: disable=too-many-ancestors,too-many-instance-attributes
    """In-memory keystone, nova, glance, neutron, cinder and placement.

    ``catalog`` is what ``has_service`` finds; ``data`` fills the store by kind
    (``servers=[...]``, ``flavor_access={...}``, ``placement={url: body}``).
    """

    def __init__(
        self,
        catalog=("compute", "network", "image", "identity"),
        cloud_name: str = "prod",
        **data: Any,
    ):
        super().__init__(**data)
        self.catalog = set(catalog)
        self.grants: set = set()
        self.group_members: set = set()
        self.quotas = {}
        self.config = SimpleNamespace(name=cloud_name)
        self.current_project_id = ADMIN_PROJECT
        self.global_request_id = None
        self.derived_in: List[int] = []
        self.closed = False
        self.identity = SpecProxy("identity", PROXIES["identity"], self)
        self.compute = SpecProxy("compute", PROXIES["compute"], self)
        self.network = SpecProxy("network", PROXIES["network"], self)
        self.image = SpecProxy("image", PROXIES["image"], self)
        self.block_storage = SpecProxy("block_storage", PROXIES["block_storage"], self)
        self.placement = SpecProxy("placement", PROXIES["placement"], self)
        self._wire()

    # ------------------------------------------------------------------ the connection
    @property
    def conn(self) -> "FakeCloud":
        """The connection the code under test is given: the cloud itself."""
        return self

    def has_service(self, service_type: str, version=None) -> bool:
        """Whether the catalog has the service."""
        assert version is None or isinstance(version, str)
        return service_type in self.catalog

    def global_request(self, global_request_id):
        """A connection over the same session (here: the same store and logs)."""
        self.derived_in.append(threading.get_ident())
        derived = copy.copy(self)
        derived.global_request_id = global_request_id
        return derived

    def close(self) -> None:
        """Close the connection."""
        self.closed = True

    # ------------------------------------------------------------------ inspection
    def calls(self, service: str, method: str) -> List[Any]:
        """The calls of one proxy method, as made."""
        return getattr(getattr(self, service), method).call_args_list

    def calls_made(self) -> List[str]:
        """``service.method`` of every proxy call so far, in no particular order."""
        return [
            f"{service}.{name}"
            for service in PROXIES
            for name, method in getattr(self, service).methods().items()
            for _ in method.call_args_list
        ]

    def resources(self) -> Dict[str, List[Any]]:
        """Every kind the cloud holds resources of."""
        return {kind: self.of(kind) for kind in KINDS if self.of(kind)}

    # ------------------------------------------------------------------ wiring
    def _wire(self) -> None:
        for kind, (service, _, getter, deleter) in KINDS.items():
            real = getattr(PROXIES[service], kind)
            self.serve(service, **{kind: self.lister(kind, real)})
            if getter:
                self.serve_shaped(service, **{getter: self.getter(kind)})
            if deleter:
                self.serve_shaped(service, **{deleter: self.deleter(kind)})
        for service, creates in CREATES.items():
            for method, kind in creates.items():
                defaults = FLAVOR_DEFAULTS if kind == "flavors" else {}
                self.serve(service, **{method: self.creator(kind, defaults)})
        self.wire_identity()
        self.wire_network()
        self.wire_compute()
        self.wire_quotas()
        self.wire_raw_api()
