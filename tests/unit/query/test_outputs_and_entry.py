"""Rendering (table, html, csv, json, markdown) and the parameter-driven entry."""

import csv
import io
import json

import pytest

from apis.openstack_query_api import ServerQuery, UserQuery
from apis.openstack_query_api import entry
from apis.openstack_query_api.exceptions import (
    PresetArgumentError,
    QueryError,
    UnknownPresetError,
    UnknownPropertyError,
    UnknownQueryTypeError,
)
from apis.search_results import OutputTypeError
from tests.result_schemas import check_result


@pytest.fixture(name="shutoff")
def fixture_shutoff(cloud):
    """SHUTOFF servers with their users' emails appended."""
    query = (
        ServerQuery()
        .select("name", "created_at", "tags")
        .where("==", "status", value="SHUTOFF")
        .sort_by("name")
        .run(cloud, all_projects=True, as_admin=True)
    )
    return query.append_from(UserQuery, "email")


def test_table(shutoff):
    text = shutoff.to_string()
    assert "| server_name" in text and "| db-1" in text
    assert "+00:00" in text


def test_html_escapes_cells(cloud):
    cloud.store["servers"][0].name = "<b>web-1</b>"
    html = ServerQuery().select("name").run(cloud).to_html()
    assert "<table>" in html and "&lt;b&gt;web-1&lt;/b&gt;" in html


def test_csv(shutoff):
    rows = list(csv.DictReader(io.StringIO(shutoff.to_csv())))
    assert [r["server_name"] for r in rows] == ["db-1", "lab-1", "web-2"]
    assert rows[1]["user_email"] == "alice@example.org"


def test_json_and_markdown(shutoff):
    data = json.loads(shutoff.to_json())
    assert data[0]["server_created_at"].endswith("+00:00")
    assert json.loads(shutoff.to_json(pretty=True)) == data
    assert shutoff.to_markdown().startswith("| server_name")


def test_grouped_csv_names_groups(cloud):
    query = ServerQuery().select("name").group_by("status")
    text = query.run(cloud, all_projects=True, as_admin=True).to_csv()
    assert "SHUTOFF:\nserver_name\n" in text


def test_cells_render_lists_and_mappings():
    from apis.row_formats import cell

    assert cell(["a", "b"]) == "a, b"
    assert cell({"b": 1, "a": 2}) == '{"a": 2, "b": 1}'


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"query_type": "vmz"}, UnknownQueryTypeError, "Did you mean 'servers'"),
        ({"query_type": "servers", "preset": "=="}, QueryError, "give both 'preset'"),
        (
            {"query_type": "servers", "preset": "===", "property_name": "name"},
            UnknownPresetError,
            "not a preset",
        ),
        (
            {"query_type": "servers", "preset": "==", "property_name": "nmae", "values": ["x"]},
            UnknownPropertyError,
            "Did you mean 'server_name'",
        ),
        (
            {"query_type": "servers", "preset": "==", "property_name": "name", "values": []},
            PresetArgumentError,
            "exactly one value",
        ),
        (
            {"query_type": "flavors", "preset": ">", "property_name": "ram", "values": ["lots"]},
            PresetArgumentError,
            "is not a number",
        ),
        (
            {"query_type": "users", "preset": "==", "property_name": "enabled", "values": ["y?"]},
            PresetArgumentError,
            "must be true or false",
        ),
        ({"query_type": "servers", "sort_by": ["a b c"]}, QueryError, "must look like"),
    ],
)
def test_build_query_errors(kwargs, error, message):
    with pytest.raises(error, match=message):
        entry.build_query(**kwargs)


def test_output_type_error_suggests():
    with pytest.raises(OutputTypeError, match="Did you mean 'table'"):
        entry.OutputType.from_string("tabel")


def test_value_conversion():
    from apis.openstack_query_api.resources.flavors import FlavorProperties as F

    assert entry.convert_value(F.FLAVOR_RAM, "512") == 512
    assert entry.convert_value(F.FLAVOR_IS_PUBLIC, "Yes") is True
    assert entry.convert_value(F.FLAVOR_RAM, 7) == 7
    assert entry.parse_sort("created_at:desc") == ("created_at", "desc")
    assert entry.parse_sort("name") == ("name", "asc")


@pytest.mark.parametrize("output_type", ["table", "html", "csv", "json", "markdown"])
def test_search_renders(cloud, output_type):
    result = entry.search(
        cloud,
        "servers",
        preset="older_than",
        property_name="created_at",
        days=60,
        properties_to_select=["name"],
        sort_by=["created_at:desc"],
        output_type=output_type,
        all_projects=True,
    )
    assert result["count"] == 3 and result["query_type"] == "servers"
    assert result["output_type"] == output_type and "lab-1" in result["output"]
    assert len(result["rows"]) == 3 and set(result["rows"][0]) == {"server_name"}
    check_result("server.search", result)


def test_search_props_grouped_and_scoped(cloud):
    result = entry.search(
        cloud,
        "vms",
        preset="in",
        property_name="status",
        values=["shutoff", "error"],
        group_by="status",
        from_projects=["data"],
    )
    assert result["count"] == 2
    assert sorted(result["rows"]) == ["ERROR", "SHUTOFF"]
    assert result["rows"]["ERROR"][0]["server_name"] == "etl-1"
    assert result["output"] is None


def test_search_null_preset_and_bad_output(cloud):
    result = entry.search(cloud, "users", preset="is_null", property_name="email")
    assert [r["user_name"] for r in result["rows"]] == ["carol"]
    check_result("openstack.search", result)
    check_result("user.search", result)
    with pytest.raises(OutputTypeError, match="output_type 'pdf'"):
        entry.search(cloud, "users", output_type="pdf")


def test_an_empty_search_of_the_own_project_says_how_to_widen_it(cloud):
    own = entry.search(cloud, "servers", preset="==", property_name="status", values=["rescue"])
    assert own["count"] == 0 and own["rows"] == []
    assert own["hint"] == (
        "searched only the project that cloud account 'prod' is scoped to; servers of other "
        "projects are searched with all_projects=true or from_projects=[...] (admin)"
    )
    everywhere = entry.search(
        cloud, "servers", preset="==", property_name="status", values=["rescue"], all_projects=True
    )
    assert everywhere["count"] == 0 and "hint" not in everywhere  # nothing left to widen
    # users belong to no project: an empty user search has nothing to widen
    nobody = entry.search(cloud, "users", preset="==", property_name="name", values=["zed"])
    assert nobody["count"] == 0 and "hint" not in nobody
