"""The uptime-triggered start of hypervisor maintenance on the devcloud: the state sensor sees
a compute up past the limit as DUE_FOR_MAINTENANCE, hypervisor.maintenance.start emails the
users of its servers (real mail through aiosmtpd) and disables it for maintenance, a second
due host of the same aggregate is held, and the sensor gives it its chance again when the
slot frees.

compute1 and compute2 are in different seed aggregates (each with its own availability
zone), so the test puts both into one more aggregate (no zone) for the bound to apply.
"""

from __future__ import annotations

import contextlib
import uuid

import pytest
import yaml

from packtools.inprocess import load_class, sensor_service
from tests.integration.action_run import run_action
from tests.unit.workflows.test_hypervisor_sensor import SENSOR

pytestmark = pytest.mark.integration

DUE = "DUE_FOR_MAINTENANCE"
HOSTS = ("compute1", "compute2")


@pytest.fixture(name="pack_config")
def fixture_pack_config(smtp_server, tmp_path):
    """A pack config whose default SMTP account is the session's aiosmtpd."""
    config = {
        "smtp_accounts": [smtp_server.account(from_address="Cloud Team <cloud@example.org>")],
        "hypervisor_maintenance": {"max_hosts_in_maintenance_per_aggregate": 1},
    }
    path = tmp_path / "cloudops.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def compute_service(admin_conn, host):
    """The nova-compute service of ``host``."""
    (service,) = [s for s in admin_conn.compute.services(binary="nova-compute") if s.host == host]
    return service


@pytest.fixture(name="due_pair")
def fixture_due_pair(devcloud, admin_conn, seeded_cloud):
    """compute1 (200 days up) and compute2 (250 days) both due, in one shared aggregate; both
    re-enabled, uptimes cleared and the aggregate removed afterwards, whatever happens."""
    assert set(seeded_cloud["hypervisors"]) >= set(HOSTS)
    for host in HOSTS:
        assert compute_service(admin_conn, host).status == "enabled", f"{host} is not enabled"
    aggregate = admin_conn.compute.create_aggregate(name=f"it-maint-{uuid.uuid4().hex[:6]}")
    with contextlib.ExitStack() as stack:

        @stack.callback
        def _remove_aggregate():
            for host in HOSTS:
                with contextlib.suppress(Exception):
                    admin_conn.compute.remove_host_from_aggregate(aggregate, host)
            admin_conn.compute.delete_aggregate(aggregate)

        for host in HOSTS:
            admin_conn.compute.add_host_to_aggregate(aggregate, host)
        stack.enter_context(devcloud.uptime("compute1", 200))
        stack.enter_context(devcloud.uptime("compute2", 250))

        @stack.callback
        def _enable():
            for host in HOSTS:
                admin_conn.compute.enable_service(compute_service(admin_conn, host))

        yield aggregate.name


def start(pack_config, clouds_yaml, host, *parameters):
    """The result and the printed output of a real hypervisor.maintenance.start of ``host``."""
    code, answer, printed = run_action(
        pack_config,
        "hypervisor.maintenance.start",
        f"cloud_account={clouds_yaml.cloud}",
        f"hypervisor={host}",
        "dry_run=false",
        *parameters,
    )
    assert code == 0, printed
    return answer["result"], printed


def owners_emailed(seeded_cloud, host):
    """The seed owners' addresses of the servers on ``host`` (those with an address)."""
    users = {s["user"] for s in seeded_cloud["servers"].values() if s["host"] == host}
    return {seeded_cloud["users"][u]["email"] for u in users} - {None}


def test_due_host_is_emailed_and_disabled_and_the_next_one_held(
    due_pair, devcloud, clouds_yaml, admin_conn, seeded_cloud, smtp_server, pack_config
):  # pylint: disable=too-many-arguments,too-many-locals
    service = sensor_service()
    sensor = load_class(SENSOR, "HypervisorStateSensor")(
        service, config={"hypervisor_sensor": {"cloud_account": clouds_yaml.cloud}}
    )
    sensor.setup()
    sensor.poll()
    first = {d["payload"]["name"]: d["payload"]["current"] for d in service.dispatched}
    assert first["compute1"] == first["compute2"] == DUE

    before = len(smtp_server.messages)
    result, printed = start(pack_config, clouds_yaml, "compute1", "duration=6h")
    assert result["changed"] and result["held"] is None and result["state"] == DUE
    assert "maintenance.start compute1: notice to" in printed
    received = smtp_server.messages[before:]
    expected = owners_emailed(seeded_cloud, "compute1")
    assert expected and expected <= {m.rcpt_tos[0] for m in received}
    window = result["window"]
    for mail in received:
        assert mail.message["Subject"].startswith("[devcloud] Planned maintenance from ")
        text = mail.message.get_body(("plain",)).get_content()
        assert "compute1" in text and window["end"][:10] in text
    disabled = compute_service(admin_conn, "compute1")
    assert disabled.status == "disabled"
    assert disabled.disabled_reason.startswith("[maintenance] planned maintenance")
    assert disabled.disabled_reason == result["disabled_reason"]

    sensor.poll()
    assert service.dispatched[-1]["payload"]["name"] == "compute1"
    assert service.dispatched[-1]["payload"]["current"] == "PENDING_MAINTENANCE"

    before = len(smtp_server.messages)
    held, _ = start(pack_config, clouds_yaml, "compute2")
    assert not held["changed"] and [o["outcome"] for o in held["objects"]] == ["skipped"]
    assert held["objects"][0]["reason"] == (
        f"held: aggregate {due_pair} has 1 of 1 in maintenance (hosts compute1)"
    )
    assert len(smtp_server.messages) == before
    assert compute_service(admin_conn, "compute2").status == "enabled"

    dispatched = len(service.dispatched)
    sensor.poll()
    assert len(service.dispatched) == dispatched  # nothing changed: compute2 waits

    devcloud.run("uptime", "compute1", "clear")  # compute1 back, rebooted: not due any more
    admin_conn.compute.enable_service(compute_service(admin_conn, "compute1"))
    sensor.poll()
    again = [d["payload"] for d in service.dispatched[dispatched:]]
    assert {"name": "compute2", "previous": DUE, "current": DUE} in [
        {k: p[k] for k in ("name", "previous", "current")} for p in again
    ]
