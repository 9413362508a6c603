"""Quota, flavor, image and network actions against the devcloud.

Each action runs through the local runner (a fresh interpreter on StackStorm's path) for the
change itself and is checked with the admin connection; dry runs and re-runs mostly use the
same lib functions in-process on the admin connection, which is quicker. Every test works in
throwaway projects (deleted with everything in them afterwards) or on resources it creates
and deletes itself; seed resources are only read.
"""

import contextlib
import datetime
import ipaddress
import json
import socket
import uuid

import pytest
import yaml

from apis import clock
from apis.openstack_api import flavors, floating_ips, images, network_checks, networks
from apis.openstack_api import quotas, routers, security_groups
from apis.openstack_api.connection import connect
from apis.openstack_api.identity.exceptions import (
    InvalidParameterError,
    NameNotFoundError,
    OpenStackRequestError,
)
from apis.openstack_api.networks import ChangeRefusedError, Plan, ResourceConflictError
from tests.integration.action_run import run_action, same_changes
from tests.integration.devcloud_fixtures import throwaway

pytestmark = pytest.mark.integration

PUBLIC = "seed-public"
PUBLIC_CIDR = "198.51.100.0/24"


@pytest.fixture(name="run")
def fixture_run(clouds_yaml, tmp_path):
    """``run(action, config={...}, **parameters)`` -> (exit status, result), local runner."""
    assert clouds_yaml.path.exists()

    def run(action, config=None, **parameters):
        path = tmp_path / f"cloudops-{uuid.uuid4().hex[:6]}.yaml"
        path.write_text(yaml.safe_dump(config or {}), encoding="utf-8")
        argv = [f"{key}={_arg(value)}" for key, value in parameters.items()]
        code, answer, _ = run_action(path, action, "cloud_account=devcloud", *argv)
        return code, answer["result"]

    return run


def _arg(value):
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)


def _summaries(result):
    return [f"{c['verb']} {c['resource']} {c['name']}" for c in result["changes"]]


def _mine(resources, project_id):
    return [r for r in resources if r.project_id == project_id]


@pytest.fixture(name="project")
def fixture_project(throwaway_project, admin_conn):
    """The throwaway project as a keystone resource."""
    return admin_conn.identity.get_project(throwaway_project.project_id)


def test_network_and_router_create(run, project, admin_conn):
    net = admin_conn.network
    code, dry = run("network.create", project=project.name, name="app", cidr="10.77.0.0/24")
    assert code == 0 and dry["dry_run"] and not dry["changed"]
    assert _summaries(dry) == ["create network app", "create subnet app-subnet"]
    assert not _mine(net.networks(name="app"), project.id)

    code, done = run(
        "network.create", project=project.name, name="app", cidr="10.77.0.0/24", dry_run=False
    )
    assert code == 0 and done["changed"] and same_changes(dry, done)
    network = net.get_network(done["network"]["id"])
    subnet = net.get_subnet(done["subnet"]["id"])
    assert network.project_id == subnet.project_id == project.id
    assert subnet.cidr == "10.77.0.0/24" and subnet.network_id == network.id
    plan = Plan(dry_run=False)
    found, existed = networks.ensure_network(admin_conn, plan, project, "app")
    assert found.id == network.id and existed
    spec = networks.SubnetSpec("10.77.0.0/24")
    assert networks.ensure_subnet(admin_conn, plan, project, network, "app", spec)[1]
    assert not plan.changes

    public = net.find_network(PUBLIC)
    plan = Plan(dry_run=True)
    assert routers.ensure_router(admin_conn, plan, project, "edge", public, [subnet]) == (
        None,
        False,
    )
    assert [c.summary() for c in plan.changes] == [
        "create router edge",
        "add router interface edge on subnet app-subnet",
    ]
    assert not _mine(net.routers(name="edge"), project.id)
    code, done = run(
        "router.create",
        project=project.id,
        name="edge",
        external_network=PUBLIC,
        subnets="app-subnet",
        dry_run=False,
    )
    assert code == 0 and done["changed"]
    router = net.get_router(done["router"]["id"])
    assert router.project_id == project.id
    assert router.external_gateway_info["network_id"] == public.id
    interfaces = net.ports(device_id=router.id, device_owner="network:router_interface")
    assert [ip["subnet_id"] for port in interfaces for ip in port.fixed_ips] == [subnet.id]
    plan = Plan(dry_run=False)
    routers.ensure_router(admin_conn, plan, project, "edge", public, [subnet])
    assert not plan.changes

    code, checked = run("network.check.routers", config={"expected_external_cidrs": [PUBLIC_CIDR]})
    assert code == 0 and checked["checked"] >= 3
    assert router.id not in [r["router_id"] for r in checked["routers"]]
    elsewhere = network_checks.find_unexpected_gateways(
        admin_conn, [ipaddress.ip_network("192.0.2.0/24")]
    )
    [ours] = [r for r in elsewhere["routers"] if r.router_id == router.id]
    assert (ours.project_name, ours.external_network_name) == (project.name, PUBLIC)
    assert "outside the expected CIDRs" in ours.reason


def test_network_rbac_share(run, project, admin_conn, tmp_path):
    network, _ = networks.ensure_network(admin_conn, Plan(dry_run=False), project, "to-share")
    with throwaway(admin_conn, tmp_path, "rbac-target") as target:
        member = admin_conn.identity.get_project(target.project_id)
        shared = networks.RbacAction.ACCESS_AS_SHARED
        plan = Plan(dry_run=True)
        assert networks.share_network(admin_conn, plan, network, member, shared) == (None, False)
        assert len(plan.changes) == 1
        assert not list(admin_conn.network.rbac_policies(object_id=network.id))
        code, done = run(
            "network.rbac.share",
            network="to-share",
            network_project=project.name,
            project=target.project_id,
            project_domain="Default",
            dry_run=False,
        )
        assert code == 0 and done["changed"]
        [policy] = admin_conn.network.rbac_policies(object_id=network.id)
        assert (policy.action, policy.target_project_id) == ("access_as_shared", target.project_id)
        with contextlib.closing(target.connect()) as conn:
            assert network.id in [n.id for n in conn.network.networks()]
        plan = Plan(dry_run=False)
        again = networks.share_network(admin_conn, plan, network, member, shared)
        assert again[0].id == policy.id and again[1] and not plan.changes
        admin_conn.network.delete_rbac_policy(policy)


def test_floating_ip_allocate_and_release(lib_conn, run, project, admin_conn, seeded_cloud):
    net = admin_conn.network
    public = net.find_network(PUBLIC)
    plan = Plan(dry_run=True)
    floating_ips.allocate_floating_ips(admin_conn, plan, project, public, count=2)
    assert len(plan.changes) == 2 and not list(net.ips(project_id=project.id))
    code, done = run(
        "floating.ip.allocate",
        project=project.name,
        external_network=PUBLIC,
        count=2,
        dry_run=False,
    )
    assert code == 0 and done["changed"]
    held = sorted(net.ips(project_id=project.id), key=lambda f: f.floating_ip_address)
    assert [f.floating_ip_address for f in held] == sorted(f["name"] for f in done["floating_ips"])
    assert {f.status for f in held} == {"DOWN"} and len(held) == 2
    plan = Plan(dry_run=False)
    again = floating_ips.allocate_floating_ips(admin_conn, plan, project, public, count=2)
    assert not plan.changes and [existed for _, existed in again] == [True, True]

    code, refused = run(
        "floating.ip.release",
        floating_ips=[held[0].floating_ip_address, *seeded_cloud["floating_ips"]],
        project=project.name,
        dry_run=False,
    )
    assert code == 1 and refused["error_type"] == "ChangeRefusedError"
    assert "does not belong to project" in refused["error"]
    assert "attached to port" in refused["error"]
    assert len(list(net.ips(project_id=project.id))) == 2

    address = held[0].floating_ip_address
    dry = floating_ips.floating_ip_release(lib_conn, [address], project.id)
    assert [c.summary() for c in dry["changes"]] == [f"delete floating IP {address}"]
    assert net.get_ip(held[0].id)
    code, released = run("floating.ip.release", floating_ips=[address, held[1].id], dry_run=False)
    assert code == 0 and released["changed"] and released["absent"] == []
    assert not list(net.ips(project_id=project.id))


def test_security_group_rule_add(run, project, admin_conn):
    net = admin_conn.network
    group = net.find_security_group("default", project_id=project.id)

    def rules():
        found = net.security_group_rules(security_group_id=group.id, direction="ingress")
        return [rule for rule in found if rule.protocol]

    spec = security_groups.RuleSpec.from_preset("ssh", remote_ip_prefix="0.0.0.0/0")
    plan = Plan(dry_run=True)
    assert security_groups.ensure_rules(admin_conn, plan, group, [spec]) == [(None, False)]
    assert len(plan.changes) == 1 and not rules()
    code, done = run(
        "security.group.rule.add",
        project=project.name,
        preset="ssh",
        remote_ip_prefix="0.0.0.0/0",
        dry_run=False,
    )
    assert code == 0 and done["changed"]
    [rule] = rules()
    assert (rule.protocol, rule.port_range_min, rule.port_range_max) == ("tcp", 22, 22)
    assert rule.project_id == project.id and rule.id == done["rule"]["id"]
    plan = Plan(dry_run=False)
    same = security_groups.RuleSpec(port_range_min=22)
    assert security_groups.ensure_rules(admin_conn, plan, group, [same])[0][0].id == rule.id
    assert not plan.changes


def test_quota_show_and_set(run, project, admin_conn):
    code, shown = run("quota.show", project=project.name)
    assert code == 0 and shown["absent_services"] == ["volume"] and shown["volume"] is None
    assert shown["compute"]["cores"]["in_use"] == 0
    limit = admin_conn.network.get_quota(project.id).floating_ips
    assert shown["network"]["floating_ips"] == {"limit": limit, "in_use": 0, "reserved": 0}

    plan = Plan(dry_run=True)
    diff = quotas.apply_quotas(admin_conn, plan, project, {"cores": 7, "floating_ips": 3})
    assert set(diff) == {"cores", "floating_ips"} and len(plan.changes) == 2
    assert admin_conn.compute.get_quota_set(project.id).cores != 7
    code, done = run("quota.set", project=project.name, cores=7, floating_ips=3, dry_run=False)
    assert code == 0 and done["changed"]
    assert admin_conn.compute.get_quota_set(project.id).cores == 7
    assert admin_conn.network.get_quota(project.id).floating_ips == 3
    plan = Plan(dry_run=False)
    assert quotas.apply_quotas(admin_conn, plan, project, {"cores": 7, "floating_ips": 3}) == {}
    assert not plan.changes

    public = admin_conn.network.find_network(PUBLIC)
    admin_conn.network.create_ip(floating_network_id=public.id, project_id=project.id)
    plan = Plan(dry_run=False)
    with pytest.raises(ChangeRefusedError, match="floating_ips=0 is below current usage 1"):
        quotas.apply_quotas(admin_conn, plan, project, {"floating_ips": 0})
    assert admin_conn.network.get_quota(project.id).floating_ips == 3
    quotas.apply_quotas(admin_conn, plan, project, {"floating_ips": 0}, force=True)
    assert admin_conn.network.get_quota(project.id).floating_ips == 0
    with pytest.raises(InvalidParameterError, match="no volume service"):
        quotas.apply_quotas(admin_conn, Plan(dry_run=True), project, {"volumes": 5})


@contextlib.contextmanager
def deleted_afterwards(finder, deleter, name):
    """Delete what ``finder(name)`` finds when the block ends."""
    try:
        yield
    finally:
        found = finder(name)
        if found is not None:
            deleter(found)


def test_flavor_create_and_project_access(run, project, admin_conn):
    compute = admin_conn.compute
    name = f"cloudops-test-{uuid.uuid4().hex[:8]}"
    with deleted_afterwards(compute.find_flavor, compute.delete_flavor, name):
        flavor_args = {"name": name, "vcpus": 1, "ram": 64, "disk": 0, "is_public": False}
        spec = flavors.FlavorSpec(name, 1, 64, 0, is_public=False)
        plan = Plan(dry_run=True)
        assert flavors.ensure_flavor(admin_conn, plan, spec, {"a": "b"}) == (None, False)
        assert len(plan.changes) == 2 and compute.find_flavor(name) is None
        code, done = run(
            "flavor.create",
            **flavor_args,
            projects=project.name,
            extra_specs={"cloudops:test": "yes"},
            dry_run=False,
        )
        assert code == 0 and done["changed"]
        flavor = compute.find_flavor(name, get_extra_specs=True)
        assert (flavor.vcpus, flavor.ram, flavor.is_public) == (1, 64, False)
        assert flavor.extra_specs == {"cloudops:test": "yes"}
        assert [a["tenant_id"] for a in compute.get_flavor_access(flavor)] == [project.id]
        plan = Plan(dry_run=False)
        found, existed = flavors.ensure_flavor(admin_conn, plan, spec)
        assert found.id == flavor.id and existed
        flavors.change_flavor_access(admin_conn, plan, flavor, [project], adding=True)
        assert not plan.changes
        with pytest.raises(ResourceConflictError, match="ram=64 \\(wanted 128\\)"):
            flavors.ensure_flavor(admin_conn, plan, flavors.FlavorSpec(name, 1, 128, 0, False))

        plan = Plan(dry_run=True)
        flavors.change_flavor_access(admin_conn, plan, flavor, [project], adding=False)
        assert len(plan.changes) == 1 and compute.get_flavor_access(flavor)
        code, removed = run(
            "flavor.project.access.remove", flavor=name, projects=project.id, dry_run=False
        )
        assert code == 0 and removed["changed"] and compute.get_flavor_access(flavor) == []
        code, added = run(
            "flavor.project.access.add", flavor=flavor.id, projects=project.name, dry_run=False
        )
        assert code == 0 and added["changed"] and len(compute.get_flavor_access(flavor)) == 1
        with pytest.raises(InvalidParameterError, match="is public"):
            flavors.change_flavor_access(
                admin_conn, plan, compute.find_flavor("seed.small"), [project], adding=True
            )


def test_image_share_and_decommission_mark(run, throwaway_project, project, admin_conn):
    image_api = admin_conn.image
    name = f"cloudops-test-{uuid.uuid4().hex[:8]}"
    with deleted_afterwards(
        lambda n: next(iter(image_api.images(name=n)), None), image_api.delete_image, name
    ):
        image = image_api.create_image(
            name=name, data=b"cloudops", disk_format="raw", container_format="bare"
        )
        plan = Plan(dry_run=True)
        assert images.share_image(admin_conn, plan, image, project) == (None, False)
        assert len(plan.changes) >= 2 and not list(image_api.members(image))
        code, done = run("image.share.to.project", image=name, project=project.name, dry_run=False)
        assert code == 0 and done["member_status"] == "accepted"
        [member] = image_api.members(image)
        assert (member.member_id, member.status) == (project.id, "accepted")
        with contextlib.closing(throwaway_project.connect()) as conn:
            assert image.id in [i.id for i in conn.image.images()]
        plan = Plan(dry_run=False)
        shared = image_api.get_image(image)
        assert images.share_image(admin_conn, plan, shared, project) == ("accepted", True)
        assert not plan.changes

        date = clock.today() + datetime.timedelta(days=90)
        plan = Plan(dry_run=True)
        assert images.mark_decommission(admin_conn, plan, shared, date) is None
        assert images.DECOMMISSION_KEY not in image_api.get_image(image).properties
        code, marked = run(
            "image.decommission.mark",
            image=image.id,
            decommission_date=date.isoformat(),
            dry_run=False,
        )
        assert code == 0 and marked["changed"] and marked["previous_date"] is None
        properties = image_api.get_image(image).properties
        assert properties[images.DECOMMISSION_KEY] == date.isoformat()
        assert properties["stores"] == shared.properties["stores"]
        plan = Plan(dry_run=False)
        marked_image = image_api.get_image(image)
        assert images.mark_decommission(admin_conn, plan, marked_image, date) == date.isoformat()
        assert not plan.changes
        with pytest.raises(InvalidParameterError, match="is public"):
            images.share_image(admin_conn, plan, image_api.find_image("seed-cirros"), project)


def test_bad_input_fails_cleanly(lib_conn, run):
    code, result = run("quota.show", project="seed-wbe")
    assert code == 1 and result["error_type"] == "NameNotFoundError"
    assert "project 'seed-wbe'" in result["error"] and "seed-web" in result["error"]
    code, result = run(
        "router.create", project="seed-web", name="x", external_network="seed-web-net"
    )
    assert code == 1 and "not an external network; external networks:" in result["error"]
    with pytest.raises(NameNotFoundError, match="project_domain 'nope'"):
        networks.network_create(lib_conn, "seed-web", "x", project_domain="nope")
    with pytest.raises(ChangeRefusedError, match="does not belong to project seed-lab"):
        floating_ips.floating_ip_release(lib_conn, ["198.51.100.21"], "seed-lab")


def test_project_member_is_refused_without_leaking_secrets(throwaway_project, monkeypatch):
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(throwaway_project.clouds_yaml))
    with pytest.raises(OpenStackRequestError) as err, connect(throwaway_project.cloud) as conn:
        quotas.quota_set(conn, throwaway_project.project_id, cores=1, dry_run=False)
    assert "HTTP 403" in str(err.value) and "lacks a role" in str(err.value)
    assert throwaway_project.password not in str(err.value)


@pytest.fixture(name="silent_port")
def fixture_silent_port():
    """A loopback port that accepts connections and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield sock.getsockname()[1]


def test_network_api_timeout_is_a_clean_error(clouds_yaml, silent_port, tmp_path, monkeypatch):
    clouds = yaml.safe_load(clouds_yaml.path.read_text(encoding="utf-8"))
    cloud = clouds["clouds"][clouds_yaml.cloud]
    cloud["api_timeout"] = 1
    cloud["network_endpoint_override"] = f"http://127.0.0.1:{silent_port}"
    path = tmp_path / "clouds.yaml"
    path.write_text(yaml.safe_dump(clouds), encoding="utf-8")
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(path))
    with pytest.raises(OpenStackRequestError) as err, connect(clouds_yaml.cloud) as conn:
        quotas.quota_show(conn, "seed-web")
    assert str(err.value).startswith("quota.show: ")
    assert "timed out" in str(err.value).lower()
