"""Checks for project.create's optional parts, done before anything is created.

The parts themselves are built by the network, router, security group and quota modules
(:mod:`apis.openstack_api.networks` and friends); this module turns project.create's compact
parameters into their specs and fails early on anything they would refuse later.
"""

from __future__ import annotations

import re
from typing import Any, Dict, Mapping, Optional

from apis.openstack_api.identity.exceptions import InvalidParameterError
from apis.openstack_api.quotas import UNLIMITED, QuotaKey
from apis.openstack_api.security_groups import Protocol, RuleSpec

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
ANY_IPV4 = "0.0.0.0/0"
_RULE = re.compile(r"^(?P<protocol>tcp|udp|icmp)(?::(?P<low>\d+)(?:-(?P<high>\d+))?)?$")


def parse_rule(spec: str) -> RuleSpec:
    """An ingress rule from ``ssh``, ``tcp:8000-8080@10.0.0.0/8``, ``icmp@::/0`` and the like."""
    text, _, cidr = str(spec).strip().lower().partition("@")
    match = _RULE.match(RULE_ALIASES.get(text, text))
    if not match:
        raise _bad_rule(spec, "unknown protocol or bad syntax")
    protocol = Protocol(match["protocol"])
    if protocol is Protocol.ICMP and match["low"]:
        raise _bad_rule(spec, "icmp takes no port")
    low = int(match["low"]) if match["low"] else None
    high = int(match["high"]) if match["high"] else low
    try:
        return RuleSpec(
            protocol=protocol,
            port_range_min=low,
            port_range_max=high,
            remote_ip_prefix=cidr or ANY_IPV4,
        )
    except InvalidParameterError as err:
        raise _bad_rule(spec, str(err)) from None


def _bad_rule(spec: str, problem: str) -> InvalidParameterError:
    return InvalidParameterError(f"security_group_rules entry {spec!r}: {problem}; {RULE_FORMAT}")


def check_quotas(quotas: Optional[Mapping[str, Any]]) -> Dict[str, int]:
    """The quotas, checked: known keys, whole numbers >= -1."""
    checked = {}
    for key, value in (quotas or {}).items():
        try:
            QuotaKey.from_string(key)
        except InvalidParameterError:
            raise InvalidParameterError(
                f"quotas key {key!r} is not a quota; valid keys: "
                + ", ".join(k.key for k in QuotaKey)
            ) from None
        if isinstance(value, bool) or not isinstance(value, int) or value < UNLIMITED:
            raise InvalidParameterError(
                f"quotas {key}={value!r}: give a whole number >= 0, or -1 for unlimited"
            )
        checked[key] = value
    return checked


def check_quota_services(conn: Any, quotas: Mapping[str, int]) -> None:
    """Fail before creating anything when a quota belongs to a service the cloud lacks."""
    for key in quotas:
        service = QuotaKey.from_string(key).service
        if not conn.has_service(service.service_type):
            raise InvalidParameterError(
                f"quotas {key}: the cloud has no {service.service_type} service"
            )
