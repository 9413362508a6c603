"""A cloud that boots test servers: the query fake plus boots, deletes, find_network and
placement traits with generations; calls checked against the real openstacksdk proxies."""

import itertools

from openstack import exceptions
from openstack.compute.v2.server import Server
from openstack.placement.v1._proxy import Proxy as PlacementProxy
from openstack.placement.v1.resource_provider_trait import ResourceProviderTrait

from tests.fakes.query_cloud import FakeCompute, FakeConnection, FakeNetwork

TRAIT = "COMPUTE_STATUS_DISABLED"
SERVER_IDS = itertools.count()


class FakePlacement:
    """Resource provider traits with generations, through the SDK proxy's trait methods;
    ``conflicts`` updates answer 409 first."""

    real = PlacementProxy

    def __init__(self, traits, conflicts=0):
        self.traits = traits
        self.generation = 1
        self.conflicts = conflicts
        self.puts = []

    def get_resource_provider_trait(self, resource_provider):
        """GET the traits of a provider (an id here)."""
        return ResourceProviderTrait(
            resource_provider_id=resource_provider,
            traits=sorted(self.traits[resource_provider]),
            resource_provider_generation=self.generation,
        )

    def set_resource_provider_trait(self, resource_provider_trait, **attrs):
        """PUT the traits of a provider (generation checked)."""
        assert set(attrs) == {"traits"}
        provider = resource_provider_trait.resource_provider_id
        self.puts.append((provider, TRAIT in attrs["traits"]))
        if self.conflicts:
            self.conflicts -= 1
            self.generation += 1
            raise exceptions.ConflictException("generation conflict")
        assert resource_provider_trait.resource_provider_generation == self.generation
        self.traits[provider] = set(attrs["traits"])
        self.generation += 1
        return resource_provider_trait


class BootCompute(FakeCompute):
    """The fake compute proxy plus boots and deletes: ``boot_results`` maps a flavor name to
    the status its servers reach (default ACTIVE) or an exception create_server raises."""

    def flavors(self, details=True, get_extra_specs=False, **query):
        """Flavors (all of them for is_public=None)."""
        self._check("flavors", (details, get_extra_specs), query)
        assert set(query) <= {"is_public"}
        return iter(self.data["flavors"])

    def create_server(self, **attrs):
        """Boot: the server lands on the forced host, remembering if the host could take it."""
        self._check("create_server", (), attrs)
        outcome = self.data.get("boot_results", {}).get(attrs["flavor_id"], "ACTIVE")
        if isinstance(outcome, Exception):
            raise outcome
        host = attrs["availability_zone"].split(":")[1]
        placement = self.data["placement"]
        blocked = TRAIT in placement.traits[f"rp-{host}"]
        created = Server(
            id=f"srv-{next(SERVER_IDS)}",
            name=attrs["name"],
            status="ERROR" if blocked else outcome,
            compute_host=host,
            fault={"message": "No valid host was found."} if blocked else None,
        )
        self.data["servers"].append(created)
        self.data["boots"].append(attrs)
        return created

    def delete_server(self, server, ignore_missing=True, force=False):
        """Delete (recorded)."""
        self._check("delete_server", (server,), {"ignore_missing": ignore_missing, "force": force})
        if self.data.get("delete_fails"):
            raise exceptions.HttpException("delete refused")
        self.data["servers"].remove(server)

    def wait_for_delete(self, res, interval=2, wait=120, callback=None):
        """Gone already."""
        self._check("wait_for_delete", (res,), {"interval": interval, "wait": wait})
        assert callback is None
        return res


class NetworkWithFind(FakeNetwork):
    """The fake network proxy plus find_network."""

    def find_network(self, name_or_id, ignore_missing=True, **query):
        """By name or id."""
        self._check("find_network", (name_or_id,), {"ignore_missing": ignore_missing, **query})
        match = [n for n in self.data["networks"] if name_or_id in (n.id, n.name)]
        return match[0] if match else None


class BootingConnection(FakeConnection):
    """A FakeConnection with boots, networks and trait-keeping placement."""

    def __init__(self, **data):
        super().__init__(**data)
        self.compute = BootCompute(self.calls, self.compute.data)
        self.network = NetworkWithFind(self.calls, self.compute.data)
        self.placement = data["placement"]
