"""Icinga2 API (downtimes). Deprecated, but still used by the hypervisor runbooks."""
