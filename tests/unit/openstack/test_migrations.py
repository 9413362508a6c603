"""server.migrate: rules from the config, refusals, live/cold migrations against the fake
nova of tests/fakes/nova.py."""

import dataclasses
import re
import time
from pathlib import Path

import pytest
from openstack import exceptions
from openstack.compute.v2.migration import Migration

from apis.openstack_api import migration_rules, migration_watch, migrations
from apis.openstack_api.migration_errors import (
    MigrationConfigError,
    MigrationFailed,
    MigrationRefused,
)
from apis.openstack_api.migration_rules import FlavorRule, MigrationRules
from apis.openstack_api.migrations import migrate, migrate_server
from apis.openstack_api.servers import ServerError
from tests.fakes.nova import GPU, make_cloud, make_server
from tests.result_schemas import check_result

ROOT = Path(__file__).resolve().parents[3]
RULES = MigrationRules()


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch):
    """Polls do not sleep."""
    monkeypatch.setattr(migrations, "POLL_SECONDS", 0)
    monkeypatch.setattr(migration_watch, "POLL_SECONDS", 0)


# ---------------------------------------------------------------------- rules from the config
def test_default_rules():
    rules = MigrationRules.from_config(None)
    assert [str(r) for r in rules.refuse_flavor_properties] == list(
        migration_rules.DEFAULT_REFUSE_FLAVOR_PROPERTIES
    )
    assert rules.drain_concurrency == 4 and rules.max_vcpus == 0 and rules.confirm_resize
    assert rules.skip_pattern("amphora-1234") == "^amphora-"
    assert rules.skip_pattern("web-amphora-1") is None


def test_schema_defaults_match_the_dataclass():
    import yaml

    schema = yaml.safe_load((ROOT / "config.schema.yaml").read_text(encoding="utf-8"))
    defaults = {k: v["default"] for k, v in schema["migration"]["properties"].items()}
    rules = MigrationRules.from_config(defaults)
    assert rules == MigrationRules.from_config({})
    assert set(defaults) == {f.name for f in dataclasses.fields(MigrationRules)}


def test_rules_with_regex_values():
    rules = MigrationRules.from_config(
        {"refuse_flavor_properties": ["hw:cpu_policy=dedicated"], "max_vcpus": 8}
    )
    assert rules.flavor_refusal(make_server("a", specs={"hw:cpu_policy": "shared"}).flavor) is None
    assert "hw:cpu_policy=dedicated" in rules.flavor_refusal(
        make_server("b", specs={"hw:cpu_policy": "dedicated"}).flavor
    )
    assert "16 vCPUs, more than migration.max_vcpus 8" in rules.flavor_refusal(
        make_server("c", vcpus=16).flavor
    )
    assert str(FlavorRule.parse("a=b.*", "x")) == "a=b.*"
    no_gpu = make_server("d", specs={"resources:VGPU": "0"}).flavor
    assert MigrationRules().flavor_refusal(no_gpu) is None


@pytest.mark.parametrize(
    "config, message",
    [
        ({"max_vcpu": 1}, "unknown key(s) max_vcpu; valid keys: refuse_flavor_properties"),
        ({"max_vcpus": -1}, "migration.max_vcpus must be an integer >= 0, not -1"),
        ({"drain_concurrency": 0}, "migration.drain_concurrency must be an integer >= 1"),
        ({"timeout_seconds": True}, "migration.timeout_seconds must be an integer"),
        ({"skip_name_patterns": "^amphora-"}, "migration.skip_name_patterns must be a list"),
        ({"skip_name_patterns": ["("]}, "migration.skip_name_patterns[0]: '(' is not a valid"),
        ({"refuse_flavor_properties": ["=x"]}, "refuse_flavor_properties[0] '=x' has no extra"),
        ({"refuse_flavor_properties": ["a=["]}, "refuse_flavor_properties[0]: '[' is not a"),
        ({"confirm_resize": "yes"}, "migration.confirm_resize must be true or false"),
    ],
)
def test_bad_config_names_the_key(config, message):
    with pytest.raises(MigrationConfigError, match=re.escape(message)):
        MigrationRules.from_config(config)


# ---------------------------------------------------------------------- refusals
@pytest.mark.parametrize(
    "server, reason",
    [
        (make_server("gpu", specs=GPU), "its flavor has extra spec resources:VGPU=1"),
        (make_server("broken", status="ERROR"), "it is ERROR; only ACTIVE and SHUTOFF"),
        (make_server("paused", status="PAUSED"), "it is PAUSED"),
        (make_server("busy", task="rebooting"), "it is busy (ACTIVE, task rebooting)"),
    ],
)
def test_refusals_change_nothing(server, reason):
    cloud = make_cloud(server)
    with pytest.raises(MigrationRefused, match=re.escape(reason)) as err:
        migrate(cloud, server, live=True, host=None, timeout=5, rules=MigrationRules())
    assert err.value.report["refused"].startswith(reason.split(";")[0])
    assert isinstance(err.value, ServerError)
    assert not cloud.kwargs_of("live_migrate_server") and not cloud.kwargs_of("migrate_server")


def test_refuses_its_own_host_and_unknown_extra_specs():
    server = make_server("a")
    with pytest.raises(MigrationRefused, match="host 'hv-a' is the host it is on"):
        migrate(
            make_cloud(server), server, live=True, host="hv-a", timeout=5, rules=MigrationRules()
        )
    old = make_server("old")
    old.flavor = {"id": "m1", "links": []}
    with pytest.raises(MigrationRefused, match="older than 2.47"):
        migrate(make_cloud(old), old, live=True, host=None, timeout=5, rules=MigrationRules())


# ---------------------------------------------------------------------- migrations
def test_live_migration_reports_the_record():
    server = make_server("web")
    cloud = make_cloud(server)
    result = migrate(cloud, server, live=True, host=None, timeout=5, rules=MigrationRules())
    assert cloud.kwargs_of("live_migrate_server") == [
        {"host": None, "force": False, "block_migration": "auto", "disk_over_commit": None}
    ]
    assert result["mode"] == "live" and result["source_host"] == "hv-a"
    assert result["dest_host"] == result["host"] == "hv-b" and result["status"] == "ACTIVE"
    assert result["migration"] == {
        "id": 101,
        "uuid": "mig-101",
        "status": "completed",
        "type": "live-migration",
        "source": "hv-a",
        "dest": "hv-b",
    }
    assert cloud.kwargs_of("migrations") == [{"server_id": "id-web"}] * 3


def test_a_record_that_never_ends_is_reported_as_it_is(monkeypatch):
    monkeypatch.setattr(migrations, "POLL_SECONDS", 0.01)
    server = make_server("web")
    cloud = make_cloud(server)
    cloud.nova.behaviour["web"] = "record-lags"
    result = migrate(cloud, server, live=True, host=None, timeout=0.5, rules=RULES)
    assert result["migration"]["status"] == "running" and result["dest_host"] == "hv-b"


def test_cold_migration_to_a_host_is_confirmed():
    server = make_server("db")
    cloud = make_cloud(server)
    result = migrate(cloud, server, live=False, host="hv-b", timeout=5, rules=MigrationRules())
    assert cloud.kwargs_of("migrate_server") == [{"host": "hv-b"}]
    assert len(cloud.kwargs_of("confirm_server_resize")) == 1
    assert result["mode"] == "cold" and result["status"] == "ACTIVE"
    assert result["migration"]["status"] == "confirmed" and result["dest_host"] == "hv-b"


def test_shutoff_server_moves_cold_and_says_so():
    server = make_server("off", status="SHUTOFF")
    cloud = make_cloud(server)
    result = migrate(cloud, server, live=True, host=None, timeout=5, rules=MigrationRules())
    assert result["mode"] == "cold" and result["requested"] == "live"
    assert "cannot migrate live" in result["note"] and result["status"] == "SHUTOFF"
    assert not cloud.kwargs_of("live_migrate_server")


def test_unconfirmed_cold_migration_waits_in_verify_resize():
    server = make_server("db")
    cloud = make_cloud(server)
    rules = MigrationRules(confirm_resize=False)
    result = migrate(cloud, server, live=False, host=None, timeout=5, rules=rules)
    assert result["status"] == "VERIFY_RESIZE" and "waits for confirmation" in result["note"]
    assert not cloud.kwargs_of("confirm_server_resize") and result["dest_host"] == "hv-b"


@pytest.mark.parametrize(
    "ending, live, why",
    [
        (
            "refuse",
            True,
            "nova refused it: the cloud failed a request: HTTP 400: No valid host was found.; "
            "the service rejected the request: check the parameters",
        ),
        ("async-error", False, "nova's migration 101 ended error"),
        ("error", True, "it went to ERROR: libvirt exploded"),
        ("hang", True, "it did not finish within 0s (still MIGRATING, task migrating)"),
    ],
)
def test_failed_migration_says_where_the_server_is(ending, live, why):
    server = make_server("app")
    cloud = make_cloud(server)
    cloud.nova.behaviour["app"] = ending
    with pytest.raises(MigrationFailed) as err:
        migrate(
            cloud, server, live=live, host=None, timeout=0 if ending == "hang" else 5, rules=RULES
        )
    assert str(err.value) == f"server app was not migrated and is on hv-a: {why}"
    assert err.value.report["host"] == "hv-a" and err.value.report["failed"] == why


@pytest.mark.parametrize("taken", [False, True], ids=["lost", "taken"])
def test_an_unanswered_request_is_judged_by_where_the_server_ends_up(taken, monkeypatch):
    """No answer to the migration request: nova may have taken it, so the server's host says
    whether it moved (it used to escape as an error of the whole run)."""
    from keystoneauth1 import exceptions as ks_exceptions

    server = make_server("app")
    cloud = make_cloud(server)
    start = cloud.nova._start  # pylint: disable=protected-access

    def unanswered(*args):
        if taken:
            start(*args)
        raise ks_exceptions.ConnectTimeout(
            "Request to http://nova.example/v2.1/servers/app/action timed out"
        )

    monkeypatch.setattr(cloud.nova, "_start", unanswered)
    if taken:
        result = migrate(cloud, server, live=True, host=None, timeout=5, rules=RULES)
        assert result["dest_host"] == "hv-b" and result["migration"]["status"] == "completed"
        return
    with pytest.raises(MigrationFailed) as err:
        migrate(cloud, server, live=True, host=None, timeout=5, rules=RULES)
    assert str(err.value).startswith("server app was not migrated and is on hv-a: ")
    assert "timed out; no answer in time" in str(err.value)
    assert str(err.value).endswith("; it is still on its source host")


def test_still_on_source_without_a_record_is_a_failure(monkeypatch):
    server = make_server("app")
    cloud = make_cloud(server)
    monkeypatch.setattr(cloud.nova, "_start", lambda *args: None)
    with pytest.raises(MigrationFailed, match="it is still on its source host$"):
        migrate(cloud, server, live=True, host=None, timeout=5, rules=MigrationRules())


# ---------------------------------------------------------------------- the shared watch
def test_watched_migrations_wait_on_the_hosts_listing(monkeypatch):
    monkeypatch.setattr(migration_watch, "POLL_SECONDS", 0.002)
    web, db = make_server("web"), make_server("db")
    cloud = make_cloud(web, db)
    with migration_watch.MigrationWatch(cloud, "hv-a") as watch:
        live = migrate(cloud, web, live=True, host=None, timeout=5, rules=RULES, watch=watch)
        cold = migrate(cloud, db, live=False, host=None, timeout=5, rules=RULES, watch=watch)
    assert live["migration"]["status"] == "completed" and live["dest_host"] == "hv-b"
    assert cold["migration"]["status"] == "confirmed" and cold["status"] == "ACTIVE"
    assert watch.polls >= 2 and watch.error is None
    # one GET once the live record ended; for the cold one, one before and one after confirming
    assert len(cloud.kwargs_of("get_server")) == 3
    own = [q for q in cloud.kwargs_of("migrations") if "server_id" in q]
    assert own == [{"server_id": "id-web"}, {"server_id": "id-db"}]  # only the ids before


def test_a_migration_the_watch_misses_ends_by_its_own_checks(monkeypatch):
    monkeypatch.setattr(migrations, "WATCH_FALLBACK_SECONDS", 0.01)

    class BlindWatch:
        """Sees no record at all."""

        def __init__(self):
            self.waits = []

        def wait(self, server_id, before, statuses, timeout):
            """Nothing, after ``timeout``."""
            self.waits.append((server_id, set(before), tuple(statuses)))
            time.sleep(timeout)

    server = make_server("web")
    cloud = make_cloud(server)
    watch = BlindWatch()
    result = migrate(cloud, server, live=True, host=None, timeout=5, rules=RULES, watch=watch)
    assert result["dest_host"] == "hv-b" and result["migration"]["status"] == "completed"
    assert watch.waits[0] == ("id-web", set(), migration_watch.FINAL_MIGRATION_STATUSES)
    assert len(cloud.kwargs_of("get_server")) >= 2


def test_a_watch_that_cannot_list_keeps_the_error_and_times_out(monkeypatch):
    monkeypatch.setattr(migration_watch, "POLL_SECONDS", 0.002)
    cloud = make_cloud()

    def unavailable(**query):
        raise exceptions.HttpException("503: nova-api is down")

    monkeypatch.setitem(cloud.effects["compute"], "migrations", unavailable)
    with migration_watch.MigrationWatch(cloud, "hv-a") as watch:
        assert watch.wait("id-web", set(), migration_watch.FINAL_MIGRATION_STATUSES, 0.05) is None
    assert "503: nova-api is down" in watch.error and watch.polls == 0


def test_the_watch_window_follows_the_newest_record(pin_clock):
    def record(number, server, status, updated_at):
        return Migration(
            id=number,
            uuid=f"mig-{number}",
            server_id=server,
            source_compute="hv-a",
            dest_compute="hv-b",
            migration_type="live-migration",
            status=status,
            updated_at=updated_at,
        )

    cloud = make_cloud()
    cloud.store["migrations"] = [
        record(1, "s1", "completed", "2026-11-26T10:00:00.000000"),
        record(2, "s2", "running", "2026-11-26T10:00:30+00:00"),
        record(3, "s1", "queued", None),
    ]
    pin_clock("2026-11-26T10:01:00Z")
    watch = migration_watch.MigrationWatch(cloud, "hv-a")
    watch.poll()
    watch.poll()
    first, second = cloud.kwargs_of("migrations")
    # the first window opens WATCH_START_SECONDS before the client's now, then follows nova
    assert first == {"source_compute": "hv-a", "changes_since": "2026-11-26T10:00:00"}
    assert second == {"source_compute": "hv-a", "changes_since": "2026-11-26T10:00:25"}
    final = migration_watch.FINAL_MIGRATION_STATUSES
    assert watch.wait("s1", set(), final, 0)["status"] == "queued"  # the newest, not ended
    assert watch.wait("s1", {3}, final, 0)["id"] == 1
    assert watch.wait("s1", {1, 3}, final, 0) is None
    assert watch.wait("s2", set(), ("running",), 0)["status"] == "running"


# ---------------------------------------------------------------------- the action function
@pytest.fixture(name="action_cloud")
def fixture_action_cloud():
    """The fake cloud behind migrate_server's connect()."""
    cloud = make_cloud(make_server("web"), make_server("gpu", specs=GPU))
    return cloud


def test_dry_run_reports_the_plan(action_cloud):
    planned = migrate_server(action_cloud, "web", host="hv-b")
    assert planned["dry_run"] and planned["mode"] == "live" and planned["target_host"] == "hv-b"
    assert not action_cloud.kwargs_of("live_migrate_server")
    with pytest.raises(MigrationRefused, match="server gpu will not be migrated: its flavor"):
        migrate_server(action_cloud, "gpu", migration={"max_vcpus": 4})


def test_migrate_server_with_snapshot(action_cloud):
    planned = migrate_server(action_cloud, "web", snapshot_first=True)
    result = migrate_server(action_cloud, "web", snapshot_first=True, dry_run=False)
    assert result["snapshot"]["name"].startswith("web-pre-migration-")
    assert [(o.kind, o.change) for o in result["objects"]] == [
        ("snapshot", "create"),
        ("server", "live migrate"),
    ]
    assert [dataclasses.replace(o, id=None) for o in result["objects"]] == [
        dataclasses.replace(o, id=None) for o in planned["objects"]
    ]
    check_result("server.migrate", result)
    assert result["snapshot"]["status"] == "queued" and result["dest_host"] == "hv-b"
    order = [
        c[0] for c in action_cloud.log if c[0] in ("create_server_image", "live_migrate_server")
    ]
    assert order == ["create_server_image", "live_migrate_server"]


def test_failure_report_keeps_the_snapshot(action_cloud):
    action_cloud.nova.behaviour["web"] = "refuse"
    with pytest.raises(MigrationFailed) as err:
        migrate_server(action_cloud, "web", live=False, snapshot_first=True, dry_run=False)
    assert err.value.report["snapshot"]["id"] == "img-id-web"


def test_snapshot_that_never_finishes(action_cloud):
    action_cloud.nova.behaviour["web"] = "hang"
    original = action_cloud.nova.create_server_image

    def stuck(*args, **kwargs):
        image = original(*args, **kwargs)
        action_cloud.nova.pending["id-web"] = (None, "snapshot", "hang", 1)
        return image

    action_cloud.serve("compute", create_server_image=stuck)
    with pytest.raises(MigrationFailed, match="snapshot web-pre-migration-.* did not finish"):
        migrate_server(action_cloud, "web", snapshot_first=True, migration_timeout=0, dry_run=False)
    assert not action_cloud.kwargs_of("live_migrate_server")


def test_migrate_server_logs_its_steps(action_cloud, progress_lines, pin_clock):
    pin_clock("2026-06-15T09:30:00Z")
    migrate_server(action_cloud, "web", snapshot_first=True, dry_run=False)
    assert progress_lines() == [
        "migrate web: moving it live from hv-a (0 of 2, 1.5 s)",
        "migrate web: snapshot web-pre-migration-20260615T093000Z queued (1 of 2, 3.0 s)",
        "migrate web: live-migrated to hv-b (2 of 2, 4.5 s)",
    ]
