"""hypervisor.test.server against a fake cloud whose calls are checked against the SDK."""

import dataclasses
import re

import pytest
from openstack import exceptions
from openstack.compute.v2.aggregate import Aggregate
from openstack.compute.v2.flavor import Flavor
from openstack.compute.v2.hypervisor import Hypervisor
from openstack.compute.v2.service import Service
from openstack.image.v2.image import Image
from openstack.network.v2.network import Network

from apis.openstack_api import servers as servers_api
from apis.openstack_api.hypervisor_service import HypervisorServiceError
from tests.fakes.boots import TRAIT, booting_cloud
from tests.result_schemas import check_result
from workflows import hypervisor_test_server as hts
from workflows.hypervisor_test_server import HypervisorTestServerError


def flavor(fid, name, public=True, disabled=False, specs=None):
    """A flavor."""
    return Flavor(
        id=fid, name=name, is_public=public, is_disabled=disabled, extra_specs=specs or {}
    )


@pytest.fixture(name="cloud")
def fixture_cloud(monkeypatch):
    """hv1 (zone az1) enabled, hv2 (no zone) disabled; four usable flavors of six."""
    conn = booting_cloud(
        {"rp-hv1": {"COMPUTE_NODE"}, "rp-hv2": {"COMPUTE_NODE", TRAIT}},
        hypervisors=[
            Hypervisor(id=f"rp-hv{n}", name=f"hv{n}.example", service_details={"host": f"hv{n}"})
            for n in (1, 2)
        ],
        services=[
            Service(
                id="svc-1",
                host="hv1",
                binary="nova-compute",
                status="enabled",
                availability_zone="az1",
            ),
            Service(id="svc-2", host="hv2", binary="nova-compute", status="disabled"),
        ],
        flavors=[
            flavor("f-s", "small"),
            flavor("f-m", "medium"),
            flavor("f-old", "old", specs={hts.DECOMMISSION_KEY: "2026-12-25"}),
            flavor("f-off", "off", disabled=True),
            flavor("f-mine", "mine", public=False),
            flavor("f-theirs", "theirs", public=False),
        ],
        flavor_access={
            "f-mine": ["p-admin"],
            "f-theirs": ["p-other"],
        },
        images=[
            Image(id="i-1", name="cirros", status="active"),
            Image(id="i-2", name="twin", status="active"),
            Image(id="i-3", name="twin", status="active"),
        ],
        networks=[Network(id="n-1", name="test-net")],
        servers=[],
        boots=[],
    )
    monkeypatch.setattr(servers_api, "POLL_SECONDS", 0)
    return conn


def test_allowed_flavors(cloud):
    assert [f.name for f in hts.allowed_flavors(cloud)] == ["medium", "mine", "small"]


def test_every_allowed_flavor_on_each_host(cloud):
    result = hts.test_servers(cloud, ["hv1", "hv2"], "cirros")
    assert result["ok"] and set(result["hypervisors"]) == {"hv1", "hv2"}
    for host in ("hv1", "hv2"):
        entries = result["hypervisors"][host]["flavors"]
        assert [e["flavor"] for e in entries] == ["medium", "mine", "small"]
        assert all(e["ok"] and e["error"] is None and e["server_id"] for e in entries)
        assert all(isinstance(e["seconds"], float) for e in entries)
    zones = sorted({boot["availability_zone"] for boot in cloud.store["boots"]})
    assert zones == ["az1:hv1", "nova:hv2"]
    boot = cloud.store["boots"][0]
    assert boot["networks"] == "none" and boot["image_id"] == "i-1"
    assert boot["name"].startswith(f"cloudops-test-hv{boot['availability_zone'][-1]}-medium-")
    assert not cloud.store["servers"], "every test server is deleted"
    assert TRAIT in cloud.traits.by_provider["rp-hv2"], "the disabled host keeps its trait"
    assert TRAIT not in cloud.traits.by_provider["rp-hv1"]
    assert {p for p, _ in cloud.traits.puts} == {"rp-hv2"}


def test_disabled_host_enabled_meanwhile_keeps_no_trait(cloud):
    def enable_during_boot(**attrs):
        cloud.store["services"][1].status = "enabled"
        return cloud.boots.create_server(**attrs)

    cloud.serve("compute", create_server=enable_during_boot)
    result = hts.test_servers(cloud, ["hv2.example"], "cirros", flavors=["small"])
    assert result["ok"] and list(result["hypervisors"]) == ["hv2.example"]
    assert TRAIT not in cloud.traits.by_provider["rp-hv2"]


def test_trait_updates_retry_generation_conflicts(cloud):
    cloud.traits.conflicts = 1
    assert hts.test_servers(cloud, ["hv2"], "cirros", flavors=["f-s"])["ok"]
    assert cloud.traits.puts == [("rp-hv2", False), ("rp-hv2", False), ("rp-hv2", True)]


def test_one_flavor_drawn_with_the_seed_and_network(cloud):
    picks = set()
    for seed in range(8):
        result = hts.test_servers(
            cloud,
            ["hv1"],
            "i-1",
            flavors=["small", "medium"],
            flavor_choice="one",
            flavor_seed=seed,
            network="test-net",
        )
        (entry,) = result["hypervisors"]["hv1"]["flavors"]
        again = hts.test_servers(
            cloud, ["hv1"], "i-1", ["small", "medium"], "one", seed, dry_run=True
        )
        assert [e["flavor"] for e in again["hypervisors"]["hv1"]["flavors"]] == [entry["flavor"]]
        assert result["flavor_seed"] == seed and result["flavor_choice"] == "one"
        picks.add(entry["flavor"])
    assert picks == {"small", "medium"}, "the seed decides"
    boot = cloud.store["boots"][0]
    assert boot["networks"] == [{"uuid": "n-1"}]


def test_one_flavor_without_a_seed_reports_the_seed_it_drew(cloud):
    planned = hts.test_servers(cloud, ["hv1", "hv2"], "cirros", flavor_choice="ONE", dry_run=True)
    seed = planned["flavor_seed"]
    assert isinstance(seed, int)
    done = hts.test_servers(cloud, ["hv1", "hv2"], "cirros", flavor_choice="one", flavor_seed=seed)
    for host in ("hv1", "hv2"):
        assert [e["flavor"] for e in done["hypervisors"][host]["flavors"]] == [
            e["flavor"] for e in planned["hypervisors"][host]["flavors"]
        ]
    assert hts.test_servers(cloud, ["hv1"], "cirros", dry_run=True)["flavor_seed"] is None
    with pytest.raises(
        HypervisorTestServerError,
        match="flavor_choice 'some' is not a choice; valid choices: all, one",
    ):
        hts.test_servers(cloud, ["hv1"], "cirros", flavor_choice="some")


def test_failed_boots_are_reported_not_raised(cloud):
    cloud.store["boot_results"] = {
        "f-m": "ERROR",
        "f-s": exceptions.BadRequestException("Flavor's disk is too small for requested image."),
    }
    result = hts.test_servers(cloud, ["hv1"], "cirros", flavors=["small", "medium", "mine"])
    entries = {e["flavor"]: e for e in result["hypervisors"]["hv1"]["flavors"]}
    assert not result["ok"] and not result["hypervisors"]["hv1"]["ok"]
    assert entries["small"]["server_id"] is None
    assert entries["small"]["error"].startswith(
        "the cloud failed a request: HTTP 400: Flavor's disk is too small"
    )
    assert entries["medium"]["error"] == (
        f"ServerError: server {_boot_name(cloud, 'f-m')} went to ERROR: no fault recorded"
    )
    assert entries["mine"]["ok"]
    assert not cloud.store["servers"], "the ERROR server is deleted too"


def _boot_name(cloud, flavor_id):
    (boot,) = [b for b in cloud.store["boots"] if b["flavor_id"] == flavor_id]
    return boot["name"]


def test_a_failed_delete_fails_the_entry(cloud):
    cloud.store["delete_fails"] = True
    result = hts.test_servers(cloud, ["hv1"], "cirros", flavors=["small"])
    (entry,) = result["hypervisors"]["hv1"]["flavors"]
    assert not entry["ok"] and entry["error"].startswith(
        f"test server {entry['server_id']} not deleted: delete refused"
    )


def test_the_action_fails_with_the_report(cloud):
    passed = hts.test_server_action(cloud, ["hv1"], "cirros", flavors=["small"])
    assert passed.ok and passed.changed
    check_result("hypervisor.test.server", passed)
    cloud.store["boot_results"] = {"f-m": "ERROR"}
    with pytest.raises(HypervisorTestServerError) as caught:
        hts.test_server_action(cloud, ["hv1", "hv2"], "cirros", flavors=["medium"])
    assert str(caught.value).startswith("test server failed on hv1 (medium: ServerError: ")
    assert "; hv2 (medium: " in str(caught.value)
    assert caught.value.report.ok is False
    assert [o.outcome.value for o in caught.value.report.objects] == ["failed", "failed"]


def test_a_dry_run_boots_nothing_and_plans_what_the_real_run_boots(cloud):
    planned = hts.test_server_action(cloud, ["hv1", "hv2"], "cirros", dry_run=True)
    assert not cloud.store.get("boots") and planned.dry_run and not planned.changed
    done = hts.test_server_action(cloud, ["hv1", "hv2"], "cirros")
    assert [dataclasses.replace(o, id=None) for o in done.objects] == planned.objects
    check_result("hypervisor.test.server", planned)


def test_bad_parameters_are_named_with_choices(cloud):
    with pytest.raises(HypervisorTestServerError, match="hypervisors is empty"):
        hts.test_servers(cloud, [], "cirros")
    with pytest.raises(HypervisorTestServerError, match="wait_seconds 0 is out of range"):
        hts.test_servers(cloud, ["hv1"], "cirros", wait_seconds=0)
    with pytest.raises(HypervisorServiceError, match="hosts: hv1, hv2"):
        hts.test_servers(cloud, ["hv3"], "cirros")
    with pytest.raises(
        HypervisorTestServerError,
        match="flavors 'smal' is not a flavor; valid choices: medium, mine, off, old, small, "
        "theirs. Did you mean 'small'",
    ):
        hts.test_servers(cloud, ["hv1"], "cirros", flavors=["smal"])
    with pytest.raises(HypervisorTestServerError, match="image 'twin' is ambiguous"):
        hts.test_servers(cloud, ["hv1"], "twin")
    with pytest.raises(HypervisorTestServerError, match="valid choices: cirros, twin, twin"):
        hts.test_servers(cloud, ["hv1"], "ubuntu")
    with pytest.raises(HypervisorTestServerError, match="network 'lan' is not a network"):
        hts.test_servers(cloud, ["hv1"], "cirros", network="lan")


def test_no_allowed_flavor(cloud):
    cloud.store["flavors"] = [flavor("f-off", "off", disabled=True)]
    with pytest.raises(HypervisorTestServerError, match="no flavor is allowed"):
        hts.test_servers(cloud, ["hv1"], "cirros")


def test_duplicate_flavor_names_need_ids(cloud):
    cloud.store["flavors"].append(flavor("f-s2", "small"))
    with pytest.raises(HypervisorTestServerError, match="'small' is ambiguous: give its id"):
        hts.test_servers(cloud, ["hv1"], "cirros", flavors=["small"])


def test_each_boot_gets_a_progress_line(cloud, progress_lines):
    cloud.store["boot_results"] = {"f-m": "ERROR"}
    hts.test_servers(cloud, ["hv1"], "cirros", flavors=["small", "medium"])
    first, second = progress_lines()
    assert re.fullmatch(
        r"test server: hv1 with small: booted and deleted in [\d.]+ s \(1 of 2, 1\.5 s\)", first
    )
    assert re.fullmatch(
        r"test server: hv1 with medium: failed: ServerError: server cloudops-test-hv1-medium-\w+ "
        r"went to ERROR: no fault recorded in [\d.]+ s \(2 of 2, 3\.0 s\)",
        second,
    )


def test_boots_on_several_hosts_count_up_to_their_total(cloud, progress_lines):
    hts.test_servers(cloud, ["hv1", "hv2"], "cirros")
    counted = sorted(int(line.split("(")[-1].split(" of")[0]) for line in progress_lines())
    assert counted == list(range(1, 7))
    assert all(" of 6, " in line for line in progress_lines())


@pytest.fixture(name="aggregated")
def fixture_aggregated(cloud):
    """hv1 in aggregate gpu (hosttype A, local storage nvme); hv2 in none; flavors for A, for
    B, for nvme and for A on hdd besides the four usable ones without specs."""
    cloud.store["aggregates"] = [
        Aggregate(id="1", name="gpu", hosts=["hv1"], metadata={"hosttype": "A"}),
        Aggregate(id="2", name="disks", hosts=["hv1"], metadata={"local_storage": "nvme,ssd"}),
        Aggregate(id="3", name="empty", hosts=[], metadata={"hosttype": "B"}),
    ]
    cloud.store["flavors"] += [
        flavor("f-a", "for-a", specs={"hosttype": "A", "hw:cpu_policy": "dedicated"}),
        flavor("f-b", "for-b", specs={"aggregate_instance_extra_specs:hosttype": "B"}),
        flavor("f-n", "for-nvme", specs={"local_storage": "<or> nvme <or> hdd"}),
        flavor("f-ah", "for-a-hdd", specs={"hosttype": "A", "local_storage": "hdd"}),
    ]
    cloud.store["flavors"] = [
        f for f in cloud.store["flavors"] if f.name not in ("small", "medium", "mine")
    ]
    return cloud


def booted(cloud, host):
    """Flavor ids booted on one host."""
    return sorted(b["flavor_id"] for b in cloud.store["boots"] if b["name"].split("-")[2] == host)


def test_each_host_tests_the_flavors_its_aggregates_allow(aggregated):
    aggregated.store["flavors"].append(flavor("f-s", "small"))
    result = hts.test_servers(aggregated, ["hv1", "hv2"], "cirros")
    assert result["ok"]
    hv1, hv2 = result["hypervisors"]["hv1"], result["hypervisors"]["hv2"]
    assert [e["flavor"] for e in hv1["flavors"]] == ["for-a", "for-nvme", "small"]
    assert [e["flavor"] for e in hv2["flavors"]] == ["small"]
    assert hv1["aggregates"] == {"gpu": {"hosttype": "A"}, "disks": {"local_storage": "nvme,ssd"}}
    assert hv2["aggregates"] == {}
    assert booted(aggregated, "hv1") == ["f-a", "f-n", "f-s"] and booted(aggregated, "hv2") == [
        "f-s"
    ]


def test_explicit_flavors_are_tested_as_given(aggregated):
    result = hts.test_servers(aggregated, ["hv2"], "cirros", flavors=["for-b"])
    assert result["ok"] and booted(aggregated, "hv2") == ["f-b"]


def test_one_allowed_flavor_per_host(aggregated):
    seen = set()
    for seed in range(10):
        plan = hts.test_servers(
            aggregated, ["hv1"], "cirros", flavor_choice="one", flavor_seed=seed, dry_run=True
        )
        (entry,) = plan["hypervisors"]["hv1"]["flavors"]
        seen.add(entry["flavor"])
    assert seen == {"for-a", "for-nvme"}


def test_no_fitting_flavor_names_host_metadata_and_parameter(aggregated):
    with pytest.raises(HypervisorTestServerError) as caught:
        hts.test_servers(aggregated, ["hv1", "hv2"], "cirros")
    assert str(caught.value) == (
        "no usable flavor fits hypervisor 'hv2': its aggregates (no aggregate) match the extra "
        "specs of none of the 4 usable flavors (for-a, for-a-hdd, for-b, for-nvme); give "
        "flavors, or give a flavor extra specs that metadata matches"
    )
    aggregated.store["flavors"] = [flavor("f-b", "for-b", specs={"hosttype": "B"})]
    with pytest.raises(HypervisorTestServerError) as caught:
        hts.test_servers(aggregated, ["hv1"], "cirros", flavors_parameter="test_flavors")
    assert (
        "hypervisor 'hv1': its aggregates (disks {local_storage=nvme,ssd}, gpu {hosttype=A})"
        in str(caught.value)
    )
    assert "give test_flavors, or" in str(caught.value)
    assert not aggregated.store["boots"]


def test_keep_failed_leaves_the_failed_server_and_says_where(cloud, progress_lines):
    cloud.store["boot_results"] = {"f-m": "ERROR"}
    with pytest.raises(HypervisorTestServerError) as caught:
        hts.test_server_action(
            cloud, ["hv1"], "cirros", flavors=["small", "medium"], keep_failed=True
        )
    report = caught.value.report
    check_result("hypervisor.test.server", report)
    small, medium = report.hypervisors["hv1"]["flavors"]
    assert small["ok"] and small["kept"] is None
    (left,) = cloud.store["servers"]
    assert medium["server_id"] == left.id and medium["server_name"] == left.name
    assert medium["kept"] == {"host": "hv1", "status": "ERROR"}
    assert report.kept_servers == [
        {
            "hypervisor": "hv1",
            "flavor": "medium",
            "server_id": left.id,
            "server_name": left.name,
            "host": "hv1",
            "status": "ERROR",
            "error": medium["error"],
        }
    ]
    note = f"kept for debugging: server {left.name} ({left.id}) on hv1, ERROR"
    assert str(caught.value).endswith(f"; {note})")
    assert report.objects[1].reason.endswith(note)
    assert progress_lines()[1].endswith(f" s; {note} (2 of 2, 3.0 s)")


def test_keep_failed_reports_an_unplaced_server_on_no_host(cloud):
    cloud.store["boot_results"] = {"f-s": "ERROR"}
    real_create = cloud.boots.create_server

    def unplaced(**attrs):
        server = real_create(**attrs)
        server.compute_host = None
        return server

    cloud.serve("compute", create_server=unplaced)
    result = hts.test_servers(cloud, ["hv1"], "cirros", flavors=["small"], keep_failed=True)
    (entry,) = result["hypervisors"]["hv1"]["flavors"]
    assert entry["kept"] == {"host": None, "status": "ERROR"}
    assert hts.kept_note(entry).endswith(") on no host, ERROR")


def test_without_keep_failed_a_failed_server_is_deleted(cloud):
    cloud.store["boot_results"] = {"f-s": "ERROR"}
    result = hts.test_servers(cloud, ["hv1"], "cirros", flavors=["small"])
    assert not result["ok"] and not result["kept_servers"]
    assert not cloud.store["servers"]


def test_many_unfitting_flavors_are_counted_not_all_listed(aggregated):
    aggregated.store["flavors"] = [
        flavor(f"f-{n}", f"x{n:02}", specs={"hosttype": "Z"}) for n in range(12)
    ]
    with pytest.raises(HypervisorTestServerError) as caught:
        hts.test_servers(aggregated, ["hv1"], "cirros")
    assert "none of the 12 usable flavors (x00, x01, x02, x03, x04, x05, x06, x07, x08, x09 " in (
        str(caught.value)
    )
    assert "x09 and 2 more); give flavors" in str(caught.value)


def test_a_caller_names_its_flavors_parameter(cloud):
    with pytest.raises(HypervisorTestServerError, match="^test_flavors 'smal' is not a flavor"):
        hts.test_servers(
            cloud, ["hv1"], "cirros", flavors=["smal"], flavors_parameter="test_flavors"
        )
