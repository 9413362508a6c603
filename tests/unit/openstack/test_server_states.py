"""server.time.in.state against a fake cloud whose calls are checked against the SDK."""

import datetime

import pytest
from openstack.compute.v2.server import Server
from openstack.compute.v2.server_action import ServerAction
from openstack.compute.v2.service import Service
from openstack.identity.v3.project import Project

from apis.openstack_api import hypervisor_service, server_states
from apis.openstack_api.server_states import ServerState, ServerStateError, entered
from tests.fakes.cloud import FakeCloud

NOW = datetime.datetime(2026, 11, 25, 12, 0, tzinfo=datetime.timezone.utc)


def ago(days: float) -> str:
    """An ISO timestamp ``days`` before NOW, as nova prints action start times."""
    return (NOW - datetime.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S.000000")


def action(name: str, days: float) -> ServerAction:
    """An instance action that started ``days`` before NOW."""
    return ServerAction(action=name, start_time=ago(days))


@pytest.fixture(name="cloud")
def fixture_cloud(pin_clock):
    """Two SHUTOFF servers on hv1 and hv2, one without actions, and one in ERROR."""

    def server(sid, name, status, project, host, updated_days):
        return Server(
            id=sid,
            name=name,
            status=status,
            project_id=project,
            compute_host=host,
            updated_at=ago(updated_days)[:19] + "Z",
        )

    conn = FakeCloud(
        servers=[
            server("s-old", "old", "SHUTOFF", "p-web", "hv1", 1),
            server("s-new", "new", "SHUTOFF", "p-lab", "hv2", 0.5),
            server("s-quiet", "quiet", "SHUTOFF", "p-gone", "hv1", 20),
            server("s-err", "broken", "ERROR", "p-web", "hv1", 2),
            server("s-up", "up", "ACTIVE", "p-web", "hv1", 0),
        ],
        server_actions={
            "s-old": [action("lock", 1), action("stop", 40), action("create", 90)],
            "s-new": [action("shelve", 3), action("stop", 10), action("create", 11)],
            "s-err": [action("resetState", 2), action("create", 5)],
        },
        projects=[Project(id="p-web", name="web"), Project(id="p-lab", name="lab")],
        services=[
            Service(id=f"svc-{h}", host=h, binary="nova-compute", status="enabled")
            for h in ("hv1", "hv2")
        ],
    )
    pin_clock(NOW)
    return conn


def test_entered_picks_the_latest_action_that_leads_into_the_state():
    actions = [action("unlock", 1), action("shelve", 5), action("stop", 9)]
    moment, source = entered(ServerState.SHUTOFF, actions, "2026-11-25T00:00:00Z")
    assert (NOW - moment).days == 5 and source == "action:shelve"
    moment, source = entered(ServerState.ERROR, actions, None)
    assert (NOW - moment).days == 1 and source == "action:unlock"
    moment, source = entered(ServerState.SHUTOFF, [action("create", 3)], "2026-11-20T12:00:00Z")
    assert moment == datetime.datetime(2026, 11, 20, 12, tzinfo=datetime.timezone.utc)
    assert source == "updated_at"
    assert entered(ServerState.ERROR, [], None) == (None, "updated_at")


def test_state_names_are_checked():
    assert ServerState.from_string("shutoff") is ServerState.SHUTOFF
    with pytest.raises(ServerStateError, match="state 'PAUSED' is not one of: SHUTOFF, ERROR"):
        ServerState.from_string("PAUSED")


def test_shutoff_longest_first_with_sources(cloud):
    result = server_states.server_time_in_state(cloud)
    assert result["state"] == "SHUTOFF" and result["matched"] == result["count"] == 3
    rows = result["servers"]
    assert [(r["name"], r["days"], r["source"]) for r in rows] == [
        ("old", 40.0, "action:stop"),
        ("quiet", 20.0, "updated_at"),
        ("new", 3.0, "action:shelve"),
    ]
    assert rows[0] == {
        "id": "s-old",
        "name": "old",
        "project": "web",
        "project_id": "p-web",
        "host": "hv1",
        "status": "SHUTOFF",
        "since": "2026-10-16T12:00:00Z",
        "days": 40.0,
        "source": "action:stop",
    }
    assert rows[1]["project"] == "p-gone"
    (listing,) = cloud.kwargs_of("servers")
    assert listing["status"] == "SHUTOFF" and listing["all_projects"]
    asked = sorted(args[0] for name, args, _ in cloud.log if name == "server_actions")
    assert asked == ["s-new", "s-old", "s-quiet"]


def test_min_days_limit_and_error_state(cloud):
    result = server_states.server_time_in_state(cloud, min_days=10, limit=1)
    assert result["matched"] == 2 and [r["name"] for r in result["servers"]] == ["old"]
    errors = server_states.server_time_in_state(cloud, state="ERROR")
    assert [(r["name"], r["days"], r["source"]) for r in errors["servers"]] == [
        ("broken", 2.0, "action:resetState")
    ]


def test_hypervisor_and_projects_filter(cloud):
    on_hv1 = server_states.server_time_in_state(cloud, hypervisor="hv1")
    assert [r["name"] for r in on_hv1["servers"]] == ["old", "quiet"]
    assert cloud.kwargs_of("servers")[-1]["compute_host"] == "hv1"
    lab = server_states.server_time_in_state(cloud, projects=["lab"])
    assert [r["name"] for r in lab["servers"]] == ["new"]
    with pytest.raises(hypervisor_service.HypervisorServiceError, match="hosts: hv1, hv2"):
        server_states.server_time_in_state(cloud, hypervisor="hv9")


def test_bad_numbers_are_named(cloud):
    with pytest.raises(ServerStateError, match="min_days -1 is out of range"):
        server_states.server_time_in_state(cloud, min_days=-1)
    with pytest.raises(ServerStateError, match="limit -2 is out of range"):
        server_states.server_time_in_state(cloud, limit=-2)
    with pytest.raises(ServerStateError, match="state 'ACTIVE' is not one of"):
        server_states.server_time_in_state(cloud, state="ACTIVE")
