"""group.user.add / group.user.remove with several users at once."""

import pytest

from apis.openstack_api.identity import groups
from apis.openstack_api.identity.exceptions import AmbiguousNameError, NameNotFoundError
from tests.fakes.cloud import FakeCloud
from tests.result_schemas import check_result


@pytest.fixture(name="cloud")
def fixture_cloud():
    cloud = FakeCloud().with_admin()
    cloud.ops = cloud.group("ops")
    cloud.alice, cloud.bob = cloud.user("alice"), cloud.user("bob")
    return cloud


def states(report):
    """(user, outcome, reason) of each object."""
    return [(o.name, o.outcome.value, o.reason) for o in report.objects]


def test_add_several_users_reports_members_already_in(cloud):
    cloud.group_members.add((cloud.ops.id, cloud.alice.id))
    report = groups.group_user_add(cloud.conn, "ops", ["alice", "bob", cloud.bob.id])
    assert states(report) == [("alice", "unchanged", "already present"), ("bob", "done", "")]
    assert report.changed and report.group.name == "ops"
    assert cloud.group_members == {(cloud.ops.id, cloud.alice.id), (cloud.ops.id, cloud.bob.id)}
    again = groups.group_user_add(cloud.conn, "ops", ["alice", "bob"])
    assert not again.changed
    check_result("group.user.add", again)


def test_one_unknown_user_changes_nothing(cloud):
    with pytest.raises(NameNotFoundError, match="users 'carol': no user"):
        groups.group_user_add(cloud.conn, "ops", ["alice", "carol"])
    assert not cloud.group_members
    assert not cloud.calls("identity", "add_user_to_group")


def test_ambiguous_group_needs_its_domain(cloud):
    seed_ops = cloud.group("ops", domain_id="d-seed")
    with pytest.raises(AmbiguousNameError, match="give group_domain or the id"):
        groups.group_user_add(cloud.conn, "ops", ["alice"])
    report = groups.group_user_add(cloud.conn, "ops", ["alice"], group_domain="seed")
    assert report.group.id == seed_ops.id
    assert cloud.group_members == {(seed_ops.id, cloud.alice.id)}


def test_remove_is_a_dry_run_by_default(cloud):
    cloud.group_members |= {(cloud.ops.id, cloud.alice.id), (cloud.ops.id, cloud.bob.id)}
    cloud.user("carol")
    report = groups.group_user_remove(cloud.conn, "ops", ["alice", "carol"])
    assert states(report) == [("alice", "done", ""), ("carol", "unchanged", "not present")]
    assert report.dry_run and len(cloud.group_members) == 2
    done = groups.group_user_remove(cloud.conn, "ops", ["alice", "bob"], dry_run=False)
    check_result("group.user.remove", done)
    assert states(done) == [("alice", "done", ""), ("bob", "done", "")]
    assert not cloud.group_members
