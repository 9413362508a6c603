"""The cross-check and router gateway sensors on the devcloud, and their tickets in the fake JSM.

The devcloud is one cloud, so the cross-check compares two views of it: the admin (every
private flavor and image) and a throwaway project's member (public ones and what is shared
with it). Other engineers create resources at the same time, so the tests look only at the
findings about their own resources.
"""

import json
import logging
import uuid

import pytest
import yaml

from packtools.inprocess import load_class, sensor_service
from tests.unit.workflows.test_cloud_cross_check import SENSOR as CROSS_CHECK_SENSOR
from tests.integration.action_run import action_result, run_action
from tests.unit.workflows.test_router_gateway_watch import SENSOR as ROUTER_SENSOR

pytestmark = pytest.mark.integration


def ticket_config(tmp_path, fake_jira, token=None, **account_settings):
    """A pack config whose finding tickets go to the fake JSM's OPS project."""
    account = {
        "name": "jsm",
        "url": fake_jira.url,
        "username": fake_jira.username,
        "api_token": token or fake_jira.token,
        "backoff_factor": 0,
        **account_settings,
    }
    config = tmp_path / "cloudops.yaml"
    settings = {"jira_account": "jsm", "jira_project": "OPS"}
    config.write_text(
        yaml.safe_dump({"jira_accounts": [account], "finding_tickets": settings}),
        encoding="utf-8",
    )
    return config


def mine(service, key, value):
    """The dispatched payloads whose ``key`` is ``value``."""
    return [d["payload"] for d in service.dispatched if d["payload"].get(key) == value]


@pytest.fixture(name="private_resources")
def fixture_private_resources(admin_conn):
    """An admin-owned private flavor (with an extra spec) and private image, deleted after."""
    name = f"xcheck-{uuid.uuid4().hex[:8]}"
    created = {}
    try:
        created["flavor"] = admin_conn.compute.create_flavor(
            name=name, ram=64, vcpus=1, disk=0, is_public=False
        )
        admin_conn.compute.create_flavor_extra_specs(
            created["flavor"], {"cloudops:cross_check": "yes"}
        )
        created["image"] = admin_conn.image.create_image(
            name=name, disk_format="raw", container_format="bare", visibility="private"
        )
        yield name, created
    finally:
        if "image" in created:
            admin_conn.image.delete_image(created["image"], ignore_missing=True)
        if "flavor" in created:
            admin_conn.compute.delete_flavor(created["flavor"], ignore_missing=True)


def test_cross_check_sensor_dispatches_each_finding_once(
    private_resources, throwaway_project, admin_conn, clouds_yaml, monkeypatch, caplog
):
    name, created = private_resources
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(throwaway_project.clouds_yaml))
    service = sensor_service()
    settings = {
        "source_cloud": clouds_yaml.cloud,
        "target_cloud": throwaway_project.cloud,
        "include_private": True,
    }
    sensor = load_class(CROSS_CHECK_SENSOR, "CloudCrossCheckSensor")(
        service, config={"cross_check": settings}
    )
    sensor.setup()
    with caplog.at_level(logging.WARNING):
        sensor.poll()
    found = {(p["resource_type"], p["kind"]) for p in mine(service, "name", name)}
    assert found == {("flavors", "missing"), ("images", "missing")}
    assert {d["trigger"] for d in service.dispatched} == {"cloudops.cloud.cross_check_finding"}
    assert "listing aggregates of cloud" in caplog.text and "HTTP 403" in caplog.text
    assert not [d for d in service.dispatched if d["payload"]["resource_type"] == "aggregates"]
    stored = json.loads(service.get_value("cross_check_findings"))
    first = {p["fingerprint"] for p in mine(service, "name", name)}
    assert first <= set(stored)

    sensor.poll()
    assert len(mine(service, "name", name)) == 2

    admin_conn.compute.flavor_add_tenant_access(created["flavor"], throwaway_project.project_id)
    sensor.poll()
    stored = json.loads(service.get_value("cross_check_findings"))
    flavor_missing, image_missing = sorted(
        mine(service, "name", name), key=lambda p: p["resource_type"]
    )
    assert flavor_missing["fingerprint"] not in stored  # the member now sees the same flavor
    assert image_missing["fingerprint"] in stored
    assert len(mine(service, "name", name)) == 2


def test_router_gateway_sensor_and_its_ticket(
    throwaway_project, admin_conn, seeded_cloud, clouds_yaml, fake_jira, tmp_path
):
    public = seeded_cloud["networks"]["seed-public"]["id"]
    router = admin_conn.network.create_router(
        name=f"xcheck-{uuid.uuid4().hex[:6]}",
        project_id=throwaway_project.project_id,
        external_gateway_info={"network_id": public},
    )
    service = sensor_service()
    config = {
        "router_gateway_sensor": {"cloud_account": clouds_yaml.cloud},
        "expected_external_cidrs": ["203.0.113.0/24"],
    }
    sensor = load_class(ROUTER_SENSOR, "RouterGatewaySensor")(service, config=config)
    sensor.setup()
    sensor.poll()
    (payload,) = mine(service, "router_id", router.id)
    assert payload["project_name"] == throwaway_project.project_name
    assert payload["external_network_name"] == "seed-public"
    assert payload["gateway_ips"][0].startswith("198.51.100.")
    assert "outside the expected CIDRs" in payload["reason"]
    sensor.poll()
    assert len(mine(service, "router_id", router.id)) == 1
    assert payload["fingerprint"] in json.loads(service.get_value("router_gateway_findings"))

    fake_jira.state.reset()
    pack_config = ticket_config(tmp_path, fake_jira)
    finding = f"finding={json.dumps(payload)}"
    first = action_result(pack_config, "jira.finding.ticket", finding, "dry_run=false")
    assert first["created"] is True and first["key"]
    (issue,) = fake_jira.state.issues.values()
    assert f"cloudops-finding-{payload['fingerprint']}" in issue.labels
    assert router.name in issue.summary
    fake_jira.state.reset()


def test_ticket_action_is_created_once_and_dry_run_by_default(fake_jira, tmp_path):
    fake_jira.state.reset()
    config = ticket_config(tmp_path, fake_jira)
    payload = {
        "check": "cross_check",
        "fingerprint": uuid.uuid4().hex[:20],
        "resource_type": "images",
        "name": "ubuntu-24.04",
        "kind": "differs",
        "differences": {"min_ram": {"source": 512, "target": 1024}},
        "source_cloud": "prod",
        "target_cloud": "staging",
    }
    finding = f"finding={json.dumps(payload)}"
    planned = action_result(config, "jira.finding.ticket", finding)
    assert (planned["key"], planned["created"], planned["dry_run"]) == (None, False, True)
    assert not fake_jira.state.issues
    fake_jira.state.fail_next("*/search*", 429, retry_after=1)
    first = action_result(config, "jira.finding.ticket", finding, "dry_run=false")
    assert first["created"] is True
    assert not fake_jira.state.faults  # the 429 was answered, and the search retried
    assert len(fake_jira.state.requests_to("*/search*")) >= 3
    again = action_result(config, "jira.finding.ticket", finding, "dry_run=false")
    assert (again["key"], again["created"]) == (first["key"], False)
    (issue,) = fake_jira.state.issues.values()
    assert sorted(issue.labels) == sorted(["cloudops-cross-check", first["label"]])
    assert "min_ram" in issue.description and "1024" in issue.description
    fake_jira.state.reset()


def test_ticket_action_reports_refused_credentials(fake_jira, tmp_path):
    fake_jira.state.reset()
    config = ticket_config(tmp_path, fake_jira, token="wrong-token")
    payload = {
        "check": "router_gateway",
        "fingerprint": "f" * 20,
        "cloud": "prod",
        "router_id": "r-1",
        "reason": "gateway IP(s) 203.0.113.7 outside the expected CIDRs",
    }
    code, answer, printed = run_action(
        config, "jira.finding.ticket", f"finding={json.dumps(payload)}", "dry_run=false"
    )
    assert code == 1, printed
    assert answer["result"]["error_type"] == "JiraAuthError"
    assert "wrong-token" not in json.dumps(answer)
    assert not fake_jira.state.issues


def test_ticket_action_times_out_on_a_slow_jira(fake_jira, tmp_path):
    fake_jira.state.reset()
    config = ticket_config(tmp_path, fake_jira, timeout=1, retries=0)
    fake_jira.state.delay_next("*/search*", 3)
    payload = {
        "check": "router_gateway",
        "fingerprint": "e" * 20,
        "cloud": "prod",
        "router_id": "r-1",
        "reason": "gateway has no IP and its network has no subnet in the expected CIDRs",
    }
    code, answer, printed = run_action(
        config, "jira.finding.ticket", f"finding={json.dumps(payload)}", "dry_run=false"
    )
    assert code == 1, printed
    assert answer["result"]["error_type"] == "JiraTimeoutError"
    assert not fake_jira.state.issues
    fake_jira.state.reset()


def test_sensors_survive_an_unreachable_cloud(clouds_yaml, tmp_path, monkeypatch, caplog):
    clouds = json.loads(clouds_yaml.path.read_text(encoding="utf-8"))
    dead = json.loads(json.dumps(clouds["clouds"][clouds_yaml.cloud]))
    dead["auth"]["auth_url"] = "http://127.0.0.1:9/v3"
    clouds["clouds"]["dead"] = dead
    path = tmp_path / "clouds.yaml"
    path.write_text(json.dumps(clouds), encoding="utf-8")
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(path))
    service = sensor_service()
    service.set_value("router_gateway_findings", '{"kept": "routers"}')
    config = {
        "router_gateway_sensor": {"cloud_account": "dead"},
        "expected_external_cidrs": ["198.51.100.0/24"],
    }
    router_sensor = load_class(ROUTER_SENSOR, "RouterGatewaySensor")(service, config=config)
    cross_settings = {"source_cloud": clouds_yaml.cloud, "target_cloud": "dead"}
    cross_sensor = load_class(CROSS_CHECK_SENSOR, "CloudCrossCheckSensor")(
        service, config={"cross_check": cross_settings}
    )
    with caplog.at_level(logging.WARNING):
        for sensor in (router_sensor, cross_sensor):
            sensor.setup()
            sensor.poll()
    assert caplog.text.count("cannot connect to cloud 'dead'") == 2
    assert not service.dispatched
    assert json.loads(service.get_value("router_gateway_findings")) == {"kept": "routers"}
    assert json.loads(service.get_value("cross_check_findings")) == {}
