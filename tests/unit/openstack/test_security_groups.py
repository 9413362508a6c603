"""security.group.rule.add and RuleSpec on the fake cloud."""

import pytest
from openstack.network.v2.security_group import SecurityGroup
from openstack.network.v2.security_group_rule import SecurityGroupRule

from apis.openstack_api import security_groups
from apis.openstack_api.identity.exceptions import InvalidParameterError, NameNotFoundError
from apis.openstack_api.security_groups import Protocol, RuleSpec
from tests.result_schemas import check_result


@pytest.fixture(name="cloud")
def fixture_cloud():
    """Project web with its default group (one https rule stored as neutron does) and 'lb'."""
    from tests.fakes.cloud import FakeCloud

    cloud = FakeCloud()
    cloud.project("web")
    cloud.add(SecurityGroup(id="g-default", name="default", project_id="p-web"))
    cloud.add(SecurityGroup(id="g-lb", name="lb", project_id="p-web"))
    cloud.add(
        SecurityGroupRule(
            id="rule-https",
            security_group_id="g-default",
            direction="ingress",
            ether_type="IPv4",
            protocol="6",
            port_range_min=443,
            port_range_max=443,
            remote_ip_prefix=None,
        ),
    )
    return cloud


def test_preset_dry_run_then_create_then_idempotent(cloud):
    dry = security_groups.security_group_rule_add(cloud.conn, "web", preset="ssh")
    assert [c.summary() for c in dry["changes"]] == [
        "create security group rule default: ingress tcp 22-22 from any"
    ]
    cloud.conn.network.create_security_group_rule.assert_not_called()
    done = security_groups.security_group_rule_add(
        cloud.conn, "web", preset="ssh", remote_ip_prefix="0.0.0.0/0", dry_run=False
    )
    cloud.conn.network.create_security_group_rule.assert_called_once_with(
        security_group_id="g-default",
        project_id="p-web",
        direction="ingress",
        ether_type="IPv4",
        protocol="tcp",
        port_range_min=22,
        port_range_max=22,
        remote_ip_prefix="0.0.0.0/0",
    )
    assert done["changed"] and not done["rule"].existed
    again = security_groups.security_group_rule_add(cloud.conn, "web", preset="ssh", dry_run=False)
    check_result("security.group.rule.add", again)
    assert again["rule"].existed and again["changes"] == []


def test_existing_rule_matches_like_neutron_duplicate_check(cloud):
    result = security_groups.security_group_rule_add(
        cloud.conn, "web", protocol="tcp", port_range_min=443, remote_ip_prefix="0.0.0.0/0"
    )
    assert result["rule"].id == "rule-https" and result["changes"] == []
    cloud.conn.network.create_security_group_rule.assert_not_called()


def test_icmp_ipv6_and_remote_group(cloud):
    result = security_groups.security_group_rule_add(
        cloud.conn,
        "web",
        security_group="lb",
        protocol="icmp",
        port_range_min=8,
        remote_ip_prefix="2001:db8::/32",
        dry_run=False,
    )
    rule = next(r for r in cloud.of("security_group_rules") if r.security_group_id == "g-lb")
    assert (rule.ether_type, rule.protocol, rule.port_range_min, rule.port_range_max) == (
        "IPv6",
        "icmp",
        8,
        None,
    )
    assert result["rule"].name == "ingress icmp 8-None from 2001:db8::/32"
    grouped = security_groups.security_group_rule_add(
        cloud.conn, "web", protocol="any", remote_group="lb", direction="egress"
    )
    assert grouped["changes"][0].details["remote_group_id"] == "g-lb"
    assert "protocol" not in grouped["changes"][0].details


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({}, "give a preset (ssh, icmp, http, https) or a protocol"),
        ({"preset": "ssh", "protocol": "tcp"}, "leave protocol and port_range_"),
        ({"preset": "telnet"}, "preset 'telnet' is not one of: ssh, icmp, http, https"),
        ({"protocol": "sctp"}, "protocol 'sctp' is not one of: tcp, udp, icmp, any"),
        ({"protocol": "tcp", "direction": "in"}, "direction 'in' is not one of: ingress, egress"),
        ({"protocol": "tcp", "port_range_min": 0}, "port_range_min 0 is out of range 1-65535"),
        ({"protocol": "tcp", "port_range_min": 90, "port_range_max": 80}, "is above"),
        ({"protocol": "icmp", "port_range_min": 300}, "icmp type/code is 0-255"),
        ({"protocol": "icmp", "port_range_max": 1}, "icmp code) needs port_range_min"),
        ({"protocol": "any", "port_range_min": 22}, "need protocol tcp, udp or icmp"),
        ({"protocol": "tcp", "remote_ip_prefix": "10.0.0.1/8"}, "is not a network CIDR"),
        (
            {"protocol": "tcp", "remote_ip_prefix": "10.0.0.0/8", "ethertype": "IPv6"},
            "does not match remote_ip_prefix",
        ),
        ({"protocol": "tcp", "ethertype": "IPX"}, "ethertype 'IPX' is not one of"),
        (
            {"protocol": "tcp", "remote_ip_prefix": "10.0.0.0/8", "remote_group": "lb"},
            "not both",
        ),
    ],
)
def test_bad_rules_name_the_parameter(cloud, kwargs, message):
    with pytest.raises(
        InvalidParameterError, match=message.replace("(", r"\(").replace(")", r"\)")
    ):
        security_groups.security_group_rule_add(cloud.conn, "web", **kwargs)
    cloud.conn.network.create_security_group_rule.assert_not_called()


def test_unknown_group_suggests_the_project_groups(cloud):
    with pytest.raises(NameNotFoundError, match="security_group 'lbb'.*did you mean: lb"):
        security_groups.security_group_rule_add(
            cloud.conn, "web", security_group="lbb", preset="ssh"
        )


def test_rule_spec_port_defaults():
    assert RuleSpec(protocol=Protocol.UDP, port_range_max=53).ports() == (53, 53)
    assert RuleSpec(protocol=Protocol.TCP).ports() == (None, None)
    assert RuleSpec(protocol=Protocol.ANY).label() == "ingress any from any"
