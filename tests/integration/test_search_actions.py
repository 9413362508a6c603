"""The search and list actions through the local runner against the seeded devcloud."""

import io

import pytest

from packtools import local_runner
from tests.integration.action_run import NO_CONFIG, action_result

pytestmark = pytest.mark.integration


def test_server_search_with_expressions(seeded_cloud, clouds_yaml):
    result = action_result(
        None,
        "server.search",
        f"cloud_account={clouds_yaml.cloud}",
        'where=["name ~ ^seed-", "status in SHUTOFF,ERROR", "created_at older_than 1d"]',
        "properties_to_select=name,status",
        "sort_by=name",
        "all_projects=true",
    )
    names = [row["server_name"] for row in result["rows"]]
    assert names == sorted(
        n for n, s in seeded_cloud["servers"].items() if s["status"] != "ACTIVE" and s["backdated"]
    )


def test_server_list_of_projects(seeded_cloud, clouds_yaml):
    result = action_result(
        None, "server.list", f"cloud_account={clouds_yaml.cloud}", "from_projects=seed-lab"
    )
    assert sorted(r["server_name"] for r in result["rows"]) == sorted(
        n for n, s in seeded_cloud["servers"].items() if s["project"] == "seed-lab"
    )
    assert set(result["rows"][0]) == {
        "server_id",
        "server_name",
        "server_status",
        "server_project_id",
        "server_user_id",
        "server_hypervisor_name",
        "server_created_at",
    }


@pytest.mark.parametrize(
    "action, argv, key, expected",
    [
        (
            "user.search",
            ["where=email is_null", "from_domain=seed-domain"],
            "user_name",
            ["seed-dave"],
        ),
        (
            "project.search",
            ["where=name ~ ^seed-(web|ops)$"],
            "project_name",
            ["seed-ops", "seed-web"],
        ),
        ("flavor.search", ["where=name == seed.legacy"], "flavor_name", ["seed.legacy"]),
        ("image.search", ["where=name ~ ^seed-legacy"], "image_name", ["seed-legacy-os"]),
        (
            "hypervisor.search",
            ["where=name ~ ^compute"],
            "hypervisor_name",
            ["compute1", "compute2"],
        ),
    ],
)
def test_searches(seeded_cloud, clouds_yaml, action, argv, key, expected):
    assert seeded_cloud
    result = action_result(None, action, f"cloud_account={clouds_yaml.cloud}", *argv)
    assert sorted(row[key] for row in result["rows"]) == expected


def test_floating_ip_list_as_table(seeded_cloud, clouds_yaml):
    result = action_result(
        None,
        "floating.ip.list",
        f"cloud_account={clouds_yaml.cloud}",
        "from_projects=seed-web",
        "output_type=table",
    )
    web = [ip for ip, f in seeded_cloud["floating_ips"].items() if f["project"] == "seed-web"]
    assert result["count"] == len(web)
    assert result["output_type"] == "table" and all(ip in result["output"] for ip in web)
    assert sorted(row["floating_ip_address"] for row in result["rows"]) == sorted(web)


def test_a_table_prints_as_text_in_a_terminal(seeded_cloud, clouds_yaml):
    out, err = io.StringIO(), io.StringIO()
    argv = [
        "--config",
        NO_CONFIG,
        "floating.ip.list",
        f"cloud_account={clouds_yaml.cloud}",
        "from_projects=seed-web",
        "output_type=table",
    ]
    assert local_runner.run(argv, out=out, err=err) == 0, err.getvalue()
    summary, table = out.getvalue().split("\n\n", 1)
    web = [ip for ip, f in seeded_cloud["floating_ips"].items() if f["project"] == "seed-web"]
    assert summary.splitlines()[:2] == ["status: succeeded", "query_type: floating_ips"]
    assert f"count: {len(web)}" in summary.splitlines()
    rows = table.splitlines()
    assert len(rows) > len(web) and all(any(ip in row for row in rows) for ip in web)
