"""A fake cloud that boots test servers: boots and deletes on its compute proxy, and
placement traits with generations."""

# effects take the SDK method's parameters, whether they use them or not
# pylint: disable=unused-argument

import itertools
from typing import Dict, Set

from openstack import exceptions
from openstack.compute.v2.server import Server
from openstack.placement.v1.resource_provider_trait import ResourceProviderTrait

from tests.fakes.cloud import FakeCloud

TRAIT = "COMPUTE_STATUS_DISABLED"
SERVER_IDS = itertools.count()


class Traits:
    """Resource provider traits (``by_provider``) with generations, through the placement
    proxy's trait methods; ``conflicts`` updates answer 409 first; ``puts`` records
    ``(provider, whether the trait was set)``."""

    def __init__(self, cloud: FakeCloud, by_provider: Dict[str, Set[str]], conflicts: int = 0):
        self.by_provider = by_provider
        self.generation = 1
        self.conflicts = conflicts
        self.puts = []
        cloud.serve(
            "placement",
            get_resource_provider_trait=self.get_resource_provider_trait,
            set_resource_provider_trait=self.set_resource_provider_trait,
        )

    def get_resource_provider_trait(self, resource_provider):
        """GET the traits of a provider (an id here)."""
        return ResourceProviderTrait(
            resource_provider_id=resource_provider,
            traits=sorted(self.by_provider[resource_provider]),
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
        self.by_provider[provider] = set(attrs["traits"])
        self.generation += 1
        return resource_provider_trait


class Boots:
    """Boots and deletes: ``store["boot_results"]`` maps a flavor id to the status its
    servers reach (default ACTIVE) or an exception create_server raises; every boot's
    attributes go to ``store["boots"]``; ``store["delete_fails"]`` makes deletes fail."""

    def __init__(self, cloud: FakeCloud):
        self.cloud = cloud
        cloud.serve("compute", create_server=self.create_server, delete_server=self.delete_server)

    def create_server(self, **attrs):
        """Boot: the server lands on the forced host, remembering if the host could take it."""
        store = self.cloud.store
        outcome = store.get("boot_results", {}).get(attrs["flavor_id"], "ACTIVE")
        if isinstance(outcome, Exception):
            raise outcome
        host = attrs["availability_zone"].split(":")[1]
        blocked = TRAIT in self.cloud.traits.by_provider[f"rp-{host}"]
        created = Server(
            id=f"srv-{next(SERVER_IDS)}",
            name=attrs["name"],
            status="ERROR" if blocked else outcome,
            compute_host=host,
            fault={"message": "No valid host was found."} if blocked else None,
        )
        store.setdefault("servers", []).append(created)
        store.setdefault("boots", []).append(attrs)
        return created

    def delete_server(self, server, ignore_missing=True, force=False):
        """Delete (or fail to)."""
        if self.cloud.store.get("delete_fails"):
            raise exceptions.HttpException("delete refused")
        self.cloud.store["servers"].remove(server)


def booting_cloud(traits: Dict[str, Set[str]], **data) -> FakeCloud:
    """A fake cloud that boots (``cloud.boots``) and keeps placement traits
    (``cloud.traits``)."""
    cloud = FakeCloud(**data)
    cloud.traits = Traits(cloud, traits)
    cloud.boots = Boots(cloud)
    return cloud
