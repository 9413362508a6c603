"""hypervisor.find.reinstall.candidates on the devcloud: load against placement, uptime,
aggregate flavors, regexes, disabled hosts and output formats, through the local runner."""

import uuid

import pytest

from tests.integration.action_run import action_result, code_and_result

pytestmark = pytest.mark.integration

ACTION = "hypervisor.find.reinstall.candidates"
SCOPED = "aggregate_instance_extra_specs:"


@pytest.fixture(name="candidates")
def fixture_candidates(clouds_yaml, seeded_cloud):
    """``candidates(*argv)``: the action's result on the devcloud (it must succeed)."""
    assert seeded_cloud

    def run(*argv):
        return action_result(None, ACTION, f"cloud_account={clouds_yaml.cloud}", *argv)

    return run


@pytest.fixture(name="hosttype")
def fixture_hosttype(admin_conn):
    """An aggregate holding compute2 with metadata ``hosttype=<tag>`` and a private flavor
    whose extra specs ask for it; both deleted afterwards. Yields (tag, flavor name)."""
    tag = f"reinstall-{uuid.uuid4().hex[:8]}"
    aggregate = admin_conn.compute.create_aggregate(name=tag)
    flavor = None
    try:
        admin_conn.compute.add_host_to_aggregate(aggregate, "compute2")
        admin_conn.compute.set_aggregate_metadata(aggregate, hosttype=tag)
        flavor = admin_conn.compute.create_flavor(
            name=f"{tag}.small", vcpus=1, ram=64, disk=1, is_public=False
        )
        admin_conn.compute.create_flavor_extra_specs(
            flavor, {f"{SCOPED}hosttype": tag, "hw:cpu_policy": "shared"}
        )
        yield tag, flavor.name
    finally:
        if flavor is not None:
            admin_conn.compute.delete_flavor(flavor)
        admin_conn.compute.remove_host_from_aggregate(aggregate, "compute2")
        admin_conn.compute.delete_aggregate(aggregate)


@pytest.fixture(name="compute2_disabled")
def fixture_compute2_disabled(admin_conn, seeded_cloud):
    """compute2's compute service disabled for the test, enabled again afterwards."""
    assert seeded_cloud
    (service,) = [
        s for s in admin_conn.compute.services(binary="nova-compute") if s.host == "compute2"
    ]
    admin_conn.compute.disable_service(service, disabled_reason="reinstall candidates test")
    try:
        yield service
    finally:
        admin_conn.compute.enable_service(service)


def test_load_is_what_the_servers_flavors_use(candidates, admin_conn):
    """running_vms from the hypervisor listing's servers, usage from placement: both agree
    with the server listing's hosts and embedded flavors."""
    found = candidates("max_servers=1000", "min_uptime_days=0", "sort_by=hypervisor")
    assert [row["hypervisor"] for row in found["rows"]] == ["compute1", "compute2"]
    servers = list(admin_conn.compute.servers(details=True, all_projects=True))
    for row in found["rows"]:
        on_host = [s for s in servers if s.hypervisor_hostname == row["hypervisor"]]
        assert row["running_vms"] == len(on_host) > 0
        assert row["vcpus_used"] == sum(s.flavor.vcpus for s in on_host)
        assert row["memory_mb_used"] == sum(s.flavor.ram for s in on_host)
    heaviest = candidates("max_servers=1000", "min_uptime_days=0", "sort_direction=desc")
    used = [row["vcpus_used"] for row in heaviest["rows"]]
    assert used == sorted(used, reverse=True)
    lighter = candidates("max_servers=1000", "min_uptime_days=0", f"max_vcpus_used={min(used)}")
    assert [row["vcpus_used"] for row in lighter["rows"]] == [min(used)]


def test_uptime_and_the_empty_hosts_default(candidates, devcloud):
    with devcloud.uptime("compute1", 200):
        default = candidates()
        assert default["count"] == 0 and default["rows"] == []
        assert default["excluded_by"] == {"include_unknown_uptime=false": 1, "max_servers=0": 1}
        assert default["hint"].startswith("no hypervisor passed; of 2: ")
        up_long = candidates("max_servers=1000", "min_uptime_days=100")
        assert [row["hypervisor"] for row in up_long["rows"]] == ["compute1"]
        assert up_long["rows"][0]["uptime_days"] == pytest.approx(200, abs=0.1)
        unknown = candidates("max_servers=1000", "include_unknown_uptime=true")
        assert {row["hypervisor"] for row in unknown["rows"]} == {"compute1", "compute2"}


def test_flavors_the_aggregates_allow(candidates, clouds_yaml, hosttype):
    tag, flavor = hosttype
    wide = ("max_servers=1000", "min_uptime_days=0")
    allowed = candidates(*wide, f"flavors={flavor},seed.small")
    rows = {row["hypervisor"]: row for row in allowed["rows"]}
    assert rows["compute2"]["allowed_flavors"] == [flavor, "seed.small"]
    assert rows["compute1"]["allowed_flavors"] == ["seed.small"]
    assert tag in rows["compute2"]["aggregates"]
    only = candidates(*wide, f"flavors={flavor}", "output_type=table")
    assert [row["hypervisor"] for row in only["rows"]] == ["compute2"]
    assert only["excluded_by"] == {"flavors": 1}
    assert "compute2" in only["output"] and flavor in only["output"]
    not_it = candidates(*wide, f"exclude_flavors={flavor}")
    assert [row["hypervisor"] for row in not_it["rows"]] == ["compute1"]
    code, refused = code_and_result(
        None, ACTION, f"cloud_account={clouds_yaml.cloud}", f"flavors={flavor}x", *wide
    )
    assert code == 1 and refused["error"].startswith(f"flavors '{flavor}x': no flavor")
    assert f"Did you mean '{flavor}'" in refused["error"]


@pytest.mark.usefixtures("compute2_disabled")
def test_names_addresses_and_disabled_hosts(candidates, clouds_yaml):
    wide = ("max_servers=1000", "min_uptime_days=0")
    enabled = candidates(*wide, "address_regex=^127\\.0\\.", "output_type=csv")
    assert [row["hypervisor"] for row in enabled["rows"]] == ["compute1"]
    assert enabled["excluded_by"] == {"include_disabled=false": 1}
    assert enabled["output"].splitlines()[1].startswith("compute1,127.0.0.1,RUNNING")
    both = candidates(*wide, "include_disabled=true", "name_regex=^compute\\d$")
    assert {row["hypervisor"]: row["status"] for row in both["rows"]} == {
        "compute1": "enabled",
        "compute2": "disabled",
    }
    chosen = candidates(*wide, "include_disabled=true", "exclude_hostnames=compute1")
    assert [row["hypervisor"] for row in chosen["rows"]] == ["compute2"]
    elsewhere = candidates(*wide, "address_regex=^10\\.")
    assert elsewhere["count"] == 0 and "failed address_regex" in elsewhere["hint"]
    cloud = f"cloud_account={clouds_yaml.cloud}"
    code, refused = code_and_result(None, ACTION, cloud, "name_regex=compute(")
    assert code == 1
    assert refused["error"].startswith("name_regex 'compute(' is not a valid regular expression")
    code, refused = code_and_result(None, ACTION, cloud, "include_hostnames=compute3")
    assert code == 1 and "Did you mean 'compute" in refused["error"]
