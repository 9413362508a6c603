"""What the query library sends to the API: filters pushed down, nova microversions, and
listings kept as JSON."""

import inspect

import pytest
from keystoneauth1 import adapter

from apis.openstack_query_api import ProjectQuery, ServerQuery, UserQuery
from apis.openstack_query_api.json_resources import json_listing
from apis.openstack_query_api.resources.projects import RawProject
from apis.openstack_query_api.resources.servers import RawServer
from apis.openstack_query_api.resources.users import RawUser
from tests.unit.query.conftest import ago
from tests.unit.query.test_query_engine import admin_run, names


def test_servers_are_listed_at_2_1_when_no_later_field_is_read(cloud):
    admin_run(ServerQuery().select("name", "status", "created_at", "host"), cloud)
    assert cloud.microversions("servers") == ["2.1"]


@pytest.mark.parametrize(
    "prop, version",
    [("locked", "2.9"), ("description", "2.19"), ("tags", "2.26"), ("flavor_name", "2.47")],
)
def test_a_later_field_raises_the_microversion_to_its_own(cloud, prop, version):
    admin_run(ServerQuery().select("name", prop), cloud)
    admin_run(ServerQuery().select("name").sort_by(prop), cloud)
    assert cloud.microversions("servers") == [version, version]


def test_select_all_reads_every_field(cloud):
    admin_run(ServerQuery().select_all(), cloud)
    assert cloud.microversions("servers") == ["2.47"]


def test_updated_at_older_than_is_changes_before_at_2_66(cloud):
    query = admin_run(
        ServerQuery().select("name").where("older_than", "updated_at", days=60), cloud
    )
    (call,) = cloud.kwargs_of("servers")
    assert call["changes_before"].startswith(ago(60)[:10])
    assert cloud.microversions("servers") == ["2.66"]
    assert sorted(names(query)) == ["lab-1", "web-1"]  # updated 200 and 100 days ago


def test_created_at_older_than_stays_client_side(cloud):
    # changes-before filters updated_at: a server created long ago but updated since would
    # be lost, so nothing is pushed for creation dates
    query = admin_run(
        ServerQuery().select("name").where("older_than", "created_at", days=60), cloud
    )
    (call,) = cloud.kwargs_of("servers")
    assert "changes_before" not in call and "changes_since" not in call
    assert cloud.microversions("servers") == ["2.1"]
    assert sorted(names(query)) == ["lab-1", "web-1", "web-2"]


@pytest.mark.parametrize(
    "pattern, sent, expected",
    [
        ("^ali", {"name__startswith": "ali"}, ["alice"]),
        ("ob$", {"name__endswith": "ob"}, ["bob"]),
        ("aro", {"name__contains": "aro"}, ["carol"]),
        ("^bob$", {"name": "bob"}, ["bob"]),
        ("^(al|bo)", {}, ["alice", "bob"]),
    ],
)
def test_keystone_name_filters_for_plain_regexes(cloud, pattern, sent, expected):
    query = admin_run(UserQuery().where("~", "name", pattern=pattern), cloud)
    (call,) = cloud.kwargs_of("users")
    assert {k: v for k, v in call.items() if k.startswith("name")} == sent
    assert sorted(names(query, "user_name")) == expected


def test_projects_take_keystone_name_filters_too(cloud):
    query = admin_run(ProjectQuery().where("~", "name", pattern="^da"), cloud)
    assert cloud.kwargs_of("projects") == [{"name__startswith": "da"}]
    assert names(query, "project_name") == ["data"]


def test_listed_servers_projects_and_users_are_json_read_by_sdk_names(cloud):
    server = admin_run(ServerQuery().where("~", "name", pattern="^db"), cloud).to_objects()[0]
    project = admin_run(ProjectQuery().where("~", "name", pattern="^web"), cloud).to_objects()[0]
    user = admin_run(UserQuery().where("~", "name", pattern="^ali"), cloud).to_objects()[0]
    assert isinstance(server, RawServer) and server.project_id == "p-data"
    assert server.created_at == ago(50)
    assert isinstance(project, RawProject) and project.data["enabled"] is project.is_enabled
    assert isinstance(user, RawUser) and user.email == "alice@example.org"
    with pytest.raises(AttributeError):
        _ = user.no_such_attribute


def test_scope_projects_are_json_views(cloud):
    scoped = admin_run(ServerQuery(), cloud, from_projects=["web"])
    assert {type(p) for p in scoped.scope_projects} == {RawProject}


class PagedProxy:
    """Serves pages by their ``marker`` parameter; signature-checked against keystoneauth."""

    def __init__(self, pages):
        self.pages = pages
        self.sent = []

    def get(self, url, params=None, microversion=None):
        """One page."""
        inspect.signature(adapter.Adapter.get).bind(None, url, params=params, microversion=None)
        self.sent.append((url, dict(params or {}), microversion))
        return Response(self.pages[(params or {}).get("marker")])


class Response:
    """The parts of requests.Response that openstacksdk's raise_from_response reads."""

    status_code = 200
    headers = {}

    def __init__(self, body):
        self.body = body

    def json(self):
        """The body."""
        return self.body


def test_nova_pages_are_followed():
    proxy = PagedProxy(
        {
            None: {
                "servers": [{"id": "a"}],
                "servers_links": [{"rel": "next", "href": "http://n/v2.1/servers/detail?marker=a"}],
            },
            "a": {"servers": [{"id": "b"}]},
        }
    )
    listed = json_listing(proxy, "/servers/detail", RawServer, {"status": "SHUTOFF"}, "2.1")
    assert [s.id for s in listed] == ["a", "b"]
    assert proxy.sent[0] == ("/servers/detail", {"status": "SHUTOFF"}, "2.1")
    assert proxy.sent[1][1] == {"marker": "a"}


def test_keystone_pages_are_followed():
    proxy = PagedProxy(
        {
            None: {"users": [{"id": "u1"}], "links": {"next": "http://k/v3/users?marker=u1"}},
            "u1": {"users": [{"id": "u2"}], "links": {"next": None}},
        }
    )
    assert [u.id for u in json_listing(proxy, "/users", RawUser, {"is_enabled": True})] == [
        "u1",
        "u2",
    ]
    assert proxy.sent[0][1] == {"enabled": True}
