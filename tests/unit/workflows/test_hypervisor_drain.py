"""hypervisor.drain and its plan against the fake nova of test_migrations; the Orquesta twin."""

import dataclasses
import re
from pathlib import Path

import pytest
import yaml

from apis.openstack_api import hypervisor_service, migration_watch, migrations
from packtools.orquesta_check import check_workflow
from packtools.pack import action_parameters, load_pack
from tests.fakes.nova import GPU, make_cloud, make_server
from tests.result_schemas import check_result
from workflows import hypervisor_drain
from workflows.hypervisor_drain import DrainError, drain_hypervisor, plan_drain

ROOT = Path(__file__).resolve().parents[3]
WORKFLOW = "hypervisor.drain.workflow"


@pytest.fixture(name="cloud")
def fixture_cloud(monkeypatch):
    """hv-a holds two ACTIVE servers, a SHUTOFF one, an amphora and a GPU server."""
    cloud = make_cloud(
        make_server("web-1"),
        make_server("web-2"),
        make_server("db", status="SHUTOFF"),
        make_server("amphora-77"),
        make_server("gpu", specs=GPU),
        make_server("elsewhere", host="hv-b"),
    )
    monkeypatch.setattr(migrations, "POLL_SECONDS", 0.002)
    monkeypatch.setattr(migration_watch, "POLL_SECONDS", 0.002)
    return cloud


def service(cloud, host="hv-a"):
    """The fake's compute service of a host."""
    return next(s for s in cloud.store["services"] if s.host == host)


def outcomes(result):
    """Server name -> outcome."""
    return {entry["name"]: entry["outcome"] for entry in result["servers"]}


def test_dry_run_shows_the_plan_and_changes_nothing(cloud):
    result = drain_hypervisor(cloud, "hv-a", "kernel update")
    assert result["dry_run"] and result["disable"] is None
    assert outcomes(result) == {
        "amphora-77": "skipped",
        "db": "planned",
        "gpu": "refused",
        "web-1": "planned",
        "web-2": "planned",
    }
    assert result["counts"]["planned"] == 3 and result["concurrency"] == 4
    gpu = next(e for e in result["servers"] if e["name"] == "gpu")
    assert gpu["reason"] == "its flavor has extra spec resources:VGPU=1"
    assert service(cloud).status == "enabled"
    assert not cloud.kwargs_of("live_migrate_server") and not cloud.kwargs_of("migrate_server")


def test_plan_lists_only_the_servers_that_can_move(cloud):
    found = plan_drain(cloud, "hv-a", migration={"skip_name_patterns": ["^amphora-", "^db$"]})
    assert sorted(found["server_ids"]) == ["id-web-1", "id-web-2"]
    assert [s["name"] for s in found["planned"]] == ["web-1", "web-2"]
    assert [s["name"] for s in found["skipped"]] == ["amphora-77", "db"]
    assert [s["name"] for s in found["refused"]] == ["gpu"]
    assert "resources:VGPU" in found["refused"][0]["reason"]
    assert cloud.kwargs_of("servers") == [{"all_projects": True, "compute_host": "hv-a"}]


def test_plan_reports_an_error_server_as_refused_not_to_move(cloud):
    """One ERROR server used to be planned, failed its migrate item and so the whole workflow."""
    cloud.store["servers"].append(make_server("broken", status="ERROR"))
    found = plan_drain(cloud, "hv-a")
    assert "id-broken" not in found["server_ids"]
    assert sorted(found["server_ids"]) == ["id-db", "id-web-1", "id-web-2"]
    (broken,) = [s for s in found["refused"] if s["name"] == "broken"]
    assert broken["outcome"] == "refused" and "ERROR" in broken["reason"]


# ------------------------------------------------- the workflow's report (hypervisor.drain.report)
def moved(server_id):
    """A server.migrate execution result as StackStorm hands it to a with-items task."""
    record = {"id": server_id, "mode": "live", "dest_host": "hv-b"}
    return {"result": record, "exit_code": 0, "stdout": "", "stderr": ""}


def refused_at_run(server_id):
    """server.migrate failed with MigrationRefused: dispatch's failure with its report."""
    failure = {
        "error": "server web-3 is not moved: it is ERROR",
        "error_type": "MigrationRefused",
        "report": {"id": server_id, "refused": "it is ERROR"},
    }
    return {"result": failure, "exit_code": 0, "stdout": "", "stderr": ""}


def timed_out():
    """The python runner killed server.migrate at its timeout: no result at all."""
    return {"error": "Action failed to complete in 3600 seconds", "exit_code": -9, "result": None}


def test_report_of_a_complete_drain():
    report = hypervisor_drain.drain_report(
        "hv-a", ["id-1", "id-2"], [moved("id-1"), moved("id-2")], dry_run=False
    )
    assert [e["id"] for e in report["migrated"]] == ["id-1", "id-2"]
    assert report["migrated"][0]["dest_host"] == "hv-b"
    assert report["counts"] == {
        "migrated": 2,
        "planned": 0,
        "skipped": 0,
        "refused": 0,
        "failed": 0,
    }


def test_report_keeps_what_moved_when_some_migrations_fail():
    """Orquesta fails the with-items task and starts no further item after a failure; the
    report still says what moved, what was refused, what failed and what never ran."""
    plan_refused = [{"id": "id-err", "name": "err", "reason": "it is ERROR"}]
    results = [moved("id-1"), refused_at_run("id-2"), timed_out(), moved("id-4"), None]
    expected = r"4 server\(s\) not moved \(2 failed, 2 refused; 2 migrated\)"
    with pytest.raises(DrainError, match=expected) as caught:
        hypervisor_drain.drain_report(
            "hv-a",
            ["id-1", "id-2", "id-3", "id-4", "id-5"],
            results,
            skipped=[{"id": "id-amp", "name": "amphora-1"}],
            refused=plan_refused,
            dry_run=False,
        )
    report = caught.value.report
    assert [e["id"] for e in report["migrated"]] == ["id-1", "id-4"]
    assert [e["id"] for e in report["refused"]] == ["id-err", "id-2"]
    assert report["refused"][1]["reason"] == "server web-3 is not moved: it is ERROR"
    assert [e["id"] for e in report["failed"]] == ["id-3", "id-5"]
    assert report["failed"][0]["reason"] == "Action failed to complete in 3600 seconds"
    assert report["failed"][1]["reason"].startswith("not run")
    assert report["counts"]["skipped"] == 1 and report["counts"]["failed"] == 2


def test_report_of_a_refused_only_drain_fails_but_a_dry_run_does_not():
    refused = [{"id": "id-err", "reason": "it is ERROR"}]
    with pytest.raises(DrainError, match="1 refused"):
        hypervisor_drain.drain_report("hv-a", [], [], refused=refused, dry_run=False)
    planned = hypervisor_drain.drain_report("hv-a", ["id-1"], [moved("id-1")], refused=refused)
    assert [e["id"] for e in planned["planned"]] == ["id-1"] and not planned["migrated"]
    assert planned["counts"]["refused"] == 1


def test_report_names_a_failure_without_a_result():
    failure = {"error": "cannot reach nova", "error_type": "OpenStackApiError"}
    broken = {"exit_code": 1, "result": "Traceback ..."}
    with pytest.raises(DrainError) as caught:
        hypervisor_drain.drain_report(
            "hv-a", ["id-1", "id-2"], [{"result": failure}, broken], dry_run=False
        )
    first, second = caught.value.report["failed"]
    assert first["reason"] == "cannot reach nova" and first["error_type"] == "OpenStackApiError"
    assert second["reason"] == "no result from server.migrate: 'Traceback ...'"


def test_drain_moves_everything_movable(cloud):
    cloud.store["servers"] = [s for s in cloud.store["servers"] if s.name != "gpu"]
    planned = drain_hypervisor(cloud, "hv-a", "kernel update", operator="alice")
    result = drain_hypervisor(
        cloud, "hv-a", "kernel update", operator="alice", concurrency=2, dry_run=False
    )
    assert [dataclasses.replace(o, id=None) for o in result["objects"]] == [
        dataclasses.replace(o, id=None) for o in planned["objects"]
    ]
    assert result["changed"] and not planned["changed"]
    check_result("hypervisor.drain", result)
    assert service(cloud).status == "disabled"
    assert service(cloud).disabled_reason.startswith("[maintenance] kernel update (by alice, ")
    assert result["disable"]["changed"] and result["disable"]["previous_status"] == "enabled"
    assert outcomes(result) == {
        "amphora-77": "skipped",
        "db": "migrated",
        "web-1": "migrated",
        "web-2": "migrated",
    }
    modes = {e["name"]: e.get("mode") for e in result["servers"]}
    assert modes == {"amphora-77": None, "db": "cold", "web-1": "live", "web-2": "live"}
    assert [s["name"] for s in result["remaining"]] == ["amphora-77"]
    assert result["counts"]["migrated"] == 3 and result["counts"]["skipped"] == 1
    # each worker thread derives its connection once, over the execution's session
    assert 1 <= len(cloud.derived_in) <= 2
    assert len(set(cloud.derived_in)) == len(cloud.derived_in)
    # the workers waited on one watch of hv-a, not on polls of their own servers: a GET to
    # plan each move, one when its record has ended and one after the cold one's confirmation
    assert len(cloud.kwargs_of("get_server")) == 3 + 3 + 1
    polls = cloud.kwargs_of("migrations")
    watch_polls = [q for q in polls if "source_compute" in q]
    assert watch_polls and all(q["source_compute"] == "hv-a" for q in watch_polls)
    assert all(
        re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", q["changes_since"]) for q in watch_polls
    )


def test_failure_reports_and_a_rerun_resumes(cloud):
    cloud.nova.behaviour["web-2"] = "async-error"
    with pytest.raises(DrainError) as err:
        drain_hypervisor(cloud, "hv-a", "kernel update", live=False, dry_run=False)
    message = str(err.value)
    assert message.startswith(
        "drain of hv-a: 2 of 4 server(s) not moved (1 failed, 1 refused; 1 skipped)"
    )
    assert "run the drain again to continue" in message
    report = err.value.report
    assert outcomes(report)["web-2"] == "failed" and outcomes(report)["gpu"] == "refused"
    assert "ended error" in next(e for e in report["servers"] if e["name"] == "web-2")["reason"]
    assert sorted(s["name"] for s in report["remaining"]) == ["amphora-77", "gpu", "web-2"]

    cloud.nova.behaviour.clear()
    reason = service(cloud).disabled_reason
    again = drain_hypervisor(
        cloud,
        "hv-a",
        "kernel update",
        concurrency=1,
        dry_run=False,
        migration={"skip_name_patterns": ["^amphora-", "^gpu$"]},
    )
    assert outcomes(again) == {"amphora-77": "skipped", "gpu": "skipped", "web-2": "migrated"}
    assert not again["disable"]["changed"] and "resuming" in again["disable"]["note"]
    assert service(cloud).disabled_reason == reason
    assert len(cloud.kwargs_of("disable_service")) == 1


def test_disabled_for_another_reason_is_retagged(cloud):
    service(cloud).status, service(cloud).disabled_reason = "disabled", "broken fan"
    result = drain_hypervisor(
        cloud,
        "hv-a",
        "fan swap",
        dry_run=False,
        migration={"skip_name_patterns": [".*"]},
    )
    assert result["disable"]["previous_reason"] == "broken fan"
    assert service(cloud).disabled_reason.startswith("[maintenance] fan swap (")
    assert result["counts"]["skipped"] == 5 and not cloud.derived_in


def test_vanished_and_crashing_servers(cloud, monkeypatch):
    cloud.nova.behaviour["web-1"] = "gone"
    cloud.nova.behaviour["db"] = "refuse"

    def broken_migrate(conn, server, **options):
        if server.name == "web-2":
            raise hypervisor_service.HypervisorServiceError("unexpected")
        return migrations.migrate(conn, server, **options)

    monkeypatch.setattr(hypervisor_drain, "migrate", broken_migrate)
    with pytest.raises(DrainError) as err:
        drain_hypervisor(cloud, "hv-a", "x", target_host="hv-b", dry_run=False)
    found = outcomes(err.value.report)
    assert found["web-1"] == "gone" and found["db"] == "failed" and found["web-2"] == "failed"
    entries = {e["name"]: e for e in err.value.report["servers"]}
    assert entries["web-2"]["reason"] == "HypervisorServiceError: unexpected"
    assert "nova refused it" in entries["db"]["reason"]
    assert {c["host"] for c in cloud.kwargs_of("migrate_server")} == {"hv-b"}


def test_a_transport_failure_on_one_server_is_that_servers_outcome(cloud, monkeypatch):
    """A server whose requests get no answer fails alone: the others move, the host stays
    disabled and the drain fails with the whole report (it used to abort with no report)."""
    from keystoneauth1 import exceptions as ks_exceptions

    def unreachable(conn, server, **options):
        if server.name == "web-2":
            raise ks_exceptions.ConnectFailure(
                "Unable to establish connection to http://nova.example/v2.1/os-migrations: "
                "[Errno 111] Connection refused"
            )
        return migrations.migrate(conn, server, **options)

    monkeypatch.setattr(hypervisor_drain, "migrate", unreachable)
    with pytest.raises(DrainError, match="hv-a stays disabled") as err:
        drain_hypervisor(cloud, "hv-a", "x", target_host="hv-b", dry_run=False)
    assert outcomes(err.value.report) == {
        "amphora-77": "skipped",
        "db": "migrated",
        "gpu": "refused",
        "web-1": "migrated",
        "web-2": "failed",
    }
    entries = {e["name"]: e for e in err.value.report["servers"]}
    assert "refused the connection" in entries["web-2"]["reason"]
    assert service(cloud).status == "disabled"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"concurrency": 0}, "concurrency must be at least 1, not 0"),
        ({"reason": " "}, "reason must say why"),
        ({"target_host": "hv-a"}, "target_host 'hv-a' is the hypervisor being drained"),
    ],
)
def test_bad_arguments(cloud, kwargs, message):
    arguments = {"reason": "kernel", **kwargs}
    with pytest.raises(DrainError, match=message):
        drain_hypervisor(cloud, "hv-a", dry_run=False, **arguments)
    assert service(cloud).status == "enabled"


# ---------------------------------------------------------------------- the Orquesta workflow
def test_workflow_is_valid_and_only_chains_pack_actions():
    pack = load_pack(ROOT)
    action = pack.actions[WORKFLOW]
    path = pack.entry_path(action)
    assert not check_workflow(pack, action, path)
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    drain = pack.actions["hypervisor.drain"].data["parameters"]
    assert set(spec["input"]) == set(drain) - {"lib_function", "timeout"}
    for name, task in spec["tasks"].items():
        accepted = action_parameters(pack, task["action"])
        assert accepted is not None, f"task {name}: {task['action']} is not a pack action"
        assert set(task["input"]) <= set(accepted), name
        required = {p for p, d in accepted.items() if d.get("required") and "default" not in d}
        assert required <= set(task["input"]), name
    assert spec["tasks"]["migrate"]["with"]["concurrency"] == "<% ctx(concurrency) %>"


def test_workflow_check_catches_a_wrong_parameter(tmp_path):
    pack = load_pack(ROOT)
    action = pack.actions[WORKFLOW]
    text = pack.entry_path(action).read_text(encoding="utf-8")
    path = tmp_path / "broken.yaml"
    path.write_text(text.replace("host: <% ctx(target_host) %>", "hots: x"), encoding="utf-8")
    problems = check_workflow(pack, action, path)
    assert any("parameter 'hots' is unknown to cloudops.server.migrate" in p for p in problems)


# ------------------------------------------------------------------------------ progress lines
def test_drain_logs_one_line_per_server_with_n_of_total_and_elapsed(cloud, progress_lines):
    cloud.nova.behaviour["web-2"] = "async-error"
    with pytest.raises(DrainError):
        drain_hypervisor(cloud, "hv-a", "kernel update", concurrency=1, dry_run=False)
    lines = progress_lines()
    assert lines[0] == "drain hv-a: disabled; 5 server(s) to move, 1 at a time (0 of 5, 1.5 s)"
    assert lines[1:3] == [
        "drain hv-a: skipped server amphora-77: name matches ^amphora- (1 of 5, 3.0 s)",
        "drain hv-a: migrated server db to hv-b (2 of 5, 4.5 s)",
    ]
    assert lines[3].startswith("drain hv-a: refused server gpu: its flavor has extra spec")
    assert lines[3].endswith(" (3 of 5, 6.0 s)")
    assert lines[4] == "drain hv-a: migrated server web-1 to hv-b (4 of 5, 7.5 s)"
    assert re.fullmatch(
        r"drain hv-a: failed server web-2: .*ended error.* \(5 of 5, 9\.0 s\)", lines[5]
    )
    assert len(lines) == 6


def test_drain_dry_run_logs_one_summary_line(cloud, progress_lines):
    drain_hypervisor(cloud, "hv-a", "kernel update")
    assert progress_lines() == [
        "drain hv-a (dry run): 1 skipped, 1 refused, 3 planned (0 of 5, 1.5 s)"
    ]


def test_snapshot_before_migrate_plans_and_takes_one_per_server_but_amphorae(cloud):
    """snapshot_before_migrate: each server moved gets an image first, never amphora-*; the
    dry run says which."""
    cloud.store["servers"] = [s for s in cloud.store["servers"] if s.name != "gpu"]
    everything = {"skip_name_patterns": []}
    planned = drain_hypervisor(
        cloud, "hv-a", "kernel update", snapshot_before_migrate=True, migration=everything
    )
    wants = {e["name"]: e["snapshot"] for e in planned["servers"]}
    assert wants == {"amphora-77": False, "db": True, "web-1": True, "web-2": True}
    assert not cloud.kwargs_of("create_server_image")
    result = drain_hypervisor(
        cloud,
        "hv-a",
        "kernel update",
        snapshot_before_migrate=True,
        migration=everything,
        dry_run=False,
    )
    assert set(outcomes(result).values()) == {"migrated"}
    taken = {e["name"]: (e["snapshot"] or {}).get("name", "") for e in result["servers"]}
    assert taken["amphora-77"] == ""
    assert all(taken[n].startswith(f"{n}-pre-migration-") for n in ("db", "web-1", "web-2"))
    snapshotted = [image.name for image in cloud.store.get("images", [])]
    assert sorted(n.split("-pre-")[0] for n in snapshotted) == ["db", "web-1", "web-2"]


def test_no_snapshot_unless_asked(cloud):
    cloud.store["servers"] = [s for s in cloud.store["servers"] if s.name != "gpu"]
    result = drain_hypervisor(cloud, "hv-a", "kernel update", dry_run=False, concurrency=1)
    assert not cloud.kwargs_of("create_server_image")
    assert all(e.get("snapshot") in (None, False) for e in result["servers"])
