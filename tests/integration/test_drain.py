"""server.migrate and hypervisor.drain on the devcloud's two fake-driver hypervisors.

Servers are booted on compute2 in a throwaway project (as admin scoped to it, so ``host=``
works) and moved to compute1 by real nova live and cold migrations, through the local runner.
Every pack config used here skips servers whose names do not start with the test's prefix,
so a drain of compute2 never touches the seed's or other tests' servers. compute2 is enabled
again whatever happens.
"""

import json
import re

import pytest
import yaml

from tests.integration.action_run import code_and_result, run_action, same_changes
from tests.integration.devcloud_fixtures import AUTH_URL, modeled_transfer
from tests.integration.drain_lab import SOURCE, TARGET, compute2, drain_lab, status_of

pytestmark = pytest.mark.integration


@pytest.fixture(name="lab")
def fixture_lab(throwaway_project, admin_conn, clouds_yaml, tmp_path, monkeypatch):
    """A lab in a throwaway project (see :func:`drain_lab`)."""
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(clouds_yaml.path))
    with drain_lab(throwaway_project, admin_conn, tmp_path) as lab:
        yield lab


def test_migrate_live_cold_refused_and_failed(lab, admin_conn):
    cloud = "cloud_account=devcloud"
    gpu = admin_conn.compute.create_flavor(name=f"{lab.prefix}gpu", ram=512, vcpus=1, disk=1)
    try:
        admin_conn.compute.create_flavor_extra_specs(gpu, {"cloudops:gpu": "a100"})
        web, db, snap = lab.boot("web", "db", "snap")
        (pinned,) = lab.boot("pinned", availability_zone="seed-az2")
        (card,) = lab.boot("card", flavor=gpu)

        code, planned = code_and_result(lab.config, "server.migrate", cloud, f"server={web.id}")
        assert code == 0 and planned["dry_run"] and planned["mode"] == "live"
        assert lab.host_of(web) == SOURCE

        code, moved = code_and_result(
            lab.config, "server.migrate", cloud, f"server={web.id}", "dry_run=false"
        )
        assert code == 0, moved
        assert moved["source_host"] == SOURCE and moved["dest_host"] == TARGET
        assert same_changes(planned, moved) and moved["changed"]
        assert moved["migration"]["status"] == "completed"
        assert moved["migration"]["type"] == "live-migration"
        assert lab.host_of(web) == TARGET

        code, cold = code_and_result(
            lab.config,
            "server.migrate",
            cloud,
            f"server={db.id}",
            "live=false",
            f"host={TARGET}",
            "dry_run=false",
        )
        assert code == 0, cold
        assert cold["mode"] == "cold" and cold["migration"]["status"] == "confirmed"
        assert cold["status"] == "ACTIVE" and lab.host_of(db) == TARGET

        code, snapped = code_and_result(
            lab.config,
            "server.migrate",
            cloud,
            f"server={snap.id}",
            "snapshot_first=true",
            "dry_run=false",
        )
        assert code == 0, snapped
        assert admin_conn.image.get_image(snapped["snapshot"]["id"]).name.startswith(
            f"{lab.prefix}snap-pre-migration-"
        )
        assert lab.host_of(snap) == TARGET

        lab.write_config(refuse_flavor_properties=["resources:VGPU", "cloudops:gpu=a[0-9]+"])
        code, refused = code_and_result(
            lab.config, "server.migrate", cloud, f"server={card.id}", "dry_run=false"
        )
        assert code == 1 and refused["error_type"] == "MigrationRefused"
        assert "its flavor has extra spec cloudops:gpu=a100" in refused["error"]
        assert lab.host_of(card) == SOURCE

        # pinned to compute2's availability zone: nova finds no other host
        code, failed = code_and_result(
            lab.config, "server.migrate", cloud, f"server={pinned.id}", "dry_run=false"
        )
        assert code == 1 and failed["error_type"] == "MigrationFailed"
        assert f"was not migrated and is on {SOURCE}: nova refused it" in failed["error"]
        code, failed = code_and_result(
            lab.config,
            "server.migrate",
            cloud,
            f"server={pinned.id}",
            "live=false",
            "dry_run=false",
        )
        assert code == 1 and failed["report"]["host"] == SOURCE
        assert failed["report"]["migration"]["status"] == "error"
        assert f"is on {SOURCE}: nova's migration" in failed["error"]
        assert lab.host_of(pinned) == SOURCE
    finally:
        admin_conn.compute.delete_flavor(gpu)


def test_migration_timeout_and_bad_credentials(lab, tmp_path, monkeypatch):
    (slow,) = lab.boot("slow")
    code, late = code_and_result(
        lab.config,
        "server.migrate",
        "cloud_account=devcloud",
        f"server={slow.id}",
        "migration_timeout=0",
        "dry_run=false",
    )
    assert code == 1 and "did not finish within 0s" in late["error"]
    assert lab.host_of(slow) == TARGET  # nova finishes it anyway; a re-run sees it moved

    clouds = {"clouds": {"bad": {"auth": {"auth_url": AUTH_URL, "username": "admin"}}}}
    clouds["clouds"]["bad"]["auth"].update(
        password="wrong-5f1d", project_name="admin", user_domain_id="default"
    )
    clouds["clouds"]["bad"]["auth"]["project_domain_id"] = "default"
    path = tmp_path / "bad-clouds.yaml"
    path.write_text(yaml.safe_dump(clouds), encoding="utf-8")
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(path))
    code, denied = code_and_result(
        lab.config, "hypervisor.drain", "cloud_account=bad", f"hypervisor={SOURCE}", "reason=x"
    )
    assert code == 1 and denied["error_type"] == "CloudConnectionError"
    assert "wrong-5f1d" not in json.dumps(denied)


def test_drain_live_then_resume_cold(lab, admin_conn):
    drain = ["hypervisor.drain", "cloud_account=devcloud", f"hypervisor={SOURCE}"]
    one, two, off, stuck, amphora = lab.boot("one", "two", "off", "stuck", f"amphora-{lab.prefix}")
    lab.conn.compute.stop_server(off)
    lab.conn.compute.pause_server(stuck)
    lab.conn.compute.wait_for_server(off, status="SHUTOFF", interval=0.5)
    lab.conn.compute.wait_for_server(stuck, status="PAUSED", interval=0.5)
    names = {s.id: s.name for s in (one, two, off, stuck, amphora)}

    code, plan = code_and_result(lab.config, *drain, "reason=disk swap")
    assert code == 0 and plan["dry_run"]
    mine = {e["name"]: e["outcome"] for e in plan["servers"] if e["id"] in names}
    assert mine == {
        names[one.id]: "planned",
        names[two.id]: "planned",
        names[off.id]: "planned",
        names[stuck.id]: "refused",
        names[amphora.id]: "skipped",
    }
    assert plan["disable"] is None and status_of(admin_conn) == "enabled"

    code, failed = code_and_result(
        lab.config, *drain, "reason=disk swap", "operator=pytest", "dry_run=false"
    )
    assert code == 1 and failed["error_type"] == "DrainError"
    assert "1 of 4 server(s) not moved (0 failed, 1 refused; " in failed["error"], failed["error"]
    assert same_changes(plan, failed["report"]) and failed["report"]["changed"]
    report = {e["id"]: e for e in failed["report"]["servers"] if e["id"] in names}
    assert report[one.id]["outcome"] == report[two.id]["outcome"] == "migrated"
    assert report[one.id]["mode"] == "live" and report[off.id]["mode"] == "cold"
    assert "it is PAUSED" in report[stuck.id]["reason"]
    assert "^amphora-" in report[amphora.id]["reason"]
    assert status_of(admin_conn) == "disabled"
    assert compute2(admin_conn).disabled_reason.startswith("[maintenance] disk swap (by pytest, ")
    assert [lab.host_of(s) for s in (one, two, off, stuck, amphora)] == [TARGET] * 3 + [SOURCE] * 2

    lab.conn.compute.unpause_server(stuck)
    lab.conn.compute.wait_for_server(stuck, status="ACTIVE", interval=0.5)
    code, resumed = code_and_result(
        lab.config, *drain, "reason=disk swap", "live=false", "concurrency=2", "dry_run=false"
    )
    assert code == 0, resumed
    assert not resumed["disable"]["changed"] and "resuming" in resumed["disable"]["note"]
    again = {e["id"]: e for e in resumed["servers"] if e["id"] in names}
    assert set(again) == {stuck.id, amphora.id}
    assert again[stuck.id]["outcome"] == "migrated" and again[stuck.id]["mode"] == "cold"
    assert again[amphora.id]["outcome"] == "skipped"
    assert lab.host_of(stuck) == TARGET and lab.host_of(amphora) == SOURCE
    assert [s["id"] for s in resumed["remaining"] if s["id"] in names] == [amphora.id]


def test_plan_action_feeds_the_workflow(lab):
    """The Orquesta workflow's plan task: server ids for with-items, skipped ones apart."""
    keep, amphora = lab.boot("keep", f"amphora-{lab.prefix}")
    code, planned = code_and_result(
        lab.config,
        "hypervisor.drain.plan",
        "cloud_account=devcloud",
        f"hypervisor={SOURCE}",
    )
    assert code == 0, planned
    assert planned["server_ids"] == [keep.id]
    assert amphora.id in [s["id"] for s in planned["skipped"]]
    code, moved = code_and_result(
        lab.config,
        "server.migrate",
        "cloud_account=devcloud",
        f"server={planned['server_ids'][0]}",
        "dry_run=false",
    )
    assert code == 0 and moved["dest_host"] == TARGET
    # the workflow's report task, on the migrate task's with-items result
    code, report = code_and_result(
        lab.config,
        "hypervisor.drain.report",
        f"hypervisor={planned['hypervisor']}",
        f"server_ids={json.dumps(planned['server_ids'])}",
        f"migrations={json.dumps([{'result': moved, 'exit_code': 0}])}",
        f"skipped={json.dumps(planned['skipped'])}",
        "dry_run=false",
    )
    assert code == 0, report
    assert [s["id"] for s in report["migrated"]] == [keep.id] and not report["failed"]


def test_modeled_transfer_time_is_waited_by_live_migrations_only_while_set(lab):
    """drain_bench --transfer-seconds: the devcloud computes read the file on every migration."""
    cloud = "cloud_account=devcloud"
    (server,) = lab.boot("copy")
    with modeled_transfer(2.5):
        code, slow = code_and_result(
            lab.config, "server.migrate", cloud, f"server={server.id}", "dry_run=false"
        )
    assert code == 0, slow
    assert slow["dest_host"] == TARGET and slow["migration"]["status"] == "completed"
    assert slow["seconds"] >= 2.5
    code, back = code_and_result(
        lab.config,
        "server.migrate",
        cloud,
        f"server={server.id}",
        f"host={SOURCE}",
        "dry_run=false",
    )
    assert code == 0, back
    assert back["dest_host"] == SOURCE and back["seconds"] < slow["seconds"]


PROGRESS = re.compile(
    r" INFO workflows\.hypervisor_drain: drain compute2: (?P<step>.*) "
    r"\((?P<n>\d+) of (?P<total>\d+), (?P<seconds>\d+\.\d) s\)$",
    re.M,
)


def test_drain_progress_lines_reach_stderr(lab):
    """An operator watching a drain sees one line per server on the action's stderr: which
    server, what happened to it, n of total, and the seconds since the drain started."""
    one, two = lab.boot("one", "two")
    code, answer, printed = run_action(
        lab.config,
        "hypervisor.drain",
        "cloud_account=devcloud",
        f"hypervisor={SOURCE}",
        "reason=progress lines",
        "dry_run=false",
    )
    assert code == 0, printed
    lines = [match.groupdict() for match in PROGRESS.finditer(printed)]
    total = len(answer["result"]["servers"])
    assert lines[0]["step"].startswith(f"disabled; {total} server(s) to move, ")
    steps = lines[1:]
    assert [int(line["n"]) for line in steps] == list(range(1, total + 1))
    assert {int(line["total"]) for line in lines} == {total}
    seconds = [float(line["seconds"]) for line in lines]
    assert seconds == sorted(seconds) and seconds[-1] > 0
    moved = sorted(line["step"] for line in steps if line["step"].startswith("migrated "))
    assert moved == [f"migrated server {s.name} to {TARGET}" for s in (one, two)]
    assert lab.host_of(one) == lab.host_of(two) == TARGET
