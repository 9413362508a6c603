"""The spellings of the peer query library (stfc openstackquery 1.3) as aliases of ours.

Data only: peer spelling -> our name. Resolved when a query is built (``where``, ``select``,
``sort_by``), never per row. A peer spelling that already names something else of ours is
left out (see :data:`NOT_ALIASED`): ours keeps its meaning.
"""

from __future__ import annotations

from typing import Dict

# peer query type name or alias -> our query type name (``then``, ``append_from``)
QUERY_TYPE_ALIASES: Dict[str, str] = {
    "server_query": "servers",
    "serverquery": "servers",
    "vmquery": "servers",
    "user_query": "users",
    "userquery": "users",
    "project_query": "projects",
    "projectquery": "projects",
    "flavor_query": "flavors",
    "flavorquery": "flavors",
    "image_query": "images",
    "imagequery": "images",
    "hypervisor_query": "hypervisors",
    "hypervisorquery": "hypervisors",
    "aggregate_query": "aggregates",
    "aggregatequery": "aggregates",
}

# peer preset alias -> our Preset member name (the peer's member names are ours already)
PRESET_ALIASES: Dict[str, str] = {
    "equal": "EQUAL_TO",
    "not_equal": "NOT_EQUAL_TO",
    "less": "LESS_THAN",
    "greater": "GREATER_THAN",
    "more_than": "GREATER_THAN",
    "more": "GREATER_THAN",
    "greater_or_equal": "GREATER_THAN_OR_EQUAL_TO",
    "more_than_or_equal_to": "GREATER_THAN_OR_EQUAL_TO",
    "more_or_equal": "GREATER_THAN_OR_EQUAL_TO",
    "less_or_equal": "LESS_THAN_OR_EQUAL_TO",
    "older": "OLDER_THAN",
    "older_or_equal": "OLDER_THAN_OR_EQUAL_TO",
    "younger": "YOUNGER_THAN",
    "newer_than": "YOUNGER_THAN",
    "newer": "YOUNGER_THAN",
    "younger_or_equal": "YOUNGER_THAN_OR_EQUAL_TO",
    "newer_than_or_equal_to": "YOUNGER_THAN_OR_EQUAL_TO",
    "newer_or_equal": "YOUNGER_THAN_OR_EQUAL_TO",
    "match_regex": "MATCHES_REGEX",
    "re": "MATCHES_REGEX",
}

# peer keyword argument -> ours, per kind of preset arguments (presets.Arguments member name)
ARGUMENT_ALIASES: Dict[str, Dict[str, str]] = {
    "PATTERN": {"value": "pattern", "regex_string": "pattern"},
}

# per property enum (class name): peer property name or alias -> our property key
PROPERTY_ALIASES: Dict[str, Dict[str, str]] = {
    "ServerProperties": {
        "flavor_id": "server_flavor_id",
        "hv_name": "server_hypervisor_name",
        "server_creation_date": "server_created_at",
        "server_last_updated_date": "server_updated_at",
        "desc": "server_description",
        "vm_description": "server_description",
        "vm_id": "server_id",
        "vm_name": "server_name",
        "vm_status": "server_status",
        "ips": "server_ips",
        "vm_ips": "server_ips",
    },
    "UserProperties": {
        "uuid": "user_id",
        "desc": "user_description",
        "username": "user_name",
        "email_addr": "user_email",
        "user_email_address": "user_email",
    },
    "ProjectProperties": {
        "uuid": "project_id",
        "desc": "project_description",
        "project_is_enabled": "project_enabled",
        "is_enabled": "project_enabled",
    },
    "FlavorProperties": {
        "uuid": "flavor_id",
        "desc": "flavor_description",
        "disk_size": "flavor_disk",
        "ephemeral_disk": "flavor_ephemeral",
        "ephemeral_disk_size": "flavor_ephemeral",
        "is_disabled": "flavor_is_disabled",
        "ram_size": "flavor_ram",
        "swap_size": "flavor_swap",
        "flavor_vcpu": "flavor_vcpus",
        "vcpu": "flavor_vcpus",
    },
    "ImageProperties": {
        "uuid": "image_id",
        "image_creation_date": "image_created_at",
        "image_last_updated_date": "image_updated_at",
        "image_minimum_disk": "image_min_disk",
        "disk": "image_min_disk",
        "image_minimum_ram": "image_min_ram",
        "ram": "image_min_ram",
    },
    "HypervisorProperties": {
        "uuid": "hypervisor_id",
        "host_id": "hypervisor_id",
        "hypervisor_ip": "hypervisor_host_ip",
        "host_name": "hypervisor_name",
        "memory_mb_size": "hypervisor_memory_mb",
        "memory_size": "hypervisor_memory_mb",
        "memory": "hypervisor_memory_mb",
        "memory_used": "hypervisor_memory_mb_used",
        "memory_avail": "hypervisor_memory_mb_available",
        "memory_free": "hypervisor_memory_mb_available",
        "free_ram_mb": "hypervisor_memory_mb_available",
        "vcpus_free": "hypervisor_vcpus_available",
        "disk_gb_size": "hypervisor_disk_gb",
        "disk": "hypervisor_disk_gb",
        "local_disk": "hypervisor_disk_gb",
        "local_gb": "hypervisor_disk_gb",
        "disk_used": "hypervisor_disk_gb_used",
        "local_disk_used": "hypervisor_disk_gb_used",
        "local_gb_used": "hypervisor_disk_gb_used",
        "disk_avail": "hypervisor_disk_gb_available",
        "local_disk_free": "hypervisor_disk_gb_available",
        "free_disk_gb": "hypervisor_disk_gb_available",
    },
    "AggregateProperties": {
        "uuid": "aggregate_id",
        "aggregate_host_ips": "aggregate_hosts",
        "metadata_hosttype": "aggregate_hosttype",
        "deleted": "aggregate_deleted",
    },
}

# peer spellings deliberately not aliased, per preset set or property enum: spelling -> why
NOT_ALIASED: Dict[str, Dict[str, str]] = {
    "Preset": {
        "<=": "the peer also lists it for YOUNGER_THAN_OR_EQUAL_TO; ours is LESS_THAN_OR_EQUAL_TO",
    },
    "HypervisorProperties": {
        "uptime": "ours is nova's uptime text; the peer's days are hypervisor_uptime_days",
    },
    "ServerProperties": {
        "addresses": "ours is nova's address mapping; the peer's IP string is server_ips",
    },
}
