"""project.user/group.role.add/remove, role.assignments.list and name resolution."""

import pytest
import requests
from openstack import exceptions

from apis.openstack_api.identity import roles
from apis.openstack_api.identity.exceptions import (
    AmbiguousNameError,
    InvalidParameterError,
    NameNotFoundError,
    OpenStackRequestError,
)
from apis.openstack_api.identity.resolve import IdentityKind, Resolver
from tests.fakes.cloud import FakeCloud
from tests.result_schemas import check_result


@pytest.fixture(name="cloud")
def fixture_cloud():
    cloud = FakeCloud().with_admin()
    cloud.web = cloud.project("web")
    cloud.alice = cloud.user("alice")
    cloud.ops = cloud.group("ops")
    return cloud


def states(report):
    """(role, outcome, reason) of each object."""
    return [(o.name, o.outcome.value, o.reason) for o in report.objects]


def test_user_role_add_grants_missing_roles_and_reports_existing_ones(cloud):
    cloud.grants.add(("user", cloud.web.id, cloud.alice.id, "r-member"))
    report = roles.project_role_add(cloud.conn, "web", ["member", "reader"], user="alice")
    assert states(report) == [("member", "unchanged", "already present"), ("reader", "done", "")]
    assert report.changed and not report.dry_run
    assert (report.project.name, report.project.domain) == ("web", "Default")
    assert cloud.grants == {
        ("user", cloud.web.id, cloud.alice.id, "r-member"),
        ("user", cloud.web.id, cloud.alice.id, "r-reader"),
    }
    assert len(cloud.calls("identity", "assign_project_role_to_user")) == 1


def test_user_role_add_twice_changes_nothing(cloud):
    roles.project_role_add(cloud.conn, "web", ["member"], user="alice")
    again = roles.project_role_add(cloud.conn, cloud.web.id, ["r-member"], user=cloud.alice.id)
    assert states(again) == [("member", "unchanged", "already present")] and not again.changed
    check_result("project.user.role.add", again)


def test_ambiguous_user_lists_candidates_and_changes_nothing(cloud):
    other = cloud.user("alice", domain_id="d-seed")
    with pytest.raises(AmbiguousNameError) as err:
        roles.project_role_add(cloud.conn, "web", ["member"], user="alice")
    message = str(err.value)
    assert message.startswith("user 'alice' is ambiguous: 2 users have that name")
    assert f"alice (domain Default, id {cloud.alice.id})" in message
    assert f"alice (domain seed, id {other.id})" in message
    assert "give user_domain or the id" in message
    assert not cloud.grants
    report = roles.project_role_add(cloud.conn, "web", ["member"], user="alice", user_domain="seed")
    assert report.grantee.id == other.id and report.grantee.domain == "seed"


def test_unknown_role_lists_the_valid_roles(cloud):
    with pytest.raises(NameNotFoundError) as err:
        roles.project_role_add(cloud.conn, "web", ["member", "operator"], user="alice")
    assert str(err.value) == (
        "roles 'operator': no role with that name or id; valid roles: admin, member, reader"
    )
    assert not cloud.grants


def test_unknown_project_suggests_close_names(cloud):
    with pytest.raises(NameNotFoundError, match=r"project 'wbe'.*did you mean: web\?"):
        roles.project_role_add(cloud.conn, "wbe", ["member"], user="alice")


def test_name_in_another_domain_says_where_it_is(cloud):
    with pytest.raises(NameNotFoundError) as err:
        roles.project_role_add(cloud.conn, "web", ["member"], user="alice", project_domain="seed")
    assert str(err.value) == (
        "project 'web': no project with that name or id in domain seed; "
        "it exists in domain(s): Default"
    )


def test_unknown_domain_lists_domains(cloud):
    with pytest.raises(NameNotFoundError, match="project_domain 'nope': no such domain; valid "):
        roles.project_role_add(cloud.conn, "web", ["member"], user="alice", project_domain="nope")
    resolver = Resolver(cloud.conn)
    assert resolver.domain_id("default") == "default"
    assert resolver.domain_id("SEED") == "d-seed"


def test_unknown_user_has_no_candidate_listing(cloud):
    with pytest.raises(NameNotFoundError) as err:
        roles.project_role_add(cloud.conn, "web", ["member"], user="alicia")
    assert str(err.value) == "user 'alicia': no user with that name or id"
    assert all(call.kwargs for call in cloud.calls("identity", "users"))


def test_empty_names_are_refused(cloud):
    with pytest.raises(InvalidParameterError, match="user is empty"):
        roles.project_role_add(cloud.conn, "web", ["member"], user=" ")
    with pytest.raises(InvalidParameterError, match="roles is empty"):
        roles.project_role_add(cloud.conn, "web", [], user="alice")


def test_user_role_remove_is_a_dry_run_by_default(cloud):
    cloud.grants.add(("user", cloud.web.id, cloud.alice.id, "r-member"))
    report = roles.project_role_remove(cloud.conn, "web", ["member", "admin"], user="alice")
    assert states(report) == [("member", "done", ""), ("admin", "unchanged", "not present")]
    assert report.dry_run and not report.changed
    assert cloud.grants == {("user", cloud.web.id, cloud.alice.id, "r-member")}
    done = roles.project_role_remove(cloud.conn, "web", ["member"], user="alice", dry_run=False)
    check_result("project.user.role.remove", done)
    assert states(done) == [("member", "done", "")] and done.changed
    assert not cloud.grants


def test_group_roles_add_and_remove(cloud):
    added = roles.project_role_add(cloud.conn, "web", ["admin"], group="ops")
    assert states(added) == [("admin", "done", "")] and added.grantee_type == "group"
    assert cloud.grants == {("group", cloud.web.id, cloud.ops.id, "r-admin")}
    kept = roles.project_role_remove(cloud.conn, "web", ["admin"], group="ops")
    assert states(kept) == [("admin", "done", "")] and cloud.grants
    removed = roles.project_role_remove(cloud.conn, "web", ["admin"], group="ops", dry_run=False)
    check_result("project.group.role.remove", removed)
    check_result("project.group.role.add", added)
    assert states(removed) == [("admin", "done", "")] and not cloud.grants


def test_forbidden_is_a_clean_error_with_a_hint(cloud):
    response = requests.Response()
    response.status_code = 403
    cloud.fail(
        "identity",
        "assign_project_role_to_user",
        exceptions.ForbiddenException("forbidden", response=response, details="not allowed"),
    )
    with pytest.raises(OpenStackRequestError) as err:
        roles.project_role_add(cloud.conn, "web", ["member"], user="alice")
    assert str(err.value) == (
        "granting project roles of a user: the cloud failed a request: HTTP 403: not allowed; "
        "the cloud_account lacks a role for this (often admin), "
        "or the resource belongs to another project"
    )


def test_assignments_list_with_names_and_filters(cloud):
    bob = cloud.user("bob", domain_id="d-seed")
    cloud.grants |= {
        ("user", cloud.web.id, cloud.alice.id, "r-admin"),
        ("user", cloud.web.id, bob.id, "r-member"),
        ("group", cloud.web.id, cloud.ops.id, "r-reader"),
    }
    listed = roles.role_assignments_list(cloud.conn, project="web")
    assert listed["count"] == 3
    rows = {(a.role, a.user, a.user_domain, a.group, a.project) for a in listed["rows"]}
    assert rows == {
        ("admin", "alice", "Default", None, "web"),
        ("member", "bob", "seed", None, "web"),
        ("reader", None, None, "ops", "web"),
    }
    only_bob = roles.role_assignments_list(cloud.conn, user="bob", role="member")
    assert [(a.user, a.project_domain, a.inherited) for a in only_bob["rows"]] == [
        ("bob", "Default", False)
    ]
    query = cloud.calls("identity", "role_assignments")[-1].kwargs
    assert query == {"include_names": True, "user_id": bob.id, "role_id": "r-member"}


def test_effective_assignments_expand_groups_and_refuse_a_group_filter(cloud):
    cloud.grants.add(("group", cloud.web.id, cloud.ops.id, "r-reader"))
    cloud.group_members.add((cloud.ops.id, cloud.alice.id))
    listed = roles.role_assignments_list(cloud.conn, project="web", effective=True)
    assert [(a.role, a.user, a.group) for a in listed["rows"]] == [("reader", "alice", None)]
    with pytest.raises(InvalidParameterError, match="effective cannot be combined with group"):
        roles.role_assignments_list(cloud.conn, group="ops", effective=True)


def test_find_all_drops_duplicates():
    cloud_roles = [type("R", (), {"id": "r1", "name": "member"})()]

    class Identity:
        """Just roles."""

        @staticmethod
        def roles(**query):
            """Global roles by name."""
            return iter(r for r in cloud_roles if query.get("name") in (None, r.name))

    class Conn:
        """Just identity."""

        identity = Identity()

    found = Resolver(Conn()).find_all(IdentityKind.ROLE, ["member", "member"], "roles")
    assert [r.id for r in found] == ["r1"]


@pytest.mark.parametrize(
    "grantees, got",
    [({}, "none"), ({"user": "alice", "group": "ops"}, "user, group")],
)
def test_one_user_or_one_group(cloud, grantees, got):
    with pytest.raises(InvalidParameterError, match=f"give one user or one group \\(got {got}\\)"):
        roles.project_role_add(cloud.conn, "web", ["member"], **grantees)
