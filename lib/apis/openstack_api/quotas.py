"""Project quotas with usage: compute, network and, where the cloud has it, block storage."""

from __future__ import annotations

import dataclasses
import enum
from typing import Any, Dict, List, Mapping, Optional

from apis.openstack_api.identity.exceptions import InvalidParameterError, openstack_errors
from apis.openstack_api.networks import (
    Change,
    ChangeRefusedError,
    Plan,
    Verb,
    find_project,
    project_ref,
)

UNLIMITED = -1


class QuotaService(enum.Enum):
    """Services with quotas: ``(label, service type in the catalog)``."""

    COMPUTE = ("compute", "compute")
    NETWORK = ("network", "network")
    VOLUME = ("volume", "block-storage")

    def __init__(self, label: str, service_type: str):
        self.label = label
        self.service_type = service_type


class QuotaKey(enum.Enum):
    """Every quota ``quota.set`` accepts: ``(name, service)``."""

    INSTANCES = ("instances", QuotaService.COMPUTE)
    CORES = ("cores", QuotaService.COMPUTE)
    RAM = ("ram", QuotaService.COMPUTE)
    KEY_PAIRS = ("key_pairs", QuotaService.COMPUTE)
    METADATA_ITEMS = ("metadata_items", QuotaService.COMPUTE)
    SERVER_GROUPS = ("server_groups", QuotaService.COMPUTE)
    SERVER_GROUP_MEMBERS = ("server_group_members", QuotaService.COMPUTE)
    NETWORKS = ("networks", QuotaService.NETWORK)
    SUBNETS = ("subnets", QuotaService.NETWORK)
    PORTS = ("ports", QuotaService.NETWORK)
    ROUTERS = ("routers", QuotaService.NETWORK)
    FLOATING_IPS = ("floating_ips", QuotaService.NETWORK)
    SECURITY_GROUPS = ("security_groups", QuotaService.NETWORK)
    SECURITY_GROUP_RULES = ("security_group_rules", QuotaService.NETWORK)
    RBAC_POLICIES = ("rbac_policies", QuotaService.NETWORK)
    VOLUMES = ("volumes", QuotaService.VOLUME)
    GIGABYTES = ("gigabytes", QuotaService.VOLUME)
    SNAPSHOTS = ("snapshots", QuotaService.VOLUME)
    BACKUPS = ("backups", QuotaService.VOLUME)
    BACKUP_GIGABYTES = ("backup_gigabytes", QuotaService.VOLUME)

    def __init__(self, key: str, service: QuotaService):
        self.key = key
        self.service = service

    @classmethod
    def from_string(cls, value: str) -> "QuotaKey":
        """The quota called ``value``, or an error listing the valid ones."""
        for member in cls:
            if member.key == value:
                return member
        raise InvalidParameterError(
            f"quota {value!r} is not one of: {', '.join(m.key for m in cls)}"
        )

    @classmethod
    def of(cls, service: QuotaService) -> List["QuotaKey"]:
        """The keys of one service."""
        return [member for member in cls if member.service is service]


@dataclasses.dataclass(frozen=True)
class QuotaUsage:
    """One quota: its limit (-1 is unlimited), what is in use and what is reserved."""

    limit: Optional[int]
    in_use: int = 0
    reserved: int = 0


def _compute(conn: Any, project_id: str) -> Dict[str, QuotaUsage]:
    quota = conn.compute.get_quota_set(project_id, usage=True)
    usage, reserved = quota.usage or {}, quota.reservation or {}
    return {
        key.key: QuotaUsage(
            getattr(quota, key.key), usage.get(key.key, 0), reserved.get(key.key, 0)
        )
        for key in QuotaKey.of(QuotaService.COMPUTE)
    }


def _network(conn: Any, project_id: str) -> Dict[str, QuotaUsage]:
    quota = conn.network.get_quota(project_id, details=True)
    result = {}
    for key in QuotaKey.of(QuotaService.NETWORK):
        detail = getattr(quota, key.key) or {}
        result[key.key] = QuotaUsage(
            detail.get("limit"), detail.get("used", 0), detail.get("reserved", 0)
        )
    return result


def _volume(conn: Any, project_id: str) -> Dict[str, QuotaUsage]:
    quota = conn.block_storage.get_quota_set(project_id, usage=True)
    usage, reserved = quota.usage or {}, quota.reservation or {}
    return {
        key.key: QuotaUsage(
            getattr(quota, key.key, None), usage.get(key.key, 0), reserved.get(key.key, 0)
        )
        for key in QuotaKey.of(QuotaService.VOLUME)
    }


READERS = {
    QuotaService.COMPUTE: _compute,
    QuotaService.NETWORK: _network,
    QuotaService.VOLUME: _volume,
}


def _default_limits(conn: Any, service: QuotaService) -> Dict[str, QuotaUsage]:
    """The default quotas (the same for every project; asked with the caller's own)."""
    own = conn.current_project_id
    if service is QuotaService.NETWORK:
        quota = conn.network.get_quota_default(own)
    elif service is QuotaService.COMPUTE:
        quota = conn.compute.get_quota_set_defaults(own)
    else:
        quota = conn.block_storage.get_quota_set_defaults(own)
    return {key.key: QuotaUsage(getattr(quota, key.key, None)) for key in QuotaKey.of(service)}


def read_default_quotas(
    conn: Any, services: Optional[List[QuotaService]] = None
) -> Dict[QuotaService, Optional[Dict[str, QuotaUsage]]]:
    """The quotas a new project starts with, nothing in use; None for an absent service."""
    return {
        service: _default_limits(conn, service) if conn.has_service(service.service_type) else None
        for service in services or list(QuotaService)
    }


def read_quotas(
    conn: Any, project_id: str, services: Optional[List[QuotaService]] = None
) -> Dict[QuotaService, Optional[Dict[str, QuotaUsage]]]:
    """Quotas with usage per service; None for a service the cloud does not have."""
    result: Dict[QuotaService, Optional[Dict[str, QuotaUsage]]] = {}
    for service in services or list(QuotaService):
        if conn.has_service(service.service_type):
            result[service] = READERS[service](conn, project_id)
        else:
            result[service] = None
    return result


def _validate(values: Mapping[str, int]) -> Dict[QuotaKey, int]:
    checked = {}
    for name, value in values.items():
        key = QuotaKey.from_string(name)
        if isinstance(value, bool) or not isinstance(value, int) or value < UNLIMITED:
            raise InvalidParameterError(
                f"{name} {value!r} is out of range: give a whole number >= 0, or -1 for unlimited"
            )
        checked[key] = value
    return checked


def _update(conn: Any, service: QuotaService, project_id: str, values: Dict[str, int], force: bool):
    if service is QuotaService.COMPUTE:
        extra = {"force": True} if force else {}
        return conn.compute.update_quota_set(project_id, **values, **extra)
    if service is QuotaService.NETWORK:
        return conn.network.update_quota(project_id, check_limit=not force, **values)
    return conn.block_storage.update_quota_set(project_id, **values)


def apply_quotas(
    conn: Any,
    plan: Plan,
    project: Any,
    values: Mapping[str, int],
    force: bool = False,
    new_project: bool = False,
) -> Dict[str, Dict[str, Optional[int]]]:
    """Set the given quotas (others untouched): ``{key: {"from": old, "to": new}}`` of changes.

    Values equal to the current limit are skipped; a value below what is in use is refused
    unless ``force``. ``new_project``: a project a dry run would create, whose quotas are the
    defaults.
    """
    wanted = _validate(values)
    services = sorted({key.service for key in wanted}, key=lambda s: s.label)
    if new_project:
        current = read_default_quotas(conn, services)
    else:
        current = read_quotas(conn, project.id, services)
    absent = [s.label for s in services if current[s] is None]
    if absent:
        keys = ", ".join(k.key for k in wanted if k.service.label in absent)
        raise InvalidParameterError(
            f"{keys}: this cloud has no {'/'.join(absent)} service, so it has no such quotas"
        )
    refusals, diff = [], {}
    for key, value in wanted.items():
        usage = current[key.service][key.key]
        if usage.limit == value:
            continue
        if value != UNLIMITED and value < usage.in_use and not force:
            refusals.append(f"{key.key}={value} is below current usage {usage.in_use}")
        diff[key] = (usage.limit, value)
    if refusals:
        raise ChangeRefusedError(
            f"quota.set for project {project.name} refused (use force): " + "; ".join(refusals)
        )
    for service in services:
        changes = {
            k.key: {"from": old, "to": new}
            for k, (old, new) in diff.items()
            if k.service is service
        }
        if not changes:
            continue
        new_values = {key: change["to"] for key, change in changes.items()}
        plan.apply(
            Change(Verb.UPDATE, f"{service.label} quota", project.name, project.id, changes),
            lambda service=service, new_values=new_values: _update(
                conn, service, project.id, new_values, force
            ),
        )
    return {k.key: {"from": old, "to": new} for k, (old, new) in diff.items()}


def quota_show(conn: Any, project: str, project_domain: Optional[str] = None) -> Dict:
    """A project's quotas with usage per service; services the cloud lacks are listed."""
    with openstack_errors("quota.show"):
        owner = find_project(conn, project, project_domain)
        quotas = read_quotas(conn, owner.id)
        return {
            "project": project_ref(conn, owner),
            **{service.label: quotas[service] for service in QuotaService},
            "absent_services": [s.label for s in QuotaService if quotas[s] is None],
        }


def quota_set(
    conn: Any,
    project: str,
    project_domain: Optional[str] = None,
    instances: Optional[int] = None,
    cores: Optional[int] = None,
    ram: Optional[int] = None,
    key_pairs: Optional[int] = None,
    metadata_items: Optional[int] = None,
    server_groups: Optional[int] = None,
    server_group_members: Optional[int] = None,
    networks: Optional[int] = None,
    subnets: Optional[int] = None,
    ports: Optional[int] = None,
    routers: Optional[int] = None,
    floating_ips: Optional[int] = None,
    security_groups: Optional[int] = None,
    security_group_rules: Optional[int] = None,
    rbac_policies: Optional[int] = None,
    volumes: Optional[int] = None,
    gigabytes: Optional[int] = None,
    snapshots: Optional[int] = None,
    backups: Optional[int] = None,
    backup_gigabytes: Optional[int] = None,
    force: bool = False,
    dry_run: bool = True,
) -> Dict[str, Any]:
    """Set only the quotas given; a value below current usage is refused unless ``force``."""
    given = {
        "instances": instances,
        "cores": cores,
        "ram": ram,
        "key_pairs": key_pairs,
        "metadata_items": metadata_items,
        "server_groups": server_groups,
        "server_group_members": server_group_members,
        "networks": networks,
        "subnets": subnets,
        "ports": ports,
        "routers": routers,
        "floating_ips": floating_ips,
        "security_groups": security_groups,
        "security_group_rules": security_group_rules,
        "rbac_policies": rbac_policies,
        "volumes": volumes,
        "gigabytes": gigabytes,
        "snapshots": snapshots,
        "backups": backups,
        "backup_gigabytes": backup_gigabytes,
    }
    values = {key: value for key, value in given.items() if value is not None}
    if not values:
        raise InvalidParameterError(
            "give at least one quota: " + ", ".join(k.key for k in QuotaKey)
        )
    with openstack_errors("quota.set"):
        owner = find_project(conn, project, project_domain)
        plan = Plan(dry_run)
        diff = apply_quotas(conn, plan, owner, values, force)
        return plan.report(project=project_ref(conn, owner), quotas=diff)
