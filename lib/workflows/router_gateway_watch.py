"""One poll of the router gateway sensor: routers whose external gateway is unexpected.

The check is ``network.check.routers``' (:func:`find_unexpected_gateways`) against the pack
config's ``expected_external_cidrs``; each router found is a finding dispatched once.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Dict, List, Mapping, Optional

from apis.config_section import check_known_keys
from apis.errors import CloudopsError
from apis.openstack_api.connection import connect
from apis.openstack_api.exceptions import OpenStackApiError
from apis.openstack_api.identity.exceptions import openstack_errors
from apis.openstack_api.network_checks import RouterFinding, find_unexpected_gateways, parse_cidrs
from workflows import finding_watch

CHECK = "router_gateway"
CONFIG_KEY = "router_gateway_sensor"
DATASTORE_KEY = "router_gateway_findings"
TRIGGER = "cloudops.network.router_gateway_finding"
GROUP = "routers"
SETTINGS = ("cloud_account",)
IDENTITY = ("router_id", "external_network_id", "gateway_ips", "reason")


class RouterGatewayConfigError(OpenStackApiError):
    """The pack config's router_gateway_sensor is not usable."""


@dataclasses.dataclass(frozen=True)
class RouterGatewaySettings:
    """Which cloud to watch and which external CIDRs gateways may be on."""

    cloud_account: str
    expected: List[Any]

    @classmethod
    def from_config(cls, config: Optional[Mapping[str, Any]]) -> Optional["RouterGatewaySettings"]:
        """The checked settings from the whole pack config; None (idle) without a cloud."""
        config = config or {}
        settings = config.get(CONFIG_KEY) or {}
        check_known_keys(CONFIG_KEY, settings, SETTINGS, RouterGatewayConfigError)
        if not settings.get("cloud_account"):
            return None
        return cls(
            cloud_account=str(settings["cloud_account"]),
            expected=parse_cidrs(config.get("expected_external_cidrs"), "expected_external_cidrs"),
        )


def payload(cloud: str, router: RouterFinding) -> Dict[str, Any]:
    """The trigger payload of one router; the fingerprint covers the router and its gateway
    (a renamed router or project is the same finding)."""
    content = {"check": CHECK, "cloud": cloud, **dataclasses.asdict(router)}
    identity = {key: content[key] for key in ("check", "cloud", *IDENTITY)}
    return {**content, "fingerprint": finding_watch.fingerprint(identity)}


def poll(settings: RouterGatewaySettings, previous: Mapping[str, str]) -> finding_watch.WatchResult:
    """Check every router; the findings not dispatched before are ``new``."""
    try:
        with connect(settings.cloud_account) as conn, openstack_errors(CONFIG_KEY):
            found = find_unexpected_gateways(conn, settings.expected)
    except CloudopsError as err:
        return finding_watch.sift(
            [], previous, [GROUP], [f"{CONFIG_KEY}: cloud {settings.cloud_account!r}: {err}"]
        )
    findings = [(GROUP, payload(settings.cloud_account, router)) for router in found["routers"]]
    return finding_watch.sift(findings, previous)
