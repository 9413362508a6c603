"""Icinga2 API (downtimes, search). Deprecated, but still used by the hypervisor runbooks."""
