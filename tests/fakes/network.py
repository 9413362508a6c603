"""The fake cloud's neutron: what it does besides storing (default security groups, router
interfaces as ports, floating IP addresses, cascading network deletes)."""

# effects take the SDK method's parameters, whether they use them or not
# pylint: disable=unused-argument

import itertools

from openstack.network.v2.network import Network
from openstack.network.v2.port import Port
from openstack.network.v2.router import Router
from openstack.network.v2.security_group import SecurityGroup

from tests.fakes.identity import ADMIN_PROJECT
from tests.fakes.store import Store, id_of, passes

NETWORK_DEFAULTS = {"mtu": 1500, "is_router_external": False, "status": "ACTIVE"}


class FakeNeutron(Store):
    """Neutron's part of the fake cloud."""

    def external_network(self, name: str = "public") -> Network:
        """Add an external network owned by the admin project."""
        return self.add(Network(name=name, project_id=ADMIN_PROJECT, is_router_external=True))

    def wire_network(self) -> None:
        """Serve neutron's side effects."""
        create_network = self.creator("networks", NETWORK_DEFAULTS)
        create_ip = self.creator("ips", {"status": "DOWN", "port_id": None})
        addresses = (f"198.51.100.{n}" for n in itertools.count(100))
        listing = self.lister("security_groups", lambda **query: None)

        def security_groups(**query):
            listing(**query)
            if query.get("project_id"):
                self.ensure_default_group(query["project_id"])
            return iter([g for g in self.of("security_groups") if passes(g, query)])

        def networks_create(**attrs):
            if attrs.get("project_id"):
                self.ensure_default_group(attrs["project_id"])
            return create_network(**attrs)

        def delete_network(network, ignore_missing=True, if_revision=None):
            assert if_revision is None
            for subnet in self.of("subnets"):
                if subnet.network_id == id_of(network):
                    self.remove("subnets", subnet.id)
            self.deleter("networks")(network, ignore_missing)

        def ips_create(**attrs):
            attrs.setdefault("floating_ip_address", next(addresses))
            return create_ip(**attrs)

        def delete_ip(floating_ip, ignore_missing=True, if_revision=None):
            assert if_revision is None
            self.deleter("ips")(floating_ip, ignore_missing)

        self.serve(
            "network",
            security_groups=security_groups,
            create_network=networks_create,
            delete_network=delete_network,
            create_ip=ips_create,
            delete_ip=delete_ip,
            add_interface_to_router=self._add_interface,
            remove_interface_from_router=self._remove_interface,
            find_network=self._find_network,
        )
        self.serve_shaped("network", update_router=self.updater(Router))

    def ensure_default_group(self, project_id: str) -> None:
        """Neutron makes a project's default security group on its first network request."""
        if not any(
            g.project_id == project_id and g.name == "default" for g in self.of("security_groups")
        ):
            self.add(SecurityGroup(name="default", project_id=project_id))

    def _router(self, router) -> Router:
        return next(r for r in self.of("routers") if r.id == id_of(router))

    def _add_interface(self, router, subnet=None, port=None, *, advertise_host=False):
        assert port is None and subnet is not None and not advertise_host
        project_id = self._router(router).project_id
        if project_id:
            self.ensure_default_group(project_id)
        made = self.add(
            Port(
                device_id=id_of(router),
                device_owner="network:router_interface",
                project_id=project_id,
                fixed_ips=[{"subnet_id": subnet, "ip_address": "10.0.0.1"}],
            )
        )
        return {"port_id": made.id, "subnet_id": subnet, "id": id_of(router)}

    def _remove_interface(self, router, subnet=None, port=None):
        for item in self.of("ports"):
            if item.device_id == id_of(router) and (
                item.id == port or any(ip.get("subnet_id") == subnet for ip in item.fixed_ips)
            ):
                self.remove("ports", item.id)
        return {}

    def _find_network(self, name_or_id, ignore_missing=True, **query):
        match = [
            n
            for n in self.of("networks")
            if name_or_id in (n.id, n.name) and all(getattr(n, k) == v for k, v in query.items())
        ]
        return match[0] if match else None
