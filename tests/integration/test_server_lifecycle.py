"""Server lifecycle actions through the local runner on the devcloud, in a throwaway project."""

import pytest

from tests.integration.action_run import action_result, code_and_result, same_changes

pytestmark = pytest.mark.integration


def test_lifecycle(throwaway_project, monkeypatch):
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(throwaway_project.clouds_yaml))
    cloud = f"cloud_account={throwaway_project.cloud}"
    conn = throwaway_project.connect()
    boot = [cloud, "name=lc-1", "flavor=seed.small", "image=seed-cirros"]

    code, planned = code_and_result(None, "server.create", *boot)
    assert code == 0 and planned["dry_run"] and not list(conn.compute.servers())
    code, created = code_and_result(None, "server.create", *boot, "dry_run=false")
    assert code == 0 and created["created"] and created["status"] == "ACTIVE"
    assert same_changes(planned, created) and created["changed"] and not planned["changed"]
    code, again = code_and_result(None, "server.create", *boot, "dry_run=false")
    assert code == 0 and not again["created"] and again["id"] == created["id"]

    stop_plan = action_result(None, "server.shutoff", cloud, "server=lc-1")
    code, stopped = code_and_result(None, "server.shutoff", cloud, "server=lc-1", "dry_run=false")
    assert same_changes(stop_plan, stopped)
    assert (
        code == 0
        and stopped["changed"]
        and conn.compute.get_server(created["id"]).status == "SHUTOFF"
    )
    code, still = code_and_result(None, "server.shutoff", cloud, "server=lc-1", "dry_run=false")
    assert code == 0 and not still["changed"] and still["objects"][0]["outcome"] == "unchanged"
    code, started = code_and_result(None, "server.start", cloud, "server=lc-1", "dry_run=false")
    assert code == 0 and started["status"] == "ACTIVE"
    code, rebooted = code_and_result(
        None, "server.reboot", cloud, "server=lc-1", "hard=true", "dry_run=false"
    )
    assert code == 0 and rebooted["status"] == "ACTIVE"

    # nova's fake driver never uploads snapshot data: the image stays queued, so do not wait
    snapshot = ("server.snapshot", cloud, "server=lc-1", "snapshot_name=lc-1-snap", "wait=false")
    snap_plan = action_result(None, *snapshot)
    code, snap = code_and_result(None, *snapshot, "dry_run=false")
    assert code == 0 and snap["snapshot_status"] in ("queued", "saving", "active")
    assert same_changes(snap_plan, snap) and snap["objects"][0]["id"] == snap["snapshot_id"]
    assert conn.image.get_image(snap["snapshot_id"]).name == "lc-1-snap"

    code, kept = code_and_result(None, "server.delete", cloud, "server=lc-1")
    assert code == 0 and not kept["deleted"] and conn.compute.find_server("lc-1")
    code, deleted = code_and_result(None, "server.delete", cloud, "server=lc-1", "dry_run=false")
    assert code == 0 and deleted["deleted"] and conn.compute.find_server("lc-1") is None
    assert same_changes(kept, deleted) and deleted["changed"]
    conn.image.delete_image(snap["snapshot_id"])


def test_unknown_names_are_named(throwaway_project, monkeypatch):
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(throwaway_project.clouds_yaml))
    cloud = f"cloud_account={throwaway_project.cloud}"
    code, result = code_and_result(
        None, "server.create", cloud, "name=x", "flavor=no-such-flavor", "image=seed-cirros"
    )
    assert code == 1 and result["error"] == "flavor 'no-such-flavor' not found"
    code, result = code_and_result(None, "server.start", cloud, "server=ghost")
    assert code == 1 and result["error"] == "server 'ghost' not found"
