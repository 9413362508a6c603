"""What a project owns across nova, cinder, neutron and glance, and how to delete it.

Workload (servers, volumes, floating IPs, ports not owned by a network service, images) blocks
a project deletion unless forced; network scaffolding (router interfaces, routers, networks,
security groups, RBAC shares to the project) is always removed with the project so nothing is
left orphaned. Security groups are filtered client-side: listing them with a project filter
makes neutron create the project's default group, and a dry run must change nothing.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Any, Callable, Dict, Iterable, List, Optional

BLOCK_STORAGE = "block-storage"
INFRA_PORT_OWNER = "network:"


class OwnedKind(enum.Enum):
    """Resource kinds in deletion order: ``(label, singular, blocks deletion without force)``."""

    SERVERS = ("servers", "server", True)
    VOLUMES = ("volumes", "volume", True)
    FLOATING_IPS = ("floating_ips", "floating IP", True)
    ROUTERS = ("routers", "router", False)
    PORTS = ("ports", "port", True)
    NETWORKS = ("networks", "network", False)
    SECURITY_GROUPS = ("security_groups", "security group", False)
    RBAC_POLICIES = ("rbac_policies", "RBAC policy", False)
    IMAGES = ("images", "image", True)

    def __init__(self, label: str, singular: str, blocking: bool):
        self.label = label
        self.singular = singular
        self.blocking = blocking


@dataclasses.dataclass(frozen=True)
class OwnedResource:
    """One resource of the project."""

    id: str
    name: str


@dataclasses.dataclass
class Inventory:
    """The project's resources by kind, and notes on what could not be checked."""

    resources: Dict[OwnedKind, List[OwnedResource]]
    notes: List[str]

    def blocking(self) -> Dict[OwnedKind, List[OwnedResource]]:
        """The kinds that refuse a deletion without force, with their resources."""
        return {kind: items for kind, items in self.resources.items() if kind.blocking and items}

    def as_report(self) -> Dict[str, List[OwnedResource]]:
        """Kind label -> resources, only non-empty kinds."""
        return {kind.label: items for kind, items in self.resources.items() if items}


def _ref(resource: Any, kind: Optional[OwnedKind] = None) -> OwnedResource:
    if kind is OwnedKind.RBAC_POLICIES:
        return OwnedResource(id=resource.id, name=f"share of network {resource.object_id}")
    name = getattr(resource, "name", None) or getattr(resource, "floating_ip_address", None)
    return OwnedResource(id=resource.id, name=name or "")


def _is_workload_port(port: Any) -> bool:
    return not (port.device_owner or "").startswith(INFRA_PORT_OWNER)


NETWORK_KINDS = (
    OwnedKind.ROUTERS,
    OwnedKind.PORTS,
    OwnedKind.NETWORKS,
    OwnedKind.SECURITY_GROUPS,
    OwnedKind.RBAC_POLICIES,
)


def inventory(
    conn: Any, project_id: str, kinds: Iterable[OwnedKind] = tuple(OwnedKind)
) -> Inventory:
    """Everything of those kinds the project owns (read only)."""
    net = conn.network
    notes = []
    listers: Dict[OwnedKind, Callable[[], Iterable[Any]]] = {
        OwnedKind.SERVERS: lambda: conn.compute.servers(all_projects=True, project_id=project_id),
        OwnedKind.VOLUMES: lambda: conn.block_storage.volumes(
            all_projects=True, project_id=project_id
        ),
        OwnedKind.FLOATING_IPS: lambda: net.ips(project_id=project_id),
        OwnedKind.ROUTERS: lambda: net.routers(project_id=project_id),
        OwnedKind.PORTS: lambda: (
            p for p in net.ports(project_id=project_id) if _is_workload_port(p)
        ),
        OwnedKind.NETWORKS: lambda: net.networks(project_id=project_id),
        OwnedKind.SECURITY_GROUPS: lambda: (
            g
            for g in net.security_groups()
            if project_id in (g.project_id, getattr(g, "tenant_id", None))
        ),
        OwnedKind.RBAC_POLICIES: lambda: (
            p for p in net.rbac_policies(target_project_id=project_id) if p.project_id != project_id
        ),
        OwnedKind.IMAGES: lambda: conn.image.images(owner=project_id),
    }
    resources: Dict[OwnedKind, List[OwnedResource]] = {}
    for kind in kinds:
        if kind is OwnedKind.VOLUMES and not conn.has_service(BLOCK_STORAGE):
            notes.append("volumes not checked: the cloud has no block-storage service")
            continue
        resources[kind] = [_ref(item, kind) for item in listers[kind]()]
    return Inventory(resources=resources, notes=notes)


def delete_network_resources(conn: Any, project_id: str) -> List[str]:
    """Delete the project's routers, ports, networks, security groups and RBAC shares.

    What project.create rolls back with: every neutron resource of a project it has just
    created is its own. Returns what was deleted, e.g. ``router web-router``.
    """
    owned = inventory(conn, project_id, NETWORK_KINDS)
    deleter = Deleter(conn, project_id, wait_timeout=0)
    deleted = []
    for kind in NETWORK_KINDS:
        items = deleter.delete(kind, owned.resources[kind])
        deleted += [f"{kind.singular} {item.name or item.id}" for item in items]
    return deleted


class Deleter:
    """Deletes inventoried resources kind by kind, waiting where the API is asynchronous."""

    def __init__(self, conn: Any, project_id: str, wait_timeout: int):
        self.conn = conn
        self.project_id = project_id
        self.wait_timeout = wait_timeout

    def delete(self, kind: OwnedKind, items: List[OwnedResource]) -> List[OwnedResource]:
        """Delete the resources of one kind; what was deleted (ports are listed afresh)."""
        handlers: Dict[OwnedKind, Callable[[List[OwnedResource]], List[OwnedResource]]] = {
            OwnedKind.SERVERS: self._servers,
            OwnedKind.VOLUMES: self._volumes,
            OwnedKind.ROUTERS: self._routers,
            OwnedKind.PORTS: self._ports,
            OwnedKind.IMAGES: self._images,
        }
        if kind in handlers:
            return handlers[kind](items)
        net = self.conn.network
        simple = {
            OwnedKind.FLOATING_IPS: net.delete_ip,
            OwnedKind.NETWORKS: net.delete_network,
            OwnedKind.SECURITY_GROUPS: net.delete_security_group,
            OwnedKind.RBAC_POLICIES: net.delete_rbac_policy,
        }[kind]
        for item in items:
            simple(item.id, ignore_missing=True)
        return items

    def _servers(self, items: List[OwnedResource]) -> List[OwnedResource]:
        compute = self.conn.compute
        servers = [compute.get_server(item.id) for item in items]
        for server in servers:
            compute.delete_server(server, ignore_missing=True)
        for server in servers:
            compute.wait_for_delete(server, interval=1, wait=self.wait_timeout)
        return items

    def _volumes(self, items: List[OwnedResource]) -> List[OwnedResource]:
        storage = self.conn.block_storage
        volumes = [storage.get_volume(item.id) for item in items]
        for volume in volumes:
            storage.delete_volume(volume, ignore_missing=True, force=True)
        for volume in volumes:
            storage.wait_for_delete(volume, interval=1, wait=self.wait_timeout)
        return items

    def _routers(self, items: List[OwnedResource]) -> List[OwnedResource]:
        net = self.conn.network
        for item in items:
            for port in net.ports(device_id=item.id, device_owner="network:router_interface"):
                net.remove_interface_from_router(item.id, port=port.id)
            net.delete_router(item.id, ignore_missing=True)
        return items

    def _ports(self, _items: List[OwnedResource]) -> List[OwnedResource]:
        net = self.conn.network
        remaining = [_ref(p) for p in net.ports(project_id=self.project_id)]
        for port in remaining:
            net.delete_port(port.id, ignore_missing=True)
        return remaining

    def _images(self, items: List[OwnedResource]) -> List[OwnedResource]:
        image = self.conn.image
        for item in items:
            found = image.get_image(item.id)
            if found.is_protected:
                image.update_image(found, is_protected=False)
            image.delete_image(found, ignore_missing=True)
        return items


def reset_quotas(conn: Any, project_id: str) -> None:
    """Drop the project's quota overrides so that none outlive it."""
    conn.compute.revert_quota_set(project_id)
    conn.network.delete_quota(project_id, ignore_missing=True)
    if conn.has_service(BLOCK_STORAGE):
        conn.block_storage.revert_quota_set(project_id)
