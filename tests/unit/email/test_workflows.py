"""Notification workflows over a fake cloud: who is emailed about what, and what is reported."""

import datetime
import email
import email.policy
from unittest import mock

import pytest

from apis.email_api import sender as sender_module
from apis.email_api.exceptions import (
    AddressError,
    NotificationParameterError,
    TemplateVariableError,
)
from apis.openstack_query_api import ServerQuery
from workflows import email_ops, email_users
from workflows.email_common import Delivery, footer_variables, names, parse_when
from workflows.email_recipients import check_scope, find_owners, group_by_owner
from tests.result_schemas import check_result


def previews_by_user(result):
    """Dry-run previews keyed by label (the user name)."""
    return {p["label"]: p for p in result["previews"]}


def keystone_listings(cloud):
    """How many user and project listings the fake keystone served."""
    return len(cloud.kwargs_of("users")), len(cloud.kwargs_of("projects"))


def test_shutoff_one_email_per_user_listing_all_their_servers(cloud, relay):
    result = email_users.email_users_with_shutoff_vms(cloud, Delivery(relay), all_projects=True)
    assert result["template"] == "shutoff_vms" and result["dry_run"] is True
    assert result["affected_servers"] == 4 and result["messages"] == 2
    by_user = previews_by_user(result)
    assert by_user["alice"]["to"] == ["alice@example.org"]
    assert "web-1" in by_user["alice"]["text"] and "lab-1" in by_user["alice"]["text"]
    assert by_user["alice"]["subject"] == "[prod] 2 of your servers are shut off"
    assert by_user["bob"]["subject"] == "[prod] 1 of your servers is shut off"
    assert "web-2" in by_user["bob"]["text"] and "api-1" not in by_user["bob"]["text"]
    assert result["servers_without_owner"] == [
        {"id": "id-ghost", "name": "ghost", "user_id": "u-gone"}
    ]
    assert keystone_listings(cloud) == (1, 1)
    assert not cloud.kwargs_of("get_user")


def test_shutoff_age_filter_and_delete_after(cloud, relay):
    result = email_users.email_users_with_shutoff_vms(
        cloud, Delivery(relay), all_projects=True, older_than_days=100, delete_after="2027-02-01"
    )
    by_user = previews_by_user(result)
    assert list(by_user) == ["alice"] and result["affected_servers"] == 2
    assert "older than 100 days" in by_user["alice"]["text"]
    assert "still shut off on 2027-02-01 may be deleted" in by_user["alice"]["text"]


def test_users_without_email_are_reported(cloud, relay):
    result = email_users.email_users_with_errored_vms(cloud, Delivery(relay), all_projects=True)
    assert result["messages"] == 0 and result["affected_servers"] == 1
    assert result["users_without_email"] == [
        {"user_id": "u-carol", "user_name": "carol", "servers": ["db-1"]}
    ]


def test_from_projects_limits_the_servers(cloud, relay):
    result = email_users.email_users_with_shutoff_vms(cloud, Delivery(relay), from_projects=["lab"])
    assert list(previews_by_user(result)) == ["alice"]
    assert "lab-1" in result["previews"][0]["text"] and "web-1" not in result["previews"][0]["text"]


@pytest.mark.parametrize(
    "scope, message",
    [
        ({}, "all_projects=true, or from_projects"),
        ({"all_projects": True, "from_projects": ["web"]}, "either all_projects=true or"),
    ],
)
def test_scope_must_be_given_once(cloud, relay, scope, message):
    with pytest.raises(NotificationParameterError, match=message):
        email_users.email_users_with_shutoff_vms(cloud, Delivery(relay), **scope)
    assert not cloud.log


def test_decom_flavors_lists_the_flavor_and_its_date(cloud, relay):
    result = email_users.email_users_with_decom_flavors(
        cloud, Delivery(relay, attach_csv=True), all_projects=True
    )
    assert result["retiring_flavors"] == ["legacy.small"]
    (alice,) = result["previews"]
    assert alice["label"] == "alice" and "legacy.small on 2026-12-25" in alice["text"]
    assert alice["attachments"][0]["filename"] == "affected_servers.csv"
    check_result("email.users.with.decom.flavors", result)


def test_decom_flavors_by_name_and_bad_names(cloud, relay):
    chosen = email_users.email_users_with_decom_flavors(
        cloud,
        Delivery(relay),
        all_projects=True,
        flavor_names=["legacy.small"],
        server_statuses=["ACTIVE"],
    )
    assert chosen["messages"] == 0 and chosen["affected_servers"] == 0
    both = email_users.email_users_with_decom_flavors(
        cloud, Delivery(relay), from_projects=["web"], server_statuses=["ACTIVE", "SHUTOFF"]
    )
    assert both["affected_servers"] == 1 and both["previews"][0]["label"] == "alice"
    with pytest.raises(
        NotificationParameterError, match=r"'legacy.smal' is not a flavor.*'legacy.small'"
    ):
        email_users.email_users_with_decom_flavors(
            cloud, Delivery(relay), all_projects=True, flavor_names=["legacy.smal"]
        )
    with pytest.raises(NotificationParameterError, match=r"flavor 'm1.small' has no .*extra spec"):
        email_users.email_users_with_decom_flavors(
            cloud, Delivery(relay), all_projects=True, flavor_names=["m1.small"]
        )


def test_decom_images(relay, cloud):
    result = email_users.email_users_with_decom_images(cloud, Delivery(relay), all_projects=True)
    assert result["retiring_images"] == ["legacy-os"]
    (bob,) = result["previews"]
    assert "legacy-os (img-legacy) on 2027-01-24" in bob["text"] and "api-1" in bob["text"]
    assert [c["image"] for c in cloud.kwargs_of("servers")] == ["img-legacy"]
    by_id = email_users.email_users_with_decom_images(
        cloud, Delivery(relay), all_projects=True, image_names=["img-legacy"]
    )
    assert by_id["retiring_images"] == ["legacy-os"]
    with pytest.raises(NotificationParameterError, match=r"image 'cirros' has no .* property"):
        email_users.email_users_with_decom_images(
            cloud, Delivery(relay), all_projects=True, image_names=["cirros"]
        )


def test_nothing_retiring_means_nothing_to_send(relay, cloud):
    cloud.store["flavors"] = [f for f in cloud.store["flavors"] if f.name != "legacy.small"]
    result = email_users.email_users_with_decom_flavors(cloud, Delivery(relay), all_projects=True)
    assert result["messages"] == 0 and result["retiring_flavors"] == []
    assert not cloud.kwargs_of("servers")


def test_vms_on_hypervisor_maintenance_and_fault(cloud, relay):
    maintenance = email_users.email_users_with_vms_on_hypervisor(
        cloud,
        Delivery(relay),
        "hv2",
        start="2026-12-01T08:00:00Z",
        end="2026-12-01T12:00:00Z",
        reason="firmware",
        all_projects=True,
    )
    assert maintenance["template"] == "hypervisor_maintenance"
    assert maintenance["hypervisor"] == "hv2"
    (alice,) = maintenance["previews"]
    assert (
        alice["subject"]
        == "[prod] Planned maintenance from 2026-12-01 08:00 UTC: 1 of your servers"
    )
    assert "from 2026-12-01 08:00 UTC to 2026-12-01 12:00 UTC" in alice["text"]
    assert maintenance["users_without_email"][0]["servers"] == ["db-1"]
    fault = email_users.email_users_with_vms_on_hypervisor(
        cloud, Delivery(relay), "hv2", start="2026-11-25", notice="fault", all_projects=True
    )
    assert fault["template"] == "hypervisor_fault"
    assert "Since 2026-11-25 00:00 UTC the host hv2" in fault["previews"][0]["text"]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"hypervisor_name": "hv3"}, r"'hv3' is not a hypervisor of prod; valid choices: hv1, hv2"),
        ({"notice": "outage"}, "notice 'outage' is not one of: maintenance, fault"),
        ({"start": "tomorrow"}, "start 'tomorrow' is not an ISO 8601 date"),
        ({"start": ""}, "start is required"),
        ({"end": "2026-11-01"}, "end '2026-11-01' is before start"),
    ],
)
def test_vms_on_hypervisor_parameter_errors(cloud, relay, kwargs, message):
    arguments = {"hypervisor_name": "hv2", "start": "2026-12-01", "all_projects": True, **kwargs}
    with pytest.raises(NotificationParameterError, match=message):
        email_users.email_users_with_vms_on_hypervisor(cloud, Delivery(relay), **arguments)


def test_ops_hypervisors_down_lists_them_with_server_counts(cloud, relay):
    result = email_ops.email_ops_down_disabled_hypervisors(
        cloud, Delivery(relay, cc=["lead@example.org"]), ops_mailing_list="ops@example.org"
    )
    assert result["all_clear"] is False and result["total_hypervisors"] == 2
    assert result["hypervisors"] == [
        {
            "name": "hv2",
            "state": "down",
            "status": "disabled",
            "disabled_reason": "disk swap",
            "servers": 2,
        }
    ]
    (preview,) = result["previews"]
    assert preview["to"] == ["ops@example.org"] and preview["cc"] == ["lead@example.org"]
    assert preview["subject"] == "[prod] 1 hypervisor down or disabled"


def test_ops_all_clear_when_nothing_is_down(relay, cloud):
    cloud.store["hypervisors"] = cloud.store["hypervisors"][:1]
    result = email_ops.email_ops_down_disabled_hypervisors(
        cloud, Delivery(relay), ops_mailing_list="ops@example.org"
    )
    assert result["all_clear"] is True and result["hypervisors"] == []
    assert result["previews"][0]["subject"].startswith("[prod] All clear")
    assert not cloud.kwargs_of("servers")


def test_ops_list_is_required(cloud, relay):
    with pytest.raises(NotificationParameterError, match="ops_mailing_list is not set"):
        email_ops.email_ops_down_disabled_hypervisors(cloud, Delivery(relay))
    with pytest.raises(AddressError, match="ops_mailing_list: 'ops' is not an email address"):
        email_ops.email_ops_down_disabled_hypervisors(
            cloud, Delivery(relay), ops_mailing_list="ops"
        )


def test_image_created_by_name_or_id(cloud, relay):
    by_name = email_ops.email_mailing_list_image_created(
        cloud,
        Delivery(relay),
        "legacy-os",
        notes="Try it.",
        users_mailing_list="users@example.org",
    )
    assert by_name["image"]["id"] == "img-legacy" and by_name["image"]["os_version"] == "7"
    assert "decommission_date" not in by_name["image"]
    (preview,) = by_name["previews"]
    assert preview["subject"] == "[prod] New image available: legacy-os"
    assert "Operating system:   centos 7" in preview["text"] and "Try it." in preview["text"]
    by_id = email_ops.email_mailing_list_image_created(
        cloud, Delivery(relay), "img-legacy", users_mailing_list="users@example.org"
    )
    assert by_id["image"]["name"] == "legacy-os"


@pytest.mark.parametrize(
    "image, message",
    [
        ("twin", r"2 images of prod have that name; give one of their ids: img-dup-1, img-dup-2"),
        ("legacy-oss", r"'legacy-oss' is not an image .* Did you mean 'legacy-os'"),
    ],
)
def test_image_lookup_errors(cloud, relay, image, message):
    with pytest.raises(NotificationParameterError, match=message):
        email_ops.email_mailing_list_image_created(
            cloud, Delivery(relay), image, users_mailing_list="users@example.org"
        )


def test_image_decommissioned_takes_the_date_from_the_image_or_the_parameter(cloud, relay):
    own = email_ops.email_mailing_list_image_decommissioned(
        cloud,
        Delivery(relay),
        "legacy-os",
        replacement="rocky-9",
        users_mailing_list="users@example.org",
    )
    assert own["previews"][0]["subject"] == "[prod] Image legacy-os will be retired on 2027-01-24"
    assert "Please use rocky-9 instead." in own["previews"][0]["text"]
    given = email_ops.email_mailing_list_image_decommissioned(
        cloud,
        Delivery(relay),
        "legacy-os",
        decommission_date="2027-03-01",
        users_mailing_list="u@example.org",
    )
    assert "retired on 2027-03-01" in given["previews"][0]["subject"]
    with pytest.raises(NotificationParameterError, match="has no 'cloudops:decommission_date'"):
        email_ops.email_mailing_list_image_decommissioned(
            cloud, Delivery(relay), "cirros", users_mailing_list="u@example.org"
        )


def test_real_send_goes_through_the_connection(cloud, relay):
    with mock.patch.object(sender_module, "SMTPConnection", autospec=True) as cls:
        connection = cls.return_value
        connection.__enter__.return_value = connection
        connection.send.return_value = {}
        connection.reconnects = 0
        result = email_users.email_users_with_shutoff_vms(
            cloud,
            Delivery(
                relay,
                dry_run=False,
                cc=["desk@example.org"],
                email_footer={"team_name": "Ops", "support_email": "help@example.org"},
            ),
            all_projects=True,
        )
    assert result["sent_recipients"] == [
        "alice@example.org",
        "desk@example.org",
        "bob@example.org",
        "desk@example.org",
    ]
    assert result["previews"] == [] and result["dry_run"] is False
    parsed = email.message_from_bytes(
        connection.send.call_args.args[2], policy=email.policy.default
    )
    assert parsed["Cc"] == "desk@example.org"
    assert "Ops" in parsed.get_payload()[0].get_content()


def test_a_real_notification_logs_one_progress_line_per_user(cloud, relay, progress_lines):
    with mock.patch.object(sender_module, "SMTPConnection", autospec=True) as cls:
        connection = cls.return_value
        connection.__enter__.return_value = connection
        connection.send.return_value = {}
        connection.reconnects = 0
        email_users.email_users_with_shutoff_vms(
            cloud, Delivery(relay, dry_run=False), all_projects=True
        )
    assert progress_lines() == [
        "email via relay: sent to alice (alice@example.org) (1 of 2, 1.5 s)",
        "email via relay: sent to bob (bob@example.org) (2 of 2, 3.0 s)",
    ]


def test_email_footer_keys_are_checked():
    assert footer_variables({"team_name": "Ops", "support_url": None}) == {"team_name": "Ops"}
    with pytest.raises(NotificationParameterError, match="email_footer has unknown key"):
        footer_variables({"team": "Ops"})


def test_parse_when():
    assert parse_when("start", None) is None
    assert parse_when("start", "2026-12-01") == datetime.datetime(
        2026, 12, 1, tzinfo=datetime.timezone.utc
    )
    # the same instant, in UTC like every time the pack handles
    with_offset = parse_when("start", "2026-12-01T10:00:00+02:00")
    assert with_offset == datetime.datetime(2026, 12, 1, 8, tzinfo=datetime.timezone.utc)
    assert with_offset.tzinfo is datetime.timezone.utc


def test_names_drops_blanks_and_duplicates():
    assert names([" a", "b", "a", "", None]) == ["a", "b"]
    assert not names(None)


def test_check_scope():
    check_scope(True, None)
    check_scope(False, ["web"])
    with pytest.raises(NotificationParameterError):
        check_scope(False, [])


def test_group_by_owner_sorts_and_uses_project_names():
    rows = [
        {"server_id": "2", "server_name": "b", "server_user_id": "u1", "server_project_id": "p1"},
        {"server_id": "1", "server_name": "a", "server_user_id": "u1", "server_project_id": "p9"},
        {"server_id": "3", "server_name": "c", "server_user_id": "u2", "server_project_id": "p1"},
    ]
    users = [
        {"user_id": "u1", "user_name": "zed", "user_email": "z@example.org"},
        {"user_id": "u2", "user_name": None, "user_email": "y@example.org"},
    ]
    recipients = group_by_owner(rows, users, [{"project_id": "p1", "project_name": "web"}])
    assert [o.name for o in recipients.owners] == ["u2", "zed"]
    zed = recipients.owners[1]
    assert [s["name"] for s in zed.servers] == ["a", "b"]
    assert [s["project_name"] for s in zed.servers] == ["p9", "web"]
    assert recipients.server_count == 3


def test_find_owners_makes_no_keystone_call_when_nothing_matches(cloud):
    query = ServerQuery().where("==", "status", value="PAUSED")
    recipients = find_owners(cloud, query, all_projects=True)
    assert recipients.server_count == 0 and keystone_listings(cloud) == (0, 0)


def test_template_errors_surface_in_dry_runs(cloud, relay):
    with pytest.raises(TemplateVariableError, match="variable 'team_name' must be a string"):
        email_users.email_users_with_shutoff_vms(
            cloud, Delivery(relay, email_footer={"team_name": 3}), all_projects=True
        )


def test_stale_servers_emails_owners_of_servers_not_updated_for_days(cloud, relay):
    result = email_users.email_users_with_stale_servers(
        cloud, Delivery(relay), days=100, all_projects=True
    )
    check_result("check.stale.servers", result)
    by_user = previews_by_user(result)
    assert result["template"] == "stale_servers" and result["dry_run"] is True
    assert list(by_user) == ["alice"] and result["affected_servers"] == 2
    assert by_user["alice"]["subject"] == "[prod] 2 of your servers have not changed for 100 days"
    text = by_user["alice"]["text"]
    assert "web-1" in text and "lab-1" in text and "web-2" not in text
    assert "last updated: 2025-11-27 09:30 UTC" in text
    assert result["as_of"] == "2026-06-15T09:30:00+00:00" and result["changed"] is False
    assert [o.outcome.value for o in result["objects"]] == ["done"]


def test_stale_servers_count_back_from_as_of_and_filter_statuses(cloud, relay):
    result = email_users.email_users_with_stale_servers(
        cloud,
        Delivery(relay),
        days=40,
        all_projects=True,
        server_statuses=["SHUTOFF"],
        as_of="2026-07-05T09:30:00Z",
    )
    assert result["affected_servers"] == 3
    assert result["servers_without_owner"] == [
        {"id": "id-ghost", "name": "ghost", "user_id": "u-gone"}
    ]
    assert list(previews_by_user(result)) == ["alice"]
    assert "before 2026-07-05 09:30 UTC" in result["previews"][0]["text"]


def test_stale_servers_refuse_negative_days_and_bad_as_of(cloud, relay):
    with pytest.raises(NotificationParameterError, match="days -1 is negative"):
        email_users.email_users_with_stale_servers(
            cloud, Delivery(relay), days=-1, all_projects=True
        )
    with pytest.raises(NotificationParameterError, match="as_of 'soon'"):
        email_users.email_users_with_stale_servers(
            cloud, Delivery(relay), days=1, all_projects=True, as_of="soon"
        )
