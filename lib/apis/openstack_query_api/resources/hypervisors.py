"""Hypervisors (nova), with resource usage from placement."""

from __future__ import annotations

from typing import Any, Callable, Dict, Iterable

from apis.openstack_api.aggregate_flavors import metadata_by_host
from apis.openstack_api.hypervisor_facts import parse_uptime
from apis.openstack_query_api.concurrency import concurrently
from apis.openstack_query_api.mapping import ResourceMapping, get_or_none
from apis.openstack_query_api.presets import Preset
from apis.openstack_query_api.property_types import PropertyEnum
from apis.openstack_query_api.property_types import PropertyType as T
from apis.openstack_query_api.property_types import attr, item, prop

USAGE = "_cloudops_placement"
AGGREGATES = "_cloudops_aggregate_metadata"


def _usage(resource_class: str, field: str):
    """A getter for placement data that :meth:`HypervisorMapping.enrich` attached."""

    def read(hypervisor: Any) -> Any:
        return (getattr(hypervisor, USAGE, None) or {}).get(resource_class, {}).get(field)

    return read


def _uptime_days(hypervisor: Any) -> Any:
    """Days since boot from nova's ``uptime`` text (None when nova reports none)."""
    seconds = parse_uptime(getattr(hypervisor, "uptime", None))
    return None if seconds is None else round(seconds / 86400, 2)


_uptime_days.source = "uptime"


def _aggregate_metadata(hypervisor: Any) -> Any:
    """The metadata of the aggregates the hypervisor's compute host is in, attached by
    :meth:`HypervisorMapping.enrich` (a key several aggregates give has their values
    comma-joined, sorted)."""
    return getattr(hypervisor, AGGREGATES, None)


def _integer(text: Any) -> Any:
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


def _metadata_key(key: str, convert: Callable[[Any], Any] = lambda value: value):
    """A getter for one aggregate metadata key of the hypervisor's host."""

    def read(hypervisor: Any) -> Any:
        value = (_aggregate_metadata(hypervisor) or {}).get(key)
        return None if value is None else convert(value)

    return read


class HypervisorProperties(PropertyEnum):
    """Properties of a hypervisor; usage and capacity come from placement."""

    HYPERVISOR_ID = prop("hypervisor_id", attr("id"), T.STRING, "id")
    HYPERVISOR_NAME = prop("hypervisor_name", attr("name"), T.STRING, "name", "hostname")
    HYPERVISOR_STATE = prop("hypervisor_state", attr("state"), T.STRING, "state")
    HYPERVISOR_STATUS = prop("hypervisor_status", attr("status"), T.STRING, "status")
    HYPERVISOR_HOST_IP = prop("hypervisor_host_ip", attr("host_ip"), T.STRING, "host_ip", "ip")
    HYPERVISOR_TYPE = prop("hypervisor_type", attr("hypervisor_type"), T.STRING, "type")
    HYPERVISOR_SERVICE_HOST = prop(
        "hypervisor_service_host", item("service_details", "host"), T.STRING, "service_host"
    )
    HYPERVISOR_DISABLED_REASON = prop(
        "hypervisor_disabled_reason",
        item("service_details", "disabled_reason"),
        T.STRING,
        "disabled_reason",
    )
    HYPERVISOR_UPTIME = prop("hypervisor_uptime", attr("uptime"), T.STRING, "uptime")
    HYPERVISOR_UPTIME_DAYS = prop("hypervisor_uptime_days", _uptime_days, T.NUMBER, "uptime_days")
    HYPERVISOR_VCPUS = prop("hypervisor_vcpus", _usage("VCPU", "total"), T.INTEGER, "vcpus")
    HYPERVISOR_VCPUS_USED = prop(
        "hypervisor_vcpus_used", _usage("VCPU", "used"), T.INTEGER, "vcpus_used"
    )
    HYPERVISOR_VCPUS_AVAILABLE = prop(
        "hypervisor_vcpus_available",
        _usage("VCPU", "available"),
        T.INTEGER,
        "vcpus_available",
        "vcpus_avail",
    )
    HYPERVISOR_MEMORY_MB = prop(
        "hypervisor_memory_mb", _usage("MEMORY_MB", "total"), T.INTEGER, "memory_mb", "ram"
    )
    HYPERVISOR_MEMORY_MB_USED = prop(
        "hypervisor_memory_mb_used", _usage("MEMORY_MB", "used"), T.INTEGER, "memory_mb_used"
    )
    HYPERVISOR_MEMORY_MB_AVAILABLE = prop(
        "hypervisor_memory_mb_available",
        _usage("MEMORY_MB", "available"),
        T.INTEGER,
        "memory_mb_available",
        "memory_mb_avail",
    )
    HYPERVISOR_DISK_GB = prop(
        "hypervisor_disk_gb", _usage("DISK_GB", "total"), T.INTEGER, "disk_gb"
    )
    HYPERVISOR_DISK_GB_USED = prop(
        "hypervisor_disk_gb_used", _usage("DISK_GB", "used"), T.INTEGER, "disk_gb_used"
    )
    HYPERVISOR_DISK_GB_AVAILABLE = prop(
        "hypervisor_disk_gb_available",
        _usage("DISK_GB", "available"),
        T.INTEGER,
        "disk_gb_available",
        "disk_gb_avail",
    )
    HYPERVISOR_AGGREGATE_METADATA = prop(
        "hypervisor_aggregate_metadata", _aggregate_metadata, T.MAPPING, "aggregate_metadata"
    )
    HYPERVISOR_HOSTTYPE = prop(
        "hypervisor_hosttype", _metadata_key("hosttype"), T.STRING, "hosttype"
    )
    HYPERVISOR_GPUNUM = prop(
        "hypervisor_gpunum", _metadata_key("gpunum", _integer), T.INTEGER, "gpunum"
    )
    HYPERVISOR_LOCAL_STORAGE_TYPE = prop(
        "hypervisor_local_storage_type",
        _metadata_key("local_storage_type"),
        T.STRING,
        "local_storage_type",
    )


P = HypervisorProperties
PLACEMENT_PROPERTIES = frozenset(p for p in P if p.spec.getter.__qualname__.startswith("_usage"))
AGGREGATE_PROPERTIES = frozenset(
    p for p in P if p.spec.getter.__qualname__.startswith(("_aggregate", "_metadata_key"))
)


class HypervisorMapping(ResourceMapping):
    """Hypervisors: one detailed listing; placement usage only when a usage property is used."""

    name = "hypervisors"
    aliases = ("hypervisor", "hosts", "hvs")
    properties = HypervisorProperties
    id_property = P.HYPERVISOR_ID
    default_select = (P.HYPERVISOR_NAME, P.HYPERVISOR_STATE, P.HYPERVISOR_STATUS)

    @classmethod
    def server_filters(cls, condition):
        if condition.prop is P.HYPERVISOR_NAME and condition.preset is Preset.MATCHES_REGEX:
            return {}
        single, value = condition.single_value()
        if single and condition.prop is P.HYPERVISOR_NAME and value:
            return {"hypervisor_hostname_pattern": value}
        return {}

    @classmethod
    def list_resources(cls, conn, filters, scope):
        return conn.compute.hypervisors(details=True, **filters)

    @classmethod
    def get_resource(cls, conn, resource_id):
        return get_or_none(conn.compute.get_hypervisor, resource_id)

    @classmethod
    def enrich(cls, conn, resources: list, wanted: Iterable[PropertyEnum]) -> None:
        wanted = set(wanted)
        if resources and AGGREGATE_PROPERTIES & wanted:
            by_host = metadata_by_host(conn.compute.aggregates())
            for hypervisor in resources:
                host = (hypervisor.service_details or {}).get("host") or hypervisor.name
                metadata = by_host.get(host, {})
                setattr(
                    hypervisor,
                    AGGREGATES,
                    {key: ",".join(sorted(values)) for key, values in metadata.items()},
                )
        if not resources or not PLACEMENT_PROPERTIES & wanted:
            return
        usages = concurrently(lambda hv: placement_usage(conn, hv.id), resources)
        for hypervisor, usage in zip(resources, usages):
            setattr(hypervisor, USAGE, usage)


def placement_usage(conn, provider_id: str) -> Dict[str, Dict[str, int]]:
    """Capacity (total minus reserved, times allocation ratio), used and available per class.

    Placement answers inventories and usages separately: two calls per resource provider,
    which is as few as its API allows.
    """
    inventories = conn.placement.get(f"/resource_providers/{provider_id}/inventories")
    usages = conn.placement.get(f"/resource_providers/{provider_id}/usages")
    if inventories.status_code == 404:
        return {}
    inventories.raise_for_status()
    usages.raise_for_status()
    used = usages.json().get("usages", {})
    result = {}
    for resource_class, inventory in inventories.json().get("inventories", {}).items():
        total = int(
            (inventory.get("total", 0) - inventory.get("reserved", 0))
            * inventory.get("allocation_ratio", 1.0)
        )
        in_use = int(used.get(resource_class, 0))
        result[resource_class] = {"total": total, "used": in_use, "available": total - in_use}
    return result
