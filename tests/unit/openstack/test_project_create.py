"""project.create: validation, idempotence, dry run, every optional part and the rollback."""

import pytest
import requests
from openstack import exceptions
from openstack.network.v2.network import Network
from openstack.network.v2.router import Router
from openstack.network.v2.security_group import SecurityGroup
from openstack.network.v2.subnet import Subnet

from apis.openstack_api.identity.exceptions import (
    AmbiguousNameError,
    InvalidParameterError,
    NameNotFoundError,
    ProjectCreateError,
)
from apis.openstack_api.identity.project_setup import parse_rule
from apis.openstack_api.security_groups import Protocol
from tests.result_schemas import check_result
from tests.fakes.cloud import FakeCloud
from tests.fakes.store import KIND_OF
from workflows.project_create import project_create

FULL = {
    "description": "web tier",
    "tags": ["team-web"],
    "properties": {"owner": "web-team"},
    "network_cidr": "10.20.0.0/24",
    "dns_nameservers": ["192.0.2.53"],
    "external_network": "public",
    "rbac_shared_networks": ["shared-net"],
    "security_group_rules": ["ssh", "icmp", "tcp:8000-8080@10.0.0.0/8"],
    "quotas": {"cores": 8, "routers": 2},
    "admin_users": ["alice"],
    "member_groups": ["ops"],
}


@pytest.fixture(name="cloud")
def fixture_cloud():
    cloud = FakeCloud().with_admin()
    cloud.alice = cloud.user("alice")
    cloud.ops = cloud.group("ops")
    cloud.public = cloud.external_network("public")
    cloud.shared = cloud.add(Network(name="shared-net", project_id="p-admin"))
    return cloud


def new_project(cloud, name="web"):
    """The project project.create made."""
    return next(p for p in cloud.of("projects") if p.name == name)


def owned(cloud, cls, project):
    """The resources of one type the project owns."""
    return [r for r in cloud.of(KIND_OF[cls]) if r.project_id == project.id]


def snapshot(cloud):
    """The whole fake cloud's state, to compare before and after."""
    return cloud.resources(), set(cloud.grants)


def test_plain_project_with_tags_and_properties(cloud):
    report = project_create(
        cloud.conn, "web", description="web tier", tags=["a"], properties={"owner": "x"}
    )
    assert report.state.value == "created"
    assert report.project.name == "web" and report.project.domain == "Default"
    assert report.project.tags == ["a"] and report.project.properties == {"owner": "x"}
    assert [s.kind for s in report.steps] == ["project"]
    created = cloud.calls("identity", "create_project")[0].kwargs
    assert created == {
        "name": "web",
        "domain_id": "default",
        "description": "web tier",
        "is_enabled": True,
        "tags": ["a"],
        "owner": "x",
    }


def test_every_part_is_built_and_reported(cloud):
    report = project_create(cloud.conn, "web", **FULL)
    check_result("project.create", report)
    project = new_project(cloud)
    assert report.state.value == "created" and report.project.id == project.id
    assert [s.kind for s in report.steps] == [
        "project",
        "compute quota",
        "network quota",
        "role",
        "role",
        "network",
        "subnet",
        "router",
        "router interface",
        "rbac policy",
        "security group rule",
        "security group rule",
        "security group rule",
    ]
    (network,) = owned(cloud, Network, project)
    (subnet,) = owned(cloud, Subnet, project)
    (router,) = owned(cloud, Router, project)
    assert (network.name, subnet.cidr, subnet.dns_nameservers) == (
        "web-net",
        "10.20.0.0/24",
        ["192.0.2.53"],
    )
    assert router.name == "web-router"
    assert router.external_gateway_info == {"network_id": cloud.public.id}
    assert [p.device_id for p in cloud.of("ports")] == [router.id]
    (policy,) = cloud.of("rbac_policies")
    assert (policy.object_id, policy.target_project_id, policy.action) == (
        cloud.shared.id,
        project.id,
        "access_as_shared",
    )
    (group,) = owned(cloud, SecurityGroup, project)
    rules = {
        (r.protocol, r.port_range_min, r.port_range_max, r.remote_ip_prefix, r.direction)
        for r in cloud.of("security_group_rules")
        if r.security_group_id == group.id
    }
    assert rules == {
        ("tcp", 22, 22, "0.0.0.0/0", "ingress"),
        ("icmp", None, None, "0.0.0.0/0", "ingress"),
        ("tcp", 8000, 8080, "10.0.0.0/8", "ingress"),
    }
    assert cloud.quotas["compute"][project.id] == {"cores": (8, 0)}
    assert cloud.quotas["network"][project.id] == {"routers": (2, 0)}
    assert cloud.grants == {
        ("user", project.id, cloud.alice.id, "r-admin"),
        ("group", project.id, cloud.ops.id, "r-member"),
    }


def test_second_run_reports_the_existing_project_and_changes_nothing(cloud):
    project_create(cloud.conn, "web", **FULL)
    before = snapshot(cloud)
    creates = len(cloud.calls("identity", "create_project"))
    again = project_create(cloud.conn, "web", **FULL)
    check_result("project.create", again)
    assert again.state.value == "existed" and not again.steps
    assert again.project.properties == {"owner": "web-team"}
    assert "nothing changed" in again.message
    assert snapshot(cloud) == before
    assert len(cloud.calls("identity", "create_project")) == creates


def test_same_name_in_another_domain_is_a_new_project(cloud):
    cloud.project("web", domain_id="d-seed")
    report = project_create(cloud.conn, "web", domain="default")
    assert report.state.value == "created" and report.project.domain == "Default"


def test_dry_run_resolves_everything_and_creates_nothing(cloud):
    before = snapshot(cloud)
    report = project_create(cloud.conn, "web", dry_run=True, **FULL)
    check_result("project.create", report)
    assert report.state.value == "would_create" and report.project is None
    assert snapshot(cloud) == before
    done = project_create(cloud.conn, "web", **FULL)
    assert [(o.kind, o.name, o.outcome, o.change) for o in report.objects] == [
        (o.kind, o.name, o.outcome, o.change) for o in done.objects
    ]
    assert [o.id for o in report.objects] == [None] * len(report.objects)
    assert [(o.kind, o.name, o.change) for o in report.objects] == [
        ("project", "web", "create"),
        ("compute quota", "web", "update"),
        ("network quota", "web", "update"),
        ("role", "admin for user alice", "add"),
        ("role", "member for group ops", "add"),
        ("network", "web-net", "create"),
        ("subnet", "web-net-subnet", "create"),
        ("router", "web-router", "create"),
        ("router interface", "web-router on subnet web-net-subnet", "add"),
        ("rbac policy", "access_as_shared of network shared-net for project web", "create"),
        ("security group rule", "default: ingress tcp 22-22 from 0.0.0.0/0", "create"),
        ("security group rule", "default: ingress icmp from 0.0.0.0/0", "create"),
        ("security group rule", "default: ingress tcp 8000-8080 from 10.0.0.0/8", "create"),
    ]


def test_failure_midway_rolls_back_everything_and_says_so(cloud):
    response = requests.Response()
    response.status_code = 409
    cloud.fail(
        "network",
        "create_router",
        exceptions.ConflictException(
            "conflict", response=response, details="Quota exceeded for resources: ['router']."
        ),
    )
    before = snapshot(cloud)
    with pytest.raises(ProjectCreateError) as err:
        project_create(cloud.conn, "web", **FULL)
    message = str(err.value)
    assert message.startswith("project.create 'web' failed while creating router web-router: ")
    assert "HTTP 409: Quota exceeded for resources: ['router']." in message
    assert message.endswith(
        "rolled back: role member for group ops, role admin for user alice, "
        "quotas (back to the defaults), network web-net, security group default, project web"
    )
    assert snapshot(cloud) == before
    assert not any(cloud.quotas.values())


def test_an_undo_that_fails_is_reported_for_cleanup_by_hand(cloud):
    cloud.fail("network", "create_rbac_policy", exceptions.SDKException("boom"))
    cloud.fail("identity", "delete_project", exceptions.SDKException("keystone down"))
    with pytest.raises(ProjectCreateError) as err:
        project_create(cloud.conn, "web", **FULL)
    message = str(err.value)
    assert "failed while sharing network shared-net" in message
    assert "router web-router" in message and "network web-net" in message
    assert message.endswith(
        "NOT rolled back (clean up by hand): project web (SDKException: keystone down)"
    )
    assert [p.name for p in cloud.of("projects")] == ["admin", "web"]
    assert not cloud.of("routers")
    assert [n.name for n in cloud.of("networks")] == ["public", "shared-net"]


def test_a_bug_is_raised_as_is_after_the_rollback(cloud):
    cloud.fail("network", "create_network", RuntimeError("bug"))
    with pytest.raises(RuntimeError, match="bug"):
        project_create(cloud.conn, "web", **FULL)
    assert [p.name for p in cloud.of("projects")] == ["admin"]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"name": "x" * 65}, "name 'xxx"),
        ({"tags": ["a/b"]}, "tags ['a/b']: a tag is 1-255 characters"),
        ({"properties": {"name": "x"}}, "properties ['name']: these are project fields"),
        ({"external_network": "public"}, "network_name, dns_nameservers and external_network"),
        ({"network_cidr": "10.0.0.1/24"}, "network_cidr/dns_nameservers: cidr '10.0.0.1/24'"),
        ({"quotas": {"cpus": 1}}, "quotas key 'cpus' is not a quota; valid keys: instances"),
        ({"quotas": {"cores": -2}}, "quotas cores=-2: give a whole number >= 0, or -1"),
        ({"quotas": {"cores": True}}, "quotas cores=True"),
        ({"security_group_rules": ["smtp"]}, "security_group_rules entry 'smtp': unknown"),
    ],
)
def test_bad_parameters_fail_before_connecting(cloud, kwargs, message):
    with pytest.raises(InvalidParameterError) as err:
        project_create(cloud.conn, **{"name": "web", **kwargs})
    assert str(err.value).startswith(message)
    assert cloud.calls_made() == []


def test_unknown_names_fail_before_creating_anything(cloud):
    before = snapshot(cloud)
    with pytest.raises(NameNotFoundError, match="external_network 'pub'"):
        project_create(cloud.conn, "web", network_cidr="10.0.0.0/24", external_network="pub")
    with pytest.raises(NameNotFoundError, match="rbac_shared_networks 'nope'"):
        project_create(cloud.conn, "web", rbac_shared_networks=["nope"])
    with pytest.raises(NameNotFoundError, match="member_groups 'devs': no group"):
        project_create(cloud.conn, "web", member_groups=["devs"])
    with pytest.raises(InvalidParameterError, match="quotas volumes: the cloud has no block"):
        project_create(cloud.conn, "web", quotas={"volumes": 5})
    assert snapshot(cloud) == before


def test_ambiguous_user_names_the_parameter_and_identity_domain(cloud):
    seed_alice = cloud.user("alice", domain_id="d-seed")
    with pytest.raises(
        AmbiguousNameError, match="admin_users 'alice' is ambiguous.*identity_domain"
    ):
        project_create(cloud.conn, "web", admin_users=["alice"])
    project_create(cloud.conn, "web", admin_users=["alice"], identity_domain="seed")
    assert ("user", new_project(cloud).id, seed_alice.id, "r-admin") in cloud.grants


@pytest.mark.parametrize(
    "text, protocol, ports, prefix",
    [
        ("ssh", Protocol.TCP, (22, 22), "0.0.0.0/0"),
        ("HTTPS@192.0.2.0/24", Protocol.TCP, (443, 443), "192.0.2.0/24"),
        ("udp:53", Protocol.UDP, (53, 53), "0.0.0.0/0"),
        ("tcp:8000-8080@10.0.0.0/8", Protocol.TCP, (8000, 8080), "10.0.0.0/8"),
        ("icmp@::/0", Protocol.ICMP, (None, None), "::/0"),
    ],
)
def test_rule_syntax(text, protocol, ports, prefix):
    rule = parse_rule(text)
    assert (rule.protocol, rule.ports(), rule.remote_ip_prefix) == (protocol, ports, prefix)
    assert rule.ether_type == ("IPv6" if ":" in prefix else "IPv4")


@pytest.mark.parametrize(
    "text, problem",
    [
        ("icmp:8", "icmp takes no port"),
        ("tcp:0", "port_range_min 0 is out of range"),
        ("tcp:90-80", "port_range_min 90 is above port_range_max 80"),
        ("tcp:22@10.0.0.1/8", "remote_ip_prefix '10.0.0.1/8' is not a network CIDR"),
        ("gre", "unknown protocol or bad syntax"),
    ],
)
def test_bad_rules_explain_the_format(text, problem):
    with pytest.raises(InvalidParameterError) as err:
        parse_rule(text)
    assert str(err.value).startswith(f"security_group_rules entry {text!r}: {problem}")
    assert "format: PROTOCOL[:PORT[-PORT]][@CIDR]" in str(err.value)


def test_each_phase_gets_a_progress_line(cloud, progress_lines):
    project_create(cloud.conn, "web", **FULL)
    phases = ["project", "quotas", "role grants", "network", "network shares"]
    phases.append("security group rules")
    assert progress_lines() == [
        f"project.create web: {phase} done ({n} of 6, {1.5 * n:.1f} s)"
        for n, phase in enumerate(phases, start=1)
    ]


def test_a_failed_phase_stops_the_progress(cloud, progress_lines):
    cloud.fail("network", "create_router", exceptions.ConflictException("conflict"))
    with pytest.raises(ProjectCreateError):
        project_create(cloud.conn, "web", **FULL)
    assert progress_lines()[-1] == "project.create web: role grants done (3 of 6, 4.5 s)"
