"""Security group rules (security.group.rule.add), with presets such as ssh and icmp."""

from __future__ import annotations

import dataclasses
import enum
import ipaddress
from typing import Any, Dict, List, Optional, Sequence, Tuple

from apis.openstack_api.identity.exceptions import InvalidParameterError, openstack_errors
from apis.openstack_api.networks import (
    Change,
    Plan,
    Ref,
    Verb,
    find_project,
    pick,
    project_ref,
)

ANY_PREFIXES = ("0.0.0.0/0", "::/0")
PROTOCOL_NUMBERS = {"1": "icmp", "6": "tcp", "17": "udp", "58": "ipv6-icmp"}


def _choice(enum_type: Any, value: Any, parameter: str) -> Any:
    try:
        return enum_type(value)
    except ValueError:
        choices = ", ".join(str(m.value) for m in enum_type)
        raise InvalidParameterError(f"{parameter} {value!r} is not one of: {choices}") from None


class Direction(enum.Enum):
    """Traffic a rule lets in or out."""

    INGRESS = "ingress"
    EGRESS = "egress"


class Protocol(enum.Enum):
    """Protocols an action accepts; ``any`` matches every protocol."""

    TCP = "tcp"
    UDP = "udp"
    ICMP = "icmp"
    ANY = "any"


class RulePreset(enum.Enum):
    """Common rules: ``(protocol, first port, last port)``."""

    SSH = ("ssh", Protocol.TCP, 22, 22)
    ICMP = ("icmp", Protocol.ICMP, None, None)
    HTTP = ("http", Protocol.TCP, 80, 80)
    HTTPS = ("https", Protocol.TCP, 443, 443)

    def __init__(self, label: str, protocol: Protocol, first: Optional[int], last: Optional[int]):
        self.label = label
        self.protocol = protocol
        self.first = first
        self.last = last

    @classmethod
    def from_string(cls, value: str) -> "RulePreset":
        """The preset called ``value``, or an error listing them."""
        for preset in cls:
            if preset.label == value:
                return preset
        raise InvalidParameterError(
            f"preset {value!r} is not one of: {', '.join(p.label for p in cls)}"
        )


def _normal_prefix(prefix: Optional[str]) -> Optional[str]:
    if prefix is None or prefix in ANY_PREFIXES:
        return None
    return str(ipaddress.ip_network(prefix, strict=False))


def _normal_protocol(protocol: Optional[str]) -> Optional[str]:
    if protocol in (None, "any"):
        return None
    return PROTOCOL_NUMBERS.get(str(protocol), str(protocol))


@dataclasses.dataclass(frozen=True)
class RuleSpec:
    """One security group rule; validated on construction. Ports of icmp are type and code."""

    direction: Direction = Direction.INGRESS
    protocol: Protocol = Protocol.TCP
    port_range_min: Optional[int] = None
    port_range_max: Optional[int] = None
    remote_ip_prefix: Optional[str] = None
    remote_group_id: Optional[str] = None
    ethertype: Optional[str] = None
    description: Optional[str] = None

    def __post_init__(self):
        if self.remote_ip_prefix and self.remote_group_id:
            raise InvalidParameterError("give remote_ip_prefix or remote_group, not both")
        if self.remote_ip_prefix:
            try:
                network = ipaddress.ip_network(self.remote_ip_prefix, strict=True)
            except ValueError as err:
                raise InvalidParameterError(
                    f"remote_ip_prefix {self.remote_ip_prefix!r} is not a network CIDR: {err}"
                ) from None
            if self.ethertype and self.ethertype != f"IPv{network.version}":
                raise InvalidParameterError(
                    f"ethertype {self.ethertype} does not match remote_ip_prefix "
                    f"{self.remote_ip_prefix} (IPv{network.version})"
                )
        if self.ethertype not in (None, "IPv4", "IPv6"):
            raise InvalidParameterError(f"ethertype {self.ethertype!r} is not one of: IPv4, IPv6")
        self._check_ports()

    def _check_ports(self) -> None:
        first, last = self.port_range_min, self.port_range_max
        if self.protocol is Protocol.ANY and (first is not None or last is not None):
            raise InvalidParameterError("port_range_min/max need protocol tcp, udp or icmp")
        if self.protocol is Protocol.ICMP:
            if first is None and last is not None:
                raise InvalidParameterError("port_range_max (icmp code) needs port_range_min")
            for name, value in (("port_range_min", first), ("port_range_max", last)):
                if value is not None and not 0 <= value <= 255:
                    raise InvalidParameterError(
                        f"{name} {value} is out of range: icmp type/code is 0-255"
                    )
            return
        for name, value in (("port_range_min", first), ("port_range_max", last)):
            if value is not None and not 1 <= value <= 65535:
                raise InvalidParameterError(f"{name} {value} is out of range 1-65535")
        if first is not None and last is not None and first > last:
            raise InvalidParameterError(f"port_range_min {first} is above port_range_max {last}")

    @property
    def ether_type(self) -> str:
        """IPv4 or IPv6: from the prefix, else the ethertype given, else IPv4."""
        if self.remote_ip_prefix:
            return f"IPv{ipaddress.ip_network(self.remote_ip_prefix).version}"
        return self.ethertype or "IPv4"

    def ports(self) -> Tuple[Optional[int], Optional[int]]:
        """The port range as neutron stores it (a single port when only one end is given)."""
        first, last = self.port_range_min, self.port_range_max
        if self.protocol is Protocol.ICMP:
            return first, last
        return (first if first is not None else last), (last if last is not None else first)

    def attrs(self, group: Any) -> Dict[str, Any]:
        """create_security_group_rule arguments (owned by the group's project)."""
        first, last = self.ports()
        attrs = {
            "security_group_id": group.id,
            "project_id": group.project_id,
            "direction": self.direction.value,
            "ether_type": self.ether_type,
            "protocol": None if self.protocol is Protocol.ANY else self.protocol.value,
            "port_range_min": first,
            "port_range_max": last,
            "remote_ip_prefix": self.remote_ip_prefix,
            "remote_group_id": self.remote_group_id,
            "description": self.description,
        }
        return {key: value for key, value in attrs.items() if value is not None}

    def matches(self, rule: Any) -> bool:
        """Whether an existing rule is this one (neutron's duplicate check)."""
        first, last = self.ports()
        return (
            rule.direction == self.direction.value
            and rule.ether_type == self.ether_type
            and _normal_protocol(rule.protocol) == _normal_protocol(self.protocol.value)
            and rule.port_range_min == first
            and rule.port_range_max == last
            and _normal_prefix(rule.remote_ip_prefix) == _normal_prefix(self.remote_ip_prefix)
            and rule.remote_group_id == self.remote_group_id
        )

    def label(self) -> str:
        """E.g. ``ingress tcp 22-22 from 0.0.0.0/0``."""
        first, last = self.ports()
        ports = f" {first}-{last}" if first is not None else ""
        remote = self.remote_ip_prefix or (
            f"group {self.remote_group_id}" if self.remote_group_id else "any"
        )
        return f"{self.direction.value} {self.protocol.value}{ports} from {remote}"

    @classmethod
    def from_preset(cls, preset: str, **overrides: Any) -> "RuleSpec":
        """The rule of a preset (ssh, icmp, http, https) with remote/direction overrides."""
        found = RulePreset.from_string(preset)
        return cls(
            protocol=found.protocol,
            port_range_min=found.first,
            port_range_max=found.last,
            **overrides,
        )


def find_security_group(conn: Any, project: Any, value: str, parameter: str) -> Any:
    """A security group of ``project`` by name, or any by id."""
    return pick(
        "security group",
        value,
        parameter,
        list(conn.network.security_groups(name=value, project_id=project.id)),
        conn.network.get_security_group,
        lambda: (g.name for g in conn.network.security_groups(project_id=project.id)),
    )


def ensure_rules(
    conn: Any, plan: Plan, group: Any, specs: Sequence[RuleSpec]
) -> List[Tuple[Any, bool]]:
    """Each rule on the group, created if missing: ``(rule or None in a dry run, existed)``."""
    rules = list(conn.network.security_group_rules(security_group_id=group.id))
    found = []
    for spec in specs:
        existing = next((rule for rule in rules if spec.matches(rule)), None)
        if existing is not None:
            found.append((existing, True))
            continue
        attrs = spec.attrs(group)
        created = plan.apply(
            Change(
                Verb.CREATE, "security group rule", f"{group.name}: {spec.label()}", None, attrs
            ),
            lambda attrs=attrs: conn.network.create_security_group_rule(**attrs),
        )
        found.append((created, False))
    return found


def security_group_rule_add(
    conn: Any,
    project: str,
    project_domain: Optional[str] = None,
    security_group: str = "default",
    preset: Optional[str] = None,
    direction: str = Direction.INGRESS.value,
    protocol: Optional[str] = None,
    port_range_min: Optional[int] = None,
    port_range_max: Optional[int] = None,
    remote_ip_prefix: Optional[str] = None,
    remote_group: Optional[str] = None,
    ethertype: Optional[str] = None,
    description: Optional[str] = None,
    dry_run: bool = True,
) -> Dict[str, Any]:
    """Add one rule to a project's security group (a preset, or protocol and ports)."""
    if preset and (protocol or port_range_min is not None or port_range_max is not None):
        raise InvalidParameterError(
            f"preset {preset!r} sets protocol and ports: leave protocol and port_range_* empty"
        )
    if not preset and not protocol:
        raise InvalidParameterError(
            "give a preset (" + ", ".join(p.label for p in RulePreset) + ") or a protocol"
        )
    with openstack_errors("security.group.rule.add"):
        owner = find_project(conn, project, project_domain)
        group = find_security_group(conn, owner, security_group, "security_group")
        remote_group_id = None
        if remote_group:
            remote_group_id = find_security_group(conn, owner, remote_group, "remote_group").id
        common = {
            "direction": _choice(Direction, direction, "direction"),
            "remote_ip_prefix": remote_ip_prefix,
            "remote_group_id": remote_group_id,
            "ethertype": ethertype,
            "description": description,
        }
        if preset:
            spec = RuleSpec.from_preset(preset, **common)
        else:
            spec = RuleSpec(
                protocol=_choice(Protocol, protocol, "protocol"),
                port_range_min=port_range_min,
                port_range_max=port_range_max,
                **common,
            )
        plan = Plan(dry_run)
        rule, existed = ensure_rules(conn, plan, group, [spec])[0]
        return plan.report(
            project=project_ref(conn, owner),
            security_group=Ref(group.id, group.name, True),
            rule=Ref(rule.id if rule else None, spec.label(), existed),
        )
