"""network.create, network.rbac.share and the shared lookups and Plan, on the fake cloud."""

from pathlib import Path

import pytest
import yaml
from openstack import exceptions
from openstack.network.v2.network import Network
from openstack.network.v2.rbac_policy import RBACPolicy
from openstack.network.v2.subnet import Subnet

from apis.openstack_api import networks
from apis.openstack_api.identity.exceptions import (
    AmbiguousNameError,
    InvalidParameterError,
    NameNotFoundError,
    OpenStackRequestError,
)
from apis.openstack_api.networks import (
    Change,
    Plan,
    ResourceConflictError,
    SubnetSpec,
    Verb,
    find_external_network,
    pick,
)
from tests.result_schemas import check_result
from tests.fakes.cloud import FakeCloud

ACTIONS = Path(__file__).resolve().parents[3] / "actions"


@pytest.fixture(name="cloud")
def fixture_cloud():
    """Two projects (one name in two domains), an external and a project network."""
    cloud = FakeCloud()
    cloud.project("web")
    cloud.project("data", domain_id="d2")
    cloud.project("data")
    cloud.add(
        Network(id="n-pub", name="public", is_router_external=True, project_id="p-admin"),
    )
    cloud.add(Network(id="n-web", name="web-net", project_id="p-web", mtu=1500))
    cloud.add(
        Subnet(id="s-web", name="web-net-subnet", network_id="n-web", cidr="10.0.0.0/24"),
    )
    return cloud


def test_plan_applies_changes_and_records_ids():
    plan = Plan(dry_run=False)
    result = plan.apply(Change(Verb.CREATE, "network", "n"), lambda: Network(id="n-1", name="n"))
    assert result.id == "n-1"
    assert plan.report()["changes"][0].id == "n-1" and plan.report()["changed"]


def test_plan_dry_run_runs_nothing():
    plan = Plan(dry_run=True)
    assert plan.apply(Change(Verb.DELETE, "router", "r"), pytest.fail) is None
    report = plan.report(extra=1)
    assert report["dry_run"] and not report["changed"] and report["extra"] == 1
    assert [c.summary() for c in report["changes"]] == ["delete router r"]


def test_plan_failure_names_the_change_and_what_was_done():
    plan = Plan(dry_run=False)
    plan.apply(Change(Verb.CREATE, "network", "a"), lambda: Network(id="n-a", name="a"))

    def conflict():
        raise exceptions.ConflictException("409 overlap")

    with pytest.raises(OpenStackRequestError) as err:
        plan.apply(Change(Verb.CREATE, "subnet", "b"), conflict)
    assert "create subnet b (already done: create network a)" in str(err.value)


def test_plan_failure_reverts_what_was_done_and_says_what_it_could_not():
    plan = Plan(dry_run=False)
    undone = []

    def refuse(*_args):
        raise exceptions.ConflictException("409 overlap")

    plan.apply(
        Change(Verb.CREATE, "network", "a"),
        lambda: Network(id="n-a"),
        lambda n: undone.append(n.id),
    )
    plan.apply(Change(Verb.CREATE, "subnet", "a-sub"), lambda: Subnet(id="s-a"), refuse)
    plan.apply(Change(Verb.UPDATE, "quota", "q"), lambda: None)
    with pytest.raises(OpenStackRequestError) as err:
        plan.apply(Change(Verb.CREATE, "router", "r"), refuse)
    assert undone == ["n-a"]
    message = str(err.value)
    assert message.startswith("create router r (already done: create network a; create subnet")
    assert message.endswith(
        "; rolled back: create network a; NOT rolled back (clean up by hand): create subnet "
        "a-sub (the cloud failed a request: HTTP 409: 409 overlap; it is busy or in a state that "
        "forbids this: wait until its current task ends and retry)"
    )


def test_pick_lists_ambiguous_matches_and_hints_close_names():
    twins = [Network(id="a", name="x", project_id="p1"), Network(id="b", name="x", project_id="p2")]
    with pytest.raises(
        AmbiguousNameError, match=r"network 'x' is ambiguous: 2 networks .*a \(project p1\)"
    ):
        pick("network", "x", "network", twins, lambda value: None)
    with pytest.raises(NameNotFoundError, match=r"no network .*did you mean: web-net\?"):
        pick("network", "web-nett", "network", [], _not_found, lambda: ["web-net", "other"])
    with pytest.raises(InvalidParameterError, match="network is empty"):
        pick("network", " ", "network", [], _not_found)


def _not_found(value):
    raise exceptions.NotFoundException(value)


def test_subnet_spec_validates_each_parameter_by_name():
    with pytest.raises(InvalidParameterError, match="cidr '10.0.0.1/24' is not a network CIDR"):
        SubnetSpec("10.0.0.1/24")
    with pytest.raises(InvalidParameterError, match="gateway_ip '10.1.0.1' is not in cidr"):
        SubnetSpec("10.0.0.0/24", gateway_ip="10.1.0.1")
    with pytest.raises(InvalidParameterError, match="dns_nameservers 'dns' is not an IP"):
        SubnetSpec("10.0.0.0/24", dns_nameservers=("dns",))
    attrs = SubnetSpec("fd00::/64", dns_nameservers=("fd00::53",)).attrs("s", "n", "p")
    assert attrs["ip_version"] == 6 and attrs["dns_nameservers"] == ["fd00::53"]


def test_network_create_dry_run_reports_network_and_subnet_without_creating(cloud):
    result = networks.network_create(
        cloud.conn, "web", "app-net", cidr="10.1.0.0/24", gateway_ip="10.1.0.254"
    )
    assert result["dry_run"] and not result["changed"]
    assert [c.summary() for c in result["changes"]] == [
        "create network app-net",
        "create subnet app-net-subnet",
    ]
    assert result["changes"][1].details["gateway_ip"] == "10.1.0.254"
    assert result["network"].id is None and not result["network"].existed
    cloud.conn.network.create_network.assert_not_called()
    cloud.conn.network.create_subnet.assert_not_called()


def test_network_create_creates_in_the_project_then_is_idempotent(cloud):
    first = networks.network_create(
        cloud.conn, "web", "app-net", cidr="10.1.0.0/24", dns_nameservers=["9.9.9.9"], dry_run=False
    )
    assert first["changed"] and first["project"].name == "web"
    created = next(n for n in cloud.of("networks") if n.name == "app-net")
    subnet = next(s for s in cloud.of("subnets") if s.network_id == created.id)
    assert created.project_id == "p-web" and subnet.project_id == "p-web"
    assert subnet.cidr == "10.1.0.0/24" and subnet.dns_nameservers == ["9.9.9.9"]
    again = networks.network_create(cloud.conn, "web", "app-net", cidr="10.1.0.0/24", dry_run=False)
    check_result("network.create", again)
    assert not again["changed"] and again["changes"] == []
    assert again["network"].existed and again["subnet"].id == subnet.id
    assert len(cloud.calls("network", "create_network")) == 1


def test_network_create_conflicts(cloud):
    with pytest.raises(ResourceConflictError, match="mtu 1500, not 9000"):
        networks.network_create(cloud.conn, "web", "web-net", mtu=9000)
    with pytest.raises(ResourceConflictError, match="cidr 10.0.0.0/24, not 10.9.0.0/24"):
        networks.network_create(
            cloud.conn, "web", "web-net", cidr="10.9.0.0/24", subnet_name="web-net-subnet"
        )
    cloud.add(Network(id="n-twin", name="web-net", project_id="p-web"))
    with pytest.raises(AmbiguousNameError, match="2 networks with that name"):
        networks.network_create(cloud.conn, "web", "web-net")


def test_network_create_keeps_an_existing_subnet_with_that_cidr(cloud):
    result = networks.network_create(cloud.conn, "web", "web-net", cidr="10.0.0.0/24")
    assert result["subnet"].id == "s-web" and result["changes"] == []
    cloud.conn.network.create_subnet.assert_not_called()


def test_network_create_needs_cidr_for_subnet_options(cloud):
    with pytest.raises(InvalidParameterError, match="need cidr"):
        networks.network_create(cloud.conn, "web", "x", gateway_ip="10.0.0.1")
    assert cloud.calls_made() == []


def test_project_names_in_two_domains_need_the_domain(cloud):
    with pytest.raises(AmbiguousNameError, match="project_domain"):
        networks.network_create(cloud.conn, "data", "n")
    result = networks.network_create(cloud.conn, "data", "n", project_domain="d2")
    assert result["project"].id == "p-data" and result["project"].domain == "D2"


def test_unknown_project_suggests_names(cloud):
    with pytest.raises(NameNotFoundError, match="did you mean: web"):
        networks.network_create(cloud.conn, "webb", "n")


def test_external_network_lookup(cloud):
    assert find_external_network(cloud.conn, None, "external_network").id == "n-pub"
    with pytest.raises(InvalidParameterError, match="not an external network; .*: public"):
        find_external_network(cloud.conn, "web-net", "external_network")
    cloud.add(Network(id="n-pub2", name="public2", is_router_external=True))
    with pytest.raises(InvalidParameterError, match="2 external networks: public, public2"):
        find_external_network(cloud.conn, "", "external_network")


def test_rbac_share_creates_a_policy_once(cloud):
    dry = networks.network_rbac_share(cloud.conn, "web-net", "data", project_domain="d2")
    assert [c.summary() for c in dry["changes"]] == [
        "create rbac policy access_as_shared of network web-net for project data"
    ]
    assert cloud.of("rbac_policies") == []
    done = networks.network_rbac_share(
        cloud.conn, "web-net", "data", project_domain="d2", network_project="web", dry_run=False
    )
    [policy] = cloud.of("rbac_policies")
    assert isinstance(policy, RBACPolicy) and done["changed"]
    assert (policy.object_id, policy.target_project_id, policy.project_id) == (
        "n-web",
        "p-data",
        "p-web",
    )
    again = networks.network_rbac_share(
        cloud.conn, "web-net", "data", project_domain="d2", dry_run=False
    )
    assert again["rbac_policy"].existed and again["rbac_policy"].id == policy.id
    assert not again["changed"]


def test_rbac_share_rejects_unknown_actions(cloud):
    with pytest.raises(InvalidParameterError, match="access_as_shared, access_as_external"):
        networks.network_rbac_share(cloud.conn, "web-net", "web", rbac_action="access_as_owner")
    assert cloud.calls_made() == []


CHANGING_ACTIONS = [
    "quota.set",
    "flavor.create",
    "flavor.project.access.add",
    "flavor.project.access.remove",
    "image.share.to.project",
    "image.decommission.mark",
    "network.create",
    "router.create",
    "network.rbac.share",
    "floating.ip.allocate",
    "floating.ip.release",
    "security.group.rule.add",
]


@pytest.mark.parametrize("action", CHANGING_ACTIONS)
def test_changing_actions_default_to_dry_run(action):
    data = yaml.safe_load((ACTIONS / f"{action}.yaml").read_text(encoding="utf-8"))
    dry_run = data["parameters"]["dry_run"]
    assert (dry_run["type"], dry_run["default"]) == ("boolean", True)
    assert "Only report what would change" in dry_run["description"]
    assert data["output_schema"]["properties"]["changes"]["required"] is True


def test_ambiguous_network_project_asks_for_its_id(cloud):
    with pytest.raises(
        AmbiguousNameError, match="network_project 'data' is ambiguous.*give the id"
    ):
        networks.network_rbac_share(cloud.conn, "web-net", "web", network_project="data")
    assert not cloud.of("rbac_policies")
