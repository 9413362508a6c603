"""The optional parts of a new project: quotas, network, router, RBAC shares, security rules.

Each step creates one thing and registers how to undo it, so project.create can roll a
half-built project back.
"""

from __future__ import annotations

import dataclasses
import difflib
import enum
import ipaddress
import re
from typing import Any, Callable, Dict, List, Mapping, Optional

from apis.openstack_api.identity.exceptions import (
    AmbiguousNameError,
    InvalidParameterError,
    NameNotFoundError,
)

Undo = Callable[[str, Callable[[], Any]], None]


class QuotaService(enum.Enum):
    """Where a quota key lives: ``(service type in the catalog, proxy attribute, keys)``."""

    COMPUTE = (
        "compute",
        "compute",
        (
            "cores",
            "injected_file_content_bytes",
            "injected_file_path_bytes",
            "injected_files",
            "instances",
            "key_pairs",
            "metadata_items",
            "ram",
            "server_group_members",
            "server_groups",
        ),
    )
    NETWORK = (
        "network",
        "network",
        (
            "floating_ips",
            "networks",
            "ports",
            "rbac_policies",
            "routers",
            "security_group_rules",
            "security_groups",
            "subnet_pools",
            "subnets",
        ),
    )
    VOLUME = (
        "block-storage",
        "block_storage",
        (
            "backup_gigabytes",
            "backups",
            "gigabytes",
            "groups",
            "per_volume_gigabytes",
            "snapshots",
            "volumes",
        ),
    )

    def __init__(self, service_type: str, proxy: str, keys: tuple):
        self.service_type = service_type
        self.proxy = proxy
        self.keys = keys

    @classmethod
    def of(cls, key: str) -> Optional["QuotaService"]:
        """The service that owns a quota key, or None."""
        return next((service for service in cls if key in service.keys), None)


def split_quotas(quotas: Optional[Mapping[str, Any]]) -> Dict[QuotaService, Dict[str, int]]:
    """Quota values grouped by service; unknown keys and bad values name the valid choices."""
    split: Dict[QuotaService, Dict[str, int]] = {}
    for key, value in (quotas or {}).items():
        service = QuotaService.of(key)
        if service is None:
            valid = sorted(k for s in QuotaService for k in s.keys)
            raise InvalidParameterError(
                f"quotas key {key!r} is not a quota; valid keys: {', '.join(valid)}"
            )
        if isinstance(value, bool) or not isinstance(value, int) or value < -1:
            raise InvalidParameterError(
                f"quotas {key}={value!r}: must be an integer >= 0, or -1 for unlimited"
            )
        split.setdefault(service, {})[key] = value
    return split


def check_quota_services(conn: Any, split: Mapping[QuotaService, Any]) -> None:
    """Fail before creating anything when a quota names a service the cloud lacks."""
    for service, values in split.items():
        if not conn.has_service(service.service_type):
            raise InvalidParameterError(
                f"quotas {', '.join(sorted(values))}: the cloud has no "
                f"{service.service_type} service"
            )


def set_quotas(
    conn: Any, project_id: str, split: Mapping[QuotaService, Dict[str, int]], undo: Undo
) -> List[str]:
    """Set the given quotas of a project (back to the defaults on undo)."""
    done = []
    for service, values in split.items():
        if service is QuotaService.NETWORK:
            conn.network.update_quota(project_id, **values)
            undo(f"{service.service_type} quotas", lambda: conn.network.delete_quota(project_id))
        else:
            proxy = getattr(conn, service.proxy)
            proxy.update_quota_set(project_id, **values)
            undo(
                f"{service.service_type} quotas",
                lambda proxy=proxy: proxy.revert_quota_set(project_id),
            )
        done.extend(f"{key}={value}" for key, value in sorted(values.items()))
    return done


def find_network(conn: Any, value: str, parameter: str, external: bool = False) -> Any:
    """The network named or numbered ``value`` (an external one if ``external``)."""
    from openstack import exceptions

    query: Dict[str, Any] = {"name": value}
    if external:
        query["is_router_external"] = True
    matches = list(conn.network.networks(**query))
    if len(matches) > 1:
        candidates = ", ".join(f"{n.id} (project {n.project_id})" for n in matches)
        raise AmbiguousNameError(
            f"{parameter} {value!r} is ambiguous: {len(matches)} networks have that name: "
            f"{candidates}; give the id"
        )
    if matches:
        return matches[0]
    try:
        network = conn.network.get_network(value)
    except exceptions.NotFoundException:
        network = None
    if network is not None and (network.is_router_external or not external):
        return network
    kind = "external network" if external else "network"
    message = f"{parameter} {value!r}: no {kind} with that name or id"
    if external:
        names = sorted(n.name for n in conn.network.networks(is_router_external=True))
        message += f"; external networks: {', '.join(names) if names else 'none'}"
        hint = difflib.get_close_matches(value, names, n=1)
        message += f". Did you mean {hint[0]!r}?" if hint else ""
    raise NameNotFoundError(message)


def create_network(
    conn: Any,
    project_id: str,
    name: str,
    cidr: str,
    dns_nameservers: List[str],
    undo: Undo,
) -> tuple:
    """A network and one subnet for the project; ``(network, subnet)``."""
    network = conn.network.create_network(name=name, project_id=project_id)
    undo(f"network {name}", lambda: conn.network.delete_network(network, ignore_missing=True))
    subnet_args: Dict[str, Any] = {
        "name": f"{name}-subnet",
        "network_id": network.id,
        "project_id": project_id,
        "cidr": cidr,
        "ip_version": ipaddress.ip_network(cidr).version,
    }
    if dns_nameservers:
        subnet_args["dns_nameservers"] = list(dns_nameservers)
    subnet = conn.network.create_subnet(**subnet_args)
    undo(f"subnet {subnet.name}", lambda: conn.network.delete_subnet(subnet, ignore_missing=True))
    return network, subnet


def create_router(
    conn: Any, project_id: str, name: str, external_network: Any, subnet: Any, undo: Undo
) -> Any:
    """A router with its gateway on the external network and an interface on the subnet."""
    router = conn.network.create_router(
        name=name,
        project_id=project_id,
        external_gateway_info={"network_id": external_network.id},
    )
    undo(f"router {name}", lambda: conn.network.delete_router(router, ignore_missing=True))
    conn.network.add_interface_to_router(router, subnet=subnet.id)
    undo(
        f"interface of router {name} on subnet {subnet.name}",
        lambda: conn.network.remove_interface_from_router(router, subnet=subnet.id),
    )
    return router


def share_network(conn: Any, project_id: str, network: Any, undo: Undo) -> Any:
    """An RBAC policy sharing the network with the project (access_as_shared)."""
    policy = conn.network.create_rbac_policy(
        object_type="network",
        object_id=network.id,
        action="access_as_shared",
        target_project_id=project_id,
    )
    undo(
        f"RBAC share of network {network.name}",
        lambda: conn.network.delete_rbac_policy(policy, ignore_missing=True),
    )
    return policy


RULE_ALIASES = {
    "ssh": "tcp:22",
    "http": "tcp:80",
    "https": "tcp:443",
    "rdp": "tcp:3389",
    "icmp": "icmp",
    "ping": "icmp",
}
RULE_FORMAT = (
    "format: PROTOCOL[:PORT[-PORT]][@CIDR] with PROTOCOL tcp, udp or icmp, or one of "
    + ", ".join(RULE_ALIASES)
    + " instead of PROTOCOL:PORT; CIDR defaults to 0.0.0.0/0"
)
_RULE = re.compile(r"^(?P<protocol>[a-z]+)(?::(?P<low>\d+)(?:-(?P<high>\d+))?)?$")


@dataclasses.dataclass(frozen=True)
class RuleSpec:
    """An ingress security group rule as given in ``security_group_rules``."""

    protocol: str
    port_min: Optional[int]
    port_max: Optional[int]
    remote_ip_prefix: str

    @property
    def ether_type(self) -> str:
        """IPv4 or IPv6, from the remote prefix."""
        return f"IPv{ipaddress.ip_network(self.remote_ip_prefix).version}"

    def __str__(self) -> str:
        ports = ""
        if self.port_min is not None:
            ports = f":{self.port_min}"
            if self.port_max != self.port_min:
                ports += f"-{self.port_max}"
        return f"{self.protocol}{ports}@{self.remote_ip_prefix}"

    @classmethod
    def parse(cls, spec: str) -> "RuleSpec":
        """Parse ``ssh``, ``tcp:8000-8080@10.0.0.0/8``, ``icmp@::/0`` and the like."""
        text, _, cidr = str(spec).strip().lower().partition("@")
        match = _RULE.match(RULE_ALIASES.get(text, text))
        if not match or match["protocol"] not in ("tcp", "udp", "icmp"):
            raise _bad_rule(spec, "unknown protocol or bad syntax")
        if match["protocol"] == "icmp" and match["low"]:
            raise _bad_rule(spec, "icmp takes no port")
        low = int(match["low"]) if match["low"] else None
        high = int(match["high"]) if match["high"] else low
        if low is not None and not 1 <= low <= high <= 65535:
            raise _bad_rule(spec, "ports must be 1-65535, the first not above the second")
        try:
            prefix = str(ipaddress.ip_network(cidr or "0.0.0.0/0", strict=False))
        except ValueError:
            raise _bad_rule(spec, f"{cidr!r} is not a CIDR") from None
        return cls(match["protocol"], low, high, prefix)


def _bad_rule(spec: str, problem: str) -> InvalidParameterError:
    return InvalidParameterError(f"security_group_rules entry {spec!r}: {problem}; {RULE_FORMAT}")


def default_security_group(conn: Any, project_id: str) -> Any:
    """The project's default security group (neutron creates it when first listed)."""
    return next(iter(conn.network.security_groups(project_id=project_id, name="default")))


def add_security_rules(
    conn: Any, project_id: str, group: Any, rules: List[RuleSpec], undo: Undo
) -> List[Any]:
    """Ingress rules in the group, each undone on rollback."""
    created = []
    for rule in rules:
        made = conn.network.create_security_group_rule(
            security_group_id=group.id,
            project_id=project_id,
            direction="ingress",
            ether_type=rule.ether_type,
            protocol=rule.protocol,
            port_range_min=rule.port_min,
            port_range_max=rule.port_max,
            remote_ip_prefix=rule.remote_ip_prefix,
        )
        undo(
            f"security group rule {rule}",
            lambda made=made: conn.network.delete_security_group_rule(made, ignore_missing=True),
        )
        created.append(made)
    return created


def delete_security_groups(conn: Any, project_id: str) -> None:
    """Delete every security group of the project (the default one neutron made, too)."""
    for group in list(conn.network.security_groups(project_id=project_id)):
        conn.network.delete_security_group(group, ignore_missing=True)
