"""Reinstall candidates by uptime, load, names, addresses, state and aggregate flavors, over
the signature-checking fake cloud."""

import pytest
from openstack.compute.v2.aggregate import Aggregate
from openstack.compute.v2.flavor import Flavor
from openstack.compute.v2.hypervisor import Hypervisor

from apis.errors import CloudopsError
from tests.fakes.cloud import FakeCloud
from tests.result_schemas import check_result
from workflows.reinstall_candidates import CandidateSearchError, find_reinstall_candidates

UP = " 10:00:00 up {} days,  1:00,  0 users"
SCOPED = "aggregate_instance_extra_specs:"


LOADS = {  # servers, vCPUs used, MB of RAM used
    "hv1": (2, 6, 12288),
    "hv2": (1, 8, 16384),
    "gpu-a100-1": (0, 0, 0),
    "hv4.example.org": (1, 1, 512),
    "hv5": (0, 0, 0),
}


def hypervisor(name, ip, days, state="up", status="enabled", host=None):
    """A hypervisor (its servers from LOADS) whose compute service host is ``host`` (default:
    its name), as the detailed listing with_servers returns it."""
    servers = [{"name": f"{name}-{n}", "uuid": f"{name}-{n}"} for n in range(LOADS[name][0])]
    return Hypervisor(
        id=f"id-{name}",
        name=name,
        host_ip=ip,
        state=state,
        status=status,
        uptime=None if days is None else UP.format(days),
        service_details={"host": host or name, "disabled_reason": None},
        servers=servers or None,
    )


def placement():
    """Each hypervisor's resource provider inventories and usages (LOADS)."""
    pages = {}
    for name, (_, vcpus, ram) in LOADS.items():
        base = f"/resource_providers/id-{name}"
        pages[f"{base}/inventories"] = {
            "inventories": {
                "VCPU": {"total": 32, "reserved": 0, "allocation_ratio": 4.0},
                "MEMORY_MB": {"total": 65536, "reserved": 512, "allocation_ratio": 1.0},
            }
        }
        pages[f"{base}/usages"] = {"usages": {"VCPU": vcpus, "MEMORY_MB": ram}}
    return pages


@pytest.fixture(name="cloud")
def fixture_cloud():
    """hv1 (2 servers, 6 vCPUs) and hv2 (1 server, 8 vCPUs) in hosttype A; gpu-a100-1, empty,
    in the gpu aggregate; hv4.example.org (service host hv4) disabled, in hosttype A,B; hv5
    down, uptime unknown, in no aggregate."""
    return FakeCloud(
        hypervisors=[
            hypervisor("hv1", "10.0.0.1", 200),
            hypervisor("hv2", "10.0.0.2", 120),
            hypervisor("gpu-a100-1", "172.16.0.3", 300),
            hypervisor("hv4.example.org", "172.16.0.4", 150, status="disabled", host="hv4"),
            hypervisor("hv5", "172.16.0.5", None, state="down"),
        ],
        placement=placement(),
        migrations=[],
        aggregates=[
            Aggregate(id=1, name="general", hosts=["hv1", "hv2"], metadata={"hosttype": "A"}),
            Aggregate(
                id=2,
                name="gpu",
                hosts=["gpu-a100-1"],
                metadata={"hosttype": "gpu", "local-storage-type": "nvme"},
            ),
            Aggregate(id=3, name="mixed", hosts=["hv4"], metadata={"hosttype": "A,B"}),
        ],
        flavors=[
            Flavor(id="f1", name="m1.general", extra_specs={f"{SCOPED}hosttype": "A"}),
            Flavor(
                id="f2",
                name="g1.a100",
                extra_specs={
                    f"{SCOPED}hosttype": "gpu",
                    f"{SCOPED}local-storage-type": "s== nvme",
                    "hw:cpu_policy": "dedicated",
                },
            ),
            Flavor(id="f3", name="m1.b", extra_specs={f"{SCOPED}hosttype": "<or> B <or> C"}),
            Flavor(id="f4", name="plain", extra_specs={}),
        ],
    )


def names(result):
    """The hypervisor names of a result, in order (after checking it against the schema)."""
    check_result("hypervisor.find.reinstall.candidates", result)
    return [row["hypervisor"] for row in result["rows"]]


def test_defaults_keep_empty_enabled_up_hosts_up_90_days(cloud):
    found = find_reinstall_candidates(cloud)
    assert names(found) == ["gpu-a100-1"]
    assert found["excluded_by"] == {
        "include_down=false": 1,
        "include_disabled=false": 1,
        "max_servers=0": 2,
    }
    (row,) = found["rows"]
    assert row == {
        "hypervisor": "gpu-a100-1",
        "host_ip": "172.16.0.3",
        "state": "DUE_FOR_MAINTENANCE",
        "service_state": "up",
        "status": "enabled",
        "running_vms": 0,
        "vcpus_used": 0,
        "memory_mb_used": 0,
        "uptime_days": pytest.approx(300.0, abs=0.1),
        "aggregates": ["gpu"],
    }
    assert found["output"] is None and "hint" not in found


def test_load_from_two_listings_and_placement_for_the_hosts_that_passed(cloud):
    found = find_reinstall_candidates(cloud, max_servers=10, sort_by="vcpus_used")
    assert names(found) == ["gpu-a100-1", "hv1", "hv2"]
    load = {
        r["hypervisor"]: (r["running_vms"], r["vcpus_used"], r["memory_mb_used"])
        for r in found["rows"]
    }
    assert load == {"gpu-a100-1": (0, 0, 0), "hv1": (2, 6, 12288), "hv2": (1, 8, 16384)}
    assert (
        sorted(cloud.calls_made())
        == [
            "compute.aggregates",
            "compute.hypervisors",
            "compute.migrations",
        ]
        + ["placement.get"] * 6
    )
    assert cloud.kwargs_of("hypervisors") == [{"details": True, "with_servers": True}]
    asked = sorted(call.args[0].split("/")[2] for call in cloud.calls("placement", "get"))
    assert asked == ["id-gpu-a100-1"] * 2 + ["id-hv1"] * 2 + ["id-hv2"] * 2


@pytest.mark.parametrize(
    "sort_by, direction, expected",
    [
        ("vcpus_used", "desc", ["hv2", "hv1", "gpu-a100-1"]),
        ("memory_mb_used", "asc", ["gpu-a100-1", "hv1", "hv2"]),
        ("running_vms", "desc", ["hv1", "hv2", "gpu-a100-1"]),
        ("uptime_days", "desc", ["gpu-a100-1", "hv1", "hv2"]),
        ("hypervisor", "asc", ["gpu-a100-1", "hv1", "hv2"]),
        ("VCPUS_USED ", "DESC", ["hv2", "hv1", "gpu-a100-1"]),
    ],
)
def test_sort(cloud, sort_by, direction, expected):
    found = find_reinstall_candidates(
        cloud, max_servers=10, sort_by=sort_by, sort_direction=direction
    )
    assert names(found) == expected


def test_ties_by_name_and_unknown_values_last_either_way(cloud):
    wide = {"max_servers": 10, "min_uptime_days": 0, "include_down": True, "include_disabled": True}
    by_servers = find_reinstall_candidates(
        cloud, sort_by="running_vms", sort_direction="desc", **wide
    )
    assert names(by_servers) == ["hv1", "hv2", "hv4.example.org", "gpu-a100-1", "hv5"]
    for direction in ("asc", "desc"):
        by_uptime = find_reinstall_candidates(
            cloud, sort_by="uptime_days", sort_direction=direction, **wide
        )
        assert names(by_uptime)[-1] == "hv5"


def test_max_vcpus_used_and_a_host_whose_load_is_unknown(cloud):
    found = find_reinstall_candidates(cloud, max_servers=10, max_vcpus_used=6)
    assert names(found) == ["gpu-a100-1", "hv1"]
    assert found["excluded_by"]["max_vcpus_used=6"] == 1
    del cloud.store["placement"]["/resource_providers/id-gpu-a100-1/inventories"]
    unknown = find_reinstall_candidates(cloud, max_servers=10, sort_by="vcpus_used")
    assert names(unknown) == ["hv1", "hv2", "gpu-a100-1"]
    assert unknown["rows"][-1]["vcpus_used"] is None
    assert names(find_reinstall_candidates(cloud, max_servers=10, max_vcpus_used=100)) == [
        "hv1",
        "hv2",
    ]


def test_down_disabled_and_unknown_uptime(cloud):
    wide = {"max_servers": 10}
    assert "hv4.example.org" in names(
        find_reinstall_candidates(cloud, include_disabled=True, **wide)
    )
    assert "hv5" not in names(find_reinstall_candidates(cloud, include_down=True, **wide))
    down = find_reinstall_candidates(cloud, include_down=True, include_unknown_uptime=True, **wide)
    assert "hv5" in names(down)
    anytime = find_reinstall_candidates(cloud, include_down=True, min_uptime_days=0, **wide)
    assert "hv5" in names(anytime)
    assert names(find_reinstall_candidates(cloud, min_uptime_days=150, **wide)) == [
        "gpu-a100-1",
        "hv1",
    ]


def test_name_and_address_regex(cloud):
    every = {
        "max_servers": 10,
        "min_uptime_days": 0,
        "include_down": True,
        "include_disabled": True,
    }
    by_name = find_reinstall_candidates(cloud, name_regex=r"^hv\d$", sort_by="hypervisor", **every)
    assert names(by_name) == ["hv1", "hv2", "hv5"]
    assert by_name["excluded_by"] == {"name_regex": 2}
    by_ip = find_reinstall_candidates(cloud, address_regex=r"^172\.16\.", **every)
    assert sorted(names(by_ip)) == ["gpu-a100-1", "hv4.example.org", "hv5"]
    with pytest.raises(CandidateSearchError, match=r"^name_regex '\(' is not a valid regular"):
        find_reinstall_candidates(cloud, name_regex="(")
    with pytest.raises(CandidateSearchError, match=r"^address_regex '\[1' is not a valid"):
        find_reinstall_candidates(cloud, address_regex="[1")


def test_include_and_exclude_hostnames(cloud):
    every = {"max_servers": 10, "min_uptime_days": 0, "include_disabled": True}
    chosen = find_reinstall_candidates(cloud, include_hostnames=["hv1", "gpu-*", "hv4"], **every)
    assert sorted(names(chosen)) == ["gpu-a100-1", "hv1", "hv4.example.org"]
    assert chosen["excluded_by"] == {"include_down=false": 1, "include_hostnames": 1}
    aggregates = {row["hypervisor"]: row["aggregates"] for row in chosen["rows"]}
    assert aggregates["hv4.example.org"] == ["mixed"], "by compute service host hv4"
    left = find_reinstall_candidates(
        cloud, exclude_hostnames=["*a100*", "hv4.example.org"], **every
    )
    assert sorted(names(left)) == ["hv1", "hv2"]
    with pytest.raises(
        CandidateSearchError,
        match="^include_hostnames 'hv9' matches no hypervisor; valid choices: .*Did you mean 'hv",
    ):
        find_reinstall_candidates(cloud, include_hostnames=["hv9"])
    with pytest.raises(CandidateSearchError, match="^exclude_hostnames 'gpu-v100' matches no"):
        find_reinstall_candidates(cloud, exclude_hostnames=["gpu-v100"])


def test_flavors_the_aggregates_allow(cloud):
    every = {
        "max_servers": 10,
        "min_uptime_days": 0,
        "include_down": True,
        "include_disabled": True,
    }
    gpu = find_reinstall_candidates(cloud, flavors=["g1.a100"], **every)
    assert names(gpu) == ["gpu-a100-1"]
    assert gpu["rows"][0]["allowed_flavors"] == ["g1.a100"]
    assert gpu["excluded_by"] == {"flavors": 4}
    either = find_reinstall_candidates(
        cloud, flavors=["m1.general", "f3"], sort_by="hypervisor", **every
    )
    allowed = {row["hypervisor"]: row["allowed_flavors"] for row in either["rows"]}
    assert allowed == {
        "hv1": ["m1.general"],
        "hv2": ["m1.general"],
        "hv4.example.org": ["m1.general", "m1.b"],
    }
    plain = find_reinstall_candidates(cloud, flavors=["plain"], **every)
    assert plain["count"] == 5
    not_general = find_reinstall_candidates(cloud, exclude_flavors=["m1.general"], **every)
    assert sorted(names(not_general)) == ["gpu-a100-1", "hv5"]
    assert "allowed_flavors" not in not_general["rows"][0]
    assert cloud.kwargs_of("flavors") == [{"details": True, "is_public": None}] * 4
    with pytest.raises(
        CandidateSearchError,
        match=r"^flavors 'g1.a10': no flavor with that name or id; valid choices: .*'g1.a100'\?",
    ):
        find_reinstall_candidates(cloud, flavors=["g1.a10"])
    with pytest.raises(CandidateSearchError, match="^exclude_flavors 'nope'"):
        find_reinstall_candidates(cloud, exclude_flavors=["nope"])


@pytest.mark.parametrize(
    "arguments, message",
    [
        (
            {"sort_by": "load"},
            "^sort_by 'load' is not known; valid choices: hypervisor, memory_mb_used, "
            "running_vms, uptime_days, vcpus_used",
        ),
        ({"sort_direction": "up"}, "^sort_direction 'up' is not known; valid choices: asc, desc"),
        ({"max_servers": -1}, "^max_servers is -1; give 0 or more"),
        ({"min_uptime_days": -5}, "^min_uptime_days is -5; give 0 or more"),
        ({"output_type": "xml"}, "^output_type 'xml' is not one of"),
    ],
)
def test_bad_parameters_are_refused_before_any_call(cloud, arguments, message):
    with pytest.raises(CloudopsError, match=message):
        find_reinstall_candidates(cloud, **arguments)
    assert not cloud.calls_made()


def test_output_formats_and_the_hint_when_nothing_passes(cloud):
    table = find_reinstall_candidates(cloud, max_servers=10, output_type="table")
    assert table["output_type"] == "table" and "hv2" in table["output"]
    assert "| hv2 " in table["output"] and "16384" in table["output"]
    csv = find_reinstall_candidates(cloud, max_servers=10, output_type="csv")
    assert csv["output"].splitlines()[0].startswith("hypervisor,host_ip,state")
    check_result("hypervisor.find.reinstall.candidates", csv)
    none = find_reinstall_candidates(cloud, min_uptime_days=1000)
    assert none["count"] == 0 and none["rows"] == []
    assert none["hint"] == (
        "no hypervisor passed; of 5: 1 failed include_down=false, "
        "1 failed include_disabled=false, 3 failed min_uptime_days=1000"
    )
    check_result("hypervisor.find.reinstall.candidates", none)
