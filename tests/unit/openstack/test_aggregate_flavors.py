"""Flavor extra specs against aggregate metadata, as nova's AggregateInstanceExtraSpecsFilter
decides."""

import pytest
from openstack.compute.v2.aggregate import Aggregate

from apis.openstack_api.aggregate_flavors import (
    allows,
    metadata_by_host,
    names_by_host,
    spec_matches,
)


@pytest.mark.parametrize(
    "value, requirement, expected",
    [
        ("gpu", "gpu", True),
        ("gpu", "GPU", False),
        ("nvme", "s== nvme", True),
        ("nvme", "s!= nvme", False),
        ("b", "s> a", True),
        ("8", "= 4", True),
        ("2", "= 4", False),
        ("4", "== 4.0", True),
        ("4", "!= 4", False),
        ("3", "<= 4", True),
        ("x", ">= 4", False),
        ("local-nvme", "<in> nvme", True),
        ("avx avx2 sse", "<all-in> avx2 sse", True),
        ("avx sse", "<all-in> avx2 sse", False),
        ("B", "<or> A <or> B", True),
        ("C", "<or> A <or> B", False),
        ("4", "==", False),
        ("", "", True),
    ],
)
def test_spec_matches_like_nova(value, requirement, expected):
    assert spec_matches(value, requirement) is expected


def test_metadata_is_the_union_of_the_hosts_aggregates_with_comma_values_split():
    aggregates = [
        Aggregate(id=1, name="general", hosts=["hv1", "hv2"], metadata={"hosttype": "A, B"}),
        Aggregate(id=2, name="ssd", hosts=["hv2"], metadata={"local-storage-type": "ssd"}),
        Aggregate(id=3, name="empty", hosts=None, metadata=None),
    ]
    assert metadata_by_host(aggregates) == {
        "hv1": {"hosttype": {"A", "B"}},
        "hv2": {"hosttype": {"A", "B"}, "local-storage-type": {"ssd"}},
    }
    assert names_by_host(aggregates) == {"hv1": ["general"], "hv2": ["general", "ssd"]}


def test_allows_reads_only_scoped_and_unscoped_specs():
    metadata = {"hosttype": {"A", "B"}, "local-storage-type": {"nvme"}}
    scoped = "aggregate_instance_extra_specs:"
    assert allows(metadata, {})
    assert allows(metadata, {f"{scoped}hosttype": "B", "hw:cpu_policy": "dedicated"})
    assert allows(metadata, {f"{scoped}local-storage-type": "s== nvme", "hosttype": "A"})
    assert not allows(metadata, {f"{scoped}hosttype": "C"})
    assert not allows(metadata, {"gpu": "true"})
    assert not allows({}, {f"{scoped}hosttype": "A"})
    assert allows({}, {"quota:cpu_shares": "100", "cloudops:decommission_date": "2027-01-01"})
    # the scope is what comes before the first colon
    assert allows({"a:b": {"x"}}, {f"{scoped}a:b": "x"})
