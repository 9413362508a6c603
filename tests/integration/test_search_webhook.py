"""A search with ``webhook`` posts its rows, over real HTTP, to a local server answering as
st2api (tests/st2_webhook_server.py); what it posted, handed to server.migrate.batch as the
server_migrate_from_webhook rule hands it, is judged against the devcloud's real flavors; and
server.migrate.batch moves servers for real (the drain tests' lab)."""

import json

import pytest
import yaml

from tests.integration.action_run import action_result, code_and_result

# the drain tests' lab: servers on compute2 of a throwaway project, cleaned up after
from tests.integration.test_drain import (  # noqa: F401  pylint: disable=unused-import
    SOURCE,
    TARGET,
    fixture_lab,
)
from tests.st2_webhook_server import St2WebhookServer

pytestmark = pytest.mark.integration

API_KEY = "st2-integration-key-7c1f"


@pytest.fixture(name="st2")
def fixture_st2():
    """st2api's webhooks on a local port, with the webhook server-migrate."""
    with St2WebhookServer(API_KEY, {"server-migrate"}) as server:
        yield server


@pytest.fixture(name="config")
def fixture_config(st2, tmp_path):
    """A pack config: st2_api at the local server; only seed.medium servers may move."""
    path = tmp_path / "cloudops.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "st2_api": {"url": st2.url, "api_key": API_KEY},
                "webhook_migration": {"allow_flavor_patterns": [r"seed\.medium"]},
            }
        ),
        encoding="utf-8",
    )
    return path


def search(config, clouds_yaml, *argv):
    """server.search over all projects for the seed-data servers, with ``argv``."""
    return code_and_result(
        config,
        "server.search",
        f"cloud_account={clouds_yaml.cloud}",
        'where=["name ~ ^seed-data-"]',
        "properties_to_select=id,name,status",
        "sort_by=name",
        "all_projects=true",
        *argv,
    )


def test_search_posts_its_rows_to_the_webhook(seeded_cloud, clouds_yaml, config, st2):
    code, result = search(config, clouds_yaml, "webhook=server-migrate", "dry_run=false")
    assert code == 0, result
    expected = sorted(n for n in seeded_cloud["servers"] if n.startswith("seed-data-"))
    assert [row["server_name"] for row in result["rows"]] == expected
    [request] = st2.received
    assert (request.method, request.path) == ("POST", "/api/v1/webhooks/server-migrate")
    assert request.headers["St2-Api-Key"] == API_KEY
    assert request.body == {
        "rows": result["rows"],
        "count": len(expected),
        "query_type": "servers",
        "cloud_account": clouds_yaml.cloud,
    }
    assert result["webhook"]["posted"] and result["webhook"]["status"] == 202

    # what the rule passes on: the body's rows in the body's cloud
    planned = action_result(
        config,
        "server.migrate.batch",
        f"cloud_account={request.body['cloud_account']}",
        f"servers={json.dumps(request.body['rows'])}",
    )
    flavors = {n: seeded_cloud["servers"][n]["flavor"] for n in expected}
    for entry in planned["servers"]:
        assert entry["flavor"] == flavors[entry["server"]]
        if entry["flavor"] != "seed.medium":
            assert entry["outcome"] == "skipped" and "allow_flavor_patterns" in entry["reason"]
    moving = [e["server"] for e in planned["servers"] if e["outcome"] == "done"]
    assert moving and all(flavors[name] == "seed.medium" for name in moving)
    assert planned["dry_run"] and not planned["changed"]


def test_unknown_webhook_fails_in_one_line_with_the_rows(seeded_cloud, clouds_yaml, config, st2):
    del seeded_cloud
    code, result = search(config, clouds_yaml, "webhook=no-such-hook", "dry_run=false")
    assert code != 0 and len(st2.received) == 1
    assert result["error"].startswith("webhook 'no-such-hook' not posted: ")
    assert "answered 404" in result["error"] and "\n" not in result["error"]
    assert result["report"]["count"] == len(result["report"]["rows"]) > 0
    assert API_KEY not in str(result)


def test_dry_run_posts_nothing(seeded_cloud, clouds_yaml, config, st2):
    del seeded_cloud
    code, result = search(config, clouds_yaml, "webhook=server-migrate")
    assert code == 0 and not st2.received
    assert result["webhook"]["url"] == f"{st2.url}/webhooks/server-migrate"


def test_batch_moves_allowed_flavors_and_never_snapshots_amphorae(lab, admin_conn):
    """What the rule runs, for real: web and an amphora (allowed flavor) move, web snapshotted
    first and the amphora not; a server of a denied flavor stays."""
    medium = admin_conn.compute.find_flavor("seed.medium", ignore_missing=False)
    web, amphora = lab.boot("web", f"amphora-{lab.prefix}x")
    (held,) = lab.boot("held", flavor=medium)
    lab.config.write_text(
        yaml.safe_dump(
            {
                "webhook_migration": {
                    "allow_flavor_patterns": [r"seed\..*"],
                    "deny_flavor_patterns": [r"seed\.medium"],
                    "snapshot_first": True,
                }
            }
        ),
        encoding="utf-8",
    )
    rows = [{"server_id": s.id, "server_name": s.name} for s in (web, amphora, held)]
    argv = ["server.migrate.batch", "cloud_account=devcloud", f"servers={json.dumps(rows)}"]
    planned = action_result(lab.config, *argv)
    moved = action_result(lab.config, *argv, "dry_run=false")
    outcomes = {e["server"]: (e["outcome"], e["snapshot_first"]) for e in moved["servers"]}
    assert outcomes == {
        web.name: ("done", True),
        amphora.name: ("done", False),
        held.name: ("skipped", False),
    }
    assert [o["outcome"] for o in planned["objects"]] == [o["outcome"] for o in moved["objects"]]
    assert lab.host_of(web) == TARGET and lab.host_of(amphora) == TARGET
    assert lab.host_of(held) == SOURCE
    images = [i.name or "" for i in admin_conn.image.images()]
    assert any(name.startswith(f"{web.name}-pre-migration-") for name in images)
    assert not any(name.startswith(f"{amphora.name}-pre-migration") for name in images)
