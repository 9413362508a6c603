"""server.migrate.batch: the servers of a webhook body moved when their flavor passes the
webhook_migration patterns, never snapshotting amphorae, against the fake nova."""

import dataclasses
from pathlib import Path

import pytest
import yaml

from apis.openstack_api import migration_watch, migrations
from workflows import webhook_migration
from workflows.webhook_migration import (
    FlavorPatterns,
    WebhookMigrationError,
    migrate_servers,
    server_refs,
)
from tests.fakes.nova import make_cloud, make_server
from tests.result_schemas import check_result

ROOT = Path(__file__).resolve().parents[3]
PATTERNS = {"allow_flavor_patterns": [r"m1\..*", "amphora"], "deny_flavor_patterns": [r".*\.gpu"]}


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch):
    """Polls do not sleep."""
    monkeypatch.setattr(migrations, "POLL_SECONDS", 0)
    monkeypatch.setattr(migration_watch, "POLL_SECONDS", 0)


@pytest.fixture(name="cloud")
def fixture_cloud():
    """web (m1.small), amphora-1 (amphora), gpu-1 (m1.gpu), big-1 (l1.big)."""
    return make_cloud(
        make_server("web", flavor="m1.small"),
        make_server("amphora-1", flavor="amphora"),
        make_server("gpu-1", flavor="m1.gpu"),
        make_server("big-1", flavor="l1.big"),
    )


def test_schema_defaults_match_the_dataclass():
    schema = yaml.safe_load((ROOT / "config.schema.yaml").read_text(encoding="utf-8"))
    properties = schema["webhook_migration"]["properties"]
    defaults = {k: v["default"] for k, v in properties.items()}
    assert FlavorPatterns.from_config(defaults) == FlavorPatterns.from_config(None)
    assert set(properties) == {f.name for f in dataclasses.fields(FlavorPatterns)}


@pytest.mark.parametrize(
    "flavor, refusal",
    [
        ("m1.small", None),
        ("amphora", None),
        ("m1.gpu", r"flavor m1.gpu matches webhook_migration.deny_flavor_patterns '.*\\.gpu'"),
        ("l1.big", "flavor l1.big matches none of webhook_migration.allow_flavor_patterns"),
        ("xm1.small", "matches none of"),
    ],
)
def test_deny_wins_and_allow_matches_whole_names(flavor, refusal):
    got = FlavorPatterns.from_config(PATTERNS).refusal(flavor)
    assert got == refusal if refusal is None else refusal in got


def test_no_allow_patterns_allow_every_flavor():
    assert FlavorPatterns.from_config({}).refusal("anything") is None


@pytest.mark.parametrize(
    "config, message",
    [
        ({"deny_flavor_patterns": ["("]}, "webhook_migration.deny_flavor_patterns[0]: '('"),
        ({"allow": []}, "webhook_migration: unknown key(s) allow; valid: allow_flavor_patterns"),
    ],
)
def test_bad_config_names_the_key(config, message):
    with pytest.raises(WebhookMigrationError) as raised:
        FlavorPatterns.from_config(config)
    assert message in str(raised.value)


def test_server_refs_from_names_rows_and_groups():
    rows = [{"id": "id-1", "name": "a"}, {"name": "b"}, "c", {"id": "id-1"}]
    assert server_refs(rows) == ["id-1", "b", "c"]
    assert server_refs([{"server_id": "id-2", "server_name": "d"}, {"server_name": "e"}]) == [
        "id-2",
        "e",
    ]
    assert server_refs({"hv-a": [{"name": "a"}], "hv-b": [{"name": "b"}]}) == ["a", "b"]
    with pytest.raises(WebhookMigrationError, match=r"servers\[1\] \{'status': 'ACTIVE'\}"):
        server_refs(["a", {"status": "ACTIVE"}])


def test_moves_allowed_flavors_snapshots_all_but_amphorae(cloud):
    rows = [{"id": f"id-{n}", "name": n} for n in ("web", "amphora-1", "gpu-1", "big-1")]
    planned = migrate_servers(cloud, rows, webhook_migration=PATTERNS)
    assert not cloud.kwargs_of("live_migrate_server")
    result = migrate_servers(cloud, rows, dry_run=False, webhook_migration=PATTERNS)
    check_result("server.migrate.batch", result)
    check_result("server.migrate.batch", planned)
    outcomes = {e["server"]: (e["outcome"], e["snapshot_first"]) for e in result["servers"]}
    assert outcomes == {
        "web": ("done", True),
        "amphora-1": ("done", False),
        "gpu-1": ("skipped", False),
        "big-1": ("skipped", False),
    }
    assert [(o.kind, o.name, o.outcome.value) for o in result["objects"]] == [
        ("snapshot", "web-pre-migration", "done"),
        ("server", "web", "done"),
        ("server", "amphora-1", "done"),
        ("server", "gpu-1", "skipped"),
        ("server", "big-1", "skipped"),
    ]
    assert len(cloud.kwargs_of("create_server_image")) == 1
    assert result["changed"] and not planned["changed"]
    assert [o.outcome for o in planned["objects"]] == [o.outcome for o in result["objects"]]


def test_snapshot_off_in_config_snapshots_nothing(cloud):
    result = migrate_servers(
        cloud, ["web"], dry_run=False, webhook_migration={"snapshot_first": False}
    )
    assert result["servers"][0]["snapshot_first"] is False
    assert not cloud.kwargs_of("create_server_image")


def test_a_failure_does_not_stop_the_others_and_fails_the_action(cloud):
    cloud.nova.behaviour["web"] = "refuse"
    with pytest.raises(WebhookMigrationError) as raised:
        migrate_servers(cloud, ["web", "no-such", "amphora-1"], dry_run=False)
    assert str(raised.value).startswith("2 of 3 server(s) not migrated: web, no-such;")
    outcomes = [(e["server"], e["outcome"]) for e in raised.value.report["servers"]]
    assert outcomes == [("web", "failed"), ("no-such", "failed"), ("amphora-1", "done")]
    assert webhook_migration.Outcome.DONE in [o.outcome for o in raised.value.report["objects"]]
