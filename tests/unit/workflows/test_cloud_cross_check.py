"""The cloud cross-check: config, comparison, datastore logic and the sensor, on fake clouds
whose calls are checked against the openstacksdk signatures."""

import contextlib
import itertools
import json
import logging
from pathlib import Path
from unittest import mock

import pytest
from openstack import exceptions as sdk_exceptions
from openstack.compute.v2.aggregate import Aggregate
from openstack.compute.v2.flavor import Flavor
from openstack.image.v2.image import Image

from apis.openstack_api.exceptions import CloudConnectionError
from packtools.inprocess import load_class, sensor_service
from tests.fakes.cloud import FakeCloud
from tests.unit.workflows.test_hypervisor_sensor import run_every_hook
from workflows import cloud_cross_check, finding_watch
from workflows.cloud_cross_check import CrossCheckConfig, CrossCheckConfigError, Resource

ROOT = Path(__file__).resolve().parents[3]
SENSOR = ROOT / "sensors" / "src" / "cloud_cross_check_sensor.py"
SETTINGS = {"source_cloud": "prod", "target_cloud": "staging"}
IDS = itertools.count(1)


def flavor(name, **changes):
    """A public flavor with small defaults."""
    attrs = {"vcpus": 1, "ram": 512, "disk": 1, "ephemeral": 0, "swap": 0}
    attrs.update(is_public=True, is_disabled=False)
    attrs.update({"extra_specs": {}, **changes})
    return Flavor(id=f"f-{name}-{next(IDS)}", name=name, **attrs)


def image(name, image_id, **changes):
    """A public raw image."""
    attrs = {
        "visibility": "public",
        "disk_format": "raw",
        "container_format": "bare",
        "min_disk": 0,
        "min_ram": 0,
        "checksum": "aaa",
        "updated_at": "2026-01-01T00:00:00Z",
        "owner": "p-admin",
        "properties": {"hw_qemu_guest_agent": "yes", "owner_specified.openstack.md5": "x"},
    }
    attrs.update(changes)
    return Image(id=image_id, name=name, **attrs)


def aggregate(name, hosts, **metadata):
    """An aggregate in zone az1."""
    return Aggregate(
        id=name, name=name, availability_zone="az1", hosts=hosts, metadata=dict(metadata)
    )


def source_cloud():
    """The reference cloud."""
    return FakeCloud(
        flavors=[
            flavor("small", extra_specs={"hw:cpu_policy": "dedicated"}),
            flavor("medium", vcpus=2, ram=2048),
            flavor("secret", is_public=False),
        ],
        images=[
            image("cirros", "i-1", os_distro="cirros", tags=["b", "a"]),
            image("dup", "i-2"),
            image("dup", "i-3"),
            image("private", "i-4", visibility="private"),
        ],
        aggregates=[aggregate("agg1", ["h1"], ssd="true"), aggregate("agg2", ["h2"])],
    )


def target_cloud():
    """The cloud that should match: small has other specs and RAM, medium is missing."""
    return FakeCloud(
        flavors=[flavor("small", ram=1024)],
        images=[
            image(
                "cirros",
                "i-9",
                os_distro="cirros",
                tags=["a", "b"],
                checksum="bbb",
                updated_at="2026-02-02T00:00:00Z",
                owner="p-other",
            ),
            image("dup", "i-8"),
        ],
        aggregates=[aggregate("agg1", ["h7", "h8"], ssd="true"), aggregate("agg2", ["h9"])],
    )


class Clouds:
    """Stands in for connect(): a fake connection per cloud name; records the names."""

    def __init__(self, **conns):
        self.conns = conns
        self.opened = []

    @contextlib.contextmanager
    def __call__(self, cloud_account):
        self.opened.append(cloud_account)
        conn = self.conns[cloud_account]
        if isinstance(conn, Exception):
            raise conn
        yield conn


@pytest.fixture(name="clouds")
def fixture_clouds(monkeypatch):
    """prod and staging."""
    clouds = Clouds(prod=source_cloud(), staging=target_cloud())
    monkeypatch.setattr(cloud_cross_check, "connect", clouds)
    return clouds


def config(**changes):
    """A checked config."""
    return CrossCheckConfig.from_config({**SETTINGS, **changes})


# ------------------------------------------------------------------ config
def test_config_defaults_and_idle():
    assert CrossCheckConfig.from_config(None) is None
    assert CrossCheckConfig.from_config({"resources": ["images"]}) is None
    checked = config(resources=["images", "flavors", "images"])
    assert checked.resources == (Resource.IMAGES, Resource.FLAVORS)
    assert checked.include_private is False
    assert config().resources == tuple(Resource)
    ignored = config(ignore_properties={"images": ["boot_roles"]}).ignored(Resource.IMAGES)
    assert "checksum" in ignored and ignored[-1] == "boot_roles"


@pytest.mark.parametrize(
    "settings, message",
    [
        ({**SETTINGS, "sources": "x"}, "unknown key(s) sources; valid: source_cloud"),
        ({"source_cloud": "prod"}, "cross_check.target_cloud is required"),
        ({"target_cloud": "prod"}, "cross_check.source_cloud is required"),
        ({"source_cloud": "prod", "target_cloud": "prod"}, "both 'prod'"),
        ({**SETTINGS, "resources": ["volumes"]}, "'volumes' is not a resource type; valid: fla"),
        ({**SETTINGS, "ignore_properties": {"ports": []}}, "ignore_properties: 'ports' is not"),
        ({**SETTINGS, "ignore_properties": {"images": "size"}}, "ignore_properties.images must"),
    ],
)
def test_config_errors_name_the_bad_key(settings, message):
    with pytest.raises(CrossCheckConfigError) as caught:
        CrossCheckConfig.from_config(settings)
    assert message in str(caught.value)


# ------------------------------------------------------------------ comparison
def test_properties_are_flattened_and_ignored_ones_dropped():
    specs = cloud_cross_check.properties(
        Resource.FLAVORS, flavor("x", extra_specs={"a": "1"}), ("extra_specs.b*",)
    )
    assert specs == {
        "disk": 1,
        "ephemeral": 0,
        "extra_specs.a": "1",
        "is_disabled": False,
        "is_public": True,
        "ram": 512,
        "swap": 0,
        "vcpus": 1,
    }
    props = cloud_cross_check.properties(
        Resource.IMAGES,
        image("c", "i-1", tags=["z", "y"]),
        cloud_cross_check.DEFAULT_IGNORED[Resource.IMAGES],
    )
    assert props == {
        "container_format": "bare",
        "disk_format": "raw",
        "hw_qemu_guest_agent": "yes",
        "min_disk": 0,
        "min_ram": 0,
        "tags": ["y", "z"],
        "visibility": "public",
    }
    agg = cloud_cross_check.properties(Resource.AGGREGATES, aggregate("a", ["h1"], ssd="true"))
    assert agg == {"availability_zone": "az1", "metadata.ssd": "true"}


def test_compare_reports_differences_and_missing_with_stable_fingerprints():
    checked = config()
    source = {"a": {"ram": 1, "x": 2}, "b": {"ram": 1}, "c": {"ram": 1}}
    target = {"a": {"ram": 2, "y": 3}, "c": {"ram": 1}, "d": {}}
    found = cloud_cross_check.compare(checked, Resource.FLAVORS, source, target)
    assert len(found) == 2
    first, second = found[0], found[1]
    assert {k: v for k, v in first.items() if k != "fingerprint"} == {
        "check": "cross_check",
        "resource_type": "flavors",
        "name": "a",
        "kind": "differs",
        "differences": {
            "ram": {"source": 1, "target": 2},
            "x": {"source": 2, "target": None},
            "y": {"source": None, "target": 3},
        },
        "source_cloud": "prod",
        "target_cloud": "staging",
    }
    assert (second["name"], second["kind"], second["differences"]) == ("b", "missing", {})
    again = cloud_cross_check.compare(checked, Resource.FLAVORS, source, target)
    assert [f["fingerprint"] for f in again] == [first["fingerprint"], second["fingerprint"]]
    changed = cloud_cross_check.compare(checked, Resource.FLAVORS, {"a": {"ram": 3}}, target)
    assert changed[0]["fingerprint"] != first["fingerprint"]
    assert len(first["fingerprint"]) == finding_watch.FINGERPRINT_LENGTH


def test_poll_compares_public_resources_by_name(clouds):
    result = cloud_cross_check.poll(config(), {})
    found = {(f["resource_type"], f["name"], f["kind"]): f for f in result.new}
    assert set(found) == {("flavors", "small", "differs"), ("flavors", "medium", "missing")}
    assert found[("flavors", "small", "differs")]["differences"] == {
        "extra_specs.hw:cpu_policy": {"source": "dedicated", "target": None},
        "ram": {"source": 512, "target": 1024},
    }
    assert result.errors == [
        "cross_check: 2 images of cloud 'prod' are called 'dup'; not compared",
    ]
    assert set(result.seen.values()) == {"flavors"}
    assert clouds.opened == ["prod", "staging"]
    prod = clouds.conns["prod"]
    assert prod.kwargs_of("flavors") == [{"details": True, "is_public": True}]
    assert prod.kwargs_of("images")[0]["visibility"] == "public"
    assert prod.kwargs_of("aggregates") == [{}]


@pytest.mark.usefixtures("clouds")
def test_include_private_compares_private_resources_too():
    result = cloud_cross_check.poll(config(include_private=True, resources=["flavors"]), {})
    assert {f["name"] for f in result.new} == {"small", "medium", "secret"}


def test_a_failed_listing_keeps_its_fingerprints_and_skips_the_type(clouds):
    first = cloud_cross_check.poll(config(), {})
    stored = {**first.seen, "agg-old": "aggregates"}
    forbidden = sdk_exceptions.ForbiddenException("Policy doesn't allow compute:aggregates")
    staging = clouds.conns["staging"]
    staging.compute.aggregates = mock.Mock(side_effect=forbidden)
    result = cloud_cross_check.poll(config(), stored)
    staging.compute.aggregates.assert_called_once_with()
    assert not result.new
    assert result.seen == stored
    assert any(
        "listing aggregates of cloud 'staging'" in e and "HTTP 403" in e for e in result.errors
    )


def test_an_unreachable_cloud_changes_nothing(clouds):
    clouds.conns["prod"] = CloudConnectionError("cannot connect to cloud 'prod': timed out")
    result = cloud_cross_check.poll(config(), {"abc": "images"})
    assert not result.new and result.seen == {"abc": "images"}
    assert result.errors == ["cross_check: cloud 'prod': cannot connect to cloud 'prod': timed out"]
    assert clouds.opened == ["prod"]


# ------------------------------------------------------------------ datastore logic
def test_sift_dispatches_new_forgets_resolved_keeps_failed():
    findings = [("images", {"fingerprint": "new"}), ("flavors", {"fingerprint": "old"})]
    previous = {"old": "flavors", "gone": "flavors", "kept": "aggregates"}
    result = finding_watch.sift(findings, previous, ["aggregates"], ["boom"])
    assert result.new == [{"fingerprint": "new"}]
    assert result.seen == {"new": "images", "old": "flavors", "kept": "aggregates"}
    assert json.loads(result.state) == result.seen and result.errors == ["boom"]


def test_load_seen_tolerates_garbage():
    assert finding_watch.load_seen(None) == {}
    assert finding_watch.load_seen("not json") == {}
    assert finding_watch.load_seen("[1]") == {}
    assert finding_watch.load_seen('{"a": "images"}') == {"a": "images"}


def test_fingerprint_ignores_key_order():
    assert finding_watch.fingerprint({"a": 1, "b": [2]}) == finding_watch.fingerprint(
        {"b": [2], "a": 1}
    )
    assert finding_watch.fingerprint({"a": 1}) != finding_watch.fingerprint({"a": 2})


# ------------------------------------------------------------------ sensor
def make_sensor(settings=None):
    """The sensor with a fresh stand-in service."""
    service = sensor_service()
    sensor_class = load_class(SENSOR, "CloudCrossCheckSensor")
    cfg = {"cross_check": SETTINGS if settings is None else settings}
    return sensor_class(service, config=cfg), service


def test_sensor_dispatches_each_finding_once(clouds, caplog):
    sensor, service = make_sensor()
    sensor.setup()
    with caplog.at_level(logging.WARNING):
        sensor.poll()
    assert {d["trigger"] for d in service.dispatched} == {"cloudops.cloud.cross_check_finding"}
    assert sorted(d["payload"]["name"] for d in service.dispatched) == ["medium", "small"]
    assert "called 'dup'" in caplog.text
    sensor.poll()
    assert len(service.dispatched) == 2
    stored = json.loads(service.get_value("cross_check_findings"))
    assert sorted(stored) == sorted(d["payload"]["fingerprint"] for d in service.dispatched)

    clouds.conns["staging"].store["flavors"].append(flavor("medium", vcpus=2, ram=4096))
    sensor.poll()
    latest = service.dispatched[-1]["payload"]
    assert (latest["name"], latest["kind"]) == ("medium", "differs")
    assert latest["differences"] == {"ram": {"source": 2048, "target": 4096}}
    assert len(service.dispatched) == 3
    assert len(json.loads(service.get_value("cross_check_findings"))) == 2
    assert sensor.get_poll_interval() == 900


def test_sensor_idle_without_clouds(monkeypatch):
    poll = mock.create_autospec(cloud_cross_check.poll)
    monkeypatch.setattr(cloud_cross_check, "poll", poll)
    sensor, service = make_sensor(settings={})
    run_every_hook(sensor)
    poll.assert_not_called()
    assert not service.dispatched and service.get_value("cross_check_findings") is None


def test_sensor_refuses_a_bad_config():
    sensor, _ = make_sensor(settings={"source_cloud": "prod"})
    with pytest.raises(CrossCheckConfigError, match="target_cloud is required"):
        sensor.setup()


def test_each_listing_gets_a_progress_line(clouds, progress_lines):
    staging = clouds.conns["staging"]
    staging.compute.aggregates = mock.Mock(side_effect=sdk_exceptions.ForbiddenException("no"))
    cloud_cross_check.poll(config(), {})
    assert progress_lines() == [
        "cross_check prod -> staging: listed 2 flavors of prod (1 of 6, 1.5 s)",
        "cross_check prod -> staging: listed 1 images of prod (2 of 6, 3.0 s)",
        "cross_check prod -> staging: listed 2 aggregates of prod (3 of 6, 4.5 s)",
        "cross_check prod -> staging: listed 1 flavors of staging (4 of 6, 6.0 s)",
        "cross_check prod -> staging: listed 2 images of staging (5 of 6, 7.5 s)",
        "cross_check prod -> staging: listing aggregates of staging failed: the cloud failed a "
        "request: HTTP 403: no; the cloud_account lacks a role for this (often admin), or the "
        "resource belongs to another project (6 of 6, 9.0 s)",
        "cross_check prod -> staging: 2 finding(s), 2 error(s) (6 of 6, 10.5 s)",
    ]


def test_an_unreachable_cloud_gets_one_line(clouds, progress_lines):
    clouds.conns["prod"] = CloudConnectionError("cannot connect to cloud 'prod': timed out")
    cloud_cross_check.poll(config(), {})
    assert progress_lines()[0] == (
        "cross_check prod -> staging: cloud prod failed: cannot connect to cloud 'prod': "
        "timed out (0 of 6, 1.5 s)"
    )
