"""hypervisor.maintenance.start, the concurrency bound and the sensor's second chance for held
DUE hosts, against the signature-checking fake cloud."""

import datetime
from unittest import mock

import pytest
from openstack.compute.v2.aggregate import Aggregate
from openstack.compute.v2.hypervisor import Hypervisor
from openstack.compute.v2.server import Server
from openstack.compute.v2.service import Service
from openstack.identity.v3.project import Project
from openstack.identity.v3.user import User

from apis.email_api.account import SMTPAccount
from apis.email_api.sender import SendReport
from apis.openstack_api.hypervisor_state import HypervisorFacts, StateChange
from apis.openstack_api.maintenance_slots import NO_AGGREGATE, Hold, MaintenanceSlots
from tests.fakes.cloud import FakeCloud
from tests.result_schemas import check_result
from workflows import email_common, hypervisor_watch
from workflows.email_common import Delivery
from workflows.hypervisor_maintenance_start import MaintenanceStartError, start_maintenance

NOW = datetime.datetime(2026, 6, 15, 9, 30, tzinfo=datetime.timezone.utc)
UP = " 09:30:00 up {} days,  1:00,  0 users"
MAINTENANCE = "[maintenance] kernel update (by ops, 2026-06-15T08:00Z)"
DUE = "DUE_FOR_MAINTENANCE"


@pytest.fixture(autouse=True)
def fixture_pinned_now(pin_clock):
    """The window defaults count from NOW."""
    pin_clock(NOW)


def hypervisor(name, days=200, status="enabled", reason=None, state="up"):
    """A hypervisor as nova lists it (service host = name)."""
    return Hypervisor(
        id=f"rp-{name}",
        name=name,
        state=state,
        status=status,
        uptime=UP.format(days),
        service_details={"host": name, "disabled_reason": reason},
    )


def server(name, hv, user):
    """A server of project web owned by ``user``."""
    return Server(
        id=f"id-{name}",
        name=name,
        status="ACTIVE",
        project_id="p-web",
        user_id=user,
        created_at="2026-01-01T00:00:00Z",
        updated_at="2026-01-01T00:00:00Z",
        hypervisor_hostname=hv,
        compute_host=hv,
        flavor={"original_name": "m1.small", "vcpus": 1},
        image={"id": "img-1"},
    )


@pytest.fixture(name="cloud")
def fixture_cloud():
    """hv1, hv2 due in aggregate az1; hv3 due in az2 with hv4 in maintenance; hv5 in none."""
    hypervisors = [
        hypervisor("hv1", 200),
        hypervisor("hv2", 250),
        hypervisor("hv3", 300),
        hypervisor("hv4", 10, "disabled", MAINTENANCE),
        hypervisor("hv5", 20),
        hypervisor("hv6", 400, "disabled", "broken disk"),
    ]
    return FakeCloud(
        hypervisors=hypervisors,
        services=[
            Service(
                id=f"svc-{h.name}",
                host=h.name,
                binary="nova-compute",
                status=h.status,
                disabled_reason=h.service_details["disabled_reason"],
            )
            for h in hypervisors
        ],
        aggregates=[
            Aggregate(id=1, name="az1", hosts=["hv1", "hv2"]),
            Aggregate(id=2, name="az2", hosts=["hv3", "hv4"]),
        ],
        servers=[server("web-1", "hv1", "u-alice"), server("web-2", "hv1", "u-bob")],
        users=[
            User(id="u-alice", name="alice", email="alice@example.org", domain_id="default"),
            User(id="u-bob", name="bob", email="bob@example.org", domain_id="default"),
        ],
        projects=[Project(id="p-web", name="web", domain_id="default")],
    )


@pytest.fixture(name="relay")
def fixture_relay():
    """An SMTP account, never reached (dry runs, or send_emails replaced)."""
    return SMTPAccount.from_config(
        {"name": "relay", "host": "smtp.example.org", "from_address": "cloud@example.org"}
    )


def disables(cloud):
    """The disable_service calls the fake saw."""
    return [call for call in cloud.log if call[0] == "disable_service"]


def fake_smtp(monkeypatch, refuse=()):
    """Replace the SMTP send (signature-checked): every email accepted but by ``refuse``."""

    def send(smtp_account, emails, dry_run=True, **_):
        report = SendReport(smtp_account=smtp_account.name, dry_run=dry_run)
        for deferred in emails:
            message = deferred.build()
            report.messages += 1
            refused = {a: (550, "no such user") for a in message.envelope_recipients if a in refuse}
            report.record_sent(message, refused)
        return report

    sender = mock.create_autospec(email_common.send_emails, side_effect=send)
    monkeypatch.setattr(email_common, "send_emails", sender)
    return sender


def test_dry_run_plans_the_notice_and_the_disable(cloud, relay):
    result = start_maintenance(cloud, "hv1", Delivery(relay), duration="8h")
    assert result["dry_run"] and not result["changed"] and result["held"] is None
    assert result["state"] == DUE
    assert result["window"] == {
        "start": "2026-06-15T09:30:00+00:00",
        "end": "2026-06-15T17:30:00+00:00",
    }
    assert [(o.kind, o.outcome.value) for o in result["objects"]] == [
        ("email", "done"),
        ("email", "done"),
        ("hypervisor", "done"),
    ]
    previews = {p["label"]: p for p in result["notice"]["previews"]}
    assert sorted(previews) == ["alice", "bob"]
    assert "from 2026-06-15 09:30 UTC to 2026-06-15 17:30 UTC" in previews["alice"]["text"]
    assert result["disabled_reason"].startswith("[maintenance] planned maintenance")
    assert not disables(cloud)
    check_result("hypervisor.maintenance.start", result)


def test_real_run_emails_then_disables_for_maintenance(cloud, relay, monkeypatch):
    sender = fake_smtp(monkeypatch)
    result = start_maintenance(
        cloud,
        "hv1",
        Delivery(relay, dry_run=False),
        end="2026-06-16T09:00:00Z",
        operator="rule x",
    )
    assert result["changed"] and sorted(result["notice"]["sent_recipients"]) == [
        "alice@example.org",
        "bob@example.org",
    ]
    assert sender.call_count == 1
    ((_, args, kwargs),) = disables(cloud)
    assert args[0].host == "hv1"
    assert kwargs["disabled_reason"] == result["disabled_reason"]
    assert kwargs["disabled_reason"].startswith(
        "[maintenance] planned maintenance: kernel patches and a reboot until "
        "2026-06-16T09:00:00+00:00 (by rule x, "
    )
    check_result("hypervisor.maintenance.start", result)


def test_undelivered_notice_leaves_the_host_enabled(cloud, relay, monkeypatch):
    fake_smtp(monkeypatch, refuse=("bob@example.org",))
    with pytest.raises(MaintenanceStartError, match="not delivered to bob@example.org") as caught:
        start_maintenance(cloud, "hv1", Delivery(relay, dry_run=False))
    assert caught.value.report["notice"]["failed_recipients"] == ["bob@example.org"]
    assert not disables(cloud)


def test_full_aggregate_holds_the_host(cloud, relay, monkeypatch):
    sender = fake_smtp(monkeypatch)
    result = start_maintenance(cloud, "hv3", Delivery(relay, dry_run=False))
    (held,) = result["objects"]
    assert held.outcome.value == "skipped" and not result["changed"]
    assert held.reason == "held: aggregate az2 has 1 of 1 in maintenance (hosts hv4)"
    assert result["held"] == {"aggregate": "az2", "count": 1, "limit": 1, "hosts": ["hv4"]}
    assert not sender.called and not disables(cloud)
    check_result("hypervisor.maintenance.start", result)
    two = {"max_hosts_in_maintenance_per_aggregate": 2}
    allowed = start_maintenance(cloud, "hv3", Delivery(relay), hypervisor_maintenance=two)
    assert allowed["held"] is None and allowed["objects"][-1].change == "disable"


def test_reported_state_follows_the_sensor_uptime_limit(cloud, relay):
    sensor = {"uptime_limit_days": 365}
    result = start_maintenance(cloud, "hv1", Delivery(relay), hypervisor_sensor=sensor)
    assert result["state"] == "RUNNING" and result["objects"][-1].change == "disable"


def test_host_already_in_maintenance_is_left_alone(cloud, relay):
    result = start_maintenance(cloud, "hv4", Delivery(relay, dry_run=False))
    (unchanged,) = result["objects"]
    assert unchanged.outcome.value == "unchanged" and not result["changed"]
    assert unchanged.reason.startswith("already disabled for maintenance (DRAINED: [maintenance]")
    assert not disables(cloud)


@pytest.mark.parametrize(
    "hv, kwargs, message",
    [
        ("hv6", {}, r"'hv6' is DISABLED \(status disabled, reason 'broken disk'\); .* RUNNING,"),
        ("hv1", {"end": "2026-06-16", "duration": "2h"}, "either end or duration, not both"),
        ("hv1", {"duration": "soon"}, "duration 'soon' is not a duration"),
        ("hv9", {}, "'hv9' has no nova-compute service"),
        (
            "hv1",
            {"hypervisor_maintenance": {"max_hosts_in_maintenance_per_aggregate": 0}},
            "max_hosts_in_maintenance_per_aggregate is 0; it must be 1 or more",
        ),
    ],
)
def test_refusals_change_nothing(cloud, relay, hv, kwargs, message):
    with pytest.raises(Exception, match=message):
        start_maintenance(cloud, hv, Delivery(relay, dry_run=False), **kwargs)
    assert not disables(cloud)


def facts(name, status="enabled", reason=None, uptime_days=200, host=None):
    """Facts of one up hypervisor with one server."""
    return HypervisorFacts(name, "up", status, reason, 1, uptime_days * 86400.0, 0, host)


def test_slots_group_by_aggregate_and_no_aggregate():
    found = [
        facts("hv1.example.org", host="hv1"),
        facts("hv2", "disabled", MAINTENANCE),
        facts("hv3", "disabled", MAINTENANCE),
        facts("hv4"),
        facts("hv5", "disabled", "broken"),
    ]
    slots = MaintenanceSlots.of(found, {"hv1": ["b", "a"], "hv2": ["a"]}, limit=1)
    assert slots.groups_of("hv1") == ("a", "b") and slots.groups_of("hv4") == (NO_AGGREGATE,)
    assert slots.hold("hv1") == Hold("a", 1, 1, ("hv2",))
    assert str(slots.hold("hv4")) == (
        "held: aggregate (no aggregate) has 1 of 1 in maintenance (hosts hv3)"
    )
    assert slots.hold("hv2") is None  # its own slot
    assert slots.hold("hv5") == Hold(NO_AGGREGATE, 1, 1, ("hv3",))
    assert (slots.free("a"), slots.free("b")) == (0, 1)
    assert MaintenanceSlots.of(found, {}, limit=2).hold("hv4") == Hold(
        NO_AGGREGATE, 2, 2, ("hv2", "hv3")
    )
    assert MaintenanceSlots.of(found, {}, limit=3).hold("hv4") is None


def test_due_hosts_get_another_chance_when_a_slot_frees():
    found = [
        facts("hv1", uptime_days=200),
        facts("hv2", uptime_days=300),
        facts("hv3", uptime_days=1),
        facts("hv4", uptime_days=250),
    ]
    aggregates = {"hv1": ["a"], "hv2": ["a"], "hv3": ["a"], "hv4": ["b"]}
    states = {"hv1": DUE, "hv2": DUE, "hv3": "EMPTY", "hv4": DUE}
    slots = MaintenanceSlots.of(found, aggregates)
    previous = {"hv1": DUE, "hv2": DUE, "hv3": "REBOOTED", "hv4": DUE}
    assert hypervisor_watch.due_again(found, states, previous, slots) == [
        StateChange("hv2", DUE, DUE)  # longest up first, one free slot; hv4's b did not free
    ]
    still = {**previous, "hv3": "EMPTY"}
    assert not hypervisor_watch.due_again(found, states, still, slots)
    rebooting = {**states, "hv3": "DOWN"}
    assert not hypervisor_watch.due_again(found, rebooting, previous, slots)
    newly_due = {**previous, "hv2": "RUNNING"}  # hv2 is dispatched as a change already
    assert not hypervisor_watch.due_again(found, states, newly_due, slots)


def test_poll_dispatches_held_due_hosts_again(monkeypatch):
    found = [facts("hv1"), facts("hv2", uptime_days=1)]
    cloud = FakeCloud(aggregates=[Aggregate(id=1, name="a", hosts=["hv1", "hv2"])])
    monkeypatch.setattr(
        hypervisor_watch,
        "collect_facts",
        mock.create_autospec(hypervisor_watch.collect_facts, return_value=found),
    )
    connect = mock.MagicMock()
    connect.return_value.__enter__.return_value = cloud
    monkeypatch.setattr(hypervisor_watch, "connect", connect)
    payloads, states = hypervisor_watch.poll("prod", {"hv1": DUE, "hv2": "REBOOTED"})
    assert payloads == [
        {"name": "hv2", "previous": "REBOOTED", "current": "RUNNING", "cloud_account": "prod"},
        {"name": "hv1", "previous": DUE, "current": DUE, "cloud_account": "prod"},
    ]
    assert '"hv1": "DUE_FOR_MAINTENANCE"' in states
    payloads, _ = hypervisor_watch.poll("prod", {"hv1": DUE}, uptime_limit_days=365)
    assert payloads == [
        {"name": "hv1", "previous": DUE, "current": "RUNNING", "cloud_account": "prod"},
        {"name": "hv2", "previous": None, "current": "RUNNING", "cloud_account": "prod"},
    ]
